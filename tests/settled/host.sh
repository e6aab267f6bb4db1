#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# settled on the host, without the kernel module: command line, config
# errors, key set-up with swtpm, unit file and man pages. Prints TAP.
# SETTLED=path to the binary (make check-settled-host sets it).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
S=$(realpath -e "${SETTLED:?set SETTLED to the settled binary}") || exit 1
LC=$(realpath -e "${LEDGERCTL:?set LEDGERCTL to the ledgerctl binary}") || exit 1
D=$root/tools/settled
tmp=$(mktemp -d)
tpid='' spid=''
cleanup() {
	[[ -n $tpid ]] && kill "$tpid" 2>/dev/null
	[[ -n $spid ]] && kill "$spid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	for f in "$tmp/out" "$tmp/err"; do
		[[ -s $f ]] && head -n 10 "$f" | sed "s/^/# ${f##*/}: /"
	done
	return 0
}
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
run() { "$S" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

run --version
check "--version prints the version" "((rc == 0)) && grep -q '^settled [0-9]' $tmp/out"
run --help
check "--help prints usage on stdout" "((rc == 0)) && grep -q '^usage: settled' $tmp/out"
run --bogus
check "an unknown option exits 2 with usage" "((rc == 2)) && grep -q usage $tmp/err"
run -c "$D/settled.conf" --check-config
check "the example settled.conf is valid" "((rc == 0)) && grep -q ': OK' $tmp/out"
run -c "$tmp/none.conf" --check-config
check "a missing config file exits 6 naming it" "((rc == 6)) && grep -q 'none.conf: No such file' $tmp/err"

bad() {	# bad TEXT EXPECTED-MESSAGE
	printf "$1" >"$tmp/bad.conf"
	run -c "$tmp/bad.conf" --check-config
	check "config '${1//$'\n'/ }' refused: $2" \
		"((rc == 1)) && grep -qF -- \"bad.conf:$2\" $tmp/err"
}
bad '[settled]\ninterval = 5x\n' "2: key 'interval': expects an integer in 1..3600"
bad '[settled]\n# c\ninterval = 5\ninterval = 6\n' "4: key 'interval': is set twice"
bad '[key]\nbackend = software\n' "2: key 'backend': has no value 'software'"
bad '[ledger]\nchainid = 1\n' "2: key 'chainid': is not a key of this section [ledger]"
bad '[settled]\ngarbage\n' "2: syntax error"
printf '[settled]\ninterval = 5\n[settled]\nstate_dir = /x\n[key]\n' >"$tmp/ok.conf"
run -c "$tmp/ok.conf" --check-config
check "sections may repeat; a key may not" "((rc == 0))"

# every key of the table is documented with its default and in the example
keys=$(sed -n 's/^\t{ "\([a-z]*\)", "\([a-z_]*\)",.*/\2/p' "$D/config.c")
undoc=''
for k in $keys; do
	grep -q "^\.BR $k \" (default" "$D/settled.conf.5" || undoc+=" $k(man)"
	grep -q "^#$k =" "$D/settled.conf" || undoc+=" $k(example)"
done
check "all $(wc -w <<<"$keys") keys are in settled.conf(5) with a default and in the example" \
	"[[ -n \$keys && -z \$undoc ]] || { echo \"# undocumented:\$undoc\"; false; }"
man --warnings -l "$D/settled.8" >/dev/null 2>"$tmp/err" &&
	man --warnings -l "$D/settled.conf.5" >/dev/null 2>>"$tmp/err"
check "the man pages render without warnings" "[[ ! -s $tmp/err ]]"

# ---- keys: the software key only by name, the TPM key through swtpm ----
st=$tmp/state
printf '[settled]\nstate_dir = %s\n[key]\nbackend = insecure-software\n' "$st" >"$tmp/soft.conf"
run -f -c "$tmp/soft.conf"
check "with the insecure software key settled warns, exports the key, and stops without the module" \
	"((rc == 1)) && grep -q 'INSECURE' $tmp/err && grep -q 'is meterlink.ko loaded' $tmp/err &&
	 openssl pkey -pubin -in $st/gateway.pem -noout -text 2>/dev/null | grep -q 'P-256'"
check "the state directory holds the spool and the local chain" \
	"[[ -s $st/spool.db && -s $st/chain.db && -s $st/vote.key ]]"
printf '[settled]\nstate_dir = %s/t\n[key]\ntcti = swtpm:host=127.0.0.1,port=1\n' "$tmp" >"$tmp/notpm.conf"
run -f -c "$tmp/notpm.conf"
check "an unreachable TPM is an error naming the TCTI" \
	"((rc == 1)) && grep -q 'swtpm:host=127.0.0.1,port=1' $tmp/err && [[ ! -e $tmp/t/gateway.pem ]]"

port=$((20000 + RANDOM % 20000))
mkdir -p "$tmp/tpm"
swtpm socket --tpm2 --server type=tcp,port=$port,bindaddr=127.0.0.1 \
	--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
	--flags not-need-init,startup-clear --tpmstate dir="$tmp/tpm" >"$tmp/swtpm.log" 2>&1 &
tpid=$!
sleep 0.5
printf '[settled]\nstate_dir = %s/tpmstate\n[key]\ntcti = swtpm:host=127.0.0.1,port=%d\n' \
	"$tmp" "$port" >"$tmp/tpm.conf"
run -f -c "$tmp/tpm.conf"
cp "$tmp/tpmstate/gateway.pem" "$tmp/first.pem" 2>/dev/null
check "with swtpm settled creates the TPM key and exports it" \
	"((rc == 1)) && ! grep -q INSECURE $tmp/err && grep -q 'BEGIN PUBLIC KEY' $tmp/first.pem"
rm -f "$tmp/tpmstate/gateway.pem"
run -f -c "$tmp/tpm.conf"
check "the next start loads the same persistent TPM key" \
	"cmp -s $tmp/first.pem $tmp/tpmstate/gateway.pem"

# ---- prove: argument errors ----
run -c "$tmp/soft.conf" prove spi0.0
check "prove without SEQ exits 2" "((rc == 2)) && grep -q 'usage: settled prove' $tmp/err"
run -c "$tmp/soft.conf" prove spi0.0 -3
check "prove with a bad SEQ exits 2 and says why" "((rc == 2)) && grep -q 'not .-3.' $tmp/err"
run -c "$tmp/soft.conf" prove spi0.0 12
check "prove of a reading not in the spool exits 3" "((rc == 3)) && grep -q 'no such reading' $tmp/err"
printf '[settled]\nstate_dir = %s/nothing\n' "$tmp" >"$tmp/nothing.conf"
run -c "$tmp/nothing.conf" prove spi0.0 1
check "prove without a spool says where it looked and creates nothing" \
	"((rc == 1)) && grep -q 'no spool at $tmp/nothing/spool.db' $tmp/err && [[ ! -e $tmp/nothing ]]"
run -c "$tmp/soft.conf" frobnicate
check "an unknown command exits 2" "((rc == 2)) && grep -q \"unknown command 'frobnicate'\" $tmp/err"

# ---- the systemd unit and the sysusers snippet ----
sed "s|@SBINDIR@|$(dirname "$S")|" "$D/settled.service.in" >"$tmp/settled.service"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$tmp/settled.service" >"$tmp/out" 2>"$tmp/err"
	grep -v -e 'Command .* is not executable' -e 'systemd-udev-settle' \
		-e 'usr/sbin/' -e "Command 'man " "$tmp/err" >"$tmp/err2"
	mv "$tmp/err2" "$tmp/err"
	check "systemd-analyze verify accepts settled.service" "[[ ! -s $tmp/err ]]"
fi
check "the unit is Type=notify, hardened, with the meter group and the TPM device" \
	"grep -q '^Type=notify' $D/settled.service.in && grep -q '^ProtectSystem=strict' $D/settled.service.in &&
	 grep -q '^NoNewPrivileges=yes' $D/settled.service.in &&
	 grep -q '^SupplementaryGroups=meter tss' $D/settled.service.in &&
	 grep -q '^DeviceAllow=/dev/tpmrm0 rw' $D/settled.service.in &&
	 grep -q '^StateDirectory=settled' $D/settled.service.in"
mkdir -p "$tmp/root/etc"
systemd-sysusers --root="$tmp/root" "$D/settled.sysusers" >"$tmp/out" 2>"$tmp/err"
check "systemd-sysusers creates the settled user in groups meter and tss" \
	"grep -q '^settled:' $tmp/root/etc/passwd && grep -q '^meter:.*settled' $tmp/root/etc/group &&
	 grep -q '^tss:.*settled' $tmp/root/etc/group"

# ---- ledgerctl against a running settled (no module here: meters = optional) ----
chmod 0711 "$tmp"	# the group check, not the directory, decides who connects
printf 'test passphrase\n' >"$tmp/pass"
L() { "$LC" -s "$tmp/ctl.sock" -p "$tmp/pass" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
"$LC" -p "$tmp/pass" key create --kdf interactive "$tmp/op.key" >/dev/null 2>&1 &&
	"$LC" -p "$tmp/pass" key create --kdf interactive "$tmp/alice.key" >/dev/null 2>&1 ||
	{ echo "Bail out! ledgerctl key create failed"; exit 1; }
op=$("$LC" -p "$tmp/pass" key export "$tmp/op.key") alice=$("$LC" -p "$tmp/pass" key export "$tmp/alice.key")
cat >"$tmp/run.conf" <<EOC
[settled]
state_dir = $tmp/run
interval = 1
control_socket = $tmp/ctl.sock
control_group = nogroup
meters = optional
[key]
backend = insecure-software
[ledger]
block_interval_ms = 200
settle_delay = 1
operator = $op
operator_balance = 1000000000
EOC
"$S" -f -c "$tmp/run.conf" >"$tmp/settled.log" 2>&1 &
spid=$!
for ((i = 0; i < 100; i++)); do
	grep -qs 'info: started' "$tmp/settled.log" && break
	kill -0 $spid 2>/dev/null || break
	sleep 0.1
done
cp "$tmp/settled.log" "$tmp/err"
check "settled runs without the module with meters = optional, and says so" \
	"grep -q 'info: started' $tmp/settled.log && grep -q 'running without meters' $tmp/settled.log"
chain=$tmp/run/chain.db
Q() { python3 - "$chain" "$1" <<'PYEOF'
import sqlite3, sys
print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10).execute(sys.argv[2]).fetchone()[0])
PYEOF
}
L status
check "ledgerctl status through the control socket" "((rc == 0)) && grep -q '^version' $tmp/out"
L -k "$tmp/op.key" transfer "$alice" 100
check "ledgerctl transfer: signed with the operator's key, answered with its block" \
	"((rc == 0)) && grep -Eq '^transfer [0-9a-f]{64}: in block [0-9]+' $tmp/out"
check "the transfer is on the chain: alice has 100 credits, the operator's nonce is 1" \
	"[[ \$(Q \"SELECT balance FROM accounts WHERE key = x'$alice'\") == 100000000 &&
	   \$(Q \"SELECT nonce FROM accounts WHERE key = x'$op'\") == 1 ]]"
L -k "$tmp/alice.key" transfer "$op" 5000
check "a transfer over the balance is refused (exit 8) with the chain's reason" \
	"((rc == 8)) && grep -q 'settled refused: not enough credits' $tmp/err"
gw=$(openssl pkey -pubin -in "$tmp/run/gateway.pem" -outform DER | tail -c 64 | od -An -tx1 -v | tr -d ' \n')
L -k "$tmp/op.key" meters register house1 "$alice" 1 "$gw"
check "ledgerctl meters register (an operator command, from root)" \
	"((rc == 0)) && grep -q '^register-meter .*in block' $tmp/out"
L -k "$tmp/op.key" meters register house1 "$alice" 1 "$gw"
check "registering it again is refused: the meter is registered already" \
	"((rc == 8)) && grep -q 'registered already' $tmp/err"
start=$(( $(date +%s) + 600 ))
L -k "$tmp/alice.key" order bid house1 1000 0.25 "$start"
check "ledgerctl order bid by the meter's owner" "((rc == 0)) && grep -q '^order .*in block' $tmp/out"
L -k "$tmp/op.key" order ask house1 1000 0.25 "$start"
check "an order for someone else's meter is refused, saying whose it is" \
	"((rc == 8)) && grep -q 'meter belongs to another account' $tmp/err"
oid=$(Q "SELECT hex(id) FROM orders WHERE account = x'$alice'" | tr A-F a-f)
L -k "$tmp/alice.key" cancel "$oid"
check "ledgerctl cancel: the order is cancelled on the chain, its credits unlocked" \
	"((rc == 0)) && [[ \$(Q \"SELECT status FROM orders WHERE id = x'$oid'\") == 2 &&
	   \$(Q \"SELECT locked FROM accounts WHERE key = x'$alice'\") == 0 ]]"
L -k "$tmp/op.key" dispatch send house1 battery -1500 "$start" $((start + 60))
check "ledgerctl dispatch send by the operator" "((rc == 0)) && grep -q '^dispatch .*in block' $tmp/out"
did=$(Q "SELECT hex(id) FROM dispatches" | tr A-F a-f)
L -k "$tmp/op.key" dispatch ack "$did" accept
check "an acknowledgement by someone other than the meter's owner is refused" \
	"((rc == 8)) && grep -q \"only the meter's owner\" $tmp/err"
L -k "$tmp/alice.key" dispatch ack "$did" accept
check "ledgerctl dispatch ack by the owner: accepted on the chain" \
	"((rc == 0)) && [[ \$(Q \"SELECT status FROM dispatches WHERE id = x'$did'\") == 1 ]]"
L -k "$tmp/op.key" validators propose add "$alice"
check "ledgerctl validators propose from a non-validator is refused with the reason" \
	"((rc == 8)) && grep -q 'only a validator may vote' $tmp/err"
L -k "$tmp/alice.key" --sign-only --chain-id 0000000000000001 --nonce 7 transfer "$op" 1
tx=$(cat "$tmp/out")
python3 "$here/ctl_client.py" "$tmp/ctl.sock" "{\"cmd\":\"submit\",\"tx\":\"$tx\"}" >"$tmp/out" 2>"$tmp/err"
check "a transaction with a nonce out of sequence is refused saying so" \
	"grep -q 'out of sequence' $tmp/out"
L -k "$tmp/op.key" --sign-only --chain-id 0000000000000001 --nonce 3 meters register house2 "$alice" 1 "$gw"
tx=$(cat "$tmp/out")
setpriv --reuid=65534 --regid=65534 --groups=65534 /usr/bin/python3 "$here/ctl_client.py" "$tmp/ctl.sock" \
	"{\"cmd\":\"submit\",\"tx\":\"$tx\"}" "{\"cmd\":\"account\",\"account\":\"$alice\"}" >"$tmp/out" 2>"$tmp/err"
check "a group member may ask for an account but not register a meter (SO_PEERCRED)" \
	"grep -q 'registering a meter is an operator command' $tmp/out && grep -q '\"nonce\": *3' $tmp/out"
python3 "$here/ctl_client.py" "$tmp/ctl.sock" '{"cmd":"account","account":"00"}' \
	'{"cmd":"submit","tx":"00","wait":1}' >"$tmp/out" 2>"$tmp/err"
check "account and submit refuse bad arguments" \
	"grep -q '32-byte key' $tmp/out && grep -q \"'wait' must be true or false\" $tmp/out"
"$LC" -s "$tmp/none.sock" -p "$tmp/pass" -k "$tmp/alice.key" transfer "$op" 1 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "ledgerctl against no settled exits 7 and says what to check" \
	"((rc == 7)) && grep -q 'is settled running' $tmp/err"
# ---- queries on the control socket ----
CQ() { python3 "$here/ctl_client.py" "$tmp/ctl.sock" "$@" >"$tmp/out" 2>"$tmp/err"; }
J() { python3 -c "import json,sys; r=[json.loads(l) for l in open('$tmp/out')]; sys.exit(0 if ($1) else 1)"; }
CQ "{\"cmd\":\"orders\",\"account\":\"$alice\"}" "{\"cmd\":\"orders\",\"interval\":$start}" \
	"{\"cmd\":\"orders\",\"interval\":$((start + 1))}" '{"cmd":"trades"}' '{"cmd":"settlements"}' \
	"{\"cmd\":\"dispatch\",\"meter\":\"$(printf house1 | od -An -tx1 | tr -d ' \n')$(printf '%052d' 0)\"}"
check "control: orders (by account, by interval), trades, settlements and dispatch from the chain" \
	"J 'r[0][\"orders\"][0][\"id\"] == \"$oid\" and r[0][\"orders\"][0][\"status\"] == \"cancelled\" and len(r[1][\"orders\"]) == 1 and r[2][\"orders\"] == [] and r[3][\"trades\"] == [] and r[4][\"settlements\"] == [] and r[5][\"dispatch\"][0][\"id\"] == \"$did\" and r[5][\"dispatch\"][0][\"status\"] == \"accepted\" and r[5][\"dispatch\"][0][\"value_w\"] == -1500'"
CQ '{"cmd":"orders","account":"zz"}' '{"cmd":"trades","interval":-5}' '{"cmd":"dispatch","meter":7}' \
	'{"cmd":"compliance","dispatch":"00"}'
check "control: queries refuse bad filters, naming them" \
	"J '\"account\" in r[0][\"error\"] and \"interval\" in r[1][\"error\"] and \"meter\" in r[2][\"error\"] and \"dispatch\" in r[3][\"error\"]'"
# compliance: a 2 s window on house1 (which sends no reports) settles
t=$(( $(date +%s) + 3 ))
L -k "$tmp/op.key" dispatch send house1 import-limit 7200 "$t" $((t + 2))
cid=$(Q "SELECT hex(id) FROM dispatches WHERE kind = 1" | tr A-F a-f)
while (( $(date +%s) < t + 5 )); do sleep 0.5; done
L -k "$tmp/op.key" transfer "$alice" 1	# a block after the window settled
CQ "{\"cmd\":\"compliance\",\"dispatch\":\"$cid\"}" '{"cmd":"compliance"}'
check "control: compliance of each interval of the window, measured as it settled (no report: not met)" \
	"J 'len(r[0][\"compliance\"]) == 2 and all(x[\"status\"] == \"no report\" and x[\"target_wh\"] == 2 and x[\"measured_wh\"] is None and x[\"dispatch\"] == \"$cid\" for x in r[0][\"compliance\"]) and len(r[1][\"compliance\"]) == 2'"
"$LC" -d "$chain" verify >"$tmp/out" 2>"$tmp/err"; rc=$?
check "ledgerctl verify replays the chain settled built from these transactions" "((rc == 0))"
kill -TERM $spid; wait $spid; rc=$?; spid=''
check "settled without meters stops cleanly on SIGTERM" "((rc == 0))"

echo "1..$n"
((failed == 0))
