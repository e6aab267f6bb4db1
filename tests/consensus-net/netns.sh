#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Three mlnet nodes, each in its own network namespace made here, joined by
# veth pairs to a bridge in a fourth ("hub") namespace; nothing touches the
# host's own network namespace. Checks the CURVE exchange between them,
# then a partition (node 2's veth link down) and its healing (link up).
# Output is TAP. Nothing is skipped: without root or network namespaces
# the test fails and says why.
#
#   tests/consensus-net/netns.sh build/consensus-net/cn_node
#
# Waits are bounded (CN_NETNS_WAIT seconds each, default 60) and fail the
# test when they run out; no timing is asserted.
set -euo pipefail

node=${1:?usage: netns.sh PATH/TO/cn_node}
wait_s=${CN_NETNS_WAIT:-60}
pfx=mlcn$$
hub=$pfx-hub
dir=$(mktemp -d "${TMPDIR:-/tmp}/cn-netns.XXXXXX")
pids=()
n=0
failed=0

bail() {
	echo "Bail out! netns: $*"
	exit 1
}

cleanup() {
	local p i
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for i in 0 1 2; do ip netns del "$pfx-$i" 2>/dev/null || true; done
	ip netns del "$hub" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

ok() {
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		failed=$((failed + 1))
	fi
}

# count LOG FROM PHASE: messages node LOG got from node FROM in PHASE whose
# authenticated sender matches the index the payload claims
count() {
	awk -v f="$2" -v p="$3" '$1 == "recv" && $2 == f && $4 == f && $6 == p' \
		"$dir/node$1.log" | wc -l
}

# until_count LOG FROM PHASE MIN: waits until count() >= MIN
until_count() {
	local end=$((SECONDS + wait_s))
	while (($(count "$1" "$2" "$3") < $4)); do
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}

[[ -x $node ]] || bail "$node is not built (make check-consensus-net builds it)"
((EUID == 0)) || bail "must run as root: it creates network namespaces (ip netns add)"
command -v ip >/dev/null || bail "ip (iproute2) is missing: run scripts/install-deps.sh"
ip netns add "$hub" 2>"$dir/err" ||
	bail "network namespaces are unavailable here: ip netns add: $(cat "$dir/err")"

echo "1..6"
ip -n "$hub" link add br0 type bridge
ip -n "$hub" link set br0 up
eps=()
for i in 0 1 2; do
	ns=$pfx-$i
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link add eth0 type veth peer name h$i netns "$hub"
	ip -n "$ns" addr add 10.77.0.$((i + 1))/24 dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$hub" link set h$i master br0 up
	eps+=("tcp://10.77.0.$((i + 1)):7700")
done
for i in 0 1 2; do
	ip netns exec "$pfx-$i" "$node" "$i" "${eps[$i]}" 3 "${eps[@]}" \
		>"$dir/node$i.log" 2>&1 &
	pids+=($!)
done

exchange() {
	local i j
	for i in 0 1 2; do
		for j in 0 1 2; do
			((i == j)) || until_count "$i" "$j" 0 5 || return 1
		done
	done
}
desc="three nodes in three namespaces exchange over CURVE"
ok exchange

# partition: node 2's link to the bridge goes down
ip -n "$hub" link set h2 down
kill -USR1 "${pids[0]}" "${pids[2]}"
desc="during the partition nodes 0 and 1 still talk"
ok until_count 1 0 1 40
sleep 4	# long enough for the ZMTP heartbeats to time out
desc="during the partition node 2 hears nothing new from node 0 and node 0 nothing new from node 2"
ok test "$(count 2 0 1)" -eq 0 -a "$(count 0 2 1)" -eq 0

# heal
ip -n "$hub" link set h2 up
kill -USR1 "${pids[0]}" "${pids[2]}"
desc="after healing node 2 hears node 0 again"
ok until_count 2 0 2 5
desc="after healing node 0 hears node 2 again"
ok until_count 0 2 2 5

for p in "${pids[@]}"; do kill -TERM "$p"; done
st=0
for p in "${pids[@]}"; do wait "$p" || st=1; done
pids=()
desc="every node exits cleanly (ASan, UBSan) and counted no bad frames"
ok test "$st" -eq 0 -a "$(cat "$dir"/node*.log | grep -c 'bad_frame=0 not_allowed=0')" -eq 3
if ((failed)); then
	for i in 0 1 2; do
		echo "# node $i:"; grep -v '^recv' "$dir/node$i.log" | sed 's/^/#   /'
	done
	echo "# netns: $failed of $n failed"
	exit 1
fi
echo "netns: $n passed, 0 failed"
