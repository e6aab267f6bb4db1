#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-install: `make install` honours PREFIX and DESTDIR. Installs into
# fresh DESTDIRs with PREFIX=/usr (Debian's layout, what debian/rules uses),
# the default /usr/local and /opt/meterlink, and compares the files installed
# with expected-usr.txt and expected-prefix.txt (@PREFIX@ replaced). Then the
# installed files point at the prefix (unit ExecStart, meterlink.pc, no
# DESTDIR in any of them), and a second install keeps an edited
# configuration. Prints TAP.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${METERLINK_BUILD:-$top/build}
. "$here/../lib/tap.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/install-test.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
echo "TAP version 13"

# install PREFIX DESTDIR: make install, quietly; the log on failure
install_into() {
	local args=(DESTDIR="$2" BUILD="$BUILD")
	[[ -n $1 ]] && args+=(PREFIX="$1")
	make -C "$top" --no-print-directory install "${args[@]}" >"$work/make.log" 2>&1 ||
		{ tail -20 "$work/make.log" | diag; return 1; }
}
# the files (and symlinks) under DESTDIR, without it, sorted
listing() { (cd "$1" && find . -type f -o -type l) | sed 's|^\.||' | LC_ALL=C sort; }

for prefix in /usr "" /opt/meterlink; do
	name=${prefix:-default}
	p=${prefix:-/usr/local}
	d=$work/${name//\//_}
	if ! install_into "$prefix" "$d"; then
		not_ok "make install PREFIX=$name DESTDIR=..."
		continue
	fi
	ok "make install PREFIX=$name DESTDIR=..."
	if [[ $p == /usr ]]; then
		want=$(LC_ALL=C sort "$here/expected-usr.txt")
	else
		want=$(sed "s|@PREFIX@|$p|" "$here/expected-prefix.txt" | LC_ALL=C sort)
	fi
	got=$(listing "$d")
	if [[ $got == "$want" ]]; then
		ok "PREFIX=$name: the expected $(wc -l <<<"$want") files, nothing else"
	else
		not_ok "PREFIX=$name: the expected files, nothing else"
		diff <(echo "$want") <(echo "$got") | diag
	fi
	unit=$(find "$d" -name settled.service)
	expect "PREFIX=$name: the unit runs $p/sbin/settled with its configuration" \
		"$(grep '^ExecStart=' "$unit" 2>/dev/null)" \
		"ExecStart=$p/sbin/settled -c $([[ $p == /usr ]] && echo /etc || echo "$p/etc")/meterlink/settled.conf"
	expect "PREFIX=$name: meterlink.pc names the prefix" \
		"$(sed -n 's/^prefix=//p' "$(find "$d" -name meterlink.pc)" 2>/dev/null)" "$p"
	expect "PREFIX=$name: no installed file mentions DESTDIR" \
		"$(grep -rl -- "$d" "$d" 2>/dev/null)" ""
	check "PREFIX=$name: settled and the tools are executables" \
		test -x "$d$p/sbin/settled" -a -x "$d$p/bin/meterctl" -a -x "$d$p/bin/ledgerctl"
done

# an edited configuration survives a second install
d=$work/again
conf=$d/usr/local/etc/meterlink/settled.conf
if install_into "" "$d" && echo "# edited" >>"$conf" && install_into "" "$d"; then
	expect "a second make install keeps an edited settled.conf" "$(tail -1 "$conf")" "# edited"
else
	not_ok "a second make install keeps an edited settled.conf"
fi

tap_end
