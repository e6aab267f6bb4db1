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
#  - a QEMU guest of that kernel loads the packaged modules with modprobe and
#    reads a simulated meter with the packaged tools;
#  - dpkg --purge leaves no file, no DKMS state and no module behind.
# Needs root; refuses to run if meterlink packages or a DKMS meterlink are
# already installed. Prints TAP.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${METERLINK_BUILD:-$top/build}
version=$(cat "$top/VERSION") || exit 2
pkgs=(meterlink-dkms meterlink-tools libmeterlink0 libmeterlink-dev)

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

had_group=0
getent group meter >/dev/null && had_group=1
work=$(mktemp -d "${TMPDIR:-/tmp}/deb-test.XXXXXX") || exit 2
cleanup() {
	local p
	for p in "${pkgs[@]}"; do
		dpkg-query -W "$p" >/dev/null 2>&1 && dpkg --purge "$p" >/dev/null 2>&1
	done
	((had_group)) || groupdel meter 2>/dev/null
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
	ok "apt-get install of the four packages"
else
	not_ok "apt-get install of the four packages"
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
	ok "dpkg --purge of the four packages"
else
	not_ok "dpkg --purge of the four packages"
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
check "modules.dep no longer lists meterlink" \
	bash -c "! grep -q '^updates/dkms/meterlink' /lib/modules/$kver/modules.dep"

tap_end
