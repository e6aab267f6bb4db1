#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Verifies the output of `settled prove` independently of settled.

usage: check_proof.py PROOF.json CHAIN.db
The leaf is recomputed from the record, walked up the path to the root, and
the root compared with the meter report the chain holds. Exit 0 if all hold.
"""
import hashlib, json, sqlite3, struct, sys

p = json.load(open(sys.argv[1]))
H = lambda *b: hashlib.blake2b(b"".join(b), digest_size=32).digest()
meter = bytes.fromhex(p["meter"])
rec = bytes.fromhex(p["record"])
assert len(rec) == 240, "record is not 240 bytes"
assert struct.unpack_from("<Q", rec, 8)[0] == p["seq"], "record is not reading seq"
cur = H(b"meterlink-reading-leaf-v1", meter, rec)
assert cur.hex() == p["leaf"], "leaf hash differs"
idx, n, path = p["index"], p["count"], [bytes.fromhex(x) for x in p["path"]]
while n > 1:
    sib = idx ^ 1
    if sib < n:
        s = path.pop(0)
        cur = H(b"meterlink-reading-node-v1", *((s, cur) if idx & 1 else (cur, s)))
    n, idx = (n + 1) // 2, idx // 2
assert not path, "path too long"
assert cur.hex() == p["root"], "path does not lead to the root"
row = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True).execute(
    "SELECT readings_root FROM reports WHERE meter = ? AND interval = ?",
    (meter, p["interval_start"])).fetchone()
assert row, "the chain has no report for this interval"
assert bytes(row[0]) == cur, "the chain's report has another root"
print(f"proof of seq {p['seq']} ({p['index']} of {p['count']}) verifies against the chain")
