#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# settled against the simulated meters, inside the QEMU guest with both
# modules loaded and the guest's own TPM (QEMU tpm-tis backed by swtpm on
# the host: /dev/tpmrm0, settled's default TCTI):
#
#   tests/qemu/run-guest --tpm STATE-DIR --insmod kernel/meterlink_sim.ko \
#       --insmod kernel/meterlink.ko -- tests/settled/guest.sh
#
# (make check-settled-guest does both). Prints TAP; exits 1 on a failure.
# $1 (or SETTLED_KILL_LOOPS): kill -9 iterations (default 50; make check
# runs 20, make check-settled-long 50).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${METERLINK_BUILD:-$root/build}
SETTLED=$BUILD/settled/settled
MKTX=$BUILD/settled/mktx
M=$BUILD/tools/meterctl/meterctl
S=/sys/kernel/debug/meterlink_sim
LOOPS=${1:-${SETTLED_KILL_LOOPS:-50}}
PY=/usr/bin/python3
tmp=$(mktemp -d)
chmod 0711 "$tmp"	# nobody reaches the control socket in it
st=$tmp/state
spid=''
cleanup() {
	[[ -n $spid ]] && kill -9 "$spid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[[ -n ${2:-} && -s $2 ]] && tail -n 15 "$2" | sed 's/^/# /'
	return 0
}
check() { if eval "$2"; then ok "$1"; else not_ok "$1" "${3:-}"; fi; }
now_ns() { date +%s%N; }
t0=$SECONDS
phase() { echo "# [$((SECONDS - t0)) s] $*"; }
sql() { $PY - "$@" <<'PYEOF'
import sqlite3, sys
db, q = sys.argv[1], sys.argv[2]
print(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10).execute(q).fetchone()[0])
PYEOF
}

for f in "$SETTLED" "$M" "$MKTX"; do
	[[ -x $f ]] || { echo "Bail out! $f missing (make settled-guest-tests)"; exit 1; }
done
[[ -d $S ]] || { echo "Bail out! $S missing: load meterlink_sim.ko"; exit 1; }
bus=$(cat "$S/bus_num")
ip link set lo up

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

# ---- the guest's TPM (run-guest --tpm) ----
[[ -c /dev/tpmrm0 ]] || { echo "Bail out! no /dev/tpmrm0: run the guest with --tpm"; exit 1; }

# ---- two meters: one importing, one importing on L1 and exporting on L2 ----
echo "ade7953 0 irq" >"$S/new_device" && ade=$(dev_at 0) &&
echo "atm90e32 1" >"$S/new_device" && atm=$(dev_at 1) ||
	{ echo "Bail out! cannot create simulated meters"; exit 1; }
echo "0 230000000 20000000 0 50000" >"$S/cs0/model"
echo "0 230000000 10000000 0 50000" >"$S/cs1/model"
echo "1 230000000 8000000 180000 50000" >"$S/cs1/model"
$M set "$ade" period 10ms >/dev/null && $M set "$atm" period 10ms >/dev/null ||
	{ echo "Bail out! cannot set the period"; exit 1; }

cat >"$tmp/executor.sh" <<'EOS'
#!/bin/sh
# the test's dispatch executor: fails import limits, logs everything else
[ "$1" = import-limit ] && exit 7
echo "$1 $2 $3 $4 requested=$SETTLED_REQUESTED_W clamped=$SETTLED_CLAMPED meter=$SETTLED_METER" \
	>>"$(dirname "$0")/exec.log"
EOS
chmod 0755 "$tmp/executor.sh"
operator=$("$MKTX" pubkey 4)

conf() {	# conf FILE [extra lines for [key]]
	cat >"$1" <<EOC
[settled]
state_dir = $st
interval = 1
close_delay_ms = 700
retention = 3600
log_level = debug
control_socket = $tmp/control.sock
control_group = nogroup
[key]
${2:-}
[ledger]
chain_id = 1
settle_delay = 3600
block_interval_ms = 200
operator = $operator
[dispatch]
executor = $tmp/executor.sh
executor_timeout_ms = 5000
max_discharge_w = 2500
EOC
}
conf "$tmp/settled.conf"

# start LOG [CONF]: settled in the background, waits for "started"
start() {
	"$SETTLED" -f -c "${2:-$tmp/settled.conf}" >"$1" 2>&1 &
	spid=$!
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q 'info: started' "$1" && return 0
		kill -0 $spid 2>/dev/null || { spid=''; return 1; }
		sleep 0.05
	done
	return 1
}
stop() {	# SIGTERM, returns settled's exit status
	kill -TERM "$spid"
	wait "$spid"
	local rc=$?
	spid=''
	((rc == 0)) || echo "# settled exited with $rc" >&2
	return $rc
}
committed() { sql "$st/spool.db" "SELECT count(*) FROM reports WHERE state = 2" 2>/dev/null || echo 0; }
wait_committed() {	# wait_committed N [seconds]
	local end=$((SECONDS + ${2:-60}))
	while ((SECONDS < end)); do
		(($(committed) >= $1)) && return 0
		sleep 0.2
	done
	return 1
}

# ---- start, TPM key, first reports ----
logs=()
log=$tmp/settled.0.log; logs+=("$log")
start "$log"
check "settled starts with the guest's TPM (default TCTI device:/dev/tpmrm0) and subscribes to readings" "[[ -n \$spid ]]" "$log"
check "the TPM key's public half is exported as PEM" \
	"openssl pkey -pubin -in $st/gateway.pem -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-256'"
check "reports of 1 s intervals are signed and committed on the local chain" "wait_committed 4" "$log"

# ---- the control socket ----
C() { "$PY" "$here/ctl_client.py" "$tmp/control.sock" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
J() { "$PY" -c "import json,sys; r=[json.loads(l) for l in open('$tmp/out')]; sys.exit(0 if ($1) else 1)"; }
C '{"cmd":"status"}'
check "control: status counts stored readings and committed reports" \
	"((rc == 0)) && J 'r[0][\"ok\"] and r[0][\"readings_stored\"] > 0 and r[0][\"reports\"][\"committed\"] > 0'"
C '{"cmd":"meters"}'
"$PY" - "$st/gateway.pem" "$tmp/out" "$bus" <<'PYEOF'
import base64, hashlib, json, sys
der = base64.b64decode("".join(l for l in open(sys.argv[1]) if not l.startswith("-----")))
pub = der[-64:]
got = {m["bus_id"]: m["meter"] for m in json.loads(open(sys.argv[2]).readline())["meters"]}
for cs in (0, 1):
    bus = f"spi{sys.argv[3]}.{cs}"
    want = hashlib.blake2b(b"meterlink-meter-v1" + pub + bus.encode(), digest_size=32).hexdigest()
    assert got.get(bus) == want, (bus, got, want)
PYEOF
check "control: meters lists both with ids derived from the gateway key and bus id" "(($? == 0))"
C '{"cmd":"reports","after":0}'
check "control: reports lists them with their state and height" \
	"((rc == 0)) && J 'len(r[0][\"reports\"]) > 0 and r[0][\"reports\"][0][\"state\"] == \"committed\" and r[0][\"reports\"][0][\"height\"] > 0'"
C --events 2 30
check "control: a subscriber is told of newly committed reports" \
	"((rc == 0)) && grep -c '\"event\":\"report\"' $tmp/out | grep -qx 2"
C 'not json' '{"cmd":"frob"}' '{"nocmd":1}' '{"cmd":"reports","after":-1}' '{"cmd":"status"}'
check "control: bad requests get an error each, and the connection stays usable" \
	"((rc == 0)) && J 'not r[0][\"ok\"] and \"not a JSON object\" in r[0][\"error\"] and \"unknown command\" in r[1][\"error\"] and \"missing\" in r[2][\"error\"] and \"after\" in r[3][\"error\"] and r[4][\"ok\"]'"
C "{\"cmd\":\"$(head -c 5000 /dev/zero | tr '\0' x)\"}" '{"cmd":"status"}'
check "control: a line over 4095 bytes is refused and the connection closed" \
	"((rc == 2)) && grep -q 'longer than 4095' $tmp/out"
check "control: the socket is 0660, group nogroup" \
	"[[ \$(stat -c '%a %G' $tmp/control.sock) == '660 nogroup' ]]"
nobody() { setpriv --reuid=65534 --regid=65533 "$@"; }	# nogroup is 65534
nobody --clear-groups "$PY" "$here/ctl_client.py" "$tmp/control.sock" '{"cmd":"status"}' >"$tmp/out" 2>"$tmp/err"; rc=$?
check "control: a user outside the group cannot connect" "((rc == 2)) && grep -q 'Permission denied' $tmp/err"
nobody --groups=65534 "$PY" "$here/ctl_client.py" "$tmp/control.sock" '{"cmd":"status"}' '{"cmd":"reload"}' >"$tmp/out" 2>"$tmp/err"; rc=$?
check "control: a group member may query but not run the operator command reload (SO_PEERCRED)" \
	"((rc == 0)) && J 'r[0][\"ok\"] and not r[1][\"ok\"] and \"operator\" in r[1][\"error\"]'"
C '{"cmd":"status"}'
acct=$("$PY" -c "import json; print(json.load(open('$tmp/out'))['account'])")
C "{\"cmd\":\"balance\",\"account\":\"$acct\"}" '{"cmd":"balance","account":"00"}' \
	"{\"cmd\":\"balance\",\"account\":\"$(printf '%064d' 0)\"}"
check "control: balance of the gateway account (its nonce counts its transactions), bad and unknown keys refused" \
	"((rc == 0)) && J 'r[0][\"ok\"] and r[0][\"nonce\"] > 0 and \"32-byte\" in r[1][\"error\"] and \"no such account\" in r[2][\"error\"]'"
tx=$("$MKTX" transfer 1 3) badtx=$("$MKTX" transfer 1 3 bad) othertx=$("$MKTX" transfer 2 3)
C "{\"cmd\":\"submit\",\"tx\":\"$tx\"}" "{\"cmd\":\"submit\",\"tx\":\"$tx\"}" \
	"{\"cmd\":\"submit\",\"tx\":\"$badtx\"}" "{\"cmd\":\"submit\",\"tx\":\"$othertx\"}" \
	'{"cmd":"submit","tx":"0102zz"}' '{"cmd":"submit","tx":"0101"}'
check "control: submit answers once the chain decided: a transfer from an account it does not know is refused saying so; it is taken once; bad signature, other chain and bad encodings are refused" \
	"((rc == 0)) && J 'not r[0][\"ok\"] and \"account is not on the chain\" in r[0][\"error\"] and \"submitted already\" in r[1][\"error\"] and \"signature\" in r[2][\"error\"] and \"another chain\" in r[3][\"error\"] and \"hex\" in r[4][\"error\"] and \"not a valid\" in r[5][\"error\"]'"
txid=$("$PY" -c "import json; print(json.loads(open('$tmp/out').readline())['id'])")
C "{\"cmd\":\"tx\",\"id\":\"$txid\"}"
check "control: tx tells the state of a submitted transaction (refused, and why)" \
	"((rc == 0)) && J 'r[0][\"state\"] == \"refused\" and \"not on the chain\" in r[0][\"error\"]'"
# ---- dispatch: final instructions for our meters, clamped, executed, acknowledged ----
C '{"cmd":"meters"}'
meter=$("$PY" -c "import json; print(json.load(open('$tmp/out'))['meters'][0]['meter'])" 2>/dev/null)
t=$(( $(date +%s) + 20 ))	# a window the chain still takes on a loaded machine
dtx=$("$MKTX" dispatch 1 4 "$meter" 3 -9000 "$t" $((t + 10)))
nobody --groups=65534 "$PY" "$here/ctl_client.py" "$tmp/control.sock" "{\"cmd\":\"submit\",\"tx\":\"$dtx\"}" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "control: dispatch from a non-operator peer is refused (SO_PEERCRED)" \
	"((rc == 0)) && J '\"operator\" in r[0][\"error\"]'"
C "{\"cmd\":\"submit\",\"tx\":\"$dtx\"}"
check "control: dispatch signed by the chain's operator is accepted from root, answered with its block" \
	"((rc == 0)) && J 'r[0][\"ok\"] and r[0][\"height\"] > 0'" "$tmp/out"
ftx=$("$MKTX" dispatch 1 4 "$meter" 1 100 "$t" $((t + 10)) 1)	# the operator's next nonce
C "{\"cmd\":\"submit\",\"tx\":\"$ftx\"}"
end=$((SECONDS + 60))
while ((SECONDS < end)); do
	(($(sql "$st/spool.db" "SELECT count(*) FROM dispatches WHERE state >= 2") >= 2)) && break
	sleep 0.2
done
check "the executor ran with the discharge clamped to the installer's 2500 W" \
	"grep -qx 'battery -2500 $t $((t + 10)) requested=-9000 clamped=1 meter=$meter' $tmp/exec.log &&
	 grep -q 'clamped to the installer.s limit: -2500 W' $log" "$tmp/exec.log"
onchain=$(sql "$st/chain.db" 'SELECT group_concat(status) FROM (SELECT status FROM dispatches ORDER BY kind DESC)')
spooled=$(sql "$st/spool.db" 'SELECT group_concat(ack) FROM (SELECT ack FROM dispatches ORDER BY kind DESC)')
echo "# dispatch acknowledgements: chain $onchain, spool $spooled"
check "a succeeding executor is acknowledged with accept, a failing one with reject, on the chain" \
	"[[ \$onchain == \$spooled && \$spooled == '1,2' ]] && grep -q 'executor exited with status 7' $log" "$log"
C '{"cmd":"reload"}'
sleep 0.5
check "control: root may reload" "((rc == 0)) && J 'r[0][\"ok\"]' && grep -q 'configuration reloaded' $log"
kill -HUP "$spid"
sleep 0.5
check "SIGHUP reloads the configuration" "(( \$(grep -c 'configuration reloaded' $log) == 2 ))" "$log"
sed 's/^close_delay_ms = 700/close_delay_ms = 800/; s/^interval = 1/interval = 2/' "$tmp/settled.conf" >"$tmp/reload.conf"
cp "$tmp/settled.conf" "$tmp/settled.conf.orig"
cp "$tmp/reload.conf" "$tmp/settled.conf"
kill -HUP "$spid"; sleep 0.5
check "a reload that changes interval keeps it and says a restart is needed" \
	"grep -q 'need a restart (first: interval)' $log" "$log"
echo "bogus line" >>"$tmp/settled.conf"
kill -HUP "$spid"; sleep 0.5
check "a reload of a bad file is refused and settled keeps running" \
	"grep -q 'reload refused, configuration unchanged: .*settled.conf:[0-9]*: syntax error' $log && kill -0 $spid" "$log"
cp "$tmp/settled.conf.orig" "$tmp/settled.conf"

# ---- kill -9 at random moments while readings stream ----
phase "kill loop: $LOOPS kill -9"
: >"$tmp/windows"
lost_starts=0
for ((i = 1; i <= LOOPS; i++)); do
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	((RANDOM % 3 == 0)) && sleep 1
	k=$(now_ns)
	kill -9 "$spid"; wait "$spid" 2>/dev/null; spid=''
	log=$tmp/settled.$i.log; logs+=("$log")
	if ! start "$log"; then
		lost_starts=$((lost_starts + 1))
		tail -n 5 "$log" | sed 's/^/# /'
		start "$log" || break
	fi
	echo "$k $(now_ns)" >>"$tmp/windows"
done
check "settled restarted after each of $LOOPS kill -9" "((i > LOOPS && lost_starts == 0))"

# ---- the ledger unreachable: reports queue, then go out in order ----
# first the backlog of the kill loop (each restart signs only a few)
wait_committed "$(sql "$st/spool.db" "SELECT count(*) FROM reports")" 600
echo "# backlog after the kill loop committed: $(committed) reports"
"$PY" - "$st/chain.db" "$tmp/locked" "$tmp/unlock" <<'PYEOF' &
import os, sqlite3, sys, time
# settled's writer retries too: take the lock between two of its blocks,
# hold it until the test says so
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0.01)
end = time.time() + 120
while True:
    try:
        c.execute("BEGIN EXCLUSIVE")
        break
    except sqlite3.OperationalError:
        if time.time() > end:
            sys.exit(1)
        time.sleep(0.002)
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]) and time.time() < end + 300:
    time.sleep(0.1)
c.execute("ROLLBACK")
PYEOF
lpid=$!
nfail=$(grep -c 'ledger submission failed' "$log") nback=$(grep -c 'ledger reachable again' "$log")
for ((i = 0; i < 1300; i++)); do [[ -e $tmp/locked ]] && break; sleep 0.1; done
[[ -e $tmp/locked ]] || echo "# the test could not lock chain.db in 120 s"
h0=$(sql "$st/chain.db" "SELECT max(height) FROM blocks")
end=$((SECONDS + 120))	# the worker gives up on a locked ledger after 5 s
while ((SECONDS < end && $(grep -c 'ledger submission failed' "$log") == nfail)); do sleep 0.5; done
sleep 3
h1=$(sql "$st/chain.db" "SELECT max(height) FROM blocks")
q=$(sql "$st/spool.db" "SELECT count(*) FROM reports WHERE state < 2")
echo "# ledger locked: height $h0 -> $h1, $q reports queued"
flog() { grep -v 'debug: stored' "$log" >"$tmp/flog"; echo "$tmp/flog"; }
check "with the ledger locked no block is added and reports queue ($q queued)" \
	"[[ -e $tmp/locked && \$h0 == \$h1 ]] && ((q > 0))" "$(flog)"
check "the failed submission is logged" "(( \$(grep -c 'ledger submission failed' $log) > nfail ))" "$(flog)"
touch "$tmp/unlock"
wait $lpid
end=$((SECONDS + 60))
while ((SECONDS < end && $(grep -c 'ledger reachable again' "$log") == nback)); do sleep 0.5; done
queued() { sql "$st/spool.db" 'SELECT count(*) FROM reports WHERE state < 2'; }
end=$((SECONDS + 300))	# the backlog is signed by the (slow, emulated) TPM first
while ((SECONDS < end && $(queued) > 4)); do sleep 1; done
check "when the ledger is back the queue goes out" \
	"(( \$(grep -c 'ledger reachable again' $log) > nback && \$(queued) <= 4 ))" "$(flog)"

# ---- clean stop ----
sleep 2
k=$(now_ns)
stop; rc=$?
check "SIGTERM stops settled with status 0 after flushing" \
	"((rc == 0)) && grep -q 'info: stopped: readings' $log" "$log"
# reports of intervals closed at the stop go out at the next start
start "$tmp/settled.flush.log"; logs+=("$tmp/settled.flush.log")
echo "$k $(now_ns)" >>"$tmp/windows"
sleep 2
wait_committed "$(sql "$st/spool.db" "SELECT count(*) FROM reports")" 300
stop

# ---- the spool and the chain, checked independently ----
phase "checking the spool and the chain"
TAP_N=$n "$PY" "$here/check_spool.py" "$st" "$tmp/windows" "${logs[@]}" \
	>"$tmp/spool.tap" 2>"$tmp/tapn"
rc=$?
cat "$tmp/spool.tap"
grep -v '^TAP_N=' "$tmp/tapn" >&2	# a traceback must not go unseen
n=$((n + $(grep -cE '^(not )?ok ' "$tmp/spool.tap")))
if ! grep -q '^TAP_N=' "$tmp/tapn"; then	# it died before its last check
	n=$((n + 1)); echo "not ok $n - check_spool.py ran to its end (exit $rc)"
fi
[[ $rc == 0 ]] || failed=$((failed + 1))

# ---- inclusion proofs ----
phase "inclusion proofs"
pf=0
for q in $(sql "$st/spool.db" "SELECT group_concat(b, ' ') FROM (SELECT m.bus_id || ':' || r.seq AS b
	FROM readings r JOIN meters m ON m.id = r.meter JOIN reports p ON p.meter = r.meter
	AND p.start = r.ival WHERE p.state = 2 ORDER BY random() LIMIT 5)"); do
	"$SETTLED" -c "$tmp/settled.conf" prove "${q%:*}" "${q#*:}" >"$tmp/proof.json" 2>"$tmp/err" &&
		"$PY" "$here/check_proof.py" "$tmp/proof.json" "$st/chain.db" >"$tmp/out" 2>&1 ||
		{ pf=$((pf + 1)); cat "$tmp/err" "$tmp/out" | sed 's/^/# /'; }
done
check "settled prove: 5 random readings verify against the chain's report roots" "((pf == 0))"
"$SETTLED" -c "$tmp/settled.conf" prove spi9.9 1 >/dev/null 2>"$tmp/err"; rc=$?
check "settled prove of an unknown reading exits 3 and says why" \
	"((rc == 3)) && grep -q 'no such reading' $tmp/err"
"$PY" - "$tmp/proof.json" <<'PYEOF' >"$tmp/bad.json"
import json, sys
p = json.load(open(sys.argv[1]))
r = bytearray.fromhex(p["record"]); r[100] ^= 1; p["record"] = r.hex()
json.dump(p, sys.stdout)
PYEOF
check "a proof of an altered record does not verify" \
	"! $PY $here/check_proof.py $tmp/bad.json $st/chain.db >/dev/null 2>&1"

# ---- sd_notify: READY, RELOADING, STOPPING on a real notify socket ----
"$PY" - "$tmp/notify.sock" "$tmp/notify.log" <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a") as f:
    try:
        while True:
            m = s.recv(4096).decode()
            f.write(m.replace("\n", " ") + "\n"); f.flush()
            if "STOPPING=1" in m:
                break
    except socket.timeout:
        pass
PYEOF
npid=$!
for ((i = 0; i < 50; i++)); do [[ -S $tmp/notify.sock ]] && break; sleep 0.1; done
NOTIFY_SOCKET=$tmp/notify.sock start "$tmp/notify-run.log"
sleep 0.5
kill -HUP "$spid"; sleep 1
stop
wait $npid
check "sd_notify: READY=1, then RELOADING=1 and READY=1 on SIGHUP, then STOPPING=1" \
	"tr '\n' ' ' <$tmp/notify.log | grep -Eq 'READY=1 .*RELOADING=1 .*READY=1 .*STOPPING=1'" "$tmp/notify.log"

# ---- signing off the ingestion path: 300 ms per signature ----
phase "300 ms per signature"
run_stats() {	# run_stats CONF LOG SECONDS: prints the stop line's fields
	start "$2" "$1" || return 1
	sleep "$3"
	stop || return 1
	sed -n 's/.*info: stopped: //p' "$2"
}
conf "$tmp/slow.conf" "sign_delay_ms = 300"
fast=$(run_stats "$tmp/settled.conf" "$tmp/fast.log" 12)
slow=$(run_stats "$tmp/slow.conf" "$tmp/slow.log" 12)
echo "# sign_delay_ms=0:   $fast"
echo "# sign_delay_ms=300: $slow"
field() { sed -n "s/.*\b$1 \([0-9]*\).*/\1/p" <<<"$2"; }
check "with 300 ms per signature no reading is lost (gaps 0, overflows 0)" \
	"[[ -n \$slow ]] && (( \$(field gaps \"\$slow\") == 0 && \$(field overflows \"\$slow\") == 0 && \$(field signed \"\$slow\") > 0 ))" "$tmp/slow.log"
bf=$(field max_backlog "$fast") bs=$(field max_backlog "$slow")
echo "# ingestion backlog (bytes queued on the socket, largest): $bf without, $bs with 300 ms signing"
check "with 300 ms per signature the socket backlog stays under a quarter of rcvbuf" \
	"[[ -n \$bs ]] && ((bs < 8388608 / 4))"

# ---- RSS after 100,000 readings ----
phase "100,000 readings"
"$M" set "$ade" period 2ms >/dev/null; "$M" set "$atm" period 2ms >/dev/null
st=$tmp/state-rss
conf "$tmp/rss.conf"
sed -i 's/^log_level = debug/log_level = info/' "$tmp/rss.conf"
start "$tmp/rss.log" "$tmp/rss.conf"
end=$((SECONDS + 1800))
while ((SECONDS < end)); do
	r=$(sql "$st/spool.db" "SELECT count(*) FROM readings" 2>/dev/null || echo 0)
	((r >= 100000)) && break
	sleep 1
done
rss=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$spid/status)
echo "# RSS of settled after $r readings: $rss kB (peak $hwm kB)"
stop
echo "# $(sed -n 's/.*info: stopped: //p' "$tmp/rss.log")"
check "settled stores 100,000 readings in under 64 MB of RSS" \
	"((r >= 100000 && rss < 65536))" "$tmp/rss.log"

phase "done"
echo "1..$n"
((failed == 0))
