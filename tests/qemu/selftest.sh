#!/bin/bash
# Self-test of tests/qemu/run-guest: the exit statuses that the rest of the test suite
# relies on (success, failure, kernel crash, kernel-log report, timeout) and the
# --insmod / argument plumbing. Prints TAP; exits non-zero if any check fails.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rg=$here/run-guest
BUILD=${METERLINK_BUILD:-$(cd "$here/../.." && pwd)/build}
mkdir -p "$BUILD/qemu"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# The same kernel run-guest picks by default, to find an in-tree module for --insmod.
ver=
for v in $(ls -1 /lib/modules 2>/dev/null | sort -rV); do
	[[ -e /boot/vmlinuz-$v ]] && { ver=$v; break; }
done
ko=$(modinfo -k "$ver" -n ipmi_msghandler 2>/dev/null)

n=0 failed=0
echo "1..8"
# check EXPECTED-STATUS DESCRIPTION RUN-GUEST-ARGS...
check() {
	local want=$1 desc=$2 got
	shift 2
	n=$((n + 1))
	"$rg" --log "$BUILD/qemu/selftest-$n.log" "$@" >"$out" 2>&1
	got=$?
	if ((got == want)); then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (exit status $got, expected $want)"
		sed 's/^/# /' "$out"
		failed=$((failed + 1))
	fi
}

check 0 "true exits 0" -- true
check 1 "false exits 1" -- false
check 242 "a kernel panic is reported as a crash" -- sh -c 'echo c > /proc/sysrq-trigger'
check 245 "a WARNING in the kernel log fails the run" \
	-- sh -c 'echo "WARNING: run-guest selftest" > /dev/kmsg'
if [[ -n $ko ]]; then
	arg="a b'c \"d\" \$HOME *"
	check 0 "--insmod loads and unloads a module; arguments and cwd survive" \
		--insmod "$ko" -- sh -c 'test -d /sys/module/ipmi_msghandler && test "$1" = "$2" &&
			test "$PWD" = "$3" && test "$METERLINK_GUEST" = 1' sh "$arg" "$arg" "$PWD"
else
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - --insmod: no ipmi_msghandler module for kernel '$ver' to load"
fi
check 241 "a hanging command times out" --timeout 10 -- sleep 600
# --tpm: a TPM 2.0 in the guest, its state kept in the directory across boots
tpmdir=$(mktemp -d "$BUILD/qemu/selftest-tpm.XXXXXX")
check 0 "--tpm gives the guest a TPM 2.0; a key made persistent in it..." --tpm "$tpmdir" \
	-- sh -c 'export TPM2TOOLS_TCTI=device:/dev/tpmrm0 && test -c /dev/tpmrm0 &&
		tpm2_createprimary -Q -C o -G ecc -c /tmp/p.ctx &&
		tpm2_evictcontrol -Q -C o -c /tmp/p.ctx 0x81000099'
check 0 "...is there at the next boot with the same --tpm directory" --tpm "$tpmdir" \
	-- sh -c 'tpm2_getcap -T device:/dev/tpmrm0 handles-persistent | grep -q 0x81000099'
rm -rf "$tpmdir"

((failed == 0)) || echo "# $failed of $n run-guest self-tests failed (logs: $BUILD/qemu/selftest-*.log)"
exit $((failed != 0))
