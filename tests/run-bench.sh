#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the data-path benchmarks inside the QEMU guest. Figures and
# ratios only; nothing here passes or fails on a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export METERLINK_BUILD=${METERLINK_BUILD:-$repo/build}
exec tests/qemu/run-guest --timeout 900 \
	--log "$METERLINK_BUILD/qemu/bench.log" \
	--insmod kernel/meterlink_sim.ko --insmod kernel/meterlink.ko \
	-- "$METERLINK_BUILD/tools/meterbench" "${BENCH_ROUNDS:-5}"
