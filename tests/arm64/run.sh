#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The arm64 gateway test (make check-arm64; tests/arm64/arm64.mk builds the
# inputs): boots Debian's arm64 kernel on QEMU "virt" (aarch64, TCG) with a
# device tree made by applying the test overlay to virt's own, and runs
# tests/arm64/guest-init in it from an initramfs.
#
# usage: run.sh CACHE DTBO OUT MODULE_DIR DT_READING
#   CACHE       scripts/arm64-deps.sh's directory (vmlinuz, root/)
#   DTBO        the compiled tests/arm64/meterlink-sim-overlay.dts
#   OUT         where the DTBs, the initramfs and console.log go
#   MODULE_DIR  holds the cross-built meterlink.ko and meterlink_sim.ko
#   DT_READING  the static arm64 build of tests/arm64/dt_reading.c
#
# Passes the guest's TAP through. Exits 0 only if the guest ran to its end,
# printed a plan that matches its test lines, failed none, and the console has
# no kernel warning, oops or panic.
set -uo pipefail

me=check-arm64
die() { echo "$me: error: $*" >&2; exit 2; }
(($# == 5)) || die "usage: $0 CACHE DTBO OUT MODULE_DIR DT_READING"
cache=$1 dtbo=$2 out=$3 kodir=$4 reader=$5
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
sysroot=/usr/aarch64-linux-gnu/lib	# libc6-arm64-cross: the guest's glibc
root=$cache/root
for f in "$cache/vmlinuz" "$root/bin/busybox" "$root/bin/udevadm" "$dtbo" \
	"$kodir/meterlink.ko" "$kodir/meterlink_sim.ko" "$reader" "$sysroot/libc.so.6"; do
	[[ -e $f ]] || die "$f is missing (make check-arm64 builds it; scripts/arm64-deps.sh fetches the packages)"
done
command -v qemu-system-aarch64 >/dev/null || die "qemu-system-aarch64 is missing (apt-get install qemu-system-arm)"
mkdir -p "$out" || die "cannot create $out"

# The same machine for the dump and the boot: the DTB describes its CPUs and memory.
machine=(-machine virt -cpu cortex-a57 -smp 2 -m 512)

# --- the device tree: virt's own plus the overlay ------------------------------------------
qemu-system-aarch64 "${machine[@]}" -machine dumpdtb="$out/virt.dtb" -nographic \
	>"$out/dumpdtb.log" 2>&1 || { cat "$out/dumpdtb.log" >&2; die "QEMU could not dump virt's DTB"; }
fdtoverlay -i "$out/virt.dtb" -o "$out/test.dtb" "$dtbo" ||
	die "fdtoverlay could not apply $dtbo to virt's DTB"
[[ $(fdtget "$out/test.dtb" /spi-sim compatible) == meterlink,sim-spi ]] ||
	die "the merged DTB has no /spi-sim node"

# --- the initramfs ------------------------------------------------------------------------
stage=$(mktemp -d "${TMPDIR:-/tmp}/meterlink-arm64-initramfs.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,lib/modules,lib/systemd,lib/udev-test,etc/udev/rules.d,proc,sys,dev,run,tmp} ||
	die "cannot stage the initramfs"
cp "$here/guest-init" "$stage/init" && chmod 755 "$stage/init" &&
	cp "$root/bin/busybox" "$stage/bin/" &&
	cp "$root/bin/udevadm" "$stage/bin/" && ln -s /bin/udevadm "$stage/lib/systemd/systemd-udevd" &&
	cp "$reader" "$stage/bin/dt_reading" &&
	cp "$kodir/meterlink.ko" "$kodir/meterlink_sim.ko" "$stage/lib/modules/" &&
	cp "$repo/udev/60-meterlink.rules" "$stage/lib/udev-test/" ||
	die "cannot copy into the initramfs"
printf 'root:x:0:0:root:/:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\nmeter:x:990:\n' >"$stage/etc/group"

# udevadm's libraries, recursively, from the unpacked packages and the cross glibc
libdirs=("$root/lib/aarch64-linux-gnu" "$root/usr/lib/aarch64-linux-gnu" "$sysroot")
declare -A have
add_libs() {
	local lib d found
	for lib in $(aarch64-linux-gnu-readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[[ -z ${have[$lib]:-} ]] || continue
		found=
		for d in "${libdirs[@]}"; do
			[[ -e $d/$lib ]] && { found=$d/$lib; break; }
		done
		[[ -n $found ]] || die "no $lib for ${1##*/} (add its package to scripts/arm64-deps.sh)"
		cp -L "$found" "$stage/lib/$lib" || die "cannot copy $found"
		have[$lib]=1
		add_libs "$found"
	done
}
add_libs "$root/bin/udevadm"
cp -L "$sysroot/ld-linux-aarch64.so.1" "$stage/lib/" || die "no ld-linux-aarch64.so.1"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) \
	>"$out/initramfs.cpio.gz" || die "cpio failed"

# --- boot ------------------------------------------------------------------------------
log=$out/console.log
# quiet, loglevel 4: only warnings and worse reach the console (and the log)
timeout --foreground -k 5 "${ARM64_TIMEOUT:-600}" qemu-system-aarch64 "${machine[@]}" \
	-nographic -no-reboot -net none \
	-kernel "$cache/vmlinuz" -initrd "$out/initramfs.cpio.gz" -dtb "$out/test.dtb" \
	-append "console=ttyAMA0 panic=-1 panic_on_warn=1 oops=panic quiet loglevel=4" \
	</dev/null 2>&1 | tr -d '\r' >"$log"
qrc=${PIPESTATUS[0]}

sed -n '/^ARM64-TAP-BEGIN$/,/^ARM64-TAP-END/p' "$log" | sed '1d;$d'
fail() { echo "$me: FAILED: $*" >&2; echo "$me: console log: $log" >&2; exit 1; }
((qrc != 124 && qrc != 137)) || fail "the guest timed out"
grep -q '^ARM64-TAP-END failed=0$' "$log" || {
	grep -q '^ARM64-TAP-END' "$log" || { tail -n 30 "$log" >&2; fail "the guest did not finish its tests"; }
	fail "$(sed -n 's/^ARM64-TAP-END failed=//p' "$log") test(s) failed"
}
tap=$(sed -n '/^ARM64-TAP-BEGIN$/,/^ARM64-TAP-END/p' "$log")
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$tap")
lines=$(grep -c -E '^(not )?ok [0-9]+ ' <<<"$tap")
[[ -n $plan && $plan == "$lines" ]] || fail "plan 1..${plan:-?} but $lines test lines"
! grep -q -E '^(not ok|ok [0-9]+ .*# *SKIP)' <<<"$tap" || fail "a test failed or was skipped"
if grep -a -E 'WARNING:|BUG:|Oops|Kernel panic|Call trace|general protection' "$log" >&2; then
	fail "the guest kernel reported a problem (above)"
fi
echo "$me: all $plan tests passed on arm64 (QEMU virt, $(basename "$(readlink -f "$cache/vmlinuz")"))"
