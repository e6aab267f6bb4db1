# SPDX-License-Identifier: GPL-2.0
# TAP for the shell tests: source this file, report each check with ok,
# not_ok, check or expect, and finish with tap_end (the plan, a summary, and
# the exit status: 1 when any check failed).

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check DESCRIPTION COMMAND...: one TAP line for the command's status
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# expect DESCRIPTION GOT WANT
expect() {
	if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1"; echo "#   got '$2', want '$3'"; fi
}
# stdin as TAP diagnostics
diag() { sed 's/^/# /'; }
tap_end() {
	echo "1..$n"
	((failed == 0)) || { echo "# $failed of $n failed"; exit 1; }
	echo "# all $n passed"
}
