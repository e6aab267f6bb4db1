#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-deb: the Debian packages, end to end:
#  - dpkg-buildpackage -b of a copy of the source tree (debian/);
#  - lintian on the result: no errors (warnings are printed);
#  - apt-get install of the packages on this machine: meterlink-dkms builds the
#    modules through DKMS for the installed Debian kernel in its postinst;
#  - the installed files work: meterctl and meterdump run, the "meter" group
#    exists, pkg-config finds libmeterlink and a program builds against it;
#  - meterlink-settled: settled runs, its unit passes systemd-analyze verify,
#    its configuration is a conffile, the user settled is in meter and tss;
#  - a QEMU guest of that kernel loads the packaged modules with modprobe and
#    reads a simulated meter with the packaged tools;
#  - dpkg --purge leaves no file, no DKMS state and no module behind: none of
#    the files dpkg listed, no configuration, no /var/lib/settled.
# Needs root; refuses to run if meterlink packages or a DKMS meterlink are
# already installed. Prints TAP.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${METERLINK_BUILD:-$top/build}
version=$(cat "$top/VERSION") || exit 2
pkgs=(meterlink-dkms meterlink-tools meterlink-settled libmeterlink0 libmeterlink-dev)

# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"
bail() { echo "Bail out! $*"; exit 1; }
installed() { dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qx installed; }

((EUID == 0)) || bail "needs root (installs and purges packages)"
for p in "${pkgs[@]}"; do
	installed "$p" && bail "$p is already installed: purge it first (dpkg --purge ${pkgs[*]})"
done
[[ -z $(dkms status -m meterlink 2>/dev/null) ]] || bail "dkms already has meterlink: make dkms-uninstall"

kver=
for d in $(ls -1 /lib/modules 2>/dev/null | sort -rV); do
	[[ -e /boot/vmlinuz-$d ]] && { kver=$d; break; }
done
[[ -n $kver && -d /lib/modules/$kver/build ]] || bail "no Debian kernel with headers"

# what the packages create that the host did not have, removed afterwards
new_groups=() had_user=0
for g in meter tss meterlink; do
	getent group $g >/dev/null || new_groups+=("$g")
done
getent passwd settled >/dev/null && had_user=1
work=$(mktemp -d "${TMPDIR:-/tmp}/deb-test.XXXXXX") || exit 2
cleanup() {
	local p
	for p in "${pkgs[@]}"; do
		dpkg-query -W "$p" >/dev/null 2>&1 && dpkg --purge "$p" >/dev/null 2>&1
	done
	((had_user)) || userdel settled 2>/dev/null
	for g in "${new_groups[@]}"; do groupdel "$g" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
echo "# meterlink $version, kernel $kver"

# --- build --------------------------------------------------------------------------
# a copy, so the build cannot touch the tree (dpkg-buildpackage writes to ..)
mkdir -p "$work/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -co --exclude-standard -z | tar -C "$top" --null -T - -cf - |
		tar -C "$work/src" -xf -
else
	tar -C "$top" --exclude=./build --exclude=.git -cf - . | tar -C "$work/src" -xf -
fi
if (cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -b"
else
	not_ok "dpkg-buildpackage -b"
	tail -40 "$work/build.log" | diag
	bail "no packages to test"
fi
debs=()
for p in "${pkgs[@]}"; do
	f=$(ls "$work"/"${p}"_"$version"_*.deb 2>/dev/null | head -1)
	check "$p was built" test -n "$f"
	[[ -n $f ]] && debs+=("$f")
done
((${#debs[@]} == ${#pkgs[@]})) || bail "packages missing"

changes=$(ls "$work"/meterlink_"$version"_*.changes)
lintian --fail-on error --tag-display-limit 0 "$changes" >"$work/lintian.log" 2>&1
rc=$?
grep -v 'running with root privileges' "$work/lintian.log" | diag
check "lintian reports no errors" test $rc -eq 0

# --- install -----------------------------------------------------------------------
if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${debs[@]}" \
	>"$work/install.log" 2>&1; then
	ok "apt-get install of the ${#pkgs[@]} packages"
else
	not_ok "apt-get install of the ${#pkgs[@]} packages"
	tail -40 "$work/install.log" | diag
	bail "cannot go on"
fi
for p in "${pkgs[@]}"; do
	check "$p is installed" installed "$p"
done
st=$(dkms status -m meterlink -v "$version" -k "$kver" 2>/dev/null)
echo "# dkms status: $st"
check "the postinst built and installed the modules for $kver" grep -q installed <<<"$st"
check "modules.dep lists meterlink" \
	grep -q '^updates/dkms/meterlink\.ko[^:]*:' "/lib/modules/$kver/modules.dep"
check "the group meter exists" bash -c "getent group meter >/dev/null"
check "the udev rules are installed" test -f /lib/udev/rules.d/60-meterlink.rules
check "meterctl runs" bash -c "/usr/bin/meterctl --help >/dev/null"
check "meterdump runs" bash -c "/usr/bin/meterdump -h >/dev/null"
check "ledgerctl runs" bash -c "/usr/bin/ledgerctl --help >/dev/null && test -f /usr/share/man/man8/ledgerctl.8.gz"
check "man pages are installed" test -f /usr/share/man/man8/meterctl.8.gz -a -f /usr/share/man/man1/meterdump.1.gz
expect "pkg-config finds libmeterlink $version" "$(pkg-config --modversion meterlink 2>&1)" "$version"
if gcc -Wall -Wextra -Werror -o "$work/watch" "$top/lib/libmeterlink/examples/watch.c" \
	$(pkg-config --cflags --libs meterlink) >"$work/cc.log" 2>&1; then
	ok "a program builds against the installed libmeterlink"
	check "and links the installed libmeterlink.so.0" \
		bash -c "ldd '$work/watch' | grep -Eq 'libmeterlink\.so\.0 => (/usr)?/lib/'"
else
	not_ok "a program builds against the installed libmeterlink"
	diag <"$work/cc.log"
fi

# --- meterlink-settled ---------------------------------------------------------------
check "settled --help runs" bash -c "/usr/sbin/settled --help | grep -q '^usage: settled'"
expect "settled --version" "$(/usr/sbin/settled --version 2>&1)" "settled $version"
check "the default configuration is installed and parses" \
	bash -c "/usr/sbin/settled -c /etc/meterlink/settled.conf --check-config >/dev/null"
check "/etc/meterlink/settled.conf is a conffile" \
	bash -c "dpkg-query -W -f='\${Conffiles}' meterlink-settled | grep -q '^ */etc/meterlink/settled.conf '"
check "man pages settled(8) and settled.conf(5)" \
	test -f /usr/share/man/man8/settled.8.gz -a -f /usr/share/man/man5/settled.conf.5.gz
check "bash completion for settled" \
	bash -c ". /usr/share/bash-completion/completions/settled && complete -p settled >/dev/null"
check "the user settled exists" bash -c "getent passwd settled >/dev/null"
expect "settled is in the groups meter and tss" \
	"$(id -nG settled 2>/dev/null | tr ' ' '\n' | grep -Ex 'meter|tss' | sort | tr '\n' ' ')" "meter tss "
if systemd-analyze verify /lib/systemd/system/settled.service >"$work/verify.log" 2>&1; then
	ok "systemd-analyze verify settled.service"
else
	not_ok "systemd-analyze verify settled.service"
	diag <"$work/verify.log"
fi
check "the unit runs the packaged settled" \
	grep -qx 'ExecStart=/usr/sbin/settled -c /etc/meterlink/settled.conf' \
	/lib/systemd/system/settled.service
# the state a running settled leaves (what purge must remove)
install -d -o settled -g settled -m 0750 /var/lib/settled && echo x >/var/lib/settled/spool.db
# every file the packages installed, checked again after the purge
dpkg -L "${pkgs[@]}" 2>/dev/null | while read -r f; do [[ -d $f ]] || echo "$f"; done |
	sort -u >"$work/files"
echo "# the packages installed $(wc -l <"$work/files") files"

# --- the packaged modules and tools in a guest ----------------------------------------
mkdir -p "$BUILD/qemu"
out=$(METERLINK_BUILD=$BUILD "$top/tests/qemu/run-guest" --kernel-version "$kver" \
	--log "$BUILD/qemu/deb.log" -- "$top/tests/dkms/guest.sh" "$version" /usr/bin \
	2>"$work/guest.err")
rc=$?
echo "$out" | diag
if ((rc == 0)); then
	ok "the guest modprobes the packaged modules and reads a meter with the packaged tools"
else
	not_ok "the guest modprobes the packaged modules and reads a meter with the packaged tools (rc $rc)"
	tail -30 "$work/guest.err" | diag
fi

# --- purge ----------------------------------------------------------------------------
if dpkg --purge "${pkgs[@]}" >"$work/purge.log" 2>&1; then
	ok "dpkg --purge of the ${#pkgs[@]} packages"
else
	not_ok "dpkg --purge of the ${#pkgs[@]} packages"
	tail -20 "$work/purge.log" | diag
fi
for p in "${pkgs[@]}"; do
	check "$p is gone" bash -c "! dpkg-query -W '$p' >/dev/null 2>&1"
done
expect "dkms no longer knows meterlink" "$(dkms status -m meterlink 2>/dev/null)" ""
left=$(ls -d /usr/src/meterlink-* /var/lib/dkms/meterlink /lib/modules/*/updates/dkms/meterlink*.ko* \
	/usr/bin/meterctl /usr/bin/meterdump /usr/bin/ledgerctl /lib/udev/rules.d/60-meterlink.rules \
	/usr/lib/*/libmeterlink* /usr/include/meterlink.h 2>/dev/null)
expect "no file left behind" "$left" ""
expect "no file of any package left behind" \
	"$(while read -r f; do [[ -e $f || -L $f ]] && echo "$f"; done <"$work/files")" ""
expect "no configuration or state left behind" \
	"$(ls -d /etc/meterlink /var/lib/settled /lib/systemd/system/settled.service \
		/etc/systemd/system/multi-user.target.wants/settled.service 2>/dev/null)" ""
check "modules.dep no longer lists meterlink" \
	bash -c "! grep -q '^updates/dkms/meterlink' /lib/modules/$kver/modules.dep"

tap_end
