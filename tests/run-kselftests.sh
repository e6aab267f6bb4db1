#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the meterlink kselftests inside a QEMU guest on Debian's stock kernel
# with freshly built modules. Build first: make modules selftests.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
ko=$repo/kernel
for m in "$ko/meterlink.ko" "$ko/meterlink_sim.ko"; do
	[[ -f $m ]] || { echo "run-kselftests: $m missing; run make modules" >&2; exit 1; }
done
export METERLINK_BUILD=${METERLINK_BUILD:-$repo/build}
exec tests/qemu/run-guest --timeout "${KSELFTEST_TIMEOUT:-1500}" \
	--log "$METERLINK_BUILD/qemu/kselftests.log" \
	--insmod "$ko/meterlink_sim.ko" --insmod "$ko/meterlink.ko" \
	-- env METERLINK_KO_DIR="$ko" SELFTEST_BIN="$METERLINK_BUILD/selftests" \
	tests/selftests/meterlink/run_tests.sh
