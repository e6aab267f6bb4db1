#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The arm64 half of the set-up, for "make check-arm64" (tests/arm64/arm64.mk);
# run by scripts/install-deps.sh after the host packages (gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross, qemu-system-arm, device-tree-compiler) are in place.
#
# Debian's arm64 kernel of the same ABI and version as the host's amd64 headers
# (linux-headers-<abi>-common is shared, and it is what the arm64 headers'
# Makefile includes), plus what the guest's initramfs needs: busybox and a real
# systemd-udevd with the libraries it links. None of it is installed: the
# packages are fetched with "apt-get download" and unpacked with "dpkg -x" into
#
#   $METERLINK_ARM64_CACHE (default ~/.cache/meterlink/arm64)/<abi>-<version>/
#     root/            the unpacked packages (the image's modules are dropped:
#                      the test needs none, the module has no dependencies)
#     kdir -> root/usr/src/linux-headers-<abi>-arm64
#     vmlinuz          the arm64 kernel image
#
# Installing linux-headers-<abi>-arm64:arm64 with apt would replace the host's
# linux-kbuild-6.1 (amd64) by the arm64 one, whose programs cannot run here.
# Instead the unpacked headers' "scripts" and "tools" links lead to the host's
# own linux-kbuild-6.1, which is the same version and cross-builds fine.
#
# Idempotent: does nothing when the cache entry is complete. Prints the cache
# directory on stdout, and nothing else there (progress goes to stderr).
set -euo pipefail
# progress on stderr; stdout has only the final line
exec 3>&1 1>&2

me=arm64-deps
die() { echo "$me: ERROR: $*" >&2; exit 1; }
sudo=()
((EUID == 0)) || sudo=(sudo)

# The ABI of the host's newest amd64 headers: 6.1.0-56 from linux-headers-6.1.0-56-amd64.
hdr=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1)
[[ -n $hdr ]] || die "no /usr/src/linux-headers-*-amd64 (run scripts/install-deps.sh)"
abi=${hdr#/usr/src/linux-headers-}
abi=${abi%-amd64}
ver=$(dpkg-query -W -f='${Version}' "linux-headers-$abi-common" 2>/dev/null) ||
	die "linux-headers-$abi-common is not installed"
cache=${METERLINK_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meterlink/arm64}/$abi-$ver
if [[ -e $cache/.complete ]]; then
	echo "$cache" >&3
	exit 0
fi

# The guest's user space: busybox, and systemd-udevd (udev's udevadm) with the
# libraries it needs (readelf -d, recursively; libc comes from the cross
# toolchain's libc6-arm64-cross, the same glibc). tests/arm64/arm64.mk checks
# that every NEEDED library is there, so a missing one fails loudly.
pkgs=("linux-image-$abi-arm64:arm64=$ver" "linux-headers-$abi-arm64:arm64=$ver"
	busybox-static:arm64 udev:arm64 libkmod2:arm64 libacl1:arm64 libblkid1:arm64
	libcap2:arm64 libselinux1:arm64 libpcre2-8-0:arm64 liblzma5:arm64 libzstd1:arm64
	libssl3:arm64)

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "$me: dpkg --add-architecture arm64"
	"${sudo[@]}" dpkg --add-architecture arm64
	"${sudo[@]}" apt-get update
elif ! apt-cache show "linux-image-$abi-arm64:arm64=$ver" >/dev/null 2>&1; then
	"${sudo[@]}" apt-get update
fi
apt-cache show "linux-image-$abi-arm64:arm64=$ver" >/dev/null 2>&1 ||
	die "the archive has no linux-image-$abi-arm64 $ver to match the host's headers;" \
		"upgrade the host's kernel packages (apt-get install linux-headers-amd64 linux-image-amd64)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/meterlink-arm64.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# _apt must be able to write where apt-get download puts the files
chmod 755 "$tmp" && mkdir -m 777 "$tmp/debs"
echo "$me: downloading ${pkgs[*]}"
(cd "$tmp/debs" && apt-get download "${pkgs[@]}") || die "apt-get download failed"
mkdir "$tmp/root"
for d in "$tmp"/debs/*.deb; do
	dpkg -x "$d" "$tmp/root" || die "cannot unpack $d"
done
rm -rf "$tmp/root/lib/modules" "$tmp/root/usr/share/doc" "$tmp/root/usr/share/man"
kdir=usr/src/linux-headers-$abi-arm64
[[ -f $tmp/root/$kdir/Makefile && -f $tmp/root/boot/vmlinuz-$abi-arm64 ]] ||
	die "the packages did not hold $kdir or boot/vmlinuz-$abi-arm64"
kbver=$(dpkg-query -W -f='${Version}' linux-kbuild-6.1 2>/dev/null) ||
	die "the host's linux-kbuild-6.1 is missing"
[[ $kbver == "$ver" ]] ||
	die "linux-kbuild-6.1 is $kbver but the headers are $ver; upgrade the host's kernel packages"
mkdir -p "$tmp/root/usr/lib"
ln -sfn /usr/lib/linux-kbuild-6.1 "$tmp/root/usr/lib/linux-kbuild-6.1"
ln -sfn "root/$kdir" "$tmp/kdir"
ln -sfn "root/boot/vmlinuz-$abi-arm64" "$tmp/vmlinuz"

rm -rf "$cache" "$cache.new"
mkdir -p "$cache.new"
mv "$tmp/root" "$tmp/kdir" "$tmp/vmlinuz" "$cache.new/"
mv "$cache.new" "$cache"
touch "$cache/.complete"
echo "$me: ok $cache"
echo "$cache" >&3
