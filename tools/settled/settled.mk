# SPDX-License-Identifier: GPL-2.0
#
# settled, the settlement engine daemon: included from the top-level
# Makefile (with ledger.mk, meterctl.mk and mltpm.mk), paths relative to
# the repository root, everything built under $(BUILD)/settled/.
#
#   make settled               the daemon
#   make install-settled       daemon, unit, default config, sysusers.d file,
#                              man pages, bash completion
#   make check-settled-host    cmocka units (TAP) under ASan+UBSan and the
#                              command-line / config tests
#   make check-settled-guest   settled against the simulated meters in a
#                              QEMU guest with its own vTPM (run-guest --tpm,
#                              /dev/tpmrm0), kill -9 loop (in make check)
#   make check-settled-dispatch settled in network mode next to an mlnode
#                              validator in a QEMU guest: instructions of
#                              another submitter executed once, acknowledged,
#                              across kill -9; expired ones not executed;
#                              the compliance line (in make check)
#   make settled-deps          the Debian packages all of that needs
#
# SETTLED_KILL_LOOPS sets the kill -9 iterations of the guest test (20, to
# fit make check); make check-settled-long runs the full 50.

SETTLED_DEB_PACKAGES := libinih-dev libsystemd-dev man-db systemd

SETTLED_DIR := tools/settled
SETTLED_TDIR := tests/settled
SETTLED_OUT := $(BUILD)/settled
SETTLED_KILL_LOOPS ?= 20
SETTLED_PKGS := libnl-genl-3.0 jansson sqlite3 libsodium libcrypto inih libzmq
SETTLED_SYSTEMD := $(shell pkg-config --exists libsystemd && echo libsystemd)
SETTLED_PKG_CFLAGS = $(shell pkg-config --cflags $(SETTLED_PKGS) $(SETTLED_SYSTEMD)) \
	$(if $(SETTLED_SYSTEMD),-DHAVE_SYSTEMD)
SETTLED_PKG_LIBS = $(shell pkg-config --libs $(SETTLED_PKGS) $(SETTLED_SYSTEMD))
SETTLED_WARN := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror
SETTLED_INC := -I$(SETTLED_DIR) -Ilib/ledger -Ilib/libmeterlink -Ilib/mltpm -Ilib/consensus \
	-Iinclude/uapi
SETTLED_CFLAGS := $(SETTLED_WARN) -O2 -g -MMD -MP $(SETTLED_INC)
SETTLED_SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

SETTLED_SRCS := $(sort $(wildcard $(SETTLED_DIR)/*.c))
SETTLED_OBJS := $(patsubst $(SETTLED_DIR)/%.c,$(SETTLED_OUT)/obj/%.o,$(SETTLED_SRCS))
# the pure parts, unit tested on the host
SETTLED_PURE := $(addprefix $(SETTLED_DIR)/,config.c interval.c merkle.c spool.c log.c \
	dispatch.c txerr.c)
SETTLED_UNITS := test_config test_merkle test_interval test_spool test_dispatch test_txerr \
	test_scan
SETTLED_UNIT_BINS := $(addprefix $(SETTLED_OUT)/,$(SETTLED_UNITS))
SETTLED_MLTPM_A := $(MLTPM_OUT)/libmltpm.a
# [ledger] mode = network: the consensus node (lib/consensus/node.mk)
SETTLED_MLNODE_A := $(BUILD)/consensus/libmlnode.a

ifeq ($(V),1)
SETTLED_Q :=
else
SETTLED_Q := @
endif

.PHONY: settled install-settled check-settled-host check-settled-guest \
	check-settled-long settled-deps settled-guest-tests settled-dispatch-tests \
	check-settled-dispatch

settled: $(SETTLED_OUT)/settled

settled-deps:
	@echo $(SETTLED_DEB_PACKAGES)

-include $(SETTLED_OBJS:.o=.d)

$(SETTLED_OUT)/obj/%.o: $(SETTLED_DIR)/%.c
	@mkdir -p $(dir $@)
	$(SETTLED_Q)$(CC) $(SETTLED_CFLAGS) $(SETTLED_PKG_CFLAGS) -c -o $@ $<

$(SETTLED_OUT)/settled: $(SETTLED_OBJS) $(BUILD)/libmeterlink/libmeterlink.a \
		$(LEDGER_OUT)/libmlledger.a $(SETTLED_MLTPM_A) $(SETTLED_MLNODE_A)
	$(SETTLED_Q)$(CC) -o $@ $(SETTLED_OBJS) $(BUILD)/libmeterlink/libmeterlink.a \
		$(SETTLED_MLTPM_A) $(SETTLED_MLNODE_A) $(LEDGER_OUT)/libmlledger.a $(SETTLED_PKG_LIBS) \
		$(MLTPM_LIBS) -lpthread

# Install directories (PREFIX, DESTDIR, MANDIR and SYSUSERSDIR come from the
# top-level Makefile and udev.mk). With PREFIX=/usr they are where Debian puts
# them (/usr/sbin, /etc, /lib/systemd/system); with any other PREFIX they are
# under it ($(PREFIX)/etc, $(PREFIX)/lib/systemd/system, which systemd reads
# for /usr/local). The unit names the configuration file explicitly, so a
# settled installed under another prefix reads the file installed with it.
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= $(if $(filter /usr /usr/,$(PREFIX)),/etc,$(PREFIX)/etc)
SYSTEMDUNITDIR ?= $(if $(filter /usr /usr/,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

# the configuration is never overwritten: an existing one is kept
install-settled: $(SETTLED_OUT)/settled
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/meterlink $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(SETTLED_OUT)/settled $(DESTDIR)$(SBINDIR)/settled
	install -m 0644 $(SETTLED_DIR)/settled.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(SETTLED_DIR)/settled.conf.5 $(DESTDIR)$(MANDIR)/man5/
	sed -e 's|@SBINDIR@|$(SBINDIR)|' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|' \
		$(SETTLED_DIR)/settled.service.in >$(DESTDIR)$(SYSTEMDUNITDIR)/settled.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/settled.service
	install -m 0644 $(SETTLED_DIR)/settled.sysusers $(DESTDIR)$(SYSUSERSDIR)/settled.conf
	install -m 0644 $(SETTLED_DIR)/completion/settled.bash $(DESTDIR)$(BASHCOMPDIR)/settled
	test -e $(DESTDIR)$(SYSCONFDIR)/meterlink/settled.conf || \
		install -m 0644 $(SETTLED_DIR)/settled.conf $(DESTDIR)$(SYSCONFDIR)/meterlink/settled.conf

# ---- tests ----

$(SETTLED_OUT)/test_%: $(SETTLED_TDIR)/test_%.c $(SETTLED_PURE) $(wildcard $(SETTLED_DIR)/*.h $(SETTLED_TDIR)/*.h)
	@mkdir -p $(dir $@)
	$(SETTLED_Q)$(CC) $(SETTLED_WARN) $(SETTLED_SAN) $(SETTLED_INC) $(SETTLED_PKG_CFLAGS) \
		-o $@ $< $(SETTLED_PURE) $(SETTLED_PKG_LIBS) -lcmocka

# the dispatch scan against a real ledger: libmlledger's sanitized objects
# and its test helpers (certified blocks, gateway keys)
$(SETTLED_OUT)/test_scan: $(SETTLED_TDIR)/test_scan.c $(SETTLED_DIR)/scan.c $(SETTLED_PURE) \
		$(LEDGER_SOBJS) $(LEDGER_THELP) $(wildcard $(SETTLED_DIR)/*.h)
	@mkdir -p $(dir $@)
	$(SETTLED_Q)$(CC) $(SETTLED_WARN) $(SETTLED_SAN) $(SETTLED_INC) -I$(LEDGER_TDIR) \
		$(SETTLED_PKG_CFLAGS) -o $@ $< $(SETTLED_DIR)/scan.c $(LEDGER_TDIR)/helpers.c \
		$(SETTLED_PURE) $(LEDGER_SOBJS) $(SETTLED_PKG_LIBS) $(LEDGER_PKG_LIBS) -lcmocka

check-settled-host: $(SETTLED_OUT)/settled $(SETTLED_UNIT_BINS) $(BUILD)/tools/ledgerctl/ledgerctl
	$(SETTLED_Q)set -e; export CMOCKA_MESSAGE_OUTPUT=TAP; \
	for t in $(SETTLED_UNIT_BINS); do echo "# $$(basename $$t)"; \
		TMPDIR=$(SETTLED_OUT) $$t; done
	$(SETTLED_Q)SETTLED=$(SETTLED_OUT)/settled LEDGERCTL=$(BUILD)/tools/ledgerctl/ledgerctl \
		$(SETTLED_TDIR)/host.sh
	@echo "check-settled-host: all passed"

$(SETTLED_OUT)/mktx: $(SETTLED_TDIR)/mktx.c $(LEDGER_OUT)/libmlledger.a
	$(SETTLED_Q)$(CC) $(SETTLED_WARN) -O1 -g -Ilib/ledger -o $@ $< \
		$(LEDGER_OUT)/libmlledger.a $(LEDGER_PKG_LIBS)

settled-guest-tests: $(SETTLED_OUT)/settled $(SETTLED_OUT)/mktx meterctl

check-settled-guest: settled-guest-tests
	$(SETTLED_Q)rm -rf $(SETTLED_OUT)/vtpm
	$(SETTLED_Q)METERLINK_BUILD=$(BUILD) tests/qemu/run-guest --timeout $${SETTLED_TEST_TIMEOUT:-1800} \
		--log $(BUILD)/qemu/settled.log --tpm $(SETTLED_OUT)/vtpm \
		--insmod kernel/meterlink_sim.ko --insmod kernel/meterlink.ko \
		-- $(CURDIR)/$(SETTLED_TDIR)/guest.sh $(SETTLED_KILL_LOOPS)

# dispatch instructions from another submitter on a network chain: settled
# as a follower of one mlnode validator in a QEMU guest (tests/settled/network.sh)
settled-dispatch-tests: $(SETTLED_OUT)/settled $(SETTLED_OUT)/mktx mlnode $(BUILD)/demo/mkgenesis

check-settled-dispatch: settled-dispatch-tests
	$(SETTLED_Q)METERLINK_BUILD=$(BUILD) tests/qemu/run-guest --timeout $${SETTLED_TEST_TIMEOUT:-900} \
		--log $${SETTLED_DISPATCH_LOG:-$(BUILD)/qemu/settled-dispatch.log} \
		--insmod kernel/meterlink_sim.ko --insmod kernel/meterlink.ko \
		-- $(CURDIR)/$(SETTLED_TDIR)/network.sh

check-settled-long:
	$(SETTLED_Q)$(MAKE) --no-print-directory check-settled-guest SETTLED_KILL_LOOPS=50 \
		SETTLED_TEST_TIMEOUT=3600
