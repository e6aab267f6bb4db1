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
#
# The guest's waits follow the chain, not the clock: on a slow machine the
# demo takes longer, it does not fail. DEMO_TIMEOUT (default 3600 s) only
# stops a guest that hangs.
set -euo pipefail
cd "$(dirname "$0")/.."
export METERLINK_BUILD=${METERLINK_BUILD:-$PWD/build}
tpm=$METERLINK_BUILD/demo/vtpm
log=$METERLINK_BUILD/qemu/demo.log
rm -rf "$tpm" && mkdir -p "$tpm" "$METERLINK_BUILD/qemu"

# The guest sees the host's / except /tmp, /run and /dev, which are its
# own: a tree there (a clone in /tmp) is copied, the programs the guest
# runs and its script, to /var/tmp for the run.
dir=$PWD
stage=''
trap '[[ -n $stage ]] && rm -rf "$stage"' EXIT
case "$(realpath "$PWD")/ $(realpath "$METERLINK_BUILD")/" in
/tmp/* | /run/* | /dev/* | *" /tmp/"* | *" /run/"* | *" /dev/"*)
	stage=$(mktemp -d /var/tmp/meterlink-demo.XXXXXX)
	for f in settled/settled consensus/mlnode demo/mkgenesis tools/ledgerctl/ledgerctl \
		tools/meterdump; do
		install -D -m 0755 "$METERLINK_BUILD/$f" "$stage/build/$f"
	done
	install -D -m 0755 tests/demo/guest.sh "$stage/tests/demo/guest.sh"
	echo "demo: $PWD is not visible in the guest (its /tmp is its own); running from a copy in $stage"
	dir=$stage
	;;
esac

echo "demo: booting a QEMU guest (Debian's kernel, TCG) with meterlink, a vTPM and three homes;"
echo "demo: 3 to 10 minutes, longer on a loaded machine (console log: $log)"
start=$SECONDS
rc=0
if [[ -n $stage ]]; then
	gbuild=$stage/build
else
	gbuild=$METERLINK_BUILD
fi
# run-guest itself and the modules are read on the host
mods=("$PWD/kernel/meterlink_sim.ko" "$PWD/kernel/meterlink.ko")
rg=$PWD/tests/qemu/run-guest
(cd "$dir" && METERLINK_BUILD=$gbuild "$rg" --timeout "${DEMO_TIMEOUT:-3600}" --mem 1536 \
	--tpm "$tpm" --log "$log" --insmod "${mods[0]}" --insmod "${mods[1]}" \
	-- "$dir/tests/demo/guest.sh") || rc=$?
echo "demo: $((SECONDS - start)) s; guest console log: $log"
if ((rc)); then
	echo "demo: FAILED (exit $rc)" >&2
	exit 1
fi
