#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the meterlink kselftests in order and prints their TAP, nested under a
# top-level TAP stream (as tools/testing/selftests/run_kselftest.sh does).
#
# usage: run_tests.sh [TEST...]        (default: all, in the order below)
#
# Needs root, debugfs at /sys/kernel/debug, meterlink.ko and meterlink_sim.ko
# loaded (e.g. tests/qemu/run-guest --insmod .../meterlink_sim.ko
# --insmod .../meterlink.ko -- tests/selftests/meterlink/run_tests.sh).
#
# Binaries are taken from $METERLINK_SELFTESTS_DIR, else
# $METERLINK_BUILD/selftests, else <repo>/build/selftests, else this directory.
# METERLINK_KO_DIR (for the module reload test in meter_lifecycle) defaults to
# <repo>/kernel or $METERLINK_BUILD/kernel, whichever has both modules.
#
# Exit status 0 only if every test program exited 0 and every test it planned
# reported "ok". A SKIP is counted as a failure, never as a pass.

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
ALL="meter_values meter_scaling meter_chardev meter_clock meter_stream meter_ioctl meter_calib meter_faults meter_lifecycle"
tests=${*:-$ALL}

bindir=
for d in "${METERLINK_SELFTESTS_DIR:-}" "${METERLINK_BUILD:+$METERLINK_BUILD/selftests}" \
	 "$repo/build/selftests" "$here"; do
	if [ -n "$d" ] && [ -x "$d/meter_values" ]; then
		bindir=$d
		break
	fi
done

if [ -z "${METERLINK_KO_DIR:-}" ]; then
	for d in "$repo/kernel" "${METERLINK_BUILD:+$METERLINK_BUILD/kernel}"; do
		if [ -n "$d" ] && [ -f "$d/meterlink.ko" ] && [ -f "$d/meterlink_sim.ko" ]; then
			METERLINK_KO_DIR=$d
			export METERLINK_KO_DIR
			break
		fi
	done
fi

tmp=$(mktemp -d 2>/dev/null) || { tmp=/tmp/meterlink-selftests.$$; mkdir -p "$tmp"; }
trap 'rm -rf "$tmp"' EXIT INT TERM

count=0
for t in $tests; do count=$((count + 1)); done

echo "TAP version 13"
echo "1..$count"
[ "$(id -u)" = 0 ] || echo "# warning: not running as root; the tests will fail"
[ -n "$bindir" ] || echo "# error: test binaries not found (make -C tests/selftests/meterlink)"
echo "# binaries: ${bindir:-none}; METERLINK_KO_DIR=${METERLINK_KO_DIR:-unset}"

n=0 failed=0 sub_pass=0 sub_fail=0 sub_skip=0
for t in $tests; do
	n=$((n + 1))
	bin=$bindir/$t
	echo "# selftests: meterlink: $t"
	if [ -z "$bindir" ] || [ ! -x "$bin" ]; then
		echo "not ok $n selftests: meterlink: $t # missing binary $bin"
		failed=$((failed + 1))
		continue
	fi
	: >"$tmp/out"
	echo 1 >"$tmp/rc"
	start=$(cut -d. -f1 /proc/uptime)	# not the wall clock: meter_clock steps it
	{ "$bin" 2>&1 </dev/null; echo $? >"$tmp/rc"; } | while IFS= read -r line || [ -n "$line" ]; do
		printf '# %s\n' "$line"
		printf '%s\n' "$line" >>"$tmp/out"
	done
	rc=$(cat "$tmp/rc")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tmp/out" | head -n 1)
	results=$(grep -c -E '^(not )?ok [0-9]+' "$tmp/out")
	notok=$(grep -c -E '^not ok [0-9]+' "$tmp/out")
	skips=$(grep -c -i -E '^ok [0-9]+.*# *skip' "$tmp/out")
	passes=$((results - notok - skips))
	sub_pass=$((sub_pass + passes))
	sub_fail=$((sub_fail + notok))
	sub_skip=$((sub_skip + skips))

	why=
	[ "$rc" = 0 ] || why="$why exit status $rc;"
	[ "$notok" = 0 ] || why="$why $notok failed;"
	[ "$skips" = 0 ] || why="$why $skips skipped (a skip is a failure here);"
	if [ -z "$plan" ]; then
		why="$why no TAP plan;"
	elif [ "$results" != "$plan" ]; then
		why="$why $results results for a plan of $plan;"
	fi
	secs=$(($(cut -d. -f1 /proc/uptime) - start))
	if [ -z "$why" ]; then
		echo "ok $n selftests: meterlink: $t # ${secs}s, $passes passed"
	else
		echo "not ok $n selftests: meterlink: $t #$why ${secs}s"
		failed=$((failed + 1))
	fi
done

echo "# meterlink: $((count - failed))/$count test programs passed;" \
	"tests: $sub_pass passed, $sub_fail failed, $sub_skip skipped (counted as failures)"
[ "$failed" = 0 ]
