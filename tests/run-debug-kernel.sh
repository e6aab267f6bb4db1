#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel tests on the debug kernel (KASAN, lockdep, kmemleak, UBSAN):
# builds or finds the kernel (tests/qemu/build-debug-kernel.sh), builds the
# modules and the KUnit suites against it, runs the KUnit suites and then
# every kselftest in a guest, and scans for leaks after the run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export METERLINK_BUILD=${METERLINK_BUILD:-$repo/build}
out=$METERLINK_BUILD/debug
kdir=$(tests/qemu/build-debug-kernel.sh)
image=$kdir/arch/x86/boot/bzImage

# a copy of the sources, so the stock kernel's .ko files stay where they are
rm -rf "$out/src"
mkdir -p "$out/src"
tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude=Module.symvers \
	--exclude=modules.order kernel include | tar -C "$out/src" -xf -
make -s -C "$kdir" M="$out/src/kernel" W=1 KCFLAGS=-Werror modules
ko=$out/src/kernel

echo "== KUnit on the debug kernel"
tests/qemu/run-guest --kernel "$image" --append kunit.enable=1 --timeout 300 \
	--log "$METERLINK_BUILD/qemu/kunit.log" --insmod "$ko/meterlink_kunit.ko" \
	-- sh -c 'cat /sys/kernel/debug/kunit/meterlink-*/results' \
	> "$out/kunit.ktap"
cat "$out/kunit.ktap"
# every suite: as many passing cases as its plan, none failing
awk '
	/^[ \t]+# Subtest: / { suite = $3; suites++ }
	/^[ \t]+1\.\.[0-9]+$/ { split($1, a, "\\.\\."); plan[suite] = a[2] }
	/^[ \t]+ok [0-9]+ / { passed[suite]++; cases++ }
	/not ok/ { bad++ }
	END {
		for (s in plan) if (passed[s] != plan[s]) bad++
		if (!suites || bad) { printf "kunit: FAILED (%d suites, %d failures)\n", suites, bad; exit 1 }
		printf "kunit: %d suites, %d cases passed\n", suites, cases
	}' "$out/kunit.ktap"

echo "== kselftests on the debug kernel"
tests/qemu/run-guest --kernel "$image" --timeout "${KSELFTEST_DEBUG_TIMEOUT:-2400}" \
	--mem 2048 --log "$METERLINK_BUILD/qemu/kselftests-debug.log" \
	--insmod "$ko/meterlink_sim.ko" --insmod "$ko/meterlink.ko" \
	-- env METERLINK_KO_DIR="$ko" tests/selftests/meterlink/kmemleak-wrap.sh \
	tests/selftests/meterlink/run_tests.sh
