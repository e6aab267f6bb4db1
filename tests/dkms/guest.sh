#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the QEMU guest (tests/dkms/run.sh): load the DKMS-installed modules by
# name, check they are those modules, and read one record from a simulated meter.
# With BINDIR (tests/deb/run.sh: /usr/bin), the installed meterdump and meterctl
# do the reading; otherwise the build tree's meterdump.
#
# usage: guest.sh VERSION [BINDIR]
set -euo pipefail
version=$1
bindir=${2:-}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fail() { echo "guest: $*" >&2; exit 1; }

modprobe meterlink_sim || fail "modprobe meterlink_sim"
modprobe meterlink || fail "modprobe meterlink"
path=$(modinfo -n meterlink)
echo "meterlink from $path"
[[ $path == */updates/dkms/meterlink.ko* ]] || fail "modprobe found $path, not the DKMS module"
[[ $(cat /sys/module/meterlink/version) == "$version" ]] ||
	fail "loaded version $(cat /sys/module/meterlink/version), want $version"
[[ $(cat /sys/module/meterlink_sim/version) == "$version" ]] || fail "meterlink_sim version"

echo "ade7953 0" >/sys/kernel/debug/meterlink_sim/new_device || fail "cannot create a simulated meter"
for ((i = 0; i < 50; i++)); do
	[[ -c /dev/meter0 ]] && break
	sleep 0.1
done
[[ -c /dev/meter0 ]] || fail "no /dev/meter0"
if [[ -n $bindir ]]; then
	"$bindir/meterdump" -n 1 /dev/meter0 || fail "$bindir/meterdump could not read a record"
	"$bindir/meterctl" list || fail "$bindir/meterctl list failed"
else
	"${METERLINK_BUILD:-$top/build}/tools/meterdump" -n 1 /dev/meter0 ||
		fail "meterdump could not read a record"
fi
modprobe -r meterlink || fail "modprobe -r meterlink"
modprobe -r meterlink_sim || fail "modprobe -r meterlink_sim"
echo "unloaded"
