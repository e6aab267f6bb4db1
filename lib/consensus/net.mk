# SPDX-License-Identifier: GPL-2.0
#
# The consensus transport (mlnet) and mempool (mlpool): included from the
# top-level Makefile after lib/ledger/ledger.mk, paths relative to the
# repository root, everything built under $(BUILD)/consensus-net/.
#
#   make check-consensus-net   cmocka units over real loopback sockets and a
#                              real SQLite ledger under ASan+UBSan (TAP), a
#                              short libFuzzer run of the frame decoder, then
#                              three nodes in network namespaces (root)
#   make bench-consensus-net   mempool admission rate vs raw Ed25519 verifies
#
# CN_FUZZ_SECONDS sets the length of the fuzzer run (default 10).

CN_DIR := lib/consensus
CN_TDIR := tests/consensus-net
CN_OUT := $(BUILD)/consensus-net
CN_FUZZ_SECONDS ?= 10
CN_PKGS := libzmq libsodium libcrypto sqlite3
CN_PKG_CFLAGS = $(shell pkg-config --cflags $(CN_PKGS))
CN_PKG_LIBS = $(shell pkg-config --libs $(CN_PKGS)) -lpthread

CN_SRCS := $(CN_DIR)/net.c $(CN_DIR)/net_auth.c $(CN_DIR)/mempool.c
CN_HDRS := $(CN_DIR)/net.h $(CN_DIR)/net_priv.h $(CN_DIR)/mempool.h
CN_INC := -I$(CN_DIR) -I$(LEDGER_DIR) -I$(CN_TDIR) -I$(LEDGER_TDIR)
CN_TESTS := test_net test_mempool
CN_TEST_BINS := $(addprefix $(CN_OUT)/,$(CN_TESTS))

.PHONY: check-consensus-net bench-consensus-net

$(CN_OUT)/san/%.o: $(CN_DIR)/%.c $(CN_HDRS) $(LEDGER_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(CN_INC) $(CN_PKG_CFLAGS) -c -o $@ $<

$(CN_OUT)/obj/%.o: $(CN_DIR)/%.c $(CN_HDRS) $(LEDGER_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_CFLAGS) $(CN_INC) $(CN_PKG_CFLAGS) -c -o $@ $<

CN_SOBJS := $(patsubst $(CN_DIR)/%.c,$(CN_OUT)/san/%.o,$(CN_SRCS))
CN_OBJS := $(patsubst $(CN_DIR)/%.c,$(CN_OUT)/obj/%.o,$(CN_SRCS))

$(CN_OUT)/test_%: $(CN_TDIR)/test_%.c $(CN_SOBJS) $(LEDGER_SOBJS) $(LEDGER_THELP) $(CN_TDIR)/keys.h
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(CN_INC) $(CN_PKG_CFLAGS) -o $@ \
		$< $(LEDGER_TDIR)/helpers.c $(CN_SOBJS) $(LEDGER_SOBJS) \
		$(CN_PKG_LIBS) -lcmocka

$(CN_OUT)/cn_node: $(CN_TDIR)/cn_node.c $(CN_SOBJS) $(LEDGER_SOBJS) $(CN_TDIR)/keys.h
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(CN_INC) $(CN_PKG_CFLAGS) -o $@ \
		$< $(CN_SOBJS) $(LEDGER_SOBJS) $(CN_PKG_LIBS)

$(CN_OUT)/fuzz_frame: $(CN_TDIR)/fuzz_frame.c $(CN_DIR)/net.c $(CN_DIR)/net_auth.c $(CN_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CLANG) $(LEDGER_WARN) -O1 -g $(CN_INC) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(CN_PKG_CFLAGS) -o $@ $< $(CN_DIR)/net.c $(CN_DIR)/net_auth.c \
		$(CN_PKG_LIBS)

$(CN_OUT)/bench_mempool: $(CN_TDIR)/bench_mempool.c $(CN_OBJS) $(LEDGER_OBJS) $(LEDGER_THELP)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_WARN) -O2 -g $(CN_INC) $(CN_PKG_CFLAGS) -o $@ \
		$< $(LEDGER_TDIR)/helpers.c $(CN_OBJS) $(LEDGER_OBJS) $(CN_PKG_LIBS)

$(CN_OUT)/.clang-clean: $(CN_SRCS) $(CN_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)for f in $(CN_SRCS); do \
		$(LEDGER_CLANG) $(LEDGER_WARN) $(CN_INC) $(CN_PKG_CFLAGS) -fsyntax-only $$f \
			|| exit 1; done
	@touch $@

check-consensus-net: $(CN_OUT)/.clang-clean $(CN_TEST_BINS) $(CN_OUT)/fuzz_frame \
		$(CN_OUT)/cn_node
	$(LEDGER_Q)set -e; export CMOCKA_MESSAGE_OUTPUT=TAP; \
	for t in $(CN_TEST_BINS); do \
		echo "# $$(basename $$t)"; TMPDIR=$(CN_OUT) $$t; \
	done
	$(LEDGER_Q)rm -rf $(CN_OUT)/corpus-frame && mkdir -p $(CN_OUT)/corpus-frame; \
	echo "# fuzz_frame: $(CN_FUZZ_SECONDS) s"; \
	$(CN_OUT)/fuzz_frame -max_total_time=$(CN_FUZZ_SECONDS) -print_final_stats=0 \
		-artifact_prefix=$(CN_OUT)/fuzz_frame- $(CN_OUT)/corpus-frame \
		2>$(CN_OUT)/fuzz_frame.log \
	|| { tail -n 40 $(CN_OUT)/fuzz_frame.log; exit 1; }; \
	grep -E '^Done [0-9]+ runs' $(CN_OUT)/fuzz_frame.log || true
	$(LEDGER_Q)$(CN_TDIR)/netns.sh $(CN_OUT)/cn_node
	@echo "check-consensus-net: all passed"

bench-consensus-net: $(CN_OUT)/bench_mempool
	$(LEDGER_Q)TMPDIR=$(CN_OUT) $<
