#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ledgerctl against real ledgers (SQLite, libmlledger) made by mkledger:
# golden table and JSON outputs, key files, verify on good and damaged
# ledgers, and every error path with its exit status. TAP on stdout.
#
# Environment (set by make check-ledgerctl): LEDGERCTL, MKLEDGER,
# LC_GOLDEN, LC_DESTDIR, TMPDIR. LC_UPDATE_GOLDEN=1 rewrites the goldens
# (then review the diff before committing).
set -u

: "${LEDGERCTL:?}" "${MKLEDGER:?}" "${LC_GOLDEN:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/ledgerctl-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export TMPDIR="$T"
unset LEDGERCTL_DB LEDGERCTL_SOCKET LEDGERCTL_KEY LEDGERCTL_PASSPHRASE_FILE
n=0
failed=0

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -s "$T/err" ] && sed 's/^/#   stderr: /' "$T/err" | head -n 5
	return 0
}

# run NAME STATUS CMD...: CMD's exit status must be STATUS; stdout in
# $T/out, stderr in $T/err; a sanitizer report always fails.
run() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$T/out" 2>"$T/err" </dev/null
	got=$?
	if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$T/err" "$T/out"; then
		fail "$name: sanitizer report"
	elif [ "$got" != "$want" ]; then
		fail "$name: exit $got, expected $want"
	else
		pass "$name"
	fi
}

# golden FILE: the last stdout equals $LC_GOLDEN/FILE
golden() {
	if [ "${LC_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$T/out" "$LC_GOLDEN/$1"
	fi
	if cmp -s "$T/out" "$LC_GOLDEN/$1"; then
		pass "output matches golden/$1"
	else
		fail "output differs from golden/$1"
		diff -u "$LC_GOLDEN/$1" "$T/out" | head -n 20 | sed 's/^/#   /'
	fi
}

# is_json: the last stdout parses as JSON
is_json() {
	if python3 -m json.tool "$T/out" >/dev/null 2>&1; then
		pass "$1: valid JSON"
	else
		fail "$1: not valid JSON"
	fi
}

# err_has NAME PATTERN: the last stderr says what went wrong
err_has() {
	if grep -qE -- "$2" "$T/err"; then
		pass "$1: message names the cause"
	else
		fail "$1: stderr lacks /$2/"
		sed 's/^/#   /' "$T/err" | head -n 5
	fi
}

LC="$LEDGERCTL"
DB="$T/ledger.db"
"$MKLEDGER" "$DB" || { echo "Bail out! mkledger failed"; exit 1; }

# ---- reads: golden table and JSON ----
for c in "balance" "orders" "trades" "settlements" "meters list" \
	 "dispatch list" "validators list" "report" "verify"; do
	f=$(echo "$c" | tr ' ' '-')
	# shellcheck disable=SC2086
	run "$c" 0 "$LC" --db "$DB" $c
	golden "$f.txt"
	# shellcheck disable=SC2086
	run "$c -j" 0 "$LC" -j --db "$DB" $c
	is_json "$c -j"
	golden "$f.json"
done
run "blocks show 4" 0 "$LC" --db "$DB" blocks show 4
golden blocks-show-4.txt
run "blocks show 1..7 -j" 0 "$LC" -j --db "$DB" blocks show 1..7
is_json "blocks show 1..7 -j"
golden blocks-show-all.json
run "filters: orders --account --interval" 0 "$LC" --db "$DB" orders \
	--account 8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394 \
	--interval 2023-11-14T23:00
golden orders-filtered.txt
run "filters: settlements of one account" 0 "$LC" -j -d "$DB" settlements \
	--account ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1
golden settlements-filtered.json
run "balance of one account" 0 "$LC" -d "$DB" balance \
	8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c
golden balance-one.txt
run "LEDGERCTL_DB stands for --db" 0 env LEDGERCTL_DB="$DB" "$LC" trades
golden trades.txt
run "report --from --to" 0 "$LC" -d "$DB" report --from 2023-11-14T23:00 --to 1700002800
golden report-range.txt

# ---- blocks export: the stored canonical bytes, length-prefixed ----
run "blocks export bin" 0 "$LC" -d "$DB" blocks export 2..5 -o "$T/blocks.bin"
if python3 - "$DB" "$T/blocks.bin" <<'PY'
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
want = [r[0] for r in db.execute("SELECT data FROM blocks WHERE height BETWEEN 2 AND 5 ORDER BY height")]
got, buf = [], open(sys.argv[2], "rb").read()
while buf:
    (n,) = struct.unpack(">I", buf[:4]); got.append(buf[4:4 + n]); buf = buf[4 + n:]
sys.exit(0 if got == want and len(want) == 4 else 1)
PY
then pass "blocks export bin: the database's bytes for 2..5"; else fail "blocks export bin: bytes differ"; fi
run "blocks export json" 0 "$LC" -d "$DB" blocks export 7 --format json
is_json "blocks export json"
golden blocks-export-7.json
run "blocks export refuses to overwrite" 1 "$LC" -d "$DB" blocks export 1 -o "$T/blocks.bin"
err_has "blocks export refuses to overwrite" "exists"
run "blocks export: no binary on a pipe without -o is fine" 0 "$LC" -d "$DB" blocks export head
[ "$(stat -c %s "$T/out")" -gt 157 ] && pass "blocks export head: one block" || fail "blocks export head: empty"

# ---- report --html ----
run "report --html" 0 "$LC" -d "$DB" report --html "$T/day.html" --day 2023-11-14
cp "$T/day.html" "$T/out"
golden report-2023-11-14.html
if python3 - "$T/day.html" <<'PY'
import sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
src = open(sys.argv[1]).read()
class P(HTMLParser):
    tags = []
    def handle_starttag(self, t, a): self.tags.append(t)
p = P(); p.feed(src)
assert "script" not in p.tags and "http" not in src.replace("http://www.w3.org", "")
svgs = src.split("<svg")[1:]
assert len(svgs) == 2
for s in svgs:   # each chart is well-formed XML on its own
    ET.fromstring("<svg" + s.split("</svg>")[0] + "</svg>")
assert src.count('class="price"') == 2 and src.count('class="traded"') >= 2
PY
then pass "report --html: two well-formed SVG charts, no script, nothing external"
else fail "report --html: page structure"; fi
run "report --html into a missing directory" 3 "$LC" -d "$DB" report --html "$T/no/dir.html" --day 2023-11-14
err_has "report --html into a missing directory" "No such file"
run "report --html: a day without intervals" 0 "$LC" -d "$DB" report --html "$T/empty.html" --day 2024-01-01
grep -q "No delivery intervals" "$T/empty.html" && pass "empty day says so" || fail "empty day"

# ---- key files ----
printf 'correct horse\n' >"$T/pass"
printf 'wrong horse\n' >"$T/wrong"
: >"$T/empty"
run "key create" 0 "$LC" -j --passphrase-file "$T/pass" key create --kdf interactive "$T/alice.key"
is_json "key create"
acct=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["account"])' "$T/out")
[ "$(stat -c %a "$T/alice.key")" = 600 ] && pass "key file has mode 0600" || fail "key file mode $(stat -c %a "$T/alice.key")"
[ "$(stat -c %s "$T/alice.key")" = 144 ] && pass "key file is 144 bytes" || fail "key file size"
ls "$T"/alice.key.tmp-* >/dev/null 2>&1 && fail "temporary file left behind" || pass "no temporary file left behind"
run "key export" 0 env LEDGERCTL_PASSPHRASE_FILE="$T/pass" "$LC" key export "$T/alice.key"
[ "$(cat "$T/out")" = "$acct" ] && pass "key export prints the account of key create" || fail "key export: $(cat "$T/out") != $acct"
run "key show" 0 "$LC" -p "$T/pass" key show "$T/alice.key"
grep -q "account  $acct" "$T/out" && grep -q "argon2id13, 2 passes, 64 MiB" "$T/out" \
	&& pass "key show: account and KDF limits" || fail "key show output"
run "key show -j" 0 "$LC" -j -p "$T/pass" key show "$T/alice.key"
is_json "key show -j"
cp "$T/alice.key" "$T/alice.bak"
run "key create never replaces a key" 1 "$LC" -p "$T/pass" key create --kdf interactive "$T/alice.key"
err_has "key create never replaces a key" "exists"
cmp -s "$T/alice.key" "$T/alice.bak" && pass "existing key file unchanged" || fail "existing key file changed"
run "wrong passphrase" 4 "$LC" -p "$T/wrong" key show "$T/alice.key"
err_has "wrong passphrase" "wrong passphrase"
run "empty passphrase file" 2 "$LC" -p "$T/empty" key show "$T/alice.key"
err_has "empty passphrase file" "empty"
run "missing passphrase file" 3 "$LC" -p "$T/nope" key show "$T/alice.key"
run "no terminal and no passphrase file" 2 setsid -w "$LC" key show "$T/alice.key"
err_has "no terminal and no passphrase file" "passphrase-file"
run "missing key file" 3 "$LC" -p "$T/pass" key show "$T/nope.key"
err_has "missing key file" "No such file"
head -c 100 "$T/alice.key" >"$T/trunc.key"
run "truncated key file" 5 "$LC" -p "$T/pass" key show "$T/trunc.key"
err_has "truncated key file" "truncated"
cat "$T/alice.key" "$T/alice.key" >"$T/long.key"
run "key file too long" 5 "$LC" -p "$T/pass" key show "$T/long.key"
err_has "key file too long" "longer than 144 bytes"
# patch OFFSET BYTE: a copy of alice.key with one byte changed
patch() {
	cp "$T/alice.key" "$T/bad.key"
	printf "$2" | dd of="$T/bad.key" bs=1 seek="$1" conv=notrunc status=none
}
patch 120 '\x00'
run "tampered ciphertext" 4 "$LC" -p "$T/pass" key show "$T/bad.key"
err_has "tampered ciphertext" "file was changed"
patch 70 '\x01'
run "tampered public key" 5 "$LC" -p "$T/pass" key show "$T/bad.key"
err_has "tampered public key" "does not match"
patch 30 '\x01'
run "tampered salt" 4 "$LC" -p "$T/pass" key show "$T/bad.key"
patch 0 'X'
run "not a key file" 5 "$LC" -p "$T/pass" key show "$T/bad.key"
err_has "not a key file" "not a ledgerctl key file"
patch 8 '\x02'
run "unknown key file version" 5 "$LC" -p "$T/pass" key show "$T/bad.key"
err_has "unknown key file version" "version 2"
patch 23 '\x7f'
run "KDF limits out of range" 5 "$LC" -p "$T/pass" key show "$T/bad.key"
err_has "KDF limits out of range" "out of range"
run "key create into a missing directory" 3 "$LC" -p "$T/pass" key create --kdf interactive "$T/no/k.key"
err_has "key create into a missing directory" "no/k.key"
# the terminal: script(1) gives ledgerctl a pty; the passphrase is typed ahead
tty_run() { # NAME STATUS INPUT CMD
	local input=$3 name=$1 want=$2
	shift 3
	run "$name" "$want" bash -c 'printf "$1" | script -qe -c "$2" /dev/null' _ "$input" "$*"
}
tty_run "key create on a terminal" 0 'pw on a tty\npw on a tty\n' \
	"$LC" key create --kdf interactive "$T/tty.key"
grep -q "^Passphrase: Passphrase again: account  [0-9a-f]\{64\}" "$T/out" \
	&& pass "asks twice, then prints the account" || fail "terminal prompts"
tty_acct=$(grep -o "account  [0-9a-f]*" "$T/out" | cut -c10-)
tty_run "key export on a terminal" 0 'pw on a tty\n' "$LC" key export "$T/tty.key"
grep -q "$tty_acct" "$T/out" && pass "the terminal passphrase opens the key" || fail "terminal export"
tty_run "passphrases that differ" 2 'one\ntwo\n' "$LC" key create --kdf interactive "$T/tty2.key"
grep -q "the passphrases differ" "$T/out" && pass "says the passphrases differ" || fail "differ message"
[ -e "$T/tty2.key" ] && fail "a file was written anyway" || pass "nothing written"
tty_run "empty passphrase on a terminal" 2 '\n' "$LC" key export "$T/tty.key"
grep -q "empty passphrase" "$T/out" && pass "refuses an empty passphrase" || fail "empty tty passphrase"
run "key create: unknown --kdf" 2 "$LC" -p "$T/pass" key create --kdf fast "$T/x.key"
[ -e "$T/x.key" ] && fail "bad --kdf wrote a file" || pass "bad --kdf wrote nothing"

# ---- damaged and missing databases ----
run "missing db" 3 "$LC" --db "$T/none.db" balance
err_has "missing db" "no such ledger database"
head -c 5000 /dev/urandom >"$T/garbage.db"
run "not a database" 5 "$LC" --db "$T/garbage.db" verify
err_has "not a database" "not a ledger database"
python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("create table t(x)")' "$T/other.db"
run "a SQLite file that is not a ledger" 5 "$LC" --db "$T/other.db" orders
err_has "a SQLite file that is not a ledger" "not a ledger database"
# a changed byte in block 3's commit certificate (its last bytes)
cp "$DB" "$T/cert.db"
python3 - "$T/cert.db" 3 -1 <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); h = int(sys.argv[2]); off = int(sys.argv[3])
d = bytearray(db.execute("SELECT data FROM blocks WHERE height=?", (h,)).fetchone()[0])
d[off] ^= 1
db.execute("UPDATE blocks SET data=? WHERE height=?", (bytes(d), h)); db.commit()
PY
run "verify: forged certificate" 6 "$LC" --db "$T/cert.db" verify
golden verify-bad-cert.txt
run "verify -j: forged certificate" 6 "$LC" -j --db "$T/cert.db" verify
is_json "verify -j: forged certificate"
golden verify-bad-cert.json
# a block that does not decode any more
cp "$DB" "$T/trunc.db"
python3 -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute("UPDATE blocks SET data=substr(data,1,100) WHERE height=5"); db.commit()' "$T/trunc.db"
run "verify: undecodable block" 6 "$LC" --db "$T/trunc.db" verify
grep -q "block 5 does not replay" "$T/out" && grep -q "blocks 1..4 match" "$T/out" \
	&& pass "verify names block 5 and what matched" || fail "verify output for block 5"
run "blocks show of the damaged block" 5 "$LC" --db "$T/trunc.db" blocks show 5
err_has "blocks show of the damaged block" "does not decode"
# a balance edited behind the ledger's back
cp "$DB" "$T/edit.db"
python3 -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute("UPDATE accounts SET balance=balance+1 WHERE roles=0"); db.commit()' "$T/edit.db"
run "verify: tables edited" 6 "$LC" --db "$T/edit.db" verify
grep -q "edited outside the ledger" "$T/out" && pass "verify says the tables were edited" || fail "verify edited output"
ls "$T"/ledgerctl-verify-* >/dev/null 2>&1 && fail "verify left its scratch behind" || pass "verify cleans its scratch"

# ---- bad command lines: usage and exit 2 ----
run "no command" 2 "$LC"
err_has "no command" "usage: ledgerctl"
run "unknown command" 2 "$LC" frobnicate
err_has "unknown command" "unknown command 'frobnicate'"
run "unknown global option" 2 "$LC" --frob balance
run "--help" 0 "$LC" --help
grep -q "blocks show RANGE" "$T/out" && pass "--help lists the commands" || fail "--help"
run "read without --db" 2 "$LC" balance
err_has "read without --db" "needs --db"
run "balance: not a key" 2 "$LC" -d "$DB" balance 1234
err_has "balance: not a key" "usage: ledgerctl balance"
run "balance: unknown account" 3 "$LC" -d "$DB" balance \
	0000000000000000000000000000000000000000000000000000000000000000
run "orders: bad --interval" 2 "$LC" -d "$DB" orders --interval soon
err_has "orders: bad --interval" "not a time"
run "trades: stray argument" 2 "$LC" -d "$DB" trades extra
run "blocks: no subcommand" 2 "$LC" -d "$DB" blocks
run "blocks show: not a range" 2 "$LC" -d "$DB" blocks show 1-3
err_has "blocks show: not a range" "not a height or a range"
run "blocks show: past the head" 3 "$LC" -d "$DB" blocks show 6..9
err_has "blocks show: past the head" "blocks 1..7"
run "blocks show 0 (the genesis)" 3 "$LC" -d "$DB" blocks show 0
run "blocks export: bad format" 2 "$LC" -d "$DB" blocks export 1 --format xml
run "report: --html without --day" 2 "$LC" -d "$DB" report --html "$T/x.html"
run "report: bad --day" 2 "$LC" -d "$DB" report --html "$T/x.html" --day 2023-11-31x
run "report: --from after --to" 2 "$LC" -d "$DB" report --from 1700002800 --to 1700001900
run "key: no subcommand" 2 "$LC" key
run "validators: unknown subcommand" 2 "$LC" validators elect
run "transfer: bad amount" 2 "$LC" transfer "$acct" 1.0000001
err_has "transfer: bad amount" "not an amount"
run "transfer: bad account" 2 "$LC" transfer xyz 1
run "transfer: no --key" 2 "$LC" transfer "$acct" 1
err_has "transfer: no --key" "--key"
run "order: not bid or ask" 2 "$LC" order buy pv-home 100 0.1 2023-11-14T23:00
run "order: zero quantity" 2 "$LC" order bid pv-home 0 0.1 2023-11-14T23:00
run "order: price too high" 2 "$LC" order bid pv-home 10 2148 2023-11-14T23:00
run "cancel: not an order id" 2 "$LC" cancel 12
run "dispatch send: unknown kind" 2 "$LC" dispatch send pv-home turbo 5 1700002800 1700003700
run "dispatch send: END before START" 2 "$LC" dispatch send pv-home battery 5 1700003700 1700002800
run "dispatch ack: not accept/reject" 2 "$LC" dispatch ack c05c6760a4ef9625c05c6760a4ef9625c05c6760a4ef9625c05c6760a4ef9625 maybe
run "meters register: bad gateway key" 2 "$LC" meters register m1 "$acct" 1 abcd
run "validators propose: bad action" 2 "$LC" validators propose promote "$acct"

# ---- settled not there ----
run "status without settled" 7 "$LC" --socket "$T/no.sock" status
err_has "status without settled" "cannot reach settled"
run "transfer without settled" 7 "$LC" --socket "$T/no.sock" -k "$T/alice.key" -p "$T/pass" \
	transfer 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 1.5
run "transfer: wrong passphrase before any network" 4 "$LC" --socket "$T/no.sock" \
	-k "$T/alice.key" -p "$T/wrong" transfer "$acct" 1

# ---- transactions ledgerctl signs are accepted by the ledger ----
if [ -n "${APPLYTX:-}" ]; then
	user1=8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394
	chain=6d6c2d7465737431
	cp "$DB" "$T/tx.db"
	run "sign-only: transfer" 0 "$LC" --sign-only --chain-id $chain --nonce 0 \
		-k "$T/alice.key" -p "$T/pass" transfer $user1 1.5
	tx1=$(cat "$T/out")
	run "sign-only: a second transfer (-j)" 0 "$LC" -j --sign-only --chain-id $chain \
		--nonce 1 -k "$T/alice.key" -p "$T/pass" transfer $user1 0.25
	is_json "sign-only -j"
	tx2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tx"])' "$T/out")
	run "sign-only needs --chain-id and --nonce" 2 "$LC" --sign-only --nonce 0 \
		-k "$T/alice.key" -p "$T/pass" transfer $user1 1.5
	run "the ledger applies what ledgerctl signed" 0 "$APPLYTX" "$T/tx.db" 1700005000 \
		"$acct" 5000000 "$tx1" "$tx2"
	run "balance after the signed transfer" 0 "$LC" -j -d "$T/tx.db" balance "$acct"
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))[0]; assert (a["balance"], a["nonce"]) == (3250000, 2), a' \
		"$T/out" && pass "the key's account paid 1.5 and 0.25 with nonces 0 and 1" || fail "balance after transfer"
	run "verify after the signed transactions" 0 "$LC" -d "$T/tx.db" verify
	cp "$DB" "$T/tx2.db"
	run "a transaction signed for another chain is refused" 1 "$APPLYTX" "$T/tx2.db" 1700005000 \
		"$acct" 5000000 "$("$LC" --sign-only --chain-id 0000000000000001 --nonce 0 \
		-k "$T/alice.key" -p "$T/pass" transfer $user1 1.5)"
fi

# ---- a peer that refuses, answers garbage or hangs up ----
# peer REPLY...: serve $T/peer.sock in the background, one REPLY per connection
peer() {
	rm -f "$T/peer.sock" "$T/requests"
	python3 "$(dirname "$0")/peer.py" "$T/peer.sock" "$T/requests" "$@" &
	peer_pid=$!
	for _ in $(seq 100); do [ -S "$T/peer.sock" ] && return; sleep 0.1; done
	echo "Bail out! the test peer did not start"; exit 1
}
peer '{"ok":false,"error":"ledger busy"}\n'
run "settled refuses" 8 "$LC" --socket "$T/peer.sock" status
err_has "settled refuses" "settled refused: ledger busy"
wait $peer_pid
python3 -c 'import json,sys; assert json.loads(open(sys.argv[1]).read()) == {"cmd": "status"}' "$T/requests" \
	&& pass "status sends one JSON line {\"cmd\": \"status\"}" || fail "status request on the wire"
peer 'hello\n'
run "settled answers garbage" 1 "$LC" --socket "$T/peer.sock" status
err_has "settled answers garbage" "not a control response"
wait $peer_pid
peer '-'
run "settled hangs up" 7 "$LC" --socket "$T/peer.sock" status
err_has "settled hangs up" "no answer from settled"
wait $peer_pid
peer '{"ok":true,"chain_id":1}\n'
run "account answer without a nonce" 1 "$LC" --socket "$T/peer.sock" -k "$T/alice.key" \
	-p "$T/pass" transfer 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c 1.5
err_has "account answer without a nonce" "no nonce"
wait $peer_pid
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read()); assert r == {"cmd": "account", "account": sys.argv[2]}, r' \
	"$T/requests" "$acct" && pass "the account request names the key's account" || fail "account request on the wire"

# ---- the installed tree ----
if [ -n "${LC_DESTDIR:-}" ]; then
	for f in usr/bin/ledgerctl usr/share/man/man8/ledgerctl.8 \
		 usr/share/bash-completion/completions/ledgerctl; do
		[ -e "$LC_DESTDIR/$f" ] && pass "installed $f" || fail "not installed: $f"
	done
	if LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$LC_DESTDIR/usr/share/man/man8/ledgerctl.8" \
		>/dev/null 2>"$T/err" && [ ! -s "$T/err" ]; then
		pass "man page renders without warnings"
	else
		fail "man page warnings"
	fi
	comp=$(bash -c '. "$1"; COMP_WORDS=(ledgerctl bl); COMP_CWORD=1; _ledgerctl; echo "${COMPREPLY[*]}"' _ \
		"$LC_DESTDIR/usr/share/bash-completion/completions/ledgerctl")
	[ "$comp" = blocks ] && pass "completion: bl -> blocks" || fail "completion: bl -> '$comp'"
	comp=$(bash -c '. "$1"; COMP_WORDS=(ledgerctl blocks ""); COMP_CWORD=2; _ledgerctl; echo "${COMPREPLY[*]}"' _ \
		"$LC_DESTDIR/usr/share/bash-completion/completions/ledgerctl")
	[ "$comp" = "show export" ] && pass "completion: blocks -> show export" || fail "completion: blocks -> '$comp'"
fi

echo "1..$n"
[ "$failed" = 0 ] || { echo "# $failed of $n failed"; exit 1; }
