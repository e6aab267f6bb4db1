#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Four validators and a follower as real mlnode processes on loopback TCP
# (no namespaces), driven through their --ctl sockets (TAP):
#   - bad arguments, peers files and requests are refused (exit 2) with a
#     message naming the problem;
#   - transfers submitted to different nodes are final on every node,
#     each exactly once, and the chains are identical;
#   - kill -9 of a validator: the chain goes on; restarted, it catches up;
#   - a follower (key outside the validator set) syncs the same chain;
#   - a truncated, a byte-corrupted and an edited database: exit 3 with a
#     message; with --repair the node resyncs to the identical chain.
# Waits poll against deadlines; nothing asserts how long anything took.
#
#   run.sh MLNODE WORKDIR
set -uo pipefail
export LC_ALL=C

M=$(realpath "$1")
W=$2
. "$(dirname "$0")/../lib/tap.sh"

rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
declare -A PID
BASE=$((20000 + RANDOM % 12000))	# below the ephemeral range (32768-)

cleanup() {
	local p
	for p in "${PID[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: polls until the command succeeds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}

port() { echo $((BASE + $1)); }

start() {	# start I [extra args]: node I in the background, logs to logI
	local i=$1
	shift
	"$M" run --key k$i --genesis genesis --db db$i --signstate ss$i \
		--listen tcp://127.0.0.1:$(port $i) --peers peers --ctl ctl$i \
		--pidfile pid$i "$@" 2>>log$i &
	PID[$i]=$!
}

stop() {	# stop I: SIGTERM, returns the exit status
	local i=$1 rc
	kill -TERM "${PID[$i]}"
	wait "${PID[$i]}"
	rc=$?
	unset "PID[$i]"
	return $rc
}

height() { "$M" status --ctl ctl$1 -j 2>/dev/null | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
peers() { "$M" status --ctl ctl$1 -j 2>/dev/null | sed -n 's/.*"peers":\([0-9]*\).*/\1/p'; }
at_least() { local h; h=$(height "$1"); [[ -n $h ]] && ((h >= $2)); }
has_peers() { local p; p=$(peers "$1"); [[ -n $p ]] && ((p >= $2)); }

# has_all I: node I's chain holds every submitted transaction
has_all() {
	"$M" dump --db db$1 --txs 2>/dev/null | awk '$1 == "tx" { print $3 }' | sort >got$1
	[[ -z $(comm -23 <(sort ids) got$1) ]]
}

# exactly_once I: every submitted id appears once in node I's chain
exactly_once() {
	"$M" dump --db db$1 --txs | awk '$1 == "tx" { print $3 }' | sort | uniq -c |
		awk 'NR == FNR { want[$1] = 1; next } ($2 in want) && $1 != 1 { bad++ }
		     END { exit bad > 0 }' ids -
	[[ $(grep -cFf ids <("$M" dump --db db$1 --txs)) -eq $(wc -l <ids) ]]
}

complete_once() { has_all "$1" && exactly_once "$1"; }

# same_chain I J...: the chains agree on every height they share
same_chain() {
	local i min=-1 h
	for i in "$@"; do
		"$M" dump --db db$i | grep -v '^tx' >dump$i || return 1
		h=$(wc -l <dump$i)
		((min < 0 || h < min)) && min=$h
	done
	((min > 0)) || return 1
	for i in "$@"; do
		cmp -s <(head -n "$min" dump$i) <(head -n "$min" dump$1) || return 1
	done
}

nonce=0
submit() {	# submit NODE: a fresh transfer from k5, recorded in ids
	"$M" transfer --key k5 --genesis genesis --to "$(cat pk2)" --amount 7 \
		--nonce $nonce --out tx$nonce >>ids &&
	"$M" submit --ctl ctl$1 --tx tx$nonce >/dev/null &&
	nonce=$((nonce + 1))
}

# expect_exit DESCRIPTION CODE PATTERN COMMAND...: status and stderr
expect_exit() {
	local d=$1 code=$2 pat=$3 rc
	shift 3
	"$@" >out.txt 2>err.txt
	rc=$?
	if ((rc == code)) && grep -qE -- "$pat" err.txt; then
		ok "$d"
	else
		not_ok "$d"
		echo "#   exit $rc (want $code), stderr: $(head -c 300 err.txt)"
	fi
}

# --- keys, genesis, peers ---
for i in 1 2 3 4 5; do "$M" keygen --out k$i >pk$i || exit 1; done
check "keygen: pubkey prints the key keygen printed" \
	[ "$("$M" pubkey --key k1)" = "$(cat pk1)" ]
check "keygen: the key file is 64 bytes, mode 0600" \
	[ "$(stat -c '%s %a' k1)" = "64 600" ]
"$M" genesis --out genesis --chain-id 4242 --interval 900 --settle-delay 60 \
	$(for i in 1 2 3 4; do echo --validator "$(cat pk$i)"; done) \
	--account "$(cat pk5)":1000000000
check "genesis: written" [ -s genesis ]
for i in 1 2 3 4 5; do echo "$(cat pk$i) tcp://127.0.0.1:$(port $i)"; done >peers

# --- refused arguments, exit 2 ---
G=(--genesis genesis --db dbx --signstate ssx --listen tcp://127.0.0.1:1)
expect_exit "no command: usage" 2 usage "$M"
expect_exit "unknown command" 2 "unknown command" "$M" frobnicate
expect_exit "run: missing --key" 2 "needs --key" "$M" run "${G[@]}" --peers peers
expect_exit "run: unknown option" 2 "unknown option '--bogus'" \
	"$M" run --key k1 "${G[@]}" --peers peers --bogus
expect_exit "run: option given twice" 2 "given twice" \
	"$M" run --key k1 --key k1 "${G[@]}" --peers peers
expect_exit "run: --block-ms below one second" 2 "block-ms '500'" \
	"$M" run --key k1 "${G[@]}" --peers peers --block-ms 500
expect_exit "run: --block-ms not a number" 2 "block-ms '1e3'" \
	"$M" run --key k1 "${G[@]}" --peers peers --block-ms 1e3
head -c 63 k1 >kshort
expect_exit "run: a 63-byte key file" 2 "kshort: not a key file" \
	"$M" run --key kshort "${G[@]}" --peers peers
{ head -c 32 k1; tail -c 32 k2; } >kmixed
expect_exit "run: a key file whose halves do not match" 2 "does not match" \
	"$M" run --key kmixed "${G[@]}" --peers peers
expect_exit "run: a listen endpoint that is no endpoint" 2 "listen 'http://x'" \
	"$M" run --key k1 --genesis genesis --db dbx --signstate ssx \
	--listen http://x --peers peers
expect_exit "run: a genesis file that is none" 2 "not a genesis file" \
	"$M" run --key k1 --genesis peers --db dbx --signstate ssx \
	--listen tcp://127.0.0.1:$(port 9) --peers peers
check "run: nothing created by refused runs" eval '[ ! -e dbx ] && [ ! -e ssx ]'
expect_exit "run: a missing peers file" 2 "nofile: No such file" \
	"$M" run --key k1 "${G[@]}" --peers nofile

K=$(cat pk1)
badpeer() {	# badpeer DESCRIPTION LINE PATTERN
	{ echo "# a comment"; echo; echo "$2"; } >badpeers
	expect_exit "peers file: $1" 2 "badpeers:3: .*$3" \
		"$M" run --key k1 "${G[@]}" --peers badpeers
}
badpeer "short key" "${K:0:62} tcp://127.0.0.1:7000" "64 hex digits"
badpeer "key not hex" "${K:0:62}zz tcp://127.0.0.1:7000" "64 hex digits"
badpeer "key not a curve point" "$(printf 'ff%.0s' {1..32}) tcp://127.0.0.1:7000" \
	"not an Ed25519"
badpeer "no endpoint" "$K" "missing endpoint"
badpeer "wrong scheme" "$K udp://127.0.0.1:7000" "neither tcp"
badpeer "port 0" "$K tcp://127.0.0.1:0" "port must be"
badpeer "port too big" "$K tcp://127.0.0.1:65536" "port must be"
badpeer "wildcard host" "$K tcp://*:7000" "concrete host"
badpeer "trailing text" "$K tcp://127.0.0.1:7000 extra" "unexpected text"
{ echo "$K tcp://127.0.0.1:7000"; echo "$K tcp://127.0.0.1:7001"; } >badpeers
expect_exit "peers file: a key twice" 2 "badpeers:2: key listed twice" \
	"$M" run --key k1 "${G[@]}" --peers badpeers

expect_exit "genesis: a validator key that is no key" 2 "validator 'abc'" \
	"$M" genesis --out gx --chain-id 1 --interval 900 --settle-delay 0 --validator abc
expect_exit "genesis: --interval 0" 2 "interval '0'" \
	"$M" genesis --out gx --chain-id 1 --interval 0 --settle-delay 0 --validator "$K"
expect_exit "genesis: an account without balance" 2 "HEXKEY:BALANCE" \
	"$M" genesis --out gx --chain-id 1 --interval 900 --settle-delay 0 \
	--validator "$K" --account "$K"
expect_exit "genesis: the same validator twice" 2 "given twice" \
	"$M" genesis --out gx --chain-id 1 --interval 900 --settle-delay 0 \
	--validator "$K" --validator "$K"
expect_exit "genesis: no validator" 2 "needs" \
	"$M" genesis --out gx --chain-id 1 --interval 900 --settle-delay 0
many=()
for ((i = 0; i <= 1024; i++)); do many+=(--account "$(printf '%064x' "$i"):1"); done
expect_exit "genesis: --account 1025 times" 2 "given too often" \
	"$M" genesis --out gx --chain-id 1 --interval 900 --settle-delay 0 \
	--validator "$K" "${many[@]}"
check "genesis: nothing written by refused calls" [ ! -e gx ]
expect_exit "keygen: an existing file is not overwritten" 2 "exists already" \
	"$M" keygen --out k1
check "keygen: k1 unchanged" [ "$("$M" pubkey --key k1)" = "$K" ]
expect_exit "transfer: amount 0" 2 "amount '0'" \
	"$M" transfer --key k5 --genesis genesis --to "$K" --amount 0 --nonce 0
echo "not a transaction" >notx
expect_exit "submit: a file that is no transaction" 2 "notx: not an encoded transaction" \
	"$M" submit --ctl ctl1 --tx notx
expect_exit "submit: a file longer than any transaction" 2 "longer than a transaction" \
	"$M" submit --ctl ctl1 --tx peers
expect_exit "status: no node behind the socket" 1 "ctl-none" \
	"$M" status --ctl ctl-none
expect_exit "dump: a missing database" 2 "nodb" "$M" dump --db nodb

# --- four validators ---
for i in 1 2 3 4; do start $i; done
for i in 1 2 3 4; do
	check "validator $i: up, 3 peers connected, blocks final" \
		wait_for 60 eval "has_peers $i 3 && at_least $i 2"
done
check "status: validator yes" \
	grep -q "validator yes" <("$M" status --ctl ctl1)
for t in 0 1 2 3 4 5 6 7; do submit $((t % 4 + 1)) || not_ok "submit $t"; done
bad_sig() {
	"$M" transfer --key k5 --genesis genesis --to "$(cat pk2)" --amount 7 \
		--nonce $nonce --out txgood >/dev/null || return 1
	{ head -c -1 txgood; tail -c 1 txgood | tr '\000-\377' '\001-\377\000'; } >txbad
	! "$M" submit --ctl ctl2 --tx txbad 2>err.txt && grep -q "bad signature" err.txt
}
check "submit: a bad signature is refused" bad_sig
check "submit: a transaction already pooled or final is refused" \
	eval "! '$M' submit --ctl ctl3 --tx tx0 2>/dev/null"
for i in 1 2 3 4; do
	check "validator $i: all 8 transfers final" wait_for 60 has_all $i
done
for i in 1 2 3 4; do
	check "validator $i: each transfer exactly once" exactly_once $i
done
check "the 4 chains are identical" same_chain 1 2 3 4

# raw requests on the control socket: one JSON reply line each
ctl_raw() {	# ctl_raw SOCKET: stdin's bytes in, the replies out
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())' "$1"
}
printf 'hello\n{"cmd":"stop"}\n{"cmd":"status","x":1}\n{"cmd":"status"}\n' |
	ctl_raw ctl1 >replies
expect "ctl: four requests, four replies" "$(wc -l <replies)" 4
check "ctl: not JSON refused" grep -q '^{"ok":false,"error":"not JSON' <(sed -n 1p replies)
check "ctl: unknown cmd refused" grep -q 'unknown cmd \\"stop\\"' <(sed -n 2p replies)
check "ctl: unknown member refused" grep -q 'unexpected member' <(sed -n 3p replies)
check "ctl: the node still answers after bad requests" grep -q '"ok":true' <(sed -n 4p replies)
head -c 5000 /dev/zero | tr '\0' x | ctl_raw ctl1 >replies
check "ctl: an over-long line is refused" grep -q 'longer than 4096' replies

# --- kill -9 one validator: the chain goes on ---
kill -9 "${PID[4]}"
wait "${PID[4]}" 2>/dev/null
unset "PID[4]"
h=$(height 1)
for t in 8 9 10 11; do submit $((t % 3 + 1)) || not_ok "submit $t"; done
for i in 1 2 3; do
	check "validator 4 killed: validator $i finalizes all 12 transfers" \
		wait_for 90 has_all $i
done
check "validator 4 killed: the chain grows" wait_for 60 at_least 1 $((h + 3))
check "validator 4 killed: 3 chains identical" same_chain 1 2 3

start 4
h=$(height 1)
check "validator 4 restarted: it catches up" wait_for 90 at_least 4 "$h"
check "validator 4 restarted: all transfers, once each" complete_once 4
check "validator 4 restarted: the 4 chains are identical" same_chain 1 2 3 4

# --- a follower ---
start 5
is_follower() { "$M" status --ctl ctl5 2>/dev/null | grep -q "validator no"; }
check "follower: its status says validator no" wait_for 30 is_follower
check "follower: syncs up to the validators" wait_for 90 at_least 5 "$(height 1)"
submit 5 || not_ok "submit through the follower"
for i in 1 2 3 4 5; do
	check "node $i: the transfer given to the follower is final" wait_for 90 has_all $i
done
check "follower: the same chain as the 4 validators" same_chain 1 2 3 4 5
check "follower: every transfer exactly once" exactly_once 5

# --- damaged databases ---
check "SIGTERM: validator 4 exits 0" stop 4
cp db4 db4.good
size=$(stat -c %s db4)
truncate -s $((size / 2)) db4
expect_exit "truncated database: exit 3, named" 3 "db4: damaged database" \
	"$M" run --key k4 --genesis genesis --db db4 --signstate ss4 \
	--listen tcp://127.0.0.1:$(port 4) --peers peers
check "truncated database: left where it was" [ "$(stat -c %s db4)" = $((size / 2)) ]

# a byte-corrupted copy: every b-tree page's header overwritten
cp db4.good db4
for ((p = 1; p < size / 4096; p++)); do
	printf '\x0d\xff\xff\xff\xff\xff\xff\xff' |
		dd of=db4 bs=1 seek=$((p * 4096)) conv=notrunc status=none
done
expect_exit "corrupted database: exit 3, named" 3 "db4: damaged database" \
	"$M" run --key k4 --genesis genesis --db db4 --signstate ss4 \
	--listen tcp://127.0.0.1:$(port 4) --peers peers

# an edited balance: sound to SQLite, wrong for the chain
cp db4.good db4
sqlite3 db4 "UPDATE accounts SET balance = balance + 1 WHERE key = (SELECT min(key) FROM accounts)" 2>err.txt ||
	not_ok "edit a balance: $(cat err.txt)"
expect_exit "edited database: exit 3, the replay names it" 3 "db4: damaged database: the tables differ" \
	"$M" run --key k4 --genesis genesis --db db4 --signstate ss4 \
	--listen tcp://127.0.0.1:$(port 4) --peers peers

# --repair on the corrupted copy
cp db4.good db4
for ((p = 1; p < size / 4096; p++)); do
	printf '\x0d\xff\xff\xff\xff\xff\xff\xff' |
		dd of=db4 bs=1 seek=$((p * 4096)) conv=notrunc status=none
done
: >log4
start 4 --repair
check "--repair: the damaged file is moved aside" \
	wait_for 30 eval 'compgen -G "db4.damaged.*" >/dev/null'
h=$(height 1)
check "--repair: resyncs up to the others" wait_for 120 at_least 4 "$h"
check "--repair: every transfer once" complete_once 4
check "--repair: the same chain as the others" same_chain 1 2 3 4 5
check "--repair: the log says so" grep -q "moved aside" log4

# --- the follower voted in: the nodes follow the new validator set ---
expect_exit "vote: an action that is neither add nor remove" 2 "action 'promote'" \
	"$M" vote --key k1 --genesis genesis --subject "$(cat pk5)" --action promote --nonce 0
for i in 1 2 3; do
	"$M" vote --key k$i --genesis genesis --subject "$(cat pk5)" --action add \
		--nonce 0 --out vote$i >>ids && "$M" submit --ctl ctl$i --tx vote$i >/dev/null ||
		not_ok "submit the vote of validator $i"
done
is_validator5() { "$M" status --ctl ctl5 2>/dev/null | grep -q "validator yes"; }
check "vote: 3 of 4 votes make node 5 a validator" wait_for 90 is_validator5
check "vote: the validators' logs show 5 validators" \
	wait_for 30 grep -q "validator set: 5 validators" log1
h=$(height 1)
submit 5 || not_ok "submit to the new validator"
for i in 1 2 3 4 5; do
	check "5 validators: node $i finalizes the next transfer" wait_for 90 has_all $i
done
check "5 validators: the chain grows" wait_for 60 at_least 5 $((h + 3))
check "5 validators: the same chain everywhere" same_chain 1 2 3 4 5
# quorum of 5 is 4: without validator 4 the chain only grows if node 5 votes
check "5 validators: SIGTERM validator 4" stop 4
h=$(height 1)
check "5 validators: without validator 4 the chain grows (node 5 votes)" \
	wait_for 90 at_least 1 $((h + 2))
start 4
check "5 validators: validator 4 back and caught up" wait_for 90 at_least 4 $((h + 2))

for i in 1 2 3 4 5; do check "SIGTERM: node $i exits 0" stop $i; done
G2=(--key k1 --db db1 --signstate ss1 --listen tcp://127.0.0.1:$(port 1) --peers peers)
"$M" genesis --out genesis2 --chain-id 4243 --interval 900 --settle-delay 60 \
	--validator "$(cat pk1)"
expect_exit "run: a database of another chain" 2 "db1: holds chain 4242" \
	"$M" run --genesis genesis2 "${G2[@]}"
cp ss1 ss1.good
printf 'x' | dd of=ss1 bs=1 seek=20 conv=notrunc status=none
expect_exit "run: a damaged sign state, exit 3" 3 "ss1: .*damaged sign state" \
	"$M" run --genesis genesis "${G2[@]}" --repair
cmp -s ss1 <(cat ss1.good) && not_ok "the sign state was changed by the test itself"
check "run: --repair leaves a damaged sign state alone" \
	eval '! cmp -s ss1 ss1.good && ! compgen -G "ss1.damaged*" >/dev/null'
check "SIGTERM: pidfiles and control sockets removed" \
	bash -c '! compgen -G "pid[1-5]" >/dev/null && ! compgen -G "ctl[1-5]" >/dev/null'
check "no sanitizer report in the nodes' logs" \
	eval '! grep -l "runtime error\|AddressSanitizer\|LeakSanitizer" log[1-5]'
tap_end
