#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the debug kernel (KUnit, KASAN, lockdep, kmemleak, UBSAN) from
# Debian's linux-source-6.1 with allnoconfig plus tests/qemu/debug.config,
# or finds it in the cache, and prints its build directory.
#
# The cache lives outside the repository, in $METERLINK_KERNEL_CACHE
# (default ${XDG_CACHE_HOME:-~/.cache}/meterlink/kernel), one directory per
# key: the hash of the config fragment, the linux-source package version and
# the compiler. A cold build takes 6 to 7 minutes on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
frag=$here/debug.config
tar=/usr/src/linux-source-6.1.tar.xz
[[ -f $tar ]] || { echo "build-debug-kernel: $tar missing; run scripts/install-deps.sh" >&2; exit 1; }

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { cat "$frag"; echo "$srcver"; gcc --version | head -n1; } | sha256sum | cut -c1-16)
cache=${METERLINK_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meterlink/kernel}
dir=$cache/linux-$srcver-$key
# one build at a time: `make check` starts one in the background early and
# tests/run-debug-kernel.sh asks again at the end (it waits here)
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ -f $dir/.meterlink-built ]]; then
	echo "build-debug-kernel: cached $dir" >&2
	echo "$dir"
	exit 0
fi

# failed or interrupted builds of any key are only in the way
for d in "$cache"/linux-*; do
	[[ -d $d && ! -f $d/.meterlink-built && $d != "$dir" ]] && rm -rf "$d"
done

start=$(date +%s)
echo "build-debug-kernel: building $dir (cold: about 7 minutes)" >&2
rm -rf "$dir"
mkdir -p "$dir"
tar -xJf "$tar" -C "$dir" --strip-components=1
cd "$dir"
make -s KCONFIG_ALLCONFIG="$frag" allnoconfig >&2
# every option of the fragment must have taken, or the kernel is not what
# the tests claim to run on
bad=0
while IFS= read -r line; do
	[[ $line =~ ^(CONFIG_[A-Z0-9_]+)=(.*)$ ]] || continue
	opt=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
	if [[ $val == n ]]; then
		grep -qx "$opt=y" .config && { echo "build-debug-kernel: $opt is set, wanted off" >&2; bad=1; }
	elif ! grep -qxF "$opt=$val" .config; then
		echo "build-debug-kernel: $opt=$val did not take (dependency missing?)" >&2
		bad=1
	fi
done < "$frag"
((bad == 0)) || exit 1
make -s -j"$(nproc)" bzImage modules >&2
touch .meterlink-built
echo "build-debug-kernel: built in $(( $(date +%s) - start )) s" >&2
echo "$dir"
