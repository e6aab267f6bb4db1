#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-dkms: the DKMS packaging, end to end, against the newest installed
# Debian kernel (the one with /boot/vmlinuz-VER and its headers):
#  - make dkms-source into a staging DESTDIR: the tree DKMS gets, nothing more;
#  - make dkms-install KVER=VER: dkms add, build and install for real;
#  - the installed modules carry the version and the kernel's vermagic;
#  - a QEMU guest of that kernel loads them with modprobe (from modules.dep,
#    not from the build tree), creates a simulated meter and reads a record;
#  - a build for a kernel without headers fails and installs nothing;
#  - make dkms-uninstall removes every trace.
# Needs root (it changes /usr/src, /var/lib/dkms and /lib/modules/VER); refuses
# to touch an installation of the same version it did not make. Prints TAP.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${METERLINK_BUILD:-$top/build}
version=$(cat "$top/VERSION") || exit 2
name=meterlink

# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"
bail() { echo "Bail out! $*"; exit 1; }

((EUID == 0)) || bail "needs root (dkms installs into /usr/src and /lib/modules)"
command -v dkms >/dev/null || bail "dkms is missing: apt-get install dkms"

kver=
for d in $(ls -1 /lib/modules 2>/dev/null | sort -rV); do
	[[ -e /boot/vmlinuz-$d ]] && { kver=$d; break; }
done
[[ -n $kver ]] || bail "no Debian kernel image in /boot (scripts/install-deps.sh)"
[[ -d /lib/modules/$kver/build ]] || bail "no headers for $kver: apt-get install linux-headers-$kver"

if [[ -e /usr/src/$name-$version ]] || [[ -n $(dkms status -m $name -v "$version" 2>/dev/null) ]]; then
	bail "$name $version is already known to dkms or in /usr/src: 'make dkms-uninstall' first"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dkms-test.XXXXXX") || exit 2
cleanup() {
	make -s -C "$top" dkms-uninstall >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
mk() { make -s --no-print-directory -C "$top" "$@"; }

echo "TAP version 13"
echo "# dkms $(dkms --version 2>/dev/null | head -1), kernel $kver, $name $version"

# --- the source tree --------------------------------------------------------------
mk dkms-source DESTDIR="$work/stage" >"$work/stage.log" 2>&1
check "make dkms-source DESTDIR= stages the tree" test $? -eq 0
src=$work/stage/usr/src/$name-$version
expect "dkms.conf names the version" \
	"$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$src/dkms.conf" 2>/dev/null)" "$version"
check "the tree has the Kbuild, the UAPI header and VERSION" \
	test -f "$src/kernel/Kbuild" -a -f "$src/include/uapi/linux/meterlink.h" -a -f "$src/VERSION"
junk=$(find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \) 2>/dev/null)
expect "no build products in the tree" "$junk" ""

# --- add, build, install ----------------------------------------------------------------
if mk dkms-install KVER="$kver" >"$work/install.log" 2>&1; then
	ok "make dkms-install KVER=$kver"
else
	not_ok "make dkms-install KVER=$kver"
	diag <"$work/install.log"
	find /var/lib/dkms/$name -name make.log -exec cat {} + 2>/dev/null | tail -40 | diag
	bail "cannot go on without an installed module"
fi
st=$(dkms status -m $name -v "$version" -k "$kver" 2>/dev/null)
echo "# dkms status: $st"
check "dkms status says installed for $kver" grep -q 'installed' <<<"$st"

for mod in meterlink meterlink_sim; do
	f=$(ls /lib/modules/"$kver"/updates/dkms/$mod.ko* 2>/dev/null | head -1)
	check "$mod is installed under updates/dkms" test -n "$f"
	[[ -n $f ]] || continue
	expect "$mod carries version $version" "$(modinfo -F version "$f")" "$version"
	vm=$(modinfo -F vermagic "$f")
	check "$mod vermagic is $kver" test "${vm%% *}" = "$kver"
	check "modules.dep of $kver lists $mod" \
		grep -q "^updates/dkms/$mod\.ko[^:]*:" "/lib/modules/$kver/modules.dep"
done

# --- the installed modules, in a guest --------------------------------------------------
log=$BUILD/qemu/dkms.log
mkdir -p "$BUILD/qemu"
out=$(METERLINK_BUILD=$BUILD "$top/tests/qemu/run-guest" --kernel-version "$kver" \
	--log "$log" -- "$here/guest.sh" "$version" 2>"$work/guest.err")
rc=$?
echo "$out" | diag
if ((rc == 0)); then
	ok "the guest loads the installed modules with modprobe and reads a meter"
else
	not_ok "the guest loads the installed modules with modprobe and reads a meter (rc $rc)"
	tail -30 "$work/guest.err" | diag
fi

# --- a kernel without headers ---------------------------------------------------------
if dkms build -m $name -v "$version" -k 0.0.0-no-such-kernel >"$work/bad.log" 2>&1; then
	not_ok "dkms build for a kernel without headers fails"
else
	grep -A1 -m1 '^Error' "$work/bad.log" | diag
	check "dkms build for a kernel without headers fails, saying so" \
		grep -qi 'headers' "$work/bad.log"
fi
check "and installs nothing for it" test ! -e /lib/modules/0.0.0-no-such-kernel

# --- removal -------------------------------------------------------------------------
mk dkms-uninstall >"$work/remove.log" 2>&1
check "make dkms-uninstall" test $? -eq 0
expect "dkms no longer knows $name" "$(dkms status -m $name 2>/dev/null)" ""
left=$(ls /lib/modules/"$kver"/updates/dkms/meterlink*.ko* 2>/dev/null)
expect "no module left under updates/dkms" "$left" ""
check "modules.dep no longer lists them" \
	bash -c "! grep -q '^updates/dkms/meterlink' /lib/modules/$kver/modules.dep"
check "the sources are gone from /usr/src" test ! -e "/usr/src/$name-$version"

tap_end
