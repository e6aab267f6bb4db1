# SPDX-License-Identifier: GPL-2.0
#
# mltpm, the TPM layer of settled (lib/mltpm): included from the top-level
# Makefile, paths relative to the repository root, built under
# $(BUILD)/mltpm/. Links the ledger objects for the P-256 helpers.
#
#   make mltpm           libmltpm.a (link with libmlledger.a and MLTPM_LIBS)
#   make check-tpm       cmocka tests (TAP) under ASan+UBSan against swtpm
#   make bench-tpm       swtpm signatures/s against libsodium Ed25519 signs/s
#   make mltpm-deps      the Debian packages all of that needs

MLTPM_DEB_PACKAGES := libtss2-dev swtpm tpm2-tools openssl

MLTPM_DIR := lib/mltpm
MLTPM_TDIR := tests/tpm
MLTPM_OUT := $(BUILD)/mltpm
MLTPM_PKGS := tss2-esys tss2-tctildr tss2-mu tss2-rc libsodium libcrypto
MLTPM_PKG_CFLAGS = $(shell pkg-config --cflags $(MLTPM_PKGS))
MLTPM_LIBS = $(shell pkg-config --libs $(MLTPM_PKGS) sqlite3) -lpthread
MLTPM_HDRS := $(MLTPM_DIR)/mltpm.h $(MLTPM_DIR)/internal.h $(LEDGER_DIR)/ledger.h
MLTPM_SRCS := $(sort $(wildcard $(MLTPM_DIR)/*.c))
MLTPM_OBJS := $(patsubst $(MLTPM_DIR)/%.c,$(MLTPM_OUT)/obj/%.o,$(MLTPM_SRCS))
MLTPM_SOBJS := $(patsubst $(MLTPM_DIR)/%.c,$(MLTPM_OUT)/san/%.o,$(MLTPM_SRCS))
MLTPM_THELP := $(MLTPM_TDIR)/swtpm.c $(MLTPM_TDIR)/swtpm.h

.PHONY: mltpm check-tpm bench-tpm mltpm-deps
.SECONDARY: $(MLTPM_OBJS) $(MLTPM_SOBJS)

mltpm: $(MLTPM_OUT)/libmltpm.a

mltpm-deps:
	@echo $(MLTPM_DEB_PACKAGES)

$(MLTPM_OUT)/obj/%.o: $(MLTPM_DIR)/%.c $(MLTPM_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_CFLAGS) $(MLTPM_PKG_CFLAGS) -c -o $@ $<

$(MLTPM_OUT)/san/%.o: $(MLTPM_DIR)/%.c $(MLTPM_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(MLTPM_PKG_CFLAGS) -c -o $@ $<

$(MLTPM_OUT)/libmltpm.a: $(MLTPM_OBJS)
	$(LEDGER_Q)rm -f $@ && ar rcs $@ $^

$(MLTPM_OUT)/.clang-clean: $(MLTPM_SRCS) $(MLTPM_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)for f in $(MLTPM_SRCS); do \
		$(LEDGER_CLANG) $(LEDGER_WARN) $(MLTPM_PKG_CFLAGS) \
			-fsyntax-only $$f || exit 1; done
	@touch $@

$(MLTPM_OUT)/test_mltpm: $(MLTPM_TDIR)/test_mltpm.c $(MLTPM_SOBJS) \
		$(LEDGER_SOBJS) $(MLTPM_THELP)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(MLTPM_PKG_CFLAGS) -o $@ \
		$< $(MLTPM_TDIR)/swtpm.c $(MLTPM_SOBJS) \
		$(LEDGER_SOBJS) $(MLTPM_LIBS) -lcmocka

$(MLTPM_OUT)/bench_tpm: $(MLTPM_TDIR)/bench_tpm.c $(MLTPM_OUT)/libmltpm.a \
		$(LEDGER_OUT)/libmlledger.a $(MLTPM_THELP)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_WARN) -O2 -g $(MLTPM_PKG_CFLAGS) \
		-o $@ $< $(MLTPM_TDIR)/swtpm.c $(MLTPM_OUT)/libmltpm.a \
		$(LEDGER_OUT)/libmlledger.a $(MLTPM_LIBS)

check-tpm: $(MLTPM_OUT)/libmltpm.a $(MLTPM_OUT)/.clang-clean \
		$(MLTPM_OUT)/test_mltpm
	$(LEDGER_Q)CMOCKA_MESSAGE_OUTPUT=TAP TMPDIR=$(MLTPM_OUT) \
		TSS2_LOG=all+NONE $(MLTPM_OUT)/test_mltpm
	@echo "check-tpm: all passed"

bench-tpm: $(MLTPM_OUT)/bench_tpm
	$(LEDGER_Q)TMPDIR=$(MLTPM_OUT) TSS2_LOG=all+NONE $(MLTPM_OUT)/bench_tpm
