#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs a command between two kmemleak scans and fails if it leaked: the
# leaks found before the command are cleared, those found after it are
# printed. Needs a kernel with CONFIG_DEBUG_KMEMLEAK and debugfs mounted.
k=/sys/kernel/debug/kmemleak
if [ ! -w $k ]; then
	echo "kmemleak-wrap: $k missing: not a kmemleak kernel" >&2
	exit 1
fi
echo scan > $k
echo clear > $k
"$@"
rc=$?
# objects freed late (RCU, deferred work) need a moment and a second scan
sleep 6
echo scan > $k
sleep 1
echo scan > $k
if [ -s $k ]; then
	echo "kmemleak-wrap: the kernel reports leaks:"
	cat $k
	exit 1
fi
echo "kmemleak-wrap: no leaks"
exit $rc
