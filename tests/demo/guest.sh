#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The neighbourhood demo, inside the QEMU guest (tests/demo.sh boots it with
# both modules and a vTPM). Every step is checked; the script stops at the
# first one that did not happen and exits 1.
#
#   home 1: a PV exporter      (ATM90E32, three phases, exporting), owner A
#   home 2: a consumer         (ADE7953 with its data-ready IRQ), owner B
#   home 3: a home battery     (ADE7953, channel A charging, channel B loads),
#           owned by its gateway
#
# The home gateway is settled in network mode with the guest's TPM (the
# vTPM) as its key; three neighbours are mlnode validators. Together they
# are the four validators of chain 1 (10 s intervals, 45 s settlement
# delay, a block a second: block times are whole seconds, one more than the
# parent's at least, so faster blocks would run ahead of the clock), on
# loopback TCP. A and B trade, the operator O registers meters and
# sends a dispatch instruction to the battery home.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${METERLINK_BUILD:-$root/build}
SETTLED=$BUILD/settled/settled
MLNODE=$BUILD/consensus/mlnode
MKGEN=$BUILD/demo/mkgenesis
LC=$BUILD/tools/ledgerctl/ledgerctl
DUMP=$BUILD/tools/meterdump
S=/sys/kernel/debug/meterlink_sim
IV=10 SETTLE=45
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

nstep=0
step() { nstep=$((nstep + 1)); printf '\n== demo [%d/12] %s\n' "$nstep" "$*"; }
say() { echo "   $*"; }
die() {
	echo "demo: FAILED at step $nstep: $*"
	for f in "$tmp"/settled.log "$tmp"/n2.log; do
		[[ -f $f ]] && { echo "--- last lines of ${f##*/}"; tail -n 15 "$f"; }
	done
	exit 1
}
# wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds
wait_for() {
	local end=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || die "$what (waited)"
		sleep 1
	done
}
sql() { python3 - "$@" <<'PYEOF'
import sqlite3, sys
db, q = sys.argv[1], sys.argv[2]
for row in sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10).execute(q, sys.argv[3:]):
    print(" ".join(str(x) for x in row))
PYEOF
}
DB=$tmp/gw/chain.db	# the home gateway's copy of the chain
lc() { "$LC" -d "$DB" "$@"; }
# sign KEYFILE NONCE ledgerctl-args...: the signed transaction, binary, in $tmp/tx
sign() {
	local k=$1 nonce=$2
	shift 2
	"$LC" -k "$k" -p "$tmp/pass" --sign-only --chain-id 0000000000000001 --nonce "$nonce" "$@" \
		>"$tmp/tx.hex" || die "ledgerctl $* --sign-only"
	xxd -r -p "$tmp/tx.hex" >"$tmp/tx"
}
submit() { "$MLNODE" submit --ctl "$tmp/n$1.ctl" --tx "$tmp/tx" >/dev/null || die "mlnode submit to neighbour $1"; }

for f in "$SETTLED" "$MLNODE" "$MKGEN" "$LC" "$DUMP"; do
	[[ -x $f ]] || die "$f is missing (make demo builds it)"
done
[[ -d $S ]] || die "$S is missing: meterlink_sim.ko is not loaded"
[[ -c /dev/tpmrm0 ]] || die "no /dev/tpmrm0: the guest has no TPM"
ip link set lo up
bus=$(cat "$S/bus_num")

# ---------------------------------------------------------------------------------
step "keys: the home gateway's in the vTPM, three neighbours, the operator and two owners"
cat >"$tmp/executor.sh" <<EOS
#!/bin/sh
# the battery home's dispatch executor: an import limit slows the charger
# (channel A of the simulated ADE7953) so that the home stays below it
echo "executor: \$1 \$2 W [\$3, \$4) meter \$SETTLED_METER" >>"$tmp/executor.log"
case \$1 in
import-limit) echo "0 230200000 2000000 0 50000" >$S/cs2/model ;;
*) exit 3 ;;
esac
EOS
chmod 0755 "$tmp/executor.sh"
cat >"$tmp/settled.conf" <<EOC
[settled]
state_dir = $tmp/gw
interval = $IV
close_delay_ms = 1500
control_socket = $tmp/gw.sock
control_group = root
[key]
tcti = device:/dev/tpmrm0
[ledger]
chain_id = 1
settle_delay = $SETTLE
block_interval_ms = 1000
mode = network
genesis = $tmp/genesis
listen = tcp://127.0.0.1:7701
peers = $tmp/peers
[dispatch]
executor = $tmp/executor.sh
max_import_w = 100000
EOC
"$SETTLED" -c "$tmp/settled.conf" keys >"$tmp/keys" 2>"$tmp/keys.err" || { cat "$tmp/keys.err"; die "settled keys (TPM)"; }
G=$(sed -n 's/^account //p' "$tmp/keys")
openssl pkey -pubin -in "$tmp/gw/gateway.pem" -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-256' ||
	die "the gateway's exported key is not a P-256 PEM"
say "home gateway (settled, TPM P-256 key in $tmp/gw/gateway.pem): account ${G:0:16}..."
echo "$G tcp://127.0.0.1:7701" >"$tmp/peers"
for i in 2 3 4; do
	k=$("$MLNODE" keygen --out "$tmp/n$i.key") || die "mlnode keygen"
	eval "V$i=$k"
	echo "$k tcp://127.0.0.1:770$i" >>"$tmp/peers"
	say "neighbour $i (mlnode): ${k:0:16}..."
done
echo "demo passphrase" >"$tmp/pass"
t0=$SECONDS
for who in O A B; do
	"$LC" -p "$tmp/pass" key create --kdf interactive "$tmp/$who.key" >/dev/null ||
		die "ledgerctl key create"
	eval "$who=$("$LC" -p "$tmp/pass" key export "$tmp/$who.key")"
done
say "operator O ${O:0:16}..., owner A (PV) ${A:0:16}..., owner B (consumer) ${B:0:16}..."
# a key file costs about as much to open as to create: how far ahead the
# orders must be (three signatures before they are sent)
kdf=$(((SECONDS - t0) / 3 + 1))

# ---------------------------------------------------------------------------------
step "genesis: 4 validators, the operators, 1000 credits for B; the neighbours start"
"$MKGEN" "$tmp/genesis" 1 $IV 0 $SETTLE "$G:vo:0" "$V2:v:0" "$V3:v:0" "$V4:v:0" \
	"$O:o:0" "$A:-:0" "$B:-:1000000000" || die "mkgenesis"
for i in 2 3 4; do
	"$MLNODE" run --key "$tmp/n$i.key" --genesis "$tmp/genesis" --db "$tmp/n$i.db" \
		--signstate "$tmp/n$i.ss" --listen "tcp://127.0.0.1:770$i" --peers "$tmp/peers" \
		--block-ms 1000 --ctl "$tmp/n$i.ctl" >"$tmp/n$i.log" 2>&1 &
	pids+=($!)
done
for i in 2 3 4; do wait_for 60 "neighbour $i's control socket" test -S "$tmp/n$i.ctl"; done
say "3 of 4 validators up: enough for a quorum; blocks are final at 3 votes"

# ---------------------------------------------------------------------------------
step "the home gateway: settled joins as the 4th validator (its key in the vTPM)"
"$SETTLED" -f -c "$tmp/settled.conf" >"$tmp/settled.log" 2>&1 &
spid=$!
pids+=($spid)
wait_for 60 "settled started" grep -q 'info: started' "$tmp/settled.log"
grep -o 'network chain 1 at height [0-9]*: validator.*' "$tmp/settled.log" | sed 's/^/   settled: /'
grep -q 'network chain 1 .*: validator' "$tmp/settled.log" || die "settled is not a validator"

# the meters' ids: BLAKE2b-256("meterlink-meter-v1" || gateway key || bus id)
python3 - "$tmp/gw/gateway.pem" "$bus" >"$tmp/meters" <<'PYEOF' || die "meter ids"
import base64, hashlib, sys
der = base64.b64decode("".join(l for l in open(sys.argv[1]) if not l.startswith("-----")))
pub = der[-64:]
print(pub.hex())
for cs in range(3):
    bus = f"spi{sys.argv[2]}.{cs}".encode()
    print(hashlib.blake2b(b"meterlink-meter-v1" + pub + bus, digest_size=32).hexdigest())
PYEOF
{ read -r GWKEY; read -r M1; read -r M2; read -r M3; } <"$tmp/meters"
sign "$tmp/O.key" 0 meters register "$M1" "$A" 1 "$GWKEY"; submit 2
sign "$tmp/O.key" 1 meters register "$M2" "$B" 1 "$GWKEY"; submit 2
sign "$tmp/O.key" 2 meters register "$M3" "$G" 1 "$GWKEY"; submit 2
nmeters() { (($("$LC" -d "$tmp/n2.db" -j meters list | grep -o '"meter"' | wc -l) == 3)); }
wait_for 60 "the operator's 3 meter registrations in a final block" nmeters
say "operator O registered home 1 to A, home 2 to B, home 3 to the gateway"

# ---------------------------------------------------------------------------------
step "three homes with simulated meters, read live through /dev/meterN"
echo "atm90e32 0" >"$S/new_device" && echo "ade7953 1 irq" >"$S/new_device" &&
	echo "ade7953 2" >"$S/new_device" || die "cannot create the simulated meters"
for p in 0 1 2; do echo "$p 231000000 12000000 180000 50000" >"$S/cs0/model"; done
echo "0 229500000 9500000 25842 50000" >"$S/cs1/model"
echo "0 230200000 16000000 0 50000" >"$S/cs2/model"
echo "1 230200000 3000000 36870 50000" >"$S/cs2/model"
names=("PV exporter" "consumer" "battery home")
for cs in 0 1 2; do
	dev=''
	for ((t = 0; t < 100; t++)); do
		for m in /sys/class/meter/meter*; do
			[[ $(readlink "$m/device" 2>/dev/null) == */spi$bus.$cs ]] && dev=/dev/${m##*/}
		done
		[[ -n $dev ]] && break
		sleep 0.1
	done
	[[ -n $dev ]] || die "home $((cs + 1)) has no /dev/meterN"
	say "home $((cs + 1)), ${names[cs]}: $dev ($(cat /sys/class/meter/${dev##*/}/chip))"
	"$DUMP" -n 2 "$dev" >"$tmp/read" 2>&1 || die "meterdump $dev"
	sed 's/^/     /' "$tmp/read"
	grep -Eq ' -?[1-9][0-9]*\.[0-9]+ W' "$tmp/read" || die "home $((cs + 1)) reads no power"
done

say "settled reads them and signs a report per meter and 10 s interval with the vTPM key"

reports_on_chain() { (($(sql "$DB" "SELECT count(*) FROM reports") >= ${1:-3})); }
wait_for 90 "the first signed reports on the chain" reports_on_chain 3
say "$(sql "$DB" "SELECT count(*) FROM reports") reports on the chain so far"

# ---------------------------------------------------------------------------------
# the orders and the dispatch are signed first (each key file takes a
# memory-hard passphrase derivation) for an interval far enough ahead
now=$(date +%s)
I=$(((now + 3 * kdf * 3 / 2 + 40) / IV * IV + IV))
step "orders, and a dispatch instruction, for the interval starting $(date -u -d @$I +%T) UTC"
sign "$tmp/O.key" 3 dispatch send "$M3" import-limit 2000 "$I" $((I + IV))
cp "$tmp/tx.hex" "$tmp/dispatch.hex"
sign "$tmp/A.key" 0 order ask "$M1" 3 0.20 "$I"
cp "$tmp/tx" "$tmp/ask"
sign "$tmp/B.key" 0 order bid "$M2" 3 0.30 "$I"
submit 4
cp "$tmp/ask" "$tmp/tx"
submit 3
say "A asks 3 Wh at 0.20/kWh from home 1, B bids 3 Wh at 0.30/kWh for home 2 (through neighbours 3 and 4)"
# the operator's instruction goes through the home gateway's control socket
python3 "$root/tests/settled/ctl_client.py" "$tmp/gw.sock" \
	"{\"cmd\":\"submit\",\"tx\":\"$(cat "$tmp/dispatch.hex")\"}" >"$tmp/ctl.out" 2>&1 ||
	{ cat "$tmp/ctl.out"; die "submitting the dispatch through settled's control socket"; }
grep -q '"ok": *true' "$tmp/ctl.out" || { cat "$tmp/ctl.out"; die "settled refused the dispatch"; }
say "O limits the battery home's import to 2000 W for that interval (through settled's socket)"
norders() { (($(lc -j orders --interval "$I" | grep -o '"side"' | wc -l) == 2)); }
wait_for 90 "both orders in a final block" norders
lc orders --interval "$I" | sed 's/^/   /'

# ---------------------------------------------------------------------------------
step "the dispatch is final; the gateway's executor carries it out and acknowledges it"
wait_for 90 "the executor ran" test -s "$tmp/executor.log"
sed 's/^/   /' "$tmp/executor.log"
acked() { [[ $(sql "$DB" "SELECT status, ack_height FROM dispatches WHERE lower(hex(meter)) = ?" "$M3") == "1 "[1-9]* ]]; }
wait_for 90 "the gateway's acknowledgement in a final block" acked
say "acknowledged (accepted) at height $(sql "$DB" "SELECT ack_height FROM dispatches")"
lc dispatch list | sed 's/^/   /'

# ---------------------------------------------------------------------------------
step "the auction clears when the gate closes"
traded() { (($(lc -j trades --interval "$I" | grep -o '"qty' | wc -l) >= 1)); }
wait_for $((I - $(date +%s) + 60)) "a trade for the interval" traded
lc trades --interval "$I" | sed 's/^/   /'

# ---------------------------------------------------------------------------------
step "signed meter reports for the interval, checked with openssl against gateway.pem"
rep_i() { (($(sql "$DB" "SELECT count(*) FROM reports WHERE interval = ?" "$I") == 3)); }
wait_for $((I + IV - $(date +%s) + 60)) "the 3 homes' reports for the interval" rep_i
python3 - "$DB" "$tmp/gw/spool.db" "$tmp/gw/gateway.pem" "$I" <<'PYEOF' || die "openssl does not verify the reports"
import sqlite3, struct, subprocess, sys, tempfile
db, spool, pem, iv = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ch = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
sp = sqlite3.connect(f"file:{spool}?mode=ro", uri=True, timeout=10)
def der(sig):
    def i(b):
        b = b.lstrip(b"\0") or b"\0"
        return b"\x02" + bytes([len(b) + (b[0] >> 7)]) + (b"\0" if b[0] & 0x80 else b"") + b
    body = i(sig[:32]) + i(sig[32:])
    return b"\x30" + bytes([len(body)]) + body
ok = 0
with tempfile.TemporaryDirectory() as d:
    for meter, imp, exp, root in ch.execute(
            "SELECT meter, import_wh, export_wh, readings_root FROM reports WHERE interval = ?", (iv,)):
        sig = sp.execute("SELECT r.sig FROM reports r JOIN meters m ON m.id = r.meter"
                         " WHERE m.key = ? AND r.start = ?", (meter, iv)).fetchone()[0]
        msg = b"meterlink-report-v1" + struct.pack(">BQ32sQIQQ32s", 1, 1, meter, iv, 10,
                                                   imp, exp, root)
        for tamper in (False, True):
            m = msg[:-1] + bytes([msg[-1] ^ 1]) if tamper else msg
            open(f"{d}/m", "wb").write(m)
            open(f"{d}/s", "wb").write(der(bytes(sig)))
            p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pem, "-signature",
                                f"{d}/s", f"{d}/m"], capture_output=True, text=True)
            good = p.returncode == 0 and "Verified OK" in p.stdout
            if good == tamper:
                sys.exit(f"meter {meter.hex()[:16]}: openssl says {p.stdout.strip()} (tampered: {tamper})")
        print(f"   meter {meter.hex()[:16]}...: import {imp} Wh, export {exp} Wh: "
              f"openssl: Verified OK (a one-bit change: Verification failure)")
        ok += 1
sys.exit(0 if ok == 3 else 1)
PYEOF

# ---------------------------------------------------------------------------------
step "finalized blocks: the home gateway and the neighbours hold the same chain"
for i in 2 3 4; do "$MLNODE" dump --db "$tmp/n$i.db" >"$tmp/dump$i" || die "mlnode dump"; done
"$MLNODE" dump --db "$DB" >"$tmp/dump1" || die "mlnode dump"
h=$(wc -l "$tmp"/dump? | sort -n | head -1 | awk '{print $1}')
head -n "$h" "$tmp/dump1" >"$tmp/want"	# (no /dev/fd in the guest for <(...))
for i in 2 3 4; do
	head -n "$h" "$tmp/dump$i" >"$tmp/got"
	cmp -s "$tmp/want" "$tmp/got" || die "neighbour $i's chain differs within the first $h blocks"
done
((h > 5)) || die "only $h blocks"
say "$h blocks identical on all 4 validators; the last ones:"
head -n "$h" "$tmp/dump1" | tail -n 3 | sed 's/^/     /'

# ---------------------------------------------------------------------------------
step "settlement $SETTLE s after the interval, and the balances"
settled_i() { (($(sql "$DB" "SELECT count(*) FROM settlements WHERE interval = ?" "$I") >= 2)); }
wait_for $((I + IV + SETTLE - $(date +%s) + 60)) "the interval's settlement" settled_i
lc settlements --interval "$I" | sed 's/^/   /'
bal() { lc -j balance "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["balance"])'; }
ba=$(bal "$A") bb=$(bal "$B")
say "balances (micro-credits): A, who sold PV energy, $ba; B, who bought it, $bb (from 1000000000)"
[[ $ba =~ ^[0-9]+$ && $bb =~ ^[0-9]+$ ]] && ((ba > 0 && bb < 1000000000)) ||
	die "the balances did not move: A $ba, B $bb"
lc balance "$A" | sed 's/^/   /'
lc balance "$B" | sed 's/^/   /'

# ---------------------------------------------------------------------------------
step "the dispatch was complied with: measured import within the limit"
met() { [[ $(sql "$DB" "SELECT status FROM compliance WHERE interval = ?" "$I") == 0 ]]; }
wait_for 30 "compliance for the interval" sql "$DB" "SELECT 1 FROM compliance WHERE interval = ?" "$I"
sql "$DB" "SELECT target, measured, status FROM compliance WHERE interval = ?" "$I" |
	{ read -r t m s; say "target at most $t Wh, measured $m Wh: $([[ $s == 0 ]] && echo met || echo "MISSED ($s)")"; }
met || die "the dispatch was not complied with"

# ---------------------------------------------------------------------------------
step "ledgerctl verify: the home gateway's chain replays from genesis"
kill -TERM "$spid" && wait "$spid" || die "settled did not stop cleanly"
pids=("${pids[@]/$spid}")
mkdir -p "$tmp/scratch"
lc verify --scratch "$tmp/scratch" | sed 's/^/   /'
((PIPESTATUS[0] == 0)) || die "ledgerctl verify"
echo
echo "demo: every step happened"
