#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Independent checks of a settled state directory after a test run.

usage: check_spool.py STATE_DIR WINDOWS_FILE LOG...

WINDOWS_FILE has one line per downtime of settled: "KILL_NS READY_NS" (the
moment it was killed and the moment the next instance was ready). LOG files
hold settled's debug output ("stored meterN seq A..B (K)" after each COMMIT).
Prints TAP lines "ok"/"not ok" (numbered by the caller's count, passed in
the environment as TAP_N) and a summary; exits 1 if a check failed.
"""
import concurrent.futures, hashlib, os, re, sqlite3, struct, subprocess, sys, tempfile

state, windows_file, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
n = int(os.environ.get("TAP_N", "0"))
failed = 0
SLACK_NS = int(os.environ.get("SLACK_NS", str(2 * 10**9)))


def check(name, cond, detail=""):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {name}")
    else:
        failed += 1
        print(f"not ok {n} - {name}")
        for line in str(detail).splitlines()[:20]:
            print(f"# {line}")


sp = sqlite3.connect(f"file:{state}/spool.db?mode=ro", uri=True)
ch = sqlite3.connect(f"file:{state}/chain.db?mode=ro", uri=True)
REC = "<HHIQqqII8x"  # struct meterlink_reading header; phases follow
PHASE = "<QQqqqIIiI8x"
NPH = 3


def parse(rec):
    ver, size, flags, seq, t, bt, unc, nph = struct.unpack_from(REC, rec)
    imp = exp = 0
    for i in range(min(nph, NPH)):
        p = struct.unpack_from(PHASE, rec, 48 + 64 * i)
        imp += p[0]
        exp += p[1]
    return seq, t, imp, exp


meters = {mid: (bus, key, cu, cimp, cexp) for mid, bus, key, cu, cimp, cexp in
          sp.execute("SELECT id, bus_id, key, closed_until, c_imp, c_exp FROM meters")}
windows = [tuple(map(int, l.split())) for l in open(windows_file) if l.strip()]

# 1. nothing duplicated
dups = sp.execute("SELECT meter, seq, count(*) FROM readings GROUP BY meter, seq"
                  " HAVING count(*) > 1").fetchall()
check("no reading is stored twice", not dups, dups)

# 2. every batch settled logged as stored is in the spool
stored = {}
for mid, seq in sp.execute("SELECT meter, seq FROM readings"):
    stored.setdefault(mid, set()).add(seq)
bus_of_dev = {}
for d in os.listdir("/sys/class/meter"):
    target = os.readlink(f"/sys/class/meter/{d}/device")
    bus_of_dev[int(d[5:])] = os.path.basename(target)
mid_of_bus = {v[0]: k for k, v in meters.items()}
missing, lines = [], 0
for log in logs:
    for m in re.finditer(r"stored meter(\d+) seq (\d+)\.\.(\d+) \((\d+)\)", open(log).read()):
        lines += 1
        dev, a, b, k = map(int, m.groups())
        s = stored.get(mid_of_bus.get(bus_of_dev.get(dev)), set())
        have = sum(1 for q in range(a, b + 1) if q in s)
        if a not in s or b not in s or have < k:
            missing.append((dev, a, b, k, have))
check(f"every batch logged as committed is in the spool ({lines} batches)",
      lines > 0 and not missing, missing)

# 3. no gap in seq, not even across the downtimes: on each start settled
# recovers the readings taken while it was away from the kernel's ring
bad, nread = [], 0
for mid in meters:
    rows = sp.execute("SELECT seq, t_ns FROM readings WHERE meter = ? ORDER BY seq",
                      (mid,)).fetchall()
    nread += len(rows)
    for (s1, t1), (s2, t2) in zip(rows, rows[1:]):
        if s2 == s1 + 1:
            continue
        down = any(t1 >= k - SLACK_NS and t2 <= r + SLACK_NS for k, r in windows)
        bad.append((meters[mid][0], s1, s2, t1, t2, "downtime" if down else "running"))
recovered = sum(int(m.group(1)) for log in logs for m in re.finditer(
    r"(\d+) readings taken while settled was away recovered", open(log).read()))
check(f"seq is contiguous across {len(windows)} kill -9 restarts ({nread} readings,"
      f" {recovered} recovered from the kernel's ring)",
      nread > 0 and not bad and (recovered > 0 or not windows), bad[:20])

# 4. energy: reports sum to the accumulators, nothing lost or counted twice
bad = []
nint = 0
for mid, (bus, key, cu, cimp, cexp) in meters.items():
    recs = [parse(r) for (r,) in sp.execute(
        "SELECT rec FROM readings WHERE meter = ? AND ival < ? ORDER BY n", (mid, cu))]
    if not recs:
        continue
    s = sp.execute("SELECT count(*), sum(import_uwh), sum(export_uwh), sum(import_wh),"
                   " sum(export_wh) FROM intervals WHERE meter = ?", (mid,)).fetchone()
    nint += s[0]
    want_imp = recs[-1][2] - recs[0][2]
    want_exp = recs[-1][3] - recs[0][3]
    if (s[1], s[2]) != (want_imp, want_exp) or \
       s[3] * 10**6 + cimp != want_imp or s[4] * 10**6 + cexp != want_exp:
        bad.append((bus, s, want_imp, want_exp, cimp, cexp))
check(f"interval energy sums to the accumulators exactly ({nint} intervals)",
      nint > 0 and not bad, bad)

# 5. one report per interval, each on the chain with the same content
reps = sp.execute("SELECT p.state, p.sig, m.key, i.start, i.len, i.import_wh, i.export_wh,"
                  " i.root, p.height FROM reports p JOIN meters m ON m.id = p.meter"
                  " JOIN intervals i ON i.meter = p.meter AND i.start = p.start"
                  " ORDER BY p.id").fetchall()
nrep = sp.execute("SELECT count(*) FROM reports").fetchone()[0]
check(f"one report per closed interval ({nrep})", nrep == nint and nrep > 0)
# the intervals closed by the final SIGTERM wait for the next start: they are
# unsigned (0), or signed (1) when the worker had taken one before it stopped
states = [r[0] for r in reps]
done = next((i for i, s in enumerate(states) if s != 2), len(states))
tail = states[done:]
pending = len(tail)
check(f"every report but the last {pending} (closed at the final stop) is committed",
      done > 0 and all(s in (0, 1) for s in tail) and tail == sorted(tail, reverse=True)
      and pending <= 4 * len(meters), f"states: {states[-20:]}")
reps = reps[:done]
# height 0: found already on the chain after a kill -9 (between the block
# and the spool's COMMIT); the spool does not know that block's height
heights = [r[8] for r in reps if r[8]]
unordered = [(a, b) for a, b in zip(heights, heights[1:]) if b < a]
check(f"reports went on the chain in spool order ({len(reps) - len(heights)} found"
      " there already after a kill)", heights and not unordered, unordered[:5])
chain = {(bytes(m), i): (imp, exp, bytes(root)) for m, i, imp, exp, root in
         ch.execute("SELECT meter, interval, import_wh, export_wh, readings_root FROM reports")}
diff = [r[3] for r in reps if chain.get((bytes(r[2]), r[3])) != (r[5], r[6], bytes(r[7]))]
check(f"the chain holds every report unchanged ({len(chain)})",
      len(chain) == done and not diff, diff[:5])

# 6. every signature verifies with openssl against the exported key
chain_id = int(os.environ.get("CHAIN_ID", "1"))


def der(sig):
    def i(b):
        b = b.lstrip(b"\0") or b"\0"
        if b[0] & 0x80:
            b = b"\0" + b
        return b"\x02" + bytes([len(b)]) + b
    body = i(sig[:32]) + i(sig[32:])
    return b"\x30" + bytes([len(body)]) + body


def openssl_ok(d, k, msg, sig):
    """openssl dgst -verify of one report, in files of its own (k)"""
    open(f"{d}/m{k}", "wb").write(msg)
    open(f"{d}/s{k}", "wb").write(der(sig))
    p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", f"{state}/gateway.pem",
                        "-signature", f"{d}/s{k}", f"{d}/m{k}"], capture_output=True, text=True)
    return p.returncode == 0 and "Verified OK" in p.stdout, p.stdout + p.stderr


bad = []
with tempfile.TemporaryDirectory() as d:
    jobs = []
    for k, r in enumerate(reps):
        state_, sig, key, start, ln, imp, exp, root, h = r
        msg = b"meterlink-report-v1" + struct.pack(">BQ32sQIQQ32s", 1, chain_id, key, start,
                                                   ln, imp, exp, root)
        jobs.append((start, msg, bytes(sig)))
    # one openssl process per signature, a few at a time (the guest is slow)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        results = list(ex.map(lambda j: openssl_ok(d, j[0], j[1][1], j[1][2]),
                              enumerate(jobs)))
    bad = [(j[0], out) for j, (good, out) in zip(jobs, results) if not good]
    if jobs:  # a tampered report must fail, or the check proves nothing
        start, msg, sig = jobs[0]
        good, _ = openssl_ok(d, "t", msg[:-1] + bytes([msg[-1] ^ 1]), sig)
        if good:
            bad.append(("tampered report verified", start))
check(f"openssl verifies all {len(reps)} report signatures with gateway.pem",
      reps and not bad, bad[:3])
print(f"# readings {nread} intervals {nint} reports {nrep} downtimes {len(windows)}"
      f" recovered {recovered}")
print(f"TAP_N={n}", file=sys.stderr)
sys.exit(1 if failed else 0)
