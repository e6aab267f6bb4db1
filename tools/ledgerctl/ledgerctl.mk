# SPDX-License-Identifier: GPL-2.0
#
# ledgerctl: included from the top-level Makefile, which defines BUILD and
# includes lib/ledger/ledger.mk first. Built under $(BUILD)/tools/ledgerctl.
#
#   make ledgerctl           the tool (libmlledger linked in statically)
#   make install-ledgerctl   tool, man page and bash completion under
#                            $(DESTDIR)$(PREFIX)
#   make check-ledgerctl     cmocka units, then the command-line tests
#                            (tests/ledgerctl/run.sh) against ledgers made
#                            by tests/ledgerctl/mkledger.c, everything
#                            under ASan+UBSan (TAP)
#   make ledgerctl-deps      the Debian packages all of that needs

LEDGERCTL_DEB_PACKAGES := libjansson-dev libsodium-dev libsqlite3-dev \
	libssl-dev libcmocka-dev python3 man-db

LC_ROOT := $(patsubst %/tools/ledgerctl/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
LC_DIR := $(LC_ROOT)/tools/ledgerctl
LC_TDIR := $(LC_ROOT)/tests/ledgerctl
LC_OUT := $(BUILD)/tools/ledgerctl
LC_LDIR := $(LC_ROOT)/lib/ledger

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

LC_CC ?= gcc
LC_PKGS := jansson libsodium libcrypto sqlite3
LC_PKG_CFLAGS = $(shell pkg-config --cflags $(LC_PKGS))
LC_PKG_LIBS = $(shell pkg-config --libs $(LC_PKGS))
LC_WARN := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror
LC_CFLAGS := $(LC_WARN) -O2 -g -MMD -MP -I$(LC_DIR) -I$(LC_LDIR)
LC_SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

LC_SRCS := $(sort $(wildcard $(LC_DIR)/*.c))
LC_OBJS := $(patsubst $(LC_DIR)/%.c,$(LC_OUT)/obj/%.o,$(LC_SRCS))
LC_SOBJS := $(patsubst $(LC_DIR)/%.c,$(LC_OUT)/san/%.o,$(LC_SRCS))

ifeq ($(V),1)
LC_Q :=
else
LC_Q := @
endif

.PHONY: ledgerctl install-ledgerctl check-ledgerctl ledgerctl-deps

ledgerctl: $(LC_OUT)/ledgerctl

ledgerctl-deps:
	@echo $(LEDGERCTL_DEB_PACKAGES)

-include $(LC_OBJS:.o=.d) $(LC_SOBJS:.o=.d)

$(LC_OUT)/obj/%.o: $(LC_DIR)/%.c
	@mkdir -p $(dir $@)
	$(LC_Q)$(LC_CC) $(LC_CFLAGS) $(LC_PKG_CFLAGS) -c -o $@ $<

$(LC_OUT)/san/%.o: $(LC_DIR)/%.c
	@mkdir -p $(dir $@)
	$(LC_Q)$(LC_CC) $(LC_CFLAGS) $(LC_SAN) $(LC_PKG_CFLAGS) -c -o $@ $<

$(LC_OUT)/ledgerctl: $(LC_OBJS) $(LEDGER_OUT)/libmlledger.a
	$(LC_Q)$(LC_CC) -o $@ $(LC_OBJS) $(LEDGER_OUT)/libmlledger.a $(LC_PKG_LIBS)

# the same tool under the sanitizers, for the tests
$(LC_OUT)/ledgerctl-san: $(LC_SOBJS) $(LEDGER_SOBJS)
	$(LC_Q)$(LC_CC) $(LC_SAN) -o $@ $(LC_SOBJS) $(LEDGER_SOBJS) $(LC_PKG_LIBS)

$(LC_OUT)/mkledger: $(LC_TDIR)/mkledger.c $(LEDGER_SOBJS) $(LEDGER_THELP)
	@mkdir -p $(dir $@)
	$(LC_Q)$(LC_CC) $(LEDGER_TCFLAGS) -I$(LEDGER_TDIR) $(LC_PKG_CFLAGS) -o $@ \
		$< $(LEDGER_TDIR)/helpers.c $(LEDGER_SOBJS) $(LC_PKG_LIBS)

$(LC_OUT)/applytx: $(LC_TDIR)/applytx.c $(LEDGER_SOBJS) $(LEDGER_THELP)
	@mkdir -p $(dir $@)
	$(LC_Q)$(LC_CC) $(LEDGER_TCFLAGS) -I$(LEDGER_TDIR) $(LC_PKG_CFLAGS) -o $@ \
		$< $(LEDGER_TDIR)/helpers.c $(LEDGER_SOBJS) $(LC_PKG_LIBS)

# units link the pure sources directly
$(LC_OUT)/test_format: $(LC_TDIR)/test_format.c $(LC_DIR)/format.c \
		$(LC_DIR)/ledgerctl.h $(LEDGER_SOBJS)
	@mkdir -p $(dir $@)
	$(LC_Q)$(LC_CC) $(LC_WARN) $(LC_SAN) -I$(LC_DIR) -I$(LC_LDIR) \
		$(LC_PKG_CFLAGS) -o $@ $< $(LC_DIR)/format.c $(LEDGER_SOBJS) \
		$(LC_PKG_LIBS) -lcmocka

install-ledgerctl: $(LC_OUT)/ledgerctl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(LC_OUT)/ledgerctl $(DESTDIR)$(BINDIR)/ledgerctl
	install -m 0644 $(LC_DIR)/ledgerctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(LC_DIR)/completion/ledgerctl.bash \
		$(DESTDIR)$(BASHCOMPDIR)/ledgerctl

check-ledgerctl: $(LC_OUT)/ledgerctl $(LC_OUT)/ledgerctl-san $(LC_OUT)/mkledger \
		$(LC_OUT)/applytx $(LC_OUT)/test_format
	$(LC_Q)echo "# test_format"; CMOCKA_MESSAGE_OUTPUT=TAP $(LC_OUT)/test_format
	$(LC_Q)rm -rf $(LC_OUT)/destdir
	$(LC_Q)$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) \
		install-ledgerctl DESTDIR=$(LC_OUT)/destdir PREFIX=/usr >/dev/null
	$(LC_Q)LEDGERCTL=$(LC_OUT)/ledgerctl-san MKLEDGER=$(LC_OUT)/mkledger \
		APPLYTX=$(LC_OUT)/applytx \
		LC_DESTDIR=$(LC_OUT)/destdir LC_GOLDEN=$(LC_TDIR)/golden \
		TMPDIR=$(LC_OUT) $(LC_TDIR)/run.sh
	@echo "check-ledgerctl: all passed"
