#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: a neighbourhood in one QEMU guest (Debian's kernel, TCG) with
# the meterlink modules, simulated meters for three homes, a vTPM (swtpm
# behind QEMU's tpm-tis) for the home gateway's settled, and three mlnode
# neighbours: together four validators of one chain. tests/demo/guest.sh
# runs and checks every step (live readings, registrations, orders, a
# dispatch executed and acknowledged, the cleared auction, reports verified
# with openssl, identical final blocks, settlement and balances, compliance,
# ledgerctl verify). Exit status 0 only if all of that happened.
set -euo pipefail
cd "$(dirname "$0")/.."
export METERLINK_BUILD=${METERLINK_BUILD:-$PWD/build}
tpm=$METERLINK_BUILD/demo/vtpm
rm -rf "$tpm" && mkdir -p "$tpm" "$METERLINK_BUILD/qemu"
echo "demo: booting a QEMU guest (Debian's kernel, TCG) with meterlink, a vTPM and three homes..."
start=$SECONDS
rc=0
tests/qemu/run-guest --timeout "${DEMO_TIMEOUT:-900}" --mem 1536 --tpm "$tpm" \
	--log "$METERLINK_BUILD/qemu/demo.log" \
	--insmod kernel/meterlink_sim.ko --insmod kernel/meterlink.ko \
	-- "$PWD/tests/demo/guest.sh" || rc=$?
echo "demo: $((SECONDS - start)) s; guest console log: $METERLINK_BUILD/qemu/demo.log"
if ((rc)); then
	echo "demo: FAILED (exit $rc)" >&2
	exit 1
fi
