#!/bin/bash
# Install what meterlink's build and tests need on Debian 12, then check that the
# newest installed kernel image has matching headers (out-of-tree modules are built
# against the headers and loaded into that image under QEMU; a mismatch fails late
# and confusingly, so fail here instead).
#
# Idempotent and quick when everything is present: apt is only touched when
# dpkg-query reports a package as missing.
set -euo pipefail

pkgs=(
	build-essential linux-headers-amd64 linux-image-amd64 linux-source-6.1
	qemu-system-x86 busybox-static cpio kmod sparse xz-utils bc flex bison
	libelf-dev libssl-dev python3 perl
	# the ledger (lib/ledger/ledger.mk: LEDGER_DEB_PACKAGES)
	libsodium-dev libsqlite3-dev libcmocka-dev pkg-config clang
	libclang-rt-14-dev
	# consensus transport and mempool (lib/consensus/net.mk; iproute2 above too)
	libzmq3-dev
	# the consensus node's test edits a ledger (lib/consensus/node.mk)
	sqlite3
	# the cluster scenarios (tests/ledger/cluster/cluster.mk)
	faketime
	# libmeterlink and meterctl (tools/meterctl/meterctl.mk)
	libnl-3-dev libnl-genl-3-dev libjansson-dev iproute2
	# ledgerctl's tests (tools/ledgerctl/ledgerctl.mk): man --warnings
	man-db
	# device tree overlays and bindings (dts-overlays/dtbs.mk)
	device-tree-compiler cpp dt-schema
	# the udev rules' guest test (udev/udev.mk)
	udev
	# DKMS and Debian packaging and their tests (kernel/dkms.mk, debian/)
	dkms dh-dkms debhelper lintian
	# the TPM layer (lib/mltpm/mltpm.mk: MLTPM_DEB_PACKAGES)
	libtss2-dev swtpm tpm2-tools openssl
	# settled (tools/settled/settled.mk: SETTLED_DEB_PACKAGES)
	libinih-dev libsystemd-dev man-db systemd
	# the demo and settled's network test (tests/demo/demo.mk)
	xxd
	# the arm64 gateway test (tests/arm64/arm64.mk: ARM64_DEB_PACKAGES)
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm gzip
)

# One dpkg-query for all packages; unknown packages print nothing and count as missing.
installed=" $(dpkg-query -W -f='${Package}=${db:Status-Status} ' "${pkgs[@]}" 2>/dev/null || true)"
missing=()
for p in "${pkgs[@]}"; do
	[[ $installed == *" $p=installed "* ]] || missing+=("$p")
done

if ((${#missing[@]})); then
	echo "install-deps: installing: ${missing[*]}"
	sudo=()
	((EUID == 0)) || sudo=(sudo)
	"${sudo[@]}" apt-get update
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${missing[@]}"
fi

# "Newest" by version order, restricted to kernels that actually have an image:
# /lib/modules can hold leftovers of removed kernels.
ver=
for d in $(ls -1 /lib/modules 2>/dev/null | sort -rV); do
	if [[ -e /boot/vmlinuz-$d ]]; then ver=$d; break; fi
done
if [[ -z $ver ]]; then
	echo "install-deps: ERROR: no /lib/modules/<ver> with a matching /boot/vmlinuz-<ver>" >&2
	exit 1
fi
if [[ ! -d /usr/src/linux-headers-$ver ]]; then
	echo "install-deps: ERROR: newest kernel image is $ver but /usr/src/linux-headers-$ver" \
		"is missing." >&2
	echo "install-deps: linux-image-amd64 and linux-headers-amd64 resolve to different" \
		"versions; run: apt-get install linux-headers-$ver (or upgrade both metapackages)" >&2
	exit 1
fi
echo "install-deps: ok (kernel $ver, headers /usr/src/linux-headers-$ver)"
# Debian's arm64 kernel and guest programs for make check-arm64, unpacked in a cache
"$(dirname "$0")/arm64-deps.sh" >/dev/null
