#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# meterctl and libmeterlink on the host, where no meterlink module is loaded:
# usage errors and their exit status (and that they never need the module),
# the "module not loaded" path of every command, the library's exported
# symbols, the man page, the bash completion, and an install into a DESTDIR
# that a program builds against with pkg-config. Prints TAP.
#
# Environment: METERCTL (the binary), ML_LIBDIR (the built library),
# ML_DESTDIR (a finished make install-meterctl DESTDIR=... PREFIX=/usr).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
M=${METERCTL:?set METERCTL to the meterctl binary}
LIBDIR=${ML_LIBDIR:?set ML_LIBDIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[[ -s $tmp/out ]] && sed 's/^/# out: /' "$tmp/out"
	[[ -s $tmp/err ]] && sed 's/^/# err: /' "$tmp/err"
	return 0
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# expect STATUS STDERR-REGEX -- ARGS...: exit status and a line on stderr
expect() {
	local want=$1 re=$2 got
	shift 3
	"$M" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if ((got != want)); then
		not_ok "meterctl $* exits $want (got $got)"
	elif [[ -n $re ]] && ! grep -Eq -- "$re" "$tmp/err"; then
		not_ok "meterctl $* says /$re/"
	else
		ok "meterctl $* exits $want"
	fi
}

# ---- usage ----

"$M" -h >"$tmp/out" 2>"$tmp/err"
if (($? == 0)) && grep -q '^usage: meterctl' "$tmp/out" && [[ ! -s $tmp/err ]]; then
	ok "-h prints the usage on stdout and exits 0"
else
	not_ok "-h prints the usage on stdout and exits 0"
fi
expect 2 'no command given' --
expect 2 "unknown command 'frobnicate'" -- frobnicate
expect 2 '' -- --bogus list
expect 2 'list takes no arguments' -- list meter0
expect 2 'usage: meterctl \[-j\] show DEV' -- show
expect 2 "'x1' is not a device" -- show x1
expect 2 'exactly one DEV' -- show 1 2
expect 2 'at least one DEV' -- watch
expect 2 '-n takes a count' -- watch -n 0 meter0
expect 2 '-n takes a count' -- watch -n ten meter0
expect 2 "'meterX' is not a device" -- watch meter0 meterX
expect 2 'needs a DEV and something' -- set meter0
expect 2 "'10' is not a duration" -- set meter0 period 10
expect 2 "'period' needs a value" -- set meter0 period
expect 2 "mode is poll or irq, not 'fast'" -- set meter0 mode fast
expect 2 'batch COUNT is 1..64' -- set meter0 batch 65
expect 2 "unknown setting 'speed'" -- set meter0 speed 1s
expect 2 "'1.5ns' is not a duration" -- set 0 period 100ms batch 4 1ms period 1.5ns
expect 2 'calibrate needs a DEV' -- calibrate meter0
expect 2 'phase is 0..2' -- calibrate meter0 phase 3 voltage 1
expect 2 "'abc' is not a gain" -- calibrate meter0 voltage abc
expect 2 'no gain to set' -- calibrate meter0 phase 0
expect 2 "unknown gain 'watts'" -- calibrate meter0 watts 5
expect 2 "'show' takes no arguments" -- calibrate meter0 show all
expect 2 'at most one DEV' -- stats 1 2
expect 2 "'meter' is not a device" -- stats meter
expect 2 'no arguments but -n' -- events meter0
expect 2 'unknown option' -- events -x

# ---- the module is not loaded ----

if genl ctrl get name meterlink >/dev/null 2>&1; then
	skip "the meterlink family exists on this host"
else
	msg='^meterctl: the meterlink module is not loaded \(modprobe meterlink\)$'
	for args in "list" "-j list" "show meter0" "stats" "stats 1" \
		"set meter0 period 100ms" "set 0 mode irq batch 8 20ms" \
		"calibrate 0 show" "calibrate 0 phase 1 power -50" "watch meter0" \
		"-j watch -n 1 0 1" "events" "-j events -n 3"; do
		# shellcheck disable=SC2086
		expect 3 "$msg" -- $args
		[[ -s $tmp/out ]] && not_ok "meterctl $args prints nothing on stdout"
	done
fi

# ---- the library ----

syms=$(nm -D --defined-only "$LIBDIR/libmeterlink.so" | awk '$2 == "T" { print $3 }')
others=$(grep -v '^ml_' <<<"$syms")
if [[ -n $syms && -z $others ]]; then
	ok "libmeterlink.so exports only ml_* functions ($(wc -l <<<"$syms"))"
else
	not_ok "libmeterlink.so exports only ml_* functions: $(tr '\n' ' ' <<<"$others")"
fi
hdr=$(grep -oE '\bml_[a-z_]+\(' "$root/lib/libmeterlink/meterlink.h" | tr -d '(' | sort -u)
if [[ $hdr == "$(sed 's/@.*//' <<<"$syms" | sort -u)" ]]; then
	ok "every function of meterlink.h is exported, and nothing else"
else
	not_ok "meterlink.h and the exports differ: $(diff <(echo "$hdr") <(sed 's/@.*//' <<<"$syms" | sort -u) | tr '\n' ' ')"
fi
if [[ $(readelf -d "$LIBDIR/libmeterlink.so") == *'(SONAME)'*'[libmeterlink.so.0]'* ]]; then
	ok "the soname is libmeterlink.so.0"
else
	not_ok "the soname is libmeterlink.so.0"
fi
if [[ $(ar t "$LIBDIR/libmeterlink.a") == *stream.o* ]]; then
	ok "libmeterlink.a holds the objects"
else
	not_ok "libmeterlink.a holds the objects"
fi

# ---- man page and completion ----

man8=$root/tools/meterctl/meterctl.8
if groff -man -ww -z "$man8" 2>"$tmp/err" && [[ ! -s $tmp/err ]]; then
	ok "meterctl.8 formats without warnings"
else
	not_ok "meterctl.8 formats without warnings"
fi
cmds=$("$M" -h | awk '/^commands:/ { on = 1; next } on && NF { print $1 } !NF && on { exit }')
missing=
for c in $cmds; do
	grep -Eq "^\.(B|BI|BR) $c\b" "$man8" || missing+=" $c"
done
[[ -z $missing ]] && ok "meterctl.8 documents every command" ||
	not_ok "meterctl.8 documents every command (missing:$missing)"
for s in 0 1 2 3 4 5; do
	grep -q "^\.B $s\$" "$man8" || missing+=" $s"
done
[[ -z $missing ]] && ok "meterctl.8 documents exit statuses 0-5" ||
	not_ok "meterctl.8 documents exit statuses 0-5 (missing:$missing)"

comp=$root/tools/meterctl/completion/meterctl.bash
complete_words() {
	# complete_words WORD... : the completion for the last word
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_meterctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@" | sort | tr '\n' ' '
}
check_completion() {
	local want=$1 got
	shift
	got=$(complete_words "$@")
	if [[ $got == "$want" ]]; then
		ok "completion of '$*' is '$want'"
	else
		not_ok "completion of '$*' is '$want' (got '$got')"
	fi
}
if bash -n "$comp"; then
	ok "the completion parses"
	check_completion "$(tr ' ' '\n' <<<"$cmds" | sort | tr '\n' ' ')" meterctl ''
	check_completion "set show stats " meterctl -j s
	check_completion "batch mode period " meterctl set meter0 ''
	check_completion "irq poll " meterctl set meter0 mode ''
	check_completion "current phase power show voltage " meterctl calibrate meter0 ''
	check_completion "0 1 2 " meterctl calibrate 0 phase ''
	check_completion "-n " meterctl watch -
else
	not_ok "the completion parses"
fi

# ---- install ----

if [[ -n ${ML_DESTDIR:-} ]]; then
	D=$ML_DESTDIR
	missing=
	for f in usr/bin/meterctl usr/lib/libmeterlink.so.0.1.0 usr/lib/libmeterlink.a \
		usr/lib/pkgconfig/meterlink.pc usr/include/meterlink.h \
		usr/include/linux/meterlink.h usr/share/man/man8/meterctl.8 \
		usr/share/bash-completion/completions/meterctl; do
		[[ -f $D/$f ]] || missing+=" $f"
	done
	[[ $(readlink "$D/usr/lib/libmeterlink.so.0") == libmeterlink.so.0.1.0 ]] ||
		missing+=" libmeterlink.so.0-link"
	[[ $(readlink "$D/usr/lib/libmeterlink.so") == libmeterlink.so.0 ]] ||
		missing+=" libmeterlink.so-link"
	[[ -z $missing ]] && ok "install-meterctl installs everything" ||
		not_ok "install-meterctl installs everything (missing:$missing)"
	# a user's program, built against the installed tree only
	flags=$(PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D \
		pkg-config --cflags --libs meterlink)
	if gcc -Wall -Wextra -Werror -o "$tmp/watch" \
		"$root/lib/libmeterlink/examples/watch.c" $flags 2>"$tmp/err" &&
		LD_LIBRARY_PATH=$D/usr/lib ldd "$tmp/watch" >"$tmp/ldd" &&
		grep -q "$D/usr/lib/libmeterlink.so.0" "$tmp/ldd"; then
		ok "the example builds with pkg-config meterlink and links libmeterlink.so.0"
	else
		not_ok "the example builds with pkg-config meterlink and links libmeterlink.so.0"
	fi
	if ! genl ctrl get name meterlink >/dev/null 2>&1; then
		LD_LIBRARY_PATH=$D/usr/lib "$tmp/watch" >"$tmp/out" 2>"$tmp/err"
		if (($? == 1)) && grep -q 'ml_open: Protocol not available' "$tmp/err"; then
			ok "the installed library reports the missing family as ENOPROTOOPT"
		else
			not_ok "the installed library reports the missing family as ENOPROTOOPT"
		fi
	fi
fi

echo "1..$n"
((failed == 0)) || echo "# $failed of $n meterctl host tests failed"
exit $((failed != 0))
