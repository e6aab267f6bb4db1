#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# settled in network mode ([ledger] mode = network): four gateways, each a
# settled with an insecure software key, form the validator set of one
# chain on loopback TCP inside the QEMU guest (they need the module's
# readings). The reports each gateway commits reach all four chains, which
# agree block for block; bad network configurations are refused with a
# clear message. make check-settled-network runs it:
#
#   tests/qemu/run-guest --insmod kernel/meterlink_sim.ko \
#       --insmod kernel/meterlink.ko -- tests/demo/network.sh
#
# Prints TAP; exits 1 on a failure.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${METERLINK_BUILD:-$root/build}
SETTLED=$BUILD/settled/settled
MLNODE=$BUILD/consensus/mlnode
MKGEN=$BUILD/demo/mkgenesis
LEDGERCTL=$BUILD/tools/ledgerctl/ledgerctl
S=/sys/kernel/debug/meterlink_sim
N=4
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
. "$root/tests/lib/tap.sh"
sql() { python3 - "$@" <<'PYEOF'
import sqlite3, sys
db, q = sys.argv[1], sys.argv[2]
for row in sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10).execute(q):
    print(" ".join(str(x) for x in row))
PYEOF
}

echo "TAP version 13"
for f in "$SETTLED" "$MLNODE" "$MKGEN" "$LEDGERCTL"; do
	[[ -x $f ]] || { echo "Bail out! $f missing (make demo-tools)"; exit 1; }
done
[[ -d $S ]] || { echo "Bail out! $S missing: load meterlink_sim.ko"; exit 1; }
ip link set lo up

# two meters every gateway reads (each names them by its own key)
echo "ade7953 0" >"$S/new_device" && echo "ade7953 1" >"$S/new_device" ||
	{ echo "Bail out! cannot create simulated meters"; exit 1; }
echo "0 230000000 10000000 0 50000" >"$S/cs0/model"
echo "0 230000000 5000000 180000 50000" >"$S/cs1/model"

conf() {	# conf I [mode lines]
	cat >"$tmp/$1.conf" <<EOC
[settled]
state_dir = $tmp/gw$1
interval = 2
close_delay_ms = 500
retention = 3600
log_level = info
control_socket = $tmp/gw$1.sock
control_group = root
[key]
backend = insecure-software
[ledger]
chain_id = 7
settle_delay = 600
block_interval_ms = 1000
mode = network
genesis = $tmp/genesis
listen = tcp://127.0.0.1:$((7700 + $1))
peers = $tmp/peers
EOC
}

# ---- keys, genesis, peers ----
accts=()
: >"$tmp/peers"
for ((i = 1; i <= N; i++)); do
	conf $i
	k=$("$SETTLED" -c "$tmp/$i.conf" keys 2>"$tmp/keys.err" | sed -n 's/^account //p')
	[[ $k =~ ^[0-9a-f]{64}$ ]] || { diag <"$tmp/keys.err"; echo "Bail out! settled keys"; exit 1; }
	accts+=("$k")
	echo "$k tcp://127.0.0.1:$((7700 + i))" >>"$tmp/peers"
done
ok "settled keys prints each gateway's account before any chain exists"
specs=()
for k in "${accts[@]}"; do specs+=("$k:vo:0"); done
"$MKGEN" "$tmp/genesis" 7 2 0 600 "${specs[@]}" || { echo "Bail out! mkgenesis"; exit 1; }

# ---- bad network configurations: refused before anything runs ----
refused() {	# refused DESCRIPTION EXPECTED-MESSAGE
	"$SETTLED" -f -c "$tmp/bad.conf" >"$tmp/bad.log" 2>&1
	local rc=$?
	if ((rc == 1)) && grep -qF -- "$2" "$tmp/bad.log"; then
		ok "$1"
	else
		not_ok "$1 (rc $rc)"
		diag <"$tmp/bad.log"
	fi
}
sed "s|^peers = .*|peers = $tmp/badpeers|;s|gw1|gwbad|" "$tmp/1.conf" >"$tmp/bad.conf"
{ echo "# comment"; echo "${accts[1]} tcp://127.0.0.1:7702"; echo "nothex tcp://x:1"; } >"$tmp/badpeers"
refused "a bad peers line is refused naming file and line" "badpeers:3"
sed "s|^chain_id = 7|chain_id = 8|;s|gw1|gwbad2|" "$tmp/1.conf" >"$tmp/bad.conf"
refused "a genesis of another chain than chain_id is refused" "is chain 7, settled.conf says chain_id = 8"
sed "s|^genesis = .*|genesis = $tmp/nogenesis|;s|gw1|gwbad3|" "$tmp/1.conf" >"$tmp/bad.conf"
refused "a missing genesis is refused" "consensus node"
printf '[ledger]\nmode = network\ngenesis = /g\n' >"$tmp/bad.conf"
"$SETTLED" -c "$tmp/bad.conf" --check-config >"$tmp/bad.log" 2>&1
check "--check-config: network mode without listen and peers" \
	grep -q "mode = network needs genesis, listen and peers" "$tmp/bad.log"

# ---- four gateways ----
for ((i = 1; i <= N; i++)); do
	"$SETTLED" -f -c "$tmp/$i.conf" >"$tmp/gw$i.log" 2>&1 &
	pids+=($!)
done
started=0
for ((t = 0; t < 600; t++)); do
	started=$(grep -l 'info: started' "$tmp"/gw*.log 2>/dev/null | wc -l)
	((started == N)) && break
	sleep 0.1
done
expect "the $N gateways start in network mode" "$started" "$N"
check "each is a validator of chain 7" \
	bash -c "(( \$(grep -l 'network chain 7 at height .*: validator' $tmp/gw*.log | wc -l) == $N ))"

committed() { sql "$tmp/gw$1/spool.db" "SELECT count(*) FROM reports WHERE state = 2" 2>/dev/null || echo 0; }
# one python for the four spools each round (a process costs under TCG)
low() { python3 - "$tmp" "$N" <<'PYEOF'
import sqlite3, sys
print(min(sqlite3.connect(f"file:{sys.argv[1]}/gw{i}/spool.db?mode=ro", uri=True, timeout=10)
          .execute("SELECT count(*) FROM reports WHERE state = 2").fetchone()[0]
          for i in range(1, int(sys.argv[2]) + 1)))
PYEOF
}
end=$((SECONDS + 240))
while ((SECONDS < end)); do
	low=$(low 2>/dev/null || echo 0)
	((low >= 6)) && break
	sleep 1
done
echo "# committed reports per gateway: $(for ((i = 1; i <= N; i++)); do printf '%s ' "$(committed $i)"; done)"
check "every gateway committed at least 6 reports (2 meters, 2 s intervals)" test "$low" -ge 6

# SIGTERM to all; one still running after 60 s is a failure (its threads'
# stacks are printed when gdb is there), then killed
rcs=''
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do
	timeout 60 tail --pid="$p" -f /dev/null
	if kill -0 "$p" 2>/dev/null; then
		command -v gdb >/dev/null &&
			gdb -batch -p "$p" -ex 'thread apply all bt' 2>&1 | grep -E '^(#|Thread)' | diag
		kill -9 "$p"
	fi
	wait "$p"
	rcs+="$? "
done
pids=()
expect "SIGTERM stops all four cleanly" "$rcs" "0 0 0 0 "

# the same blocks everywhere, up to the lowest height
for ((i = 1; i <= N; i++)); do
	"$MLNODE" dump --db "$tmp/gw$i/chain.db" >"$tmp/dump$i" 2>"$tmp/dump.err" ||
		diag <"$tmp/dump.err"
done
h=$(wc -l "$tmp"/dump? | sort -n | head -1 | awk '{print $1}')
echo "# heights: $(wc -l "$tmp"/dump? | head -$N | awk '{printf "%s ", $1}')"
# (files, not <(...): the guest's /dev has no /dev/fd)
same=1
head -n "$h" "$tmp/dump1" >"$tmp/want"
for ((i = 2; i <= N; i++)); do
	head -n "$h" "$tmp/dump$i" >"$tmp/got"
	cmp -s "$tmp/want" "$tmp/got" || { same=0; diff "$tmp/want" "$tmp/got" | head -5 | diag; }
done
check "the four chains hold the same $h blocks (height, hash, tx count)" test "$same" -eq 1 -a "$h" -gt 3

# every report a gateway saw committed is on every chain
missing=0
for ((g = 1; g <= N; g++)); do
	sql "$tmp/gw$g/spool.db" "SELECT lower(hex(m.key)), r.start FROM reports r JOIN meters m ON m.id = r.meter WHERE r.state = 2" |
		sort >"$tmp/mine$g"
	for ((i = 1; i <= N; i++)); do
		sql "$tmp/gw$i/chain.db" "SELECT lower(hex(meter)), interval FROM reports" | sort >"$tmp/chain$i"
		m=$(comm -23 "$tmp/mine$g" "$tmp/chain$i" | wc -l)
		((m == 0)) || echo "# gateway $g: $m committed reports missing from chain $i"
		missing=$((missing + m))
	done
done
expect "the reports each gateway committed are on all four chains" "$missing" "0"
r1=$(sql "$tmp/gw1/chain.db" "SELECT count(*) FROM reports")
r4=$(sql "$tmp/gw4/chain.db" "SELECT count(*) FROM reports")
echo "# reports on chain 1: $r1, on chain 4: $r4"
mkdir -p "$tmp/scratch"
if "$LEDGERCTL" -d "$tmp/gw2/chain.db" verify --scratch "$tmp/scratch" >"$tmp/verify.out" 2>&1; then
	ok "ledgerctl verify: gateway 2's chain replays from genesis, every certificate checked"
else
	not_ok "ledgerctl verify of gateway 2's chain"
	diag <"$tmp/verify.out"
fi
if ((failed)); then
	for ((i = 1; i <= N; i++)); do tail -n 8 "$tmp/gw$i.log" | sed "s/^/# gw$i: /"; done
fi
tap_end
