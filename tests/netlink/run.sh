#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The meterlink generic netlink family, libmeterlink and meterctl, inside the
# QEMU guest with both modules loaded:
#
#   tests/qemu/run-guest --insmod kernel/meterlink_sim.ko \
#       --insmod kernel/meterlink.ko -- tests/netlink/run.sh
#
# (make meterctl-guest-tests first; make check-meterctl-guest does both).
# Uses the simulator (Documentation/simulator.rst) at chip selects 0..3.
# Prints TAP; exits 1 if anything failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${METERLINK_BUILD:-$root/build}
M=$BUILD/tools/meterctl/meterctl
H=$BUILD/tests/netlink
S=/sys/kernel/debug/meterlink_sim
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	local f
	for f in "$tmp/out" "$tmp/err"; do
		[[ -s $f ]] && head -n 20 "$f" | sed "s/^/# ${f##*/}: /"
	done
	return 0
}
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
# run ARGS...: meterctl with stdout/stderr in $tmp/out, $tmp/err; status in $rc
run() { "$M" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$@"
}
# helper NAME ARGS...: a C helper's PASS/FAIL lines become TAP lines
helper() {
	local line
	"$@" >"$tmp/helper" 2>&1
	local st=$?
	while IFS= read -r line; do
		case $line in
		PASS\ *) ok "${line#PASS }" ;;
		FAIL\ *) : >"$tmp/out"; : >"$tmp/err"; not_ok "${line#FAIL }" ;;
		*) echo "# $line" ;;
		esac
	done <"$tmp/helper"
	grep -q '^FAIL' "$tmp/helper" || ((st == 0)) || not_ok "$1 exited $st"
}

for f in "$M" "$H/nl_attrs" "$H/nl_subscribers" "$H/nl_dump_churn" "$H/nl_history"; do
	[[ -x $f ]] || { echo "Bail out! $f missing (make meterctl-guest-tests)"; exit 1; }
done
[[ -d $S ]] || { echo "Bail out! $S missing: load meterlink_sim.ko, mount debugfs"; exit 1; }
bus=$(cat "$S/bus_num")

# dev_at CS: the meterN of a chip select, waiting up to 3 s for it
dev_at() {
	local i d
	for ((i = 0; i < 60; i++)); do
		for d in /sys/class/meter/meter*; do
			[[ $(readlink "$d/device" 2>/dev/null) == */spi$bus.$1 ]] &&
				{ echo "${d##*/}"; return 0; }
		done
		sleep 0.05
	done
	return 1
}
create() { echo "$*" >"$S/new_device" && dev_at "$2"; }
delete() { echo "$1" >"$S/delete_device"; }

# ---- the family ----

genl ctrl get name meterlink >"$tmp/out" 2>"$tmp/err"
check "genl ctrl shows the family meterlink, version 1" \
	"grep -q 'Name: meterlink' $tmp/out && grep -q 'Version: 0x1' $tmp/out"
check "genl ctrl shows its six operations (dev-get .. stats-get, readings)" \
	"grep -q 'ID-0x1 ' $tmp/out && grep -q 'ID-0x6 ' $tmp/out && ! grep -q 'ID-0x7 ' $tmp/out"
check "genl ctrl shows the groups readings and events" \
	"grep -q 'name: readings' $tmp/out && grep -q 'name: events' $tmp/out"

run list
check "list with no meters prints nothing and exits 0" "((rc == 0)) && [[ ! -s $tmp/out ]]"
run -j list
check "-j list with no meters prints []" "((rc == 0)) && [[ \$(cat $tmp/out) == '[]' ]]"

# ---- list, show, stats against sysfs ----

ade=$(create ade7953 0 irq) && atm=$(create atm90e32 1) ||
	{ echo "Bail out! cannot create simulated meters"; exit 1; }
ade_id=${ade#meter} atm_id=${atm#meter}
echo "0 230000000 5000000 25842 50000" >"$S/cs0/model"
echo "0 230000000 10000000 0 50000" >"$S/cs1/model"
echo "1 231000000 4000000 180000 50000" >"$S/cs1/model"
echo "2 229000000 2000000 25842 50000" >"$S/cs1/model"

run list
check "list shows both meters with chip, bus and phases" \
	"grep -Eq '^$ade +ade7953 +spi$bus.0 +2 +irq ' $tmp/out &&
	 grep -Eq '^$atm +atm90e32 +spi$bus.1 +3 +poll ' $tmp/out"

# json_vs_sysfs METER: -j show agrees with /sys/class/meter/METER
json_vs_sysfs() {
	python3 - "$1" "$tmp/out" <<'EOF'
import json, sys
m, f = sys.argv[1], sys.argv[2]
d = json.load(open(f))
d = d if isinstance(d, dict) else [x for x in d if x["dev"] == m][0]
s = lambda a: open(f"/sys/class/meter/{m}/{a}").read().strip()
assert d["dev"] == m and d["id"] == int(m[5:]), d
assert d["chip"] == s("chip"), (d["chip"], s("chip"))
assert d["nr_phases"] == int(s("nr_phases")), d
assert d["period_ns"] == int(s("period_ns")), d
assert d["mode"] == s("mode"), d
import os
assert d["bus_id"] == os.path.basename(os.readlink(f"/sys/class/meter/{m}/device")), d
assert 1 <= d["batch_count"] <= 64 and d["batch_ns"] >= 1000000, d
assert d["min_period_ns"] <= d["period_ns"] <= d["max_period_ns"], d
EOF
}
run -j list
check "-j list agrees with sysfs for $ade" "((rc == 0)) && json_vs_sysfs $ade"
check "-j list agrees with sysfs for $atm" "json_vs_sysfs $atm"
run -j show "$atm_id"
check "-j show N agrees with sysfs" "((rc == 0)) && json_vs_sysfs $atm"
run show "$ade"
check "show prints chip, bus, irq and period range" \
	"grep -q '^  chip: ade7953' $tmp/out && grep -q '^  bus: spi$bus.0' $tmp/out &&
	 grep -q '^  irq: wired' $tmp/out && grep -q '^  period: 100ms (1ms to 30s)' $tmp/out"
run show meter99
check "show of a missing meter exits 5 and says so" \
	"((rc == 5)) && grep -q '^meterctl: no such device: meter99' $tmp/err"

sleep 0.5
before=$(cat "/sys/class/meter/$ade/samples")
run -j stats "$ade"
after=$(cat "/sys/class/meter/$ade/samples")
check "stats DEV reports the samples sysfs counts ($before <= n <= $after)" \
	"((rc == 0)) && python3 -c 'import json,sys; d=json.load(open(\"$tmp/out\")); \
	 assert d[\"dev\"] == \"$ade\" and $before <= d[\"samples\"] <= $after, d'"
run -j stats
check "stats lists every meter" \
	"((rc == 0)) && python3 -c 'import json; d=json.load(open(\"$tmp/out\")); \
	 assert sorted(x[\"dev\"] for x in d) == sorted([\"$ade\", \"$atm\"]), d'"
run stats "$atm"
check "stats DEV human output has every counter" \
	"grep -q '^  samples: ' $tmp/out && grep -q '^  nl_drops: ' $tmp/out"

# ---- set ----

run set "$ade" period 50ms
check "set period changes the period" \
	"((rc == 0)) && [[ \$(cat /sys/class/meter/$ade/period_ns) == 50000000 ]]"
run set "$ade" mode poll batch 4 20ms
run -j show "$ade"
check "set mode and batch in one request" \
	"python3 -c 'import json; d=json.load(open(\"$tmp/out\")); \
	 assert (d[\"mode\"], d[\"batch_count\"], d[\"batch_ns\"]) == (\"poll\", 4, 20000000), d'"
run set "$ade" mode irq
check "set mode irq on a meter with an IRQ" \
	"((rc == 0)) && [[ \$(cat /sys/class/meter/$ade/mode) == irq ]]"
run set "$ade" period 40s
check "set period above the chip's maximum exits 1 with the kernel's reason" \
	"((rc == 1)) && grep -q 'maximum' $tmp/err &&
	 [[ \$(cat /sys/class/meter/$ade/period_ns) == 50000000 ]]"
run set "$atm" period 200ms mode irq
check "set mode irq without an IRQ exits 1 and applies nothing" \
	"((rc == 1)) && grep -q 'no interrupt wired' $tmp/err &&
	 [[ \$(cat /sys/class/meter/$atm/period_ns) == 100000000 ]]"
run set meter99 period 1s
check "set on a missing meter exits 5" "((rc == 5))"

# ---- calibrate ----

run calibrate "$atm" phase 1 voltage 1000 current -20
run -j calibrate "$atm" show
check "calibrate one phase leaves the others alone" \
	"python3 -c 'import json; d=json.load(open(\"$tmp/out\")); p=d[\"phases\"]; \
	 assert len(p) == 3 and (p[1][\"voltage_ppm\"], p[1][\"current_ppm\"]) == (1000, -20) \
	 and p[0][\"voltage_ppm\"] == 0 and p[2][\"current_ppm\"] == 0, d'"
run calibrate "$atm" power 500
run calibrate "$atm" show
check "calibrate without phase sets every phase" \
	"[[ \$(grep -c 'power +500 ppm' $tmp/out) == 3 ]] && grep -q 'phase 1: voltage +1000 ppm' $tmp/out"
run calibrate "$atm" voltage 300000
check "a gain beyond 200000 ppm exits 1 with the kernel's reason" \
	"((rc == 1)) && grep -Eq 'out of range|range' $tmp/err"
run calibrate "$ade" phase 2 voltage 5
check "phase 2 of a two-phase meter is a usage error" "((rc == 2)) && grep -q 'has 2 phases' $tmp/err"
run calibrate "$atm" phase 0 voltage 0 current 0 power 0 phase 1 voltage 0 current 0 \
	phase 2 power 0
run calibrate "$atm" power 0

# ---- watch, checked against the simulator's model ----

# model_check FILE: JSON lines of readings against the models set above
model_check() {
	python3 - "$1" "$ade_id" "$atm_id" <<'EOF'
import json, math, sys
f, ade, atm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# phase: (voltage_uV, current_uA, angle_mdeg, freq_mHz)
model = {ade: [(230e6, 5e6, 25842, 50000), (230e6, 0, 0, 50000)],
         atm: [(230e6, 10e6, 0, 50000), (231e6, 4e6, 180000, 50000), (229e6, 2e6, 25842, 50000)]}
def near(want, got, lsb):
    return abs(got - want) <= 2 * lsb + 0.001 * abs(want)
seen, last = {}, {}
for line in open(f):
    r = json.loads(line)
    assert r["type"] == "reading", r
    dev = r["id"]
    assert r["seq"] == last.get(dev, r["seq"] - 1) + 1, ("seq", r["seq"], last.get(dev))
    last[dev] = r["seq"]
    seen[dev] = seen.get(dev, 0) + 1
    assert "spi_error" not in r["flags"] and "invalid" not in r["flags"], r["flags"]
    assert len(r["phases"]) == len(model[dev]), r
    for p, (v, i, a, fr) in zip(r["phases"], model[dev]):
        s = v * i / 1e12 * 1000  # mVA
        P = s * math.cos(math.radians(a / 1000))
        Q = s * math.sin(math.radians(a / 1000))
        lsb_v, lsb_i, lsb_p = (40, 10, 7) if dev == ade else (10000, 1000, 1)
        assert near(v, p["voltage_uv"], lsb_v), ("V", p, v)
        assert near(i, p["current_ua"], lsb_i), ("I", p, i)
        assert near(P, p["active_mw"], lsb_p), ("P", p, P)
        assert i == 0 or near(Q, p["reactive_mvar"], lsb_p), ("Q", p, Q)
        assert near(fr, p["frequency_mhz"], 12), ("f", p)
        if i and a == 180000:
            assert p["active_mw"] < 0 and p["energy_import_uwh"] == 0, p
print(seen)
EOF
}
run -j watch -n 6 "$ade"
check "watch -j -n 6 prints 6 readings of the meter" \
	"((rc == 0)) && [[ \$(wc -l <$tmp/out) == 6 ]]"
check "and their values match the simulator's model, seq without gaps" "model_check $tmp/out >/dev/null"
run -j watch -n 30 "$ade" "$atm_id"
check "watch of two meters shows both, values matching their models" \
	"((rc == 0)) && model_check $tmp/out | grep -q \"$ade_id: .*$atm_id: \\|$atm_id: .*$ade_id: \""
run watch -n 2 "$atm"
check "human watch shows volts, amperes and watts of every phase" \
	"((rc == 0)) && [[ \$(grep -c '^$atm seq ' $tmp/out) == 2 ]] &&
	 grep -q '  phase 1: 231.0[0-9]* V  4.00[0-9] A  -92[0-9].[0-9]* W' $tmp/out &&
	 grep -q '  phase 0: 230.0[0-9]* V  10.00[0-9] A  2300.[0-9]* W' $tmp/out"
run watch meter99
check "watch of a missing meter exits 5" "((rc == 5)) && grep -q 'meter99' $tmp/err"

# a calibration gain shows in the readings
run calibrate "$atm" phase 0 voltage 10000
run -j watch -n 3 "$atm"
check "a +1 % voltage gain shows in the readings" \
	"python3 -c 'import json; r=[json.loads(l) for l in open(\"$tmp/out\")][-1]; \
	 v=r[\"phases\"][0][\"voltage_uv\"]; assert abs(v - 232300000) < 300000, v'"
run calibrate "$atm" voltage 0

# ---- events ----

"$M" -j events -n 2 >"$tmp/events" 2>&1 &
ev=$!
sleep 0.5
m2=$(create ade7953 2)
sleep 0.3
delete 2
for ((i = 0; i < 50; i++)); do kill -0 $ev 2>/dev/null || break; sleep 0.1; done
wait $ev
rc=$?
cp "$tmp/events" "$tmp/out"
check "events shows the meter added, then removed" \
	"((rc == 0)) && python3 -c 'import json; e=[json.loads(l) for l in open(\"$tmp/out\")]; \
	 assert [x[\"type\"] for x in e] == [\"dev-add\", \"dev-del\"], e; \
	 assert e[0][\"dev\"] == e[1][\"dev\"] == \"$m2\" and e[0][\"device\"][\"chip\"] == \"ade7953\", e'"

m2=$(create ade7953 2)
sleep 0.5
"$M" watch "$m2" >"$tmp/out" 2>"$tmp/err" &
w=$!
sleep 0.5
delete 2
for ((i = 0; i < 50; i++)); do kill -0 $w 2>/dev/null || break; sleep 0.1; done
wait $w
rc=$?
check "watch ends with exit 5 when its meter is removed" \
	"((rc == 5)) && grep -q '$m2 was removed' $tmp/err"

# ---- permissions ----

nobody "$M" set "$ade" period 1s >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unprivileged set exits 4: needs CAP_NET_ADMIN" \
	"((rc == 4)) && grep -q '^meterctl: set needs CAP_NET_ADMIN (run as root)$' $tmp/err"
nobody "$M" calibrate "$ade" voltage 5 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unprivileged calibrate exits 4" "((rc == 4)) && grep -q 'CAP_NET_ADMIN' $tmp/err"
nobody "$M" watch -n 1 "$ade" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unprivileged watch exits 4 (the readings group)" \
	"((rc == 4)) && grep -q '^meterctl: watch needs CAP_NET_ADMIN' $tmp/err"
nobody "$M" list >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unprivileged list works" "((rc == 0)) && grep -q '^$ade ' $tmp/out"
nobody "$M" calibrate "$ade" show >"$tmp/out" 2>"$tmp/err"; rc=$?
check "unprivileged calibrate show works" "((rc == 0))"
helper nobody "$H/nl_attrs" unpriv "$ade_id"

# ---- malformed requests ----

helper "$H/nl_attrs" malformed "$ade_id" "$atm_id"

# ---- two subscribers, one stalls ----

"$M" set "$ade" mode poll period 10ms batch 1 >"$tmp/out" 2>"$tmp/err" ||
	not_ok "set up $ade for the subscriber test"
helper "$H/nl_subscribers" "$ade_id"

# ---- the readings a ring still holds (READINGS dump) ----

helper "$H/nl_history" "$ade_id" "/dev/$ade"
helper nobody "$H/nl_history" unpriv "$ade_id"
"$M" set "$ade" period 100ms batch 16 100ms

# ---- dumps while meters come and go ----

(
	while :; do
		echo "ade7953 2" >"$S/new_device"
		echo "atm90e32 3" >"$S/new_device"
		sleep 0.02
		echo 2 >"$S/delete_device"
		sleep 0.01
		echo 3 >"$S/delete_device"
	done
) 2>/dev/null &
churn=$!
pids+=("$churn")
helper "$H/nl_dump_churn" 6
lists_ok=0 lists=0
end=$((SECONDS + 3))
while ((SECONDS < end)); do
	"$M" -j list >"$tmp/out" 2>"$tmp/err" && lists_ok=$((lists_ok + 1))
	lists=$((lists + 1))
done
kill "$churn" 2>/dev/null
wait "$churn" 2>/dev/null
delete 2 2>/dev/null
delete 3 2>/dev/null
check "meterctl list succeeds every time while meters come and go ($lists_ok of $lists)" \
	"((lists_ok == lists && lists > 5))"

delete 0
delete 1
sleep 0.2
run list
check "list is empty again after the meters are removed" "((rc == 0)) && [[ ! -s $tmp/out ]]"

echo "1..$n"
((failed == 0)) || echo "# $failed of $n netlink tests failed"
exit $((failed != 0))
