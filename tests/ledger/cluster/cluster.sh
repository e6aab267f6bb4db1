#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The cluster scenarios of issue 7 item 4: n real `mlnode run` processes,
# each in a network namespace made here (veth pairs to a bridge in one more
# namespace, addresses 10.77.0.X), transfers signed by tests/ledger/cluster/
# mlcluster and submitted through each node's control socket, and after
# every scenario the invariants read from the nodes' SQLite ledgers by
# `mlcluster check`: identical finalized chains (one block per height),
# every acknowledged transaction final exactly once, equal state roots,
# the sum of balances conserved (and evidence on chain where a validator
# equivocated).
#
#   cluster.sh check   every scenario, TAP; CLUSTER_KILLS kill -9 in the loop
#   cluster.sh bench   finalized tx/s and finality p50/p99 of 4 nodes
#                      against the Ed25519 ceiling (printed, never asserted)
#
# Environment: MLNODE, MLCLUSTER (the binaries), CLUSTER_OUT (work files,
# kept for the post-mortem), CLUSTER_KILLS, CLUSTER_ONLY (a regex of
# scenario names to run). Needs root for ip netns.
#
# A client acknowledged transaction is one a node answered "ok" to; as a
# wallet would, the harness submits every transaction it made again to the
# live nodes until it is final (a node killed with kill -9 loses its
# mempool), and then requires it final exactly once.
#
# Bounds: waits end after generous limits (they catch a chain that stopped,
# not a slow one); a node that should come back must commit a new block
# within RESUME_S seconds, which covers the capped round timer
# (MLNODE_TIMEOUT_CAP_MS, 8 s) several times over.
# word splitting of $(...) lists of paths is meant (no blanks in them)
# shellcheck disable=SC2046,SC2207
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../lib/tap.sh
. "$here/../../lib/tap.sh"

MLNODE=${MLNODE:?MLNODE: path of the mlnode binary}
MLCLUSTER=${MLCLUSTER:?MLCLUSTER: path of the mlcluster helper}
MLBYZ=${MLBYZ:?MLBYZ: path of the mlbyz byzantine validator}
OUT=${CLUSTER_OUT:-/tmp/mlcluster-run}
KILLS=${CLUSTER_KILLS:-20}
ONLY=${CLUSTER_ONLY:-.}
BLOCK_MS=${CLUSTER_BLOCK_MS:-1000}
RESUME_S=${CLUSTER_RESUME_S:-60}
FINAL_S=${CLUSTER_FINAL_S:-90}
CHAIN_ID=7377
USERS=8
BALANCE=100000000
FAKETIME_LIB=${FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1}
P=mlc$$			# namespace and interface prefix
declare -A PID=()	# node index -> pid
declare -A NEXT=()	# user -> next nonce
NODES=()		# indices of the scenario's nodes
BYZ=			# pid of mlbyz, when it runs
R=			# the scenario's directory

log() { echo "# $*"; }

# --- network -----------------------------------------------------------
net_up() {		# net_up N: namespaces 1..N and a bridge
	local i
	ip netns add "${P}br" || return 1
	ip -n "${P}br" link add br0 type bridge || return 1
	ip -n "${P}br" link set br0 up
	ip -n "${P}br" link set lo up
	for ((i = 1; i <= $1; i++)); do
		ip netns add "${P}n$i" || return 1
		ip link add "${P}a$i" type veth peer name "${P}b$i" || return 1
		ip link set "${P}a$i" netns "${P}n$i"
		ip link set "${P}b$i" netns "${P}br"
		ip -n "${P}n$i" link set "${P}a$i" name eth0
		ip -n "${P}n$i" addr add "10.77.0.$i/24" dev eth0
		ip -n "${P}n$i" link set eth0 up
		ip -n "${P}n$i" link set lo up
		ip -n "${P}br" link set "${P}b$i" master br0
		ip -n "${P}br" link set "${P}b$i" up
	done
}

net_down() {
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep "^${P}"); do
		ip netns del "$ns"
	done
}

# partition A B: nodes of group A (space-separated) stop reaching group B
partition() {
	local a b
	for a in $1; do for b in $2; do
		ip -n "${P}n$a" route add blackhole "10.77.0.$b/32"
		ip -n "${P}n$b" route add blackhole "10.77.0.$a/32"
	done; done
}

heal() {
	local a b
	for a in $1; do for b in $2; do
		ip -n "${P}n$a" route del blackhole "10.77.0.$b/32"
		ip -n "${P}n$b" route del blackhole "10.77.0.$a/32"
	done; done
}

# --- nodes -------------------------------------------------------------
# setup N [EXTRA]: keys, a genesis with N validators and USERS funded users,
# a peers file per node (every other validator); EXTRA more namespaces.
setup() {
	local nv=$1 extra=${2:-0} i j vals=() accts=()
	R=$OUT/$SCEN
	rm -rf "$R" && mkdir -p "$R" || return 1
	net_up $((nv + extra)) || { log "cannot make the namespaces"; return 1; }
	for ((i = 1; i <= nv; i++)); do
		"$MLNODE" keygen --out "$R/k$i" > "$R/pk$i" || return 1
		vals+=(--validator "$(cat "$R/pk$i")")
	done
	for ((i = 0; i < USERS; i++)); do
		"$MLNODE" keygen --out "$R/u$i" > "$R/upk$i" || return 1
		accts+=(--account "$(cat "$R/upk$i"):$BALANCE")
		NEXT[$i]=0
		: > "$R/made$i"
	done
	"$MLNODE" genesis --out "$R/genesis" --chain-id $CHAIN_ID --interval 900 \
		--settle-delay 60 --time $(($(date +%s) - 60)) "${vals[@]}" \
		"${accts[@]}" || return 1
	for ((i = 1; i <= nv; i++)); do
		for ((j = 1; j <= nv; j++)); do
			((i == j)) || echo "$(cat "$R/pk$j") tcp://10.77.0.$j:7700"
		done > "$R/peers$i"
	done
	NODES=($(seq 1 "$nv"))
	: > "$R/acked"
	PID=()
}

# start I [KEYFILE-INDEX] [PREFIX...]: node I in namespace I
start() {
	local i=$1 k=${2:-$1}
	shift; (($#)) && shift
	rm -f "$R/ctl$i"
	ip netns exec "${P}n$i" "$@" "$MLNODE" run --key "$R/k$k" \
		--genesis "$R/genesis" --db "$R/db$i" --signstate "$R/ss$i" \
		--listen "tcp://10.77.0.$i:7700" --peers "$R/peers$i" \
		--block-ms "$BLOCK_MS" --ctl "$R/ctl$i" ${REPAIR:+--repair} \
		2>> "$R/log$i" &
	PID[$i]=$!
	local t
	for ((t = 0; t < 100; t++)); do
		[[ -S $R/ctl$i ]] && return 0
		kill -0 "${PID[$i]}" 2> /dev/null || break
		sleep 0.1
	done
	log "node $i did not open its control socket; its log:"
	tail -n 5 "$R/log$i" | diag
	return 1
}

# stop I [SIGNAL]: the exit status of the node (137 for KILL)
stop() {
	local i=$1 sig=${2:-TERM} rc
	[[ -n ${PID[$i]:-} ]] || return 0
	kill -s "$sig" "${PID[$i]}" 2> /dev/null
	wait "${PID[$i]}" 2> /dev/null
	rc=$?
	unset "PID[$i]"
	return $rc
}

stop_all() {	# SIGTERM for every live node; 1 when one did not exit 0
	local i bad=0
	for i in "${!PID[@]}"; do
		stop "$i" || { log "node $i exited $? on SIGTERM"; bad=1; }
	done
	return $bad
}

height() {	# height I: the node's final height, -1 when it does not answer
	local j
	j=$(timeout 5 "$MLNODE" status --ctl "$R/ctl$1" -j 2> /dev/null) || {
		echo -1; return; }
	j=$(sed -n 's/.*"height":[[:space:]]*\([0-9]*\).*/\1/p' <<< "$j")
	echo "${j:--1}"
}

# wait_height I H SECONDS: until node I is at height >= H
wait_height() {
	local end=$((SECONDS + $3))
	while ((SECONDS < end)); do
		(($(height "$1") >= $2)) && return 0
		sleep 0.2
	done
	return 1
}

live() { local i; for i in "${!PID[@]}"; do echo "$i"; done | sort -n; }

# --- load --------------------------------------------------------------
# load COUNT [NODE]: COUNT transfers from every user, each user's batch
# to NODE or to the live nodes in turn; the acknowledged ids are kept.
load() {
	local count=$1 node=${2:-} u to nodes
	nodes=($(live))
	((${#nodes[@]})) || return 1
	for ((u = 0; u < USERS; u++)); do
		to=${node:-${nodes[$((u % ${#nodes[@]}))]}}
		"$MLCLUSTER" txs --key "$R/u$u" --to "$(cat "$R/upk$(((u + 1) % USERS))")" \
			--chain-id $CHAIN_ID --nonce "${NEXT[$u]}" --count "$count" \
			--amount $((u + 1)) > "$R/batch" || return 1
		cat "$R/batch" >> "$R/made$u"
		NEXT[$u]=$((NEXT[$u] + count))
		"$MLCLUSTER" submit --ctl "$R/ctl$to" < "$R/batch" \
			>> "$R/acked" 2>> "$R/submit.log"
	done
	return 0
}

resubmit() {	# every transaction made so far, again, to one live node
	local nodes u
	nodes=($(live))
	((${#nodes[@]})) || return 1
	for ((u = 0; u < USERS; u++)); do
		"$MLCLUSTER" submit --ctl "$R/ctl${nodes[$((u % ${#nodes[@]}))]}" \
			< "$R/made$u" > /dev/null 2>&1
	done
}

dbs() { local i; for i in "$@"; do echo "$R/db$i"; done; }

# settle: until the live nodes hold the same height with every
# acknowledged transaction final (resubmitting, as a client would)
settle() {
	local end=$((SECONDS + FINAL_S)) last=0
	while ((SECONDS < end)); do
		"$MLCLUSTER" check --acked "$R/acked" --same-height \
			$(dbs $(live)) > "$R/settle.out" 2>&1 && return 0
		if ((SECONDS - last >= 5)); then
			resubmit
			last=$SECONDS
		fi
		sleep 0.5
	done
	log "not settled after ${FINAL_S} s:"
	grep FAIL "$R/settle.out" | head -n 5 | diag
	return 1
}

# verdict NAME HONEST-NODES [check options]: the end of a scenario. The
# live nodes are seen at one height with everything final (settle), then
# stopped; as blocks keep coming (empty ones too) while they stop one by
# one, the final check wants every live node at least at that height.
verdict() {
	local name=$1 honest=$2 ok=1 minh
	shift 2
	settle || ok=0
	ALIVE=$(live)
	minh=$(sed -n 's/^# [0-9]* chains, height \([0-9]*\),.*/\1/p' "$R/settle.out")
	stop_all || ok=0
	"$MLCLUSTER" check --acked "$R/acked" --genesis "$R/genesis" "$@" \
		$(dbs $honest) > "$R/check.out" 2>&1 || ok=0
	"$MLCLUSTER" check --min-height "${minh:-1}" $(dbs $ALIVE) \
		> "$R/check-live.out" 2>&1 || ok=0
	grep FAIL "$R/check-live.out"
	cat "$R/check.out"
	if ((ok)); then ok "$name: safe, every acknowledged tx final once"
	else not_ok "$name: invariants (files in $R)"; fi
}

finish() {	# between scenarios
	local i
	for i in "${!PID[@]}"; do stop "$i" KILL; done
	[[ -n $BYZ ]] && { kill -KILL "$BYZ" 2> /dev/null; wait "$BYZ" 2> /dev/null; }
	BYZ=
	net_down
}

run() {		# run NAME: scenario_NAME unless CLUSTER_ONLY leaves it out
	SCEN=$1
	[[ $1 =~ $ONLY ]] || return 0
	log "--- $1"
	"scenario_$1"
	finish
}

# --- scenarios ---------------------------------------------------------
happy() {	# happy N
	local nv=$1 i h
	setup "$nv" || { not_ok "happy n=$nv: setup"; return; }
	for i in "${NODES[@]}"; do start "$i" || { not_ok "happy n=$nv: start"; return; }; done
	load 20
	wait_height 1 2 "$FINAL_S"
	load 20
	h=$(height 1)
	check "happy n=$nv: the chain grows (height $h)" wait_height 1 $((h + 2)) "$FINAL_S"
	verdict "happy n=$nv" "${NODES[*]}"
}
scenario_happy1() { happy 1; }
scenario_happy4() { happy 4; }
scenario_happy7() { happy 7; }

scenario_one_of_four_down() {
	local i h
	setup 4 || { not_ok "1 of 4 down: setup"; return; }
	for i in 1 2 3 4; do start "$i" || { not_ok "1 of 4 down: start"; return; }; done
	load 10
	wait_height 1 2 "$FINAL_S"
	stop 4 KILL
	h=$(height 1)
	load 20
	check "1 of 4 killed: the chain goes on past $h" wait_height 1 $((h + 3)) "$RESUME_S"
	verdict "1 of 4 down" "1 2 3 4"
}

scenario_two_of_four_down() {
	local i h h2 t0
	setup 4 || { not_ok "2 of 4 down: setup"; return; }
	for i in 1 2 3 4; do start "$i" || { not_ok "2 of 4 down: start"; return; }; done
	load 10
	wait_height 1 2 "$FINAL_S"
	stop 3 KILL
	stop 4 KILL
	sleep 1		# a block already prepared may still commit
	h=$(height 1)
	load 10
	sleep 10	# several capped round timers
	h2=$(( $(height 1) > $(height 2) ? $(height 1) : $(height 2) ))
	expect "2 of 4 killed: the chain halts at $h" "$h2" "$h"
	start 3 || { not_ok "2 of 4 down: restart"; return; }
	t0=$SECONDS
	if wait_height 1 $((h + 1)) "$RESUME_S"; then
		ok "2 of 4: one back, the chain resumes (after $((SECONDS - t0)) s, bound $RESUME_S s)"
	else
		not_ok "2 of 4: one back, no block within $RESUME_S s"
	fi
	verdict "2 of 4 down" "1 2 3 4"
}

scenario_partition() {
	local i h h2 t0
	setup 4 || { not_ok "partition: setup"; return; }
	for i in 1 2 3 4; do start "$i" || { not_ok "partition: start"; return; }; done
	load 10
	wait_height 1 2 "$FINAL_S"
	partition "1 2" "3 4"
	sleep 1
	h=$(height 1); h2=$(height 3)
	((h2 > h)) && h=$h2
	load 10
	sleep 10
	h2=0
	for i in 1 2 3 4; do (($(height "$i") > h2)) && h2=$(height "$i"); done
	expect "2|2 partition: no side commits (height $h)" "$h2" "$h"
	heal "1 2" "3 4"
	t0=$SECONDS
	if wait_height 3 $((h + 1)) "$RESUME_S" && wait_height 1 $((h + 1)) "$RESUME_S"; then
		ok "2|2 healed: the chain resumes (after $((SECONDS - t0)) s, bound $RESUME_S s)"
	else
		not_ok "2|2 healed: no block within $RESUME_S s"
	fi
	load 5
	verdict "partition 2|2" "1 2 3 4"
}

scenario_kill_loop() {
	local i k victim down=0 h
	setup 4 || { not_ok "kill loop: setup"; return; }
	for i in 1 2 3 4; do start "$i" || { not_ok "kill loop: start"; return; }; done
	load 5
	wait_height 1 2 "$FINAL_S"
	for ((k = 1; k <= KILLS; k++)); do
		victim=$((RANDOM % 4 + 1))
		stop "$victim" KILL
		load 2
		sleep "0.$((RANDOM % 10))"
		if ! start "$victim"; then down=$((down + 1)); break; fi
	done
	expect "kill loop: $KILLS kill -9, every node came back" "$down" 0
	h=$(height 1)
	check "kill loop: the chain goes on past $h" wait_height 1 $((h + 2)) "$RESUME_S"
	verdict "kill -9 loop ($KILLS)" "1 2 3 4"
}

# Byzantine validator: key 4 is held by mlbyz (tests/ledger/cluster/
# mlbyz.c), the real engine and transport signing two of everything: two
# valid proposals for one (height, round) when it proposes (the honest
# nodes split between them), and after each real PREPARE and COMMIT a
# second one naming another block. Nodes 1-3 are honest and a quorum on
# their own: every run sees each kind of double signing recorded as
# evidence on all three chains, one chain, and the chain going on.
# byz_refuses WHY OPTION [VALUE]: mlbyz with one bad or missing argument
# (no VALUE: the option left out) exits 2 and says why
byz_refuses() {
	local why=$1 opt=$2 args rc
	args=(--key "$R/k4" --genesis "$R/genesis" --db "$R/dbx"
		--signstate "$R/ssx" --listen tcp://127.0.0.1:0
		--peers "$R/peers4" --block-ms "$BLOCK_MS")
	for ((rc = 0; rc < ${#args[@]}; rc += 2)); do
		[[ ${args[rc]} == "$opt" ]] && args=("${args[@]:0:rc}" "${args[@]:rc+2}")
	done
	(($# > 2)) && args+=("$opt" "$3")
	"$MLBYZ" "${args[@]}" 2> "$R/byz-refused.err"
	rc=$?
	if ((rc == 2)) && [[ -s $R/byz-refused.err ]]; then
		ok "byzantine: mlbyz refuses $why (exit 2: $(head -n 1 "$R/byz-refused.err"))"
	else
		not_ok "byzantine: mlbyz with $why exited $rc"
	fi
}

scenario_byzantine() {
	local i h rc pk4 end ev=0 types=proposal,prepare,commit
	setup 4 || { not_ok "byzantine: setup"; return; }
	pk4=$(cat "$R/pk4")
	# bad arguments are refused (exit 2, a message) before anything starts
	echo "not-a-key tcp://10.77.0.1:7700" > "$R/peers-bad"
	byz_refuses "a file that is not a key" --key "$R/genesis"
	byz_refuses "a bad peers line" --peers "$R/peers-bad"
	byz_refuses "a bad --block-ms" --block-ms 0
	byz_refuses "a missing --db" --db
	check "byzantine: a refused mlbyz leaves no database" test ! -e "$R/dbx"
	for i in 1 2 3; do start "$i" || { not_ok "byzantine: start"; return; }; done
	ip netns exec "${P}n4" "$MLBYZ" --key "$R/k4" --genesis "$R/genesis" \
		--db "$R/db4" --signstate "$R/ss4" \
		--listen "tcp://10.77.0.4:7700" --peers "$R/peers4" \
		--block-ms "$BLOCK_MS" > "$R/byz.out" 2> "$R/log4" &
	BYZ=$!
	load 10
	end=$((SECONDS + FINAL_S))
	while ((SECONDS < end)); do
		"$MLCLUSTER" check --evidence-types $types --offender "$pk4" \
			$(dbs 1 2 3) > "$R/ev.out" 2>&1 && { ev=1; break; }
		kill -0 "$BYZ" 2> /dev/null || break
		load 2
		sleep 1
	done
	check "byzantine: evidence of two proposals, prepares and commits by key 4 on every honest chain" test $ev = 1
	((ev)) || grep FAIL "$R/ev.out" | diag
	h=$(height 1)
	load 10
	check "byzantine: the chain goes on past $h" wait_height 1 $((h + 3)) "$RESUME_S"
	kill -TERM "$BYZ"
	wait "$BYZ"
	rc=$?
	expect "byzantine: mlbyz ran to the end (exit 0 on SIGTERM)" "$rc" 0
	log "$(cat "$R/byz.out")"
	verdict "byzantine" "1 2 3" --evidence 3 --evidence-types $types \
		--offender "$pk4"
}

# One validator's clock 30 s ahead (libfaketime in the node's process).
scenario_clock_skew() {
	local i h
	setup 4 || { not_ok "clock skew: setup"; return; }
	if [[ ! -r $FAKETIME_LIB ]]; then
		not_ok "clock skew: $FAKETIME_LIB missing (package faketime)"
		return
	fi
	for i in 1 2 3; do start "$i" || { not_ok "clock skew: start"; return; }; done
	start 4 4 env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="+30s" \
		|| { not_ok "clock skew: start the skewed node"; return; }
	load 10
	wait_height 1 2 "$FINAL_S"
	h=$(height 1)
	load 10
	check "clock +30 s on one of 4: the chain goes on past $h" \
		wait_height 1 $((h + 4)) "$RESUME_S"
	verdict "clock skew +30 s" "1 2 3 4"
}

kept_aside() { compgen -G "$R/db4.damaged.*" > /dev/null; }

# damaged KIND: node 4 stopped, its database truncated to half or its
# middle half overwritten with random bytes; it must refuse (exit 3,
# naming the file), and with --repair sync back to the others' chain.
damaged() {
	local kind=$1 i rc size h
	setup 4 || { not_ok "damaged db ($kind): setup"; return; }
	for i in 1 2 3 4; do start "$i" || { not_ok "damaged db ($kind): start"; return; }; done
	load 10
	wait_height 4 3 "$FINAL_S"
	stop 4 || { not_ok "damaged db ($kind): SIGTERM exit $?"; return; }
	size=$(stat -c %s "$R/db4")
	rm -f "$R/db4-wal" "$R/db4-shm"
	if [[ $kind == truncated ]]; then
		truncate -s $((size / 2)) "$R/db4"
	else
		# the middle half: a few bytes could land in free space
		dd if=/dev/urandom of="$R/db4" bs=1 seek=$((size / 4)) \
			count=$((size / 2)) conv=notrunc status=none
	fi
	cp "$R/db4" "$R/db4.before"
	mv "$R/log4" "$R/log4.before"
	if start 4; then	# it serves the damaged file
		stop 4 KILL
		rc=running
	else
		wait "${PID[4]}" 2> /dev/null
		rc=$?
		unset "PID[4]"
	fi
	expect "damaged db ($kind): the node refuses to run (exit 3)" "$rc" 3
	check "damaged db ($kind): the log names the file" grep -q "db4" "$R/log4"
	check "damaged db ($kind): the file is left as it was" cmp -s "$R/db4" "$R/db4.before"
	load 5
	REPAIR=1 start 4 || { not_ok "damaged db ($kind): --repair does not start"; return; }
	h=$(height 1)
	check "damaged db ($kind): --repair syncs to height $h" wait_height 4 "$h" "$RESUME_S"
	check "damaged db ($kind): the damaged file is kept aside" kept_aside
	verdict "damaged db ($kind), repaired" "1 2 3 4"
}
scenario_db_truncated() { damaged truncated; }
scenario_db_corrupted() { damaged corrupted; }

# --- bench -------------------------------------------------------------
# Two runs on 4 nodes: throughput (61440 transfers from 1024 senders, as
# fast as the nodes finalize them: at most BENCH_WINDOW submitted and not
# final, so the load is steady and no mempool overflows) and finality
# latency at a light load (10 % of the throughput just measured), like
# bench-consensus.
bench_txs() {	# bench_txs FIRST-NONCE COUNT: interleaved by sender
	local i
	for ((i = 0; i < USERS; i++)); do
		"$MLCLUSTER" txs --key "$R/u$i" --to "$(cat "$R/upk$(((i + 1) % USERS))")" \
			--chain-id $CHAIN_ID --nonce "$1" --count "$2" --amount 1
	done | awk -v u=$USERS -v p="$2" '{ l[NR] = $0 } END {
		for (k = 0; k < p; k++) for (j = 0; j < u; j++) print l[j * p + k + 1] }'
}

bench() {
	local i vps cores total tps ceiling out final secs p50 p99 sub rate load
	local steady
	local ctls=()
	SCEN=bench
	USERS=${BENCH_USERS:-1024}
	setup 4 || { echo "bench: setup failed"; return 1; }
	for i in 1 2 3 4; do start "$i" || { echo "bench: start failed"; return 1; }; done
	for i in 1 2 3 4; do ctls+=(--ctl "$R/ctl$i"); done
	wait_height 1 1 "$FINAL_S"
	bench_txs 0 "${BENCH_NONCES:-60}" > "$R/bench.txs"
	total=$(wc -l < "$R/bench.txs")
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	vps=$("$MLCLUSTER" verify-rate)
	cores=$(nproc)
	out=$("$MLCLUSTER" bench --db "$R/db1" "${ctls[@]}" --timeout-s 300 \
		--window "${BENCH_WINDOW:-16384}" \
		< "$R/bench.txs" 2> "$R/bench.timeline")
	read -r _ final _ _ _ secs _ p50 _ p99 _ sub _ steady <<< "$out"
	tps=$(awk -v f="$final" -v s="$secs" 'BEGIN { printf "%.0f", f / s }')
	ceiling=$(awk -v v="$vps" -v c="$cores" 'BEGIN { printf "%.0f", v * c / 4 }')
	echo "bench-ledger-cluster: 4 mlnode processes in network namespaces, block period $BLOCK_MS ms"
	echo "  ed25519 verify: $vps/s on one core, $cores cores; ceiling (verifies/s x cores / validators): $ceiling tx/s"
	echo "  load average before the run: $load (a shared machine lowers the ratio)"
	echo "  throughput: $final of $total transfers final in $secs s (admitted in $sub s)"
	awk -v t="$tps" -v c="$ceiling" -v s="$steady" 'BEGIN {
		printf "  throughput: %d tx/s over the run (%d tx/s once the pipeline is full); ratio %.2f (goal >= 0.5)\n", t, s, t / c }'
	# item 3: each node verifies each transaction's signature once; and
	# each block is executed once per node
	for i in 1 2 3 4; do
		timeout 5 "$MLNODE" status --ctl "$R/ctl$i" -j
	done | awk -v n="$total" -v h="$(height 1)" 'function num(k,  a) {
			split($0, a, "\"" k "\":"); return a[2] + 0 }
		{ v += num("sig_verifies"); x += num("executions"); u += num("exec_reused") }
		END { printf "  signature verifies per transaction and node: %.3f (%d verifies, %d transactions, 4 nodes)\n", v / n / 4, v, n
		      printf "  block executions per block and node: %.2f (%d executions, %d reused, height %d, 4 nodes)\n", x / h / 4, x, u, h }'
	rate=$((tps / 10 > 5 ? tps / 10 : 5))
	bench_txs "${BENCH_NONCES:-60}" 3 > "$R/bench2.txs"
	out=$("$MLCLUSTER" bench --db "$R/db1" "${ctls[@]}" --timeout-s 300 \
		--rate "$rate" < "$R/bench2.txs" 2> "$R/bench2.timeline")
	read -r _ final _ total _ secs _ p50 _ p99 _ sub <<< "$out"
	stop_all
	awk -v a="$p50" -v b="$p99" -v p="$BLOCK_MS" -v r="$rate" -v f="$final" -v n="$total" 'BEGIN {
		printf "  finality at %d tx/s (%d of %d final): p50 %d ms, p99 %d ms = %.2f / %.2f block periods (goal p99 <= 2)\n", r, f, n, a, b, a / p, b / p }'
	finish
}

# --- main --------------------------------------------------------------
cleanup() { finish; }
trap cleanup EXIT
trap 'exit 130' INT TERM

((EUID == 0)) || { echo "cluster.sh: needs root (ip netns)" >&2; exit 2; }
[[ -x $MLNODE ]] || { echo "cluster.sh: $MLNODE: no such program" >&2; exit 2; }
mkdir -p "$OUT"

case ${1:-check} in
check|long)
	for s in happy1 happy4 happy7 one_of_four_down two_of_four_down \
		partition kill_loop byzantine clock_skew db_truncated \
		db_corrupted; do
		run "$s"
	done
	tap_end
	;;
bench)
	bench
	;;
*)
	echo "usage: cluster.sh check|long|bench" >&2
	exit 2
	;;
esac
