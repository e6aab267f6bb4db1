# SPDX-License-Identifier: GPL-2.0
#
# The ledger core: included from the top-level Makefile, paths relative to
# the repository root, everything built under $(BUILD)/ledger/.
#
#   make ledger          libmlledger.a and libmlledger.so
#   make check-ledger    cmocka units and property tests under ASan+UBSan
#                        (TAP), then a short libFuzzer run of every decoder
#   make bench-ledger    throughput ratios (printed, never asserted)
#   make ledger-deps     the Debian packages all of that needs
#
# LEDGER_FUZZ_SECONDS sets the length of each fuzzer run (default 20).

LEDGER_DEB_PACKAGES := libsodium-dev libssl-dev libsqlite3-dev libcmocka-dev \
	pkg-config gcc clang libclang-rt-14-dev

LEDGER_DIR := lib/ledger
LEDGER_TDIR := tests/ledger
LEDGER_OUT := $(BUILD)/ledger
LEDGER_CC ?= gcc
LEDGER_CLANG ?= clang
LEDGER_FUZZ_SECONDS ?= 20
LEDGER_PKGS := libsodium libcrypto sqlite3

LEDGER_PKG_CFLAGS = $(shell pkg-config --cflags $(LEDGER_PKGS))
LEDGER_PKG_LIBS = $(shell pkg-config --libs $(LEDGER_PKGS))
LEDGER_WARN := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror
LEDGER_CFLAGS := $(LEDGER_WARN) -O2 -g -fPIC -fvisibility=default
LEDGER_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
LEDGER_TCFLAGS := $(LEDGER_WARN) -O1 -g $(LEDGER_SAN) -I$(LEDGER_DIR)

LEDGER_SRCS := $(sort $(wildcard $(LEDGER_DIR)/*.c))
LEDGER_HDRS := $(wildcard $(LEDGER_DIR)/*.h)
LEDGER_OBJS := $(patsubst $(LEDGER_DIR)/%.c,$(LEDGER_OUT)/obj/%.o,$(LEDGER_SRCS))
LEDGER_SOBJS := $(patsubst $(LEDGER_DIR)/%.c,$(LEDGER_OUT)/san/%.o,$(LEDGER_SRCS))

LEDGER_TESTS := test_codec test_state test_market test_auction_prop \
	test_settle test_dispatch test_replay test_sigcache test_keep
LEDGER_TEST_BINS := $(addprefix $(LEDGER_OUT)/,$(LEDGER_TESTS))
LEDGER_FUZZERS := tx block report genesis
LEDGER_FUZZ_BINS := $(addprefix $(LEDGER_OUT)/fuzz_,$(LEDGER_FUZZERS))
LEDGER_THELP := $(LEDGER_TDIR)/helpers.c $(LEDGER_TDIR)/helpers.h

ifeq ($(V),1)
LEDGER_Q :=
else
LEDGER_Q := @
endif

.PHONY: ledger check-ledger bench-ledger ledger-deps ledger-corpus
.SECONDARY: $(LEDGER_SOBJS) $(LEDGER_OBJS)

ledger: $(LEDGER_OUT)/libmlledger.a $(LEDGER_OUT)/libmlledger.so

ledger-deps:
	@echo $(LEDGER_DEB_PACKAGES)

$(LEDGER_OUT)/obj/%.o: $(LEDGER_DIR)/%.c $(LEDGER_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_CFLAGS) $(LEDGER_PKG_CFLAGS) -c -o $@ $<

$(LEDGER_OUT)/san/%.o: $(LEDGER_DIR)/%.c $(LEDGER_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(LEDGER_PKG_CFLAGS) -c -o $@ $<

$(LEDGER_OUT)/libmlledger.a: $(LEDGER_OBJS)
	$(LEDGER_Q)rm -f $@ && ar rcs $@ $^

$(LEDGER_OUT)/libmlledger.so: $(LEDGER_OBJS)
	$(LEDGER_Q)$(LEDGER_CC) -shared -Wl,-soname,libmlledger.so.0 -o $@ $^ \
		$(LEDGER_PKG_LIBS)

# Tests link the sanitized objects directly, so internal headers work.
$(LEDGER_OUT)/test_%: $(LEDGER_TDIR)/test_%.c $(LEDGER_SOBJS) $(LEDGER_THELP)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(LEDGER_PKG_CFLAGS) -o $@ \
		$< $(LEDGER_TDIR)/helpers.c $(LEDGER_SOBJS) \
		$(LEDGER_PKG_LIBS) -lcmocka

$(LEDGER_OUT)/fuzz_%: $(LEDGER_TDIR)/fuzz/fuzz_%.c $(LEDGER_SRCS) $(LEDGER_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CLANG) $(LEDGER_WARN) -O1 -g -I$(LEDGER_DIR) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(LEDGER_PKG_CFLAGS) -o $@ $< $(LEDGER_SRCS) $(LEDGER_PKG_LIBS)

$(LEDGER_OUT)/bench: $(LEDGER_TDIR)/bench.c $(LEDGER_OBJS) $(LEDGER_THELP)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_WARN) -O2 -g -I$(LEDGER_DIR) \
		$(LEDGER_PKG_CFLAGS) -o $@ $< $(LEDGER_TDIR)/helpers.c \
		$(LEDGER_OBJS) $(LEDGER_PKG_LIBS)

$(LEDGER_OUT)/gen_corpus: $(LEDGER_TDIR)/gen_corpus.c $(LEDGER_OBJS) $(LEDGER_THELP)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_WARN) -O1 -g -I$(LEDGER_DIR) \
		$(LEDGER_PKG_CFLAGS) -o $@ $< $(LEDGER_TDIR)/helpers.c \
		$(LEDGER_OBJS) $(LEDGER_PKG_LIBS)

# Regenerates the seed corpus (kept in git; run after a format change).
ledger-corpus: $(LEDGER_OUT)/gen_corpus
	$(LEDGER_Q)TMPDIR=$(LEDGER_OUT) $< $(LEDGER_TDIR)/corpus

# The compilers must be warning-free with both gcc and clang.
$(LEDGER_OUT)/.clang-clean: $(LEDGER_SRCS) $(LEDGER_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)for f in $(LEDGER_SRCS); do \
		$(LEDGER_CLANG) $(LEDGER_WARN) $(LEDGER_PKG_CFLAGS) -fsyntax-only $$f \
			|| exit 1; done
	@touch $@

check-ledger: ledger $(LEDGER_OUT)/.clang-clean $(LEDGER_TEST_BINS) $(LEDGER_FUZZ_BINS)
	$(LEDGER_Q)set -e; export CMOCKA_MESSAGE_OUTPUT=TAP; \
	for t in $(LEDGER_TEST_BINS); do \
		echo "# $$(basename $$t)"; \
		TMPDIR=$(LEDGER_OUT) ML_GOLDEN_DIR=$(LEDGER_TDIR)/golden $$t; \
	done
	$(LEDGER_Q)set -e; for f in $(LEDGER_FUZZERS); do \
		rm -rf $(LEDGER_OUT)/corpus-$$f && mkdir -p $(LEDGER_OUT)/corpus-$$f; \
		echo "# fuzz_$$f: $(LEDGER_FUZZ_SECONDS) s"; \
		$(LEDGER_OUT)/fuzz_$$f -max_total_time=$(LEDGER_FUZZ_SECONDS) \
			-print_final_stats=0 -artifact_prefix=$(LEDGER_OUT)/fuzz_$$f- \
			$(LEDGER_OUT)/corpus-$$f $(LEDGER_TDIR)/corpus/$$f \
			2>$(LEDGER_OUT)/fuzz_$$f.log \
		|| { tail -n 40 $(LEDGER_OUT)/fuzz_$$f.log; exit 1; }; \
		grep -E '^Done [0-9]+ runs' $(LEDGER_OUT)/fuzz_$$f.log || true; \
	done
	@echo "check-ledger: all passed"

bench-ledger: $(LEDGER_OUT)/bench
	$(LEDGER_Q)TMPDIR=$(LEDGER_OUT) $(LEDGER_OUT)/bench
