# SPDX-License-Identifier: GPL-2.0
#
# meterlink top-level build.
#
#   make                 modules and tools
#   make check           every test (installs what it needs; see README.md)
#   make bench           benchmarks inside the QEMU guest
#   make style           checkpatch --strict and sparse on the kernel code
#   make install         tools, headers and docs under $(DESTDIR)$(PREFIX)
#   make modules_install the modules into /lib/modules/<kernel>/updates
#   make dkms-install    the modules through DKMS (kernel/dkms.mk)
#   make deb             Debian packages (debian/) into $(BUILD)/deb
#
# KDIR is the kernel build tree: /lib/modules/$(KVER)/build when it exists,
# otherwise the newest installed Debian linux-headers-* for this machine.
# V=1 shows the commands.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

KVER ?= $(shell uname -r)
DEB_ARCH ?= $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
	$(shell ls -d /usr/src/linux-headers-*-$(DEB_ARCH) 2>/dev/null | sort -V | tail -n1))
BUILD ?= $(CURDIR)/build
KSRC_TAR ?= /usr/src/linux-source-6.1.tar.xz
VERSION := $(shell cat VERSION)

CC ?= gcc
CFLAGS ?= -O2 -g
TOOL_CFLAGS := $(CFLAGS) -Wall -Wextra -Werror -Iinclude/uapi

ifeq ($(V),1)
Q :=
else
Q := @
endif

KERNEL_SRCS := $(filter-out %.mod.c,$(wildcard kernel/*.c kernel/*.h kernel/sim/*.c kernel/sim/*.h kernel/tests/*.c kernel/tests/*.h)) \
	include/uapi/linux/meterlink.h
TOOLS := $(BUILD)/tools/meterdump $(BUILD)/tools/meterbench

include lib/ledger/ledger.mk
include lib/mltpm/mltpm.mk
include lib/consensus/net.mk
include lib/consensus/consensus.mk
include lib/consensus/node.mk
include tools/meterctl/meterctl.mk
include tools/settled/settled.mk
include dts-overlays/dtbs.mk
include udev/udev.mk
include kernel/dkms.mk
include tools/ledgerctl/ledgerctl.mk
include tests/ledger/cluster/cluster.mk
include tests/arm64/arm64.mk
include tests/install/install.mk
include tests/demo/demo.mk

.PHONY: all modules tools selftests check check-deps check-build style bench \
	install modules_install clean demo deb check-deb

all: modules tools ledger mltpm libmeterlink meterctl

check-kdir:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "error: no kernel build tree (KDIR); run scripts/install-deps.sh or set KDIR=" >&2; exit 1; }

# W=1 for our files; warnings are errors so nothing slips through.
modules: check-kdir
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel W=1 KCFLAGS=-Werror modules $(if $(V),V=$(V))

tools: $(TOOLS)

$(BUILD)/tools/%: tools/%.c include/uapi/linux/meterlink.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(TOOL_CFLAGS) -o $@ $< -lm -lpthread

selftests:
	$(Q)$(MAKE) -C tests/selftests/meterlink O=$(BUILD)/selftests

# checkpatch.pl and its data files come from Debian's linux-source-6.1.
$(BUILD)/checkpatch/checkpatch.pl: $(KSRC_TAR)
	@mkdir -p $(dir $@)
	$(Q)tar -xJf $(KSRC_TAR) -C $(dir $@) --strip-components=2 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	@touch $@

style: $(BUILD)/checkpatch/checkpatch.pl check-kdir
	$(Q)$(BUILD)/checkpatch/checkpatch.pl --strict --no-tree --terse \
		--show-types --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f $(KERNEL_SRCS)
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel C=2 W=1 modules 2>&1 | \
		tee $(BUILD)/sparse.log | { ! grep -E 'warning|error'; }
	@echo "style: checkpatch --strict and sparse clean"

check-deps:
	$(Q)scripts/install-deps.sh

# everything, in the order a failure is cheapest to find
# The debug kernel for tests/run-debug-kernel.sh (last) builds in the
# background meanwhile, niced: most tests leave a core idle. Its log:
# $(BUILD)/debug-kernel-build.log.
check: check-deps
	$(Q)mkdir -p $(BUILD) && { nice -n 19 tests/qemu/build-debug-kernel.sh \
		>$(BUILD)/debug-kernel-build.log 2>&1 </dev/null & }
	$(Q)$(MAKE) --no-print-directory modules tools selftests style
	$(Q)$(MAKE) --no-print-directory check-ledger check-tpm check-consensus \
		check-consensus-net check-node check-meterctl-host check-ledgerctl \
		check-settled-host check-dtbs check-dt-bindings
	$(Q)$(MAKE) --no-print-directory check-ledger-cluster
	$(Q)tests/qemu/selftest.sh
	$(Q)tests/run-kselftests.sh
	$(Q)$(MAKE) --no-print-directory check-meterctl-guest check-settled-guest check-settled-dispatch check-udev check-dkms check-deb check-install
	$(Q)$(MAKE) --no-print-directory check-arm64
	$(Q)tests/run-debug-kernel.sh

bench: check-deps
	$(Q)$(MAKE) --no-print-directory modules tools
	$(Q)tests/run-bench.sh
	$(Q)$(MAKE) --no-print-directory bench-ledger bench-consensus
	$(Q)$(MAKE) --no-print-directory bench-tpm
	$(Q)$(MAKE) --no-print-directory bench-consensus-net
	$(Q)$(MAKE) --no-print-directory bench-ledger-cluster

demo: check-deps
	$(Q)$(MAKE) --no-print-directory modules tools demo-tools
	$(Q)tests/demo.sh

install: tools install-meterctl install-ledgerctl install-udev install-settled
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR)/linux
	install -m 0755 $(BUILD)/tools/meterdump $(DESTDIR)$(BINDIR)/meterdump
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 tools/meterdump.1 $(DESTDIR)$(MANDIR)/man1/meterdump.1
	install -m 0644 include/uapi/linux/meterlink.h $(DESTDIR)$(INCLUDEDIR)/linux/

# Packages from a copy of the tree (dpkg-buildpackage writes next to it).
deb:
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	$(Q)git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -C $(BUILD)/deb/src -xf -
	$(Q)cd $(BUILD)/deb/src && dpkg-buildpackage -us -uc -b
	@ls $(BUILD)/deb/*.deb

# build, lintian, install, use in a guest, purge (root; see the script)
check-deb: tools
	$(Q)METERLINK_BUILD=$(BUILD) tests/deb/run.sh

modules_install: modules
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel INSTALL_MOD_DIR=updates modules_install

clean:
	$(Q)-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean 2>/dev/null
	rm -rf $(BUILD)
