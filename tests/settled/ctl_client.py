#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A client of settled's control socket for the tests.

usage: ctl_client.py SOCKET LINE...   sends each LINE, prints each reply line
       ctl_client.py SOCKET --events N SECONDS   subscribes, prints N events
Exit 2 when the connection is refused or closed early.
"""
import json, socket, sys, time

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(f"connect: {e.strerror}", file=sys.stderr)
    sys.exit(2)
f = s.makefile("rwb")
if sys.argv[2] == "--events":
    want, deadline = int(sys.argv[3]), time.time() + float(sys.argv[4])
    f.write(b'{"cmd":"subscribe"}\n'); f.flush()
    print(f.readline().decode().strip())
    s.settimeout(1)
    got = 0
    while got < want and time.time() < deadline:
        try:
            line = f.readline()
        except (socket.timeout, OSError):
            continue
        if not line:
            sys.exit(2)
        print(line.decode().strip()); got += 1
    sys.exit(0 if got >= want else 1)
for line in sys.argv[2:]:
    try:
        f.write(line.encode() + b"\n"); f.flush()
        r = f.readline()
    except OSError:
        sys.exit(2)
    if not r:
        sys.exit(2)
    print(r.decode().strip())
