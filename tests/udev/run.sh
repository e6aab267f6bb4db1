#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# udev/60-meterlink.rules under a real systemd-udevd, inside a QEMU guest with
# meterlink_sim.ko and meterlink.ko loaded (make check-udev). Prints TAP; exits
# non-zero when a check fails.
#
# The host's root is read-only in the guest, and /tmp, /run and /dev are the
# guest's own. So the test, root in the guest's mount namespace:
#  - bind-mounts a copy of /etc/group (and /etc/gshadow) with a "meter" group
#    over the originals, unless the host already has that group;
#  - mounts empty tmpfs over every directory udev reads rules from and puts only
#    the repository's 60-meterlink.rules into /etc/udev/rules.d, so what udevd
#    does to /dev/meter* is the project's rules' doing and nothing else's
#    (devtmpfs alone makes the nodes root:root 0600, with no links);
#  - runs /lib/systemd/systemd-udevd in the background, logging to a file.
set -uo pipefail

[[ ${METERLINK_GUEST:-} == 1 ]] ||
	{ echo "$0: runs inside the QEMU guest: make check-udev" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rules=$(realpath -e "$here/../../udev/60-meterlink.rules") || exit 2
sim=/sys/kernel/debug/meterlink_sim
udevd=/lib/systemd/systemd-udevd
work=$(mktemp -d /tmp/udev-test.XXXXXX) || exit 2
udevd_pid=
# udevadm trigger and settle see the chroot the harness runs us in and would
# ignore the request ("Running in chroot, ignoring request."): this udevd is real.
export SYSTEMD_IGNORE_CHROOT=1

# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"
bail() {
	echo "Bail out! $*"
	[[ -s $work/udevd.log ]] && diag <"$work/udevd.log"
	exit 1
}
settle() { udevadm settle --timeout=60 || echo "# udevadm settle timed out"; }

# running, not a zombie waiting for us to reap it
alive() { [[ -r /proc/$1/stat ]] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null; }
stop_udevd() {
	[[ -n $udevd_pid ]] || return 0
	udevadm control --exit >/dev/null 2>&1 || kill "$udevd_pid" 2>/dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		alive "$udevd_pid" || break
		sleep 0.1
	done
	if alive "$udevd_pid"; then
		kill -KILL "$udevd_pid" 2>/dev/null
		wait "$udevd_pid" 2>/dev/null
		udevd_pid=
		return 1
	fi
	wait "$udevd_pid" 2>/dev/null
	udevd_pid=
}
trap 'stop_udevd' EXIT

[[ -x $udevd ]] || bail "$udevd is missing (apt-get install udev)"
[[ -w $sim/new_device ]] || bail "$sim/new_device is missing: is meterlink_sim.ko loaded?"

# --- the meter group ---------------------------------------------------------
if ! getent group meter >/dev/null; then
	for ((gid = 999; gid >= 100; gid--)); do
		getent group "$gid" >/dev/null || break
	done
	{ cat /etc/group; echo "meter:x:$gid:"; } >"$work/group" &&
		mount --bind "$work/group" /etc/group || bail "cannot overlay /etc/group"
	if [[ -r /etc/gshadow ]]; then
		{ cat /etc/gshadow; echo "meter:!::"; } >"$work/gshadow" &&
			mount --bind "$work/gshadow" /etc/gshadow || bail "cannot overlay /etc/gshadow"
	fi
	echo "# added group meter ($gid) to a private copy of /etc/group"
fi
meter_gid=$(getent group meter | cut -d: -f3)
[[ -n $meter_gid ]] || bail "group meter does not resolve"

# --- only our rules ------------------------------------------------------------
mkdir -p /run/udev/rules.d
declare -A masked
for d in /etc/udev/rules.d /run/udev/rules.d /usr/local/lib/udev/rules.d \
	/usr/lib/udev/rules.d /lib/udev/rules.d; do
	[[ -d $d ]] || continue
	r=$(realpath "$d")
	[[ -z ${masked[$r]:-} ]] || continue
	mount -t tmpfs -o mode=755 udev-test-rules "$r" || bail "cannot mount tmpfs over $r"
	masked[$r]=1
done
cp "$rules" /etc/udev/rules.d/ || bail "cannot copy the rules"
found=$(find /etc/udev/rules.d /run/udev/rules.d /usr/local/lib/udev/rules.d \
	/usr/lib/udev/rules.d /lib/udev/rules.d -name '*.rules' 2>/dev/null | sort -u)
expect "udevd sees only the project's rules file" "$found" /etc/udev/rules.d/60-meterlink.rules

# A meter that is there before udevd starts (as when the module loads early in
# boot) gets its permissions and links from the coldplug "trigger" below.
echo "ade7953 0" >"$sim/new_device" || bail "cannot create ade7953 at cs 0"

# --- udevd -----------------------------------------------------------------------
mkdir -p /run/udev
SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=info "$udevd" >"$work/udevd.log" 2>&1 &
udevd_pid=$!
for ((i = 0; i < 100; i++)); do
	udevadm control --ping >/dev/null 2>&1 && break
	kill -0 "$udevd_pid" 2>/dev/null || break
	sleep 0.1
done
udevadm control --ping >/dev/null 2>&1 || bail "systemd-udevd did not start"
ok "systemd-udevd runs (pid $udevd_pid)"

# --- a second meter, then coldplug both ------------------------------------------------
echo "atm90e32 1" >"$sim/new_device" || bail "cannot create atm90e32 at cs 1"
settle
udevadm trigger --subsystem-match=meter --action=add || echo "# udevadm trigger failed"
settle

# The rules must have loaded cleanly: udevd names the file and line of anything it
# ignores (an unknown group, a bad key, a bad substitution).
if grep -q '60-meterlink\.rules' "$work/udevd.log"; then
	not_ok "udevd reports nothing about 60-meterlink.rules"
	grep '60-meterlink\.rules' "$work/udevd.log" | diag
else
	ok "udevd reports nothing about 60-meterlink.rules"
fi

# meter node of the device at chip select $1 (from the class device's "device" link)
declare -A node_of chip_of
scan() {
	node_of=() chip_of=()
	local m spi
	for m in /sys/class/meter/meter*; do
		[[ -e $m ]] || continue
		spi=$(basename "$(readlink "$m/device")")	# spi<bus>.<cs>
		node_of[${spi##*.}]=/dev/${m##*/}
		chip_of[${spi##*.}]=$(cat "$m/chip")
	done
}
scan
expect "two meters, at chip selects 0 and 1" "$(printf '%s\n' "${!node_of[@]}" | sort | xargs)" "0 1"

# by_path_ok CS: /dev/meter/by-path/<path of CS> exists and leads to the meter at CS
by_path() { echo "/dev/meter/by-path/platform-meterlink_sim-cs-$1"; }
check_meter() {
	local cs=$1 node=${node_of[$1]:-/dev/missing} link
	expect "$node (cs $cs) is group meter, mode 0660" \
		"$(stat -c '%G %g %a' "$node" 2>&1)" "meter $meter_gid 660"
	link=$(by_path "$cs")
	if [[ -L $link && $(readlink -f "$link") == "$node" ]]; then
		ok "$link -> $node"
	else
		not_ok "$link -> $node"
		ls -l /dev/meter/by-path/ 2>&1 | diag
	fi
}
for cs in 0 1; do check_meter "$cs"; done
expect "by-path holds one link per meter" \
	"$(find /dev/meter/by-path -mindepth 1 2>/dev/null | wc -l)" "${#node_of[@]}"
# the simulator's devices have no device tree node: the rule must make no link
check "no by-name links without a device tree node" test ! -e /dev/meter/by-name

info=$(udevadm info "${node_of[0]:-/dev/meter0}" 2>&1)
echo "$info" | diag
for want in "E: ID_PATH=platform-meterlink_sim-cs-0" "E: METER_CHIP=ade7953" \
	"E: METER_NR_PHASES=2" "S: meter/by-path/platform-meterlink_sim-cs-0"; do
	check "udevadm info ${node_of[0]:-/dev/meter0} shows '$want'" grep -qxF -- "$want" <<<"$info"
done

# --- removal -----------------------------------------------------------------------
gone=${node_of[0]:-/dev/meter0}
echo 0 >"$sim/delete_device" || bail "cannot delete the device at cs 0"
settle
check "$gone is gone after delete_device 0" test ! -e "$gone"
check "$(by_path 0) is gone with it" test ! -L "$(by_path 0)"
scan
kept=${node_of[1]:-/dev/missing}
check "$(by_path 1) still leads to $kept" \
	test "$(readlink -f "$(by_path 1)" 2>&1)" = "$kept"

# --- the name follows the wiring: another chip at cs 0 gets the same by-path name ----
echo "atm90e32 0" >"$sim/new_device" || bail "cannot create atm90e32 at cs 0"
settle
scan
expect "a new meter at cs 0 is an atm90e32" "${chip_of[0]:-none}" atm90e32
check_meter 0

# --- stop udevd, then the fallback name when path_id finds no path -------------------
if stop_udevd; then ok "systemd-udevd stopped"; else not_ok "systemd-udevd stopped"; fi
check "udevd no longer answers" test "$(udevadm control --ping 2>&1 >/dev/null; echo $?)" != 0

# Without path_id (as on a controller whose parent path_id does not know), the rule
# names the link after the SPI device, spi<bus>.<cs>. udevadm test runs the rules
# in-process and prints the links it would make.
sed '/IMPORT{builtin}="path_id"/d' "$rules" >/etc/udev/rules.d/60-meterlink.rules
m1=/sys/class/meter/${node_of[1]#/dev/}
spi1=$(basename "$(readlink "$m1/device")")
out=$(udevadm test --action=add "$m1" 2>&1)
devlinks=$(sed -n 's/^DEVLINKS=//p' <<<"$out")
if [[ " $devlinks " == *" /dev/meter/by-path/$spi1 "* ]]; then
	ok "without ID_PATH the link is meter/by-path/$spi1"
else
	not_ok "without ID_PATH the link is meter/by-path/$spi1"
	echo "$out" | tail -n 30 | diag
fi

# The simulator's SPI devices have no device tree node, and the stock x86 kernel
# has no CONFIG_OF. So the by-name rule runs on a stand-in: a tmpfs over
# /sys/devices/virtual holding an SPI device spi7.3 (subsystem spi, an of_node
# whose "name" is meter-l1) with a meter class device below it, which udevadm test
# reads like any other device. Its SPI device has no parent path_id knows, so it
# also takes the by-path fallback, spi7.3.
fake=/sys/devices/virtual
of=$work/of/meter-l1@3
if mkdir -p "$of" && printf 'meter-l1\0' >"$of/name" &&
	mount -t tmpfs -o mode=755 udev-test-sysfs "$fake"; then
	spi=$fake/spi7.3 md=$fake/spi7.3/meter/meter9
	mkdir -p "$md" && : >"$spi/uevent" && ln -s /sys/bus/spi "$spi/subsystem" &&
		ln -s "$of" "$spi/of_node" && ln -s /sys/class/meter "$md/subsystem" &&
		ln -s ../.. "$md/device" && echo ade7953 >"$md/chip" && echo 2 >"$md/nr_phases" &&
		printf 'MAJOR=%s\nMINOR=9\nDEVNAME=meter9\n' "$((16#$(stat -c '%t' "${node_of[1]}")))" >"$md/uevent"
	cp "$rules" /etc/udev/rules.d/60-meterlink.rules
	# sd-device refuses a syspath that is not on sysfs unless told otherwise
	out=$(SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action=add "$md" 2>&1)
	devlinks=" $(sed -n 's/^DEVLINKS=//p' <<<"$out") "
	check "a meter with a device tree node gets meter/by-name/meter-l1" \
		test "${devlinks/* \/dev\/meter\/by-name\/meter-l1 */yes}" = yes
	check "a meter outside any known bus path gets meter/by-path/spi7.3" \
		test "${devlinks/* \/dev\/meter\/by-path\/spi7.3 */yes}" = yes
	[[ $failed == 0 ]] || echo "$out" | tail -n 30 | diag
	umount "$fake"
else
	not_ok "cannot build the stand-in device tree meter"
fi

rm -rf "$work"
tap_end
