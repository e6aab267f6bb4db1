#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A socket that answers each connection with fixed bytes, for testing how
ledgerctl's control client handles a peer that refuses, answers garbage or
hangs up. usage: peer.py SOCKET RECORD REPLY... (one REPLY per connection,
"-" hangs up without answering). Each request line is appended to RECORD."""
import os
import socket
import sys

path, record, replies = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(4)
for reply in replies:
    c, _ = s.accept()
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = c.recv(4096)
        if not chunk:
            break
        buf += chunk
    with open(record, "ab") as f:
        f.write(buf)
    if reply != "-":
        c.sendall(reply.encode().decode("unicode_escape").encode("latin-1"))
    c.close()
s.close()
os.unlink(path)
