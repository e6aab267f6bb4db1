#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The arm64 gateway test (make check-arm64; tests/arm64/arm64.mk builds the
# inputs): boots Debian's arm64 kernel on QEMU "virt" (aarch64, TCG) with a
# device tree made by applying the test overlay to virt's own, and runs
# tests/arm64/guest-init in it from an initramfs.
#
# usage: run.sh CACHE OUT MODULE_DIR DT_READING DTBO [BAD_DTBO...]
#   CACHE       scripts/arm64-deps.sh's directory (vmlinuz, root/)
#   OUT         where the DTBs, the initramfs and the console logs go
#   MODULE_DIR  holds the cross-built meterlink.ko and meterlink_sim.ko
#   DT_READING  the static arm64 build of tests/arm64/dt_reading.c
#   DTBO        the compiled tests/arm64/meterlink-sim-overlay.dts
#   BAD_DTBO    compiled tests/arm64/bad/NAME.dts: device trees meterlink_sim
#               must refuse, each booted on its own; the "expect:" line of
#               NAME.dts is the error the guest's kernel log must show, an
#               "insmod: loads" line says the module loads all the same
#
# Passes the guests' TAP through. Exits 0 only if every guest ran to its end,
# printed a plan that matches its test lines, failed none, and its console has
# no kernel warning, oops or panic.
set -uo pipefail

me=check-arm64
die() { echo "$me: error: $*" >&2; exit 2; }
(($# >= 5)) || die "usage: $0 CACHE OUT MODULE_DIR DT_READING DTBO [BAD_DTBO...]"
cache=$1 out=$2 kodir=$3 reader=$4 dtbo=$5
shift 5
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

# --- boots -----------------------------------------------------------------------------
qemu-system-aarch64 "${machine[@]}" -machine dumpdtb="$out/virt.dtb" -nographic \
	>"$out/dumpdtb.log" 2>&1 || { cat "$out/dumpdtb.log" >&2; die "QEMU could not dump virt's DTB"; }

failures=0
fail() { echo "$me: FAILED: $*" >&2; failures=$((failures + 1)); }
# boot NAME DTBO [KERNEL-ARGS]: virt's DTB plus DTBO; prints the TAP; 0 if it passed
boot() {
	local name=$1 o=$2 log=$out/$1.log tap plan lines qrc
	echo "# --- $name: $(basename "$o")"
	fdtoverlay -i "$out/virt.dtb" -o "$out/$name.dtb" "$o" ||
		{ fail "$name: fdtoverlay could not apply $o to virt's DTB"; return 1; }
	[[ $(fdtget "$out/$name.dtb" /spi compatible 2>/dev/null) == meterlink,sim-spi ]] ||
		{ fail "$name: the merged DTB has no /spi node"; return 1; }
	# quiet, loglevel 4: only warnings and worse reach the console (and the log)
	timeout --foreground -k 5 "${ARM64_TIMEOUT:-600}" qemu-system-aarch64 "${machine[@]}" \
		-nographic -no-reboot -net none \
		-kernel "$cache/vmlinuz" -initrd "$out/initramfs.cpio.gz" -dtb "$out/$name.dtb" \
		-append "console=ttyAMA0 panic=-1 panic_on_warn=1 oops=panic quiet loglevel=4 ${3:-}" \
		</dev/null 2>&1 | tr -d '\r' >"$log"
	qrc=${PIPESTATUS[0]}
	tap=$(sed -n '/^ARM64-TAP-BEGIN$/,/^ARM64-TAP-END/p' "$log" | sed '1d;$d')
	echo "$tap"
	if ((qrc == 124 || qrc == 137)); then
		fail "$name: the guest timed out (console: $log)"; return 1
	fi
	if ! grep -q '^ARM64-TAP-END' "$log"; then
		tail -n 30 "$log" >&2
		fail "$name: the guest did not finish its tests (console: $log)"; return 1
	fi
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$tap")
	lines=$(grep -c -E '^(not )?ok [0-9]+ ' <<<"$tap")
	[[ -n $plan && $plan == "$lines" ]] ||
		{ fail "$name: plan 1..${plan:-?} but $lines test lines"; return 1; }
	if grep -q -E '^(not ok|ok [0-9]+ .*# *SKIP)' <<<"$tap" || ! grep -q '^ARM64-TAP-END failed=0$' "$log"; then
		fail "$name: a test failed or was skipped (console: $log)"; return 1
	fi
	if grep -a -E 'WARNING:|BUG:|Oops|Kernel panic|Call trace|general protection' "$log" >&2; then
		fail "$name: the guest kernel reported a problem (above; console: $log)"; return 1
	fi
	echo "# $name: all $plan tests passed"
}

boot gateway "$dtbo"
for o in "$@"; do
	name=$(basename "$o" .dtbo)
	src=$here/bad/$name.dts
	want=$(sed -n 's|^// expect: ||p' "$src" 2>/dev/null)
	[[ -n $want ]] || { fail "$src has no '// expect:' line"; continue; }
	# "// insmod: loads": the module loads but refuses part of the tree
	mode=meterlink_bad_dt
	! grep -q '^// insmod: loads$' "$src" || mode=meterlink_bad_dt_loads
	boot "bad-$name" "$o" $mode || continue
	if grep -q -F -- "$want" <(grep '^# dmesg: ' "$out/bad-$name.log"); then
		echo "# bad-$name: the kernel log says: $want"
	else
		fail "bad-$name: the kernel log does not say: $want"
	fi
done
((failures == 0)) || { echo "$me: $failures failure(s)" >&2; exit 1; }
echo "$me: passed on arm64 (QEMU virt, $(basename "$(readlink -f "$cache/vmlinuz")")): the gateway and $# refused device trees"
