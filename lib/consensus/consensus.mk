# SPDX-License-Identifier: GPL-2.0
#
# The consensus engine: included from the top-level Makefile after
# lib/ledger/ledger.mk, paths relative to the repository root, everything
# built under $(BUILD)/consensus/.
#
#   make consensus             libmlconsensus.a (engine, messages, sign state)
#   make check-consensus       cmocka units and the simulated-network
#                              scenarios under ASan+UBSan (TAP), then a
#                              short libFuzzer run of the message decoder
#   make check-consensus-long  the same scenarios over many more seeds
#   make bench-consensus       blocks/s and finality latency in the
#                              simulation against the Ed25519 verify ceiling
#
# CONSENSUS_SEEDS / CONSENSUS_LONG_SEEDS: seeds per randomized scenario
# (1 and 20; the long run takes about 20 s per seed and scenario family);
# CONSENSUS_FUZZ_SECONDS: length of the fuzzer run (default 20).

CS_DIR := lib/consensus
CS_TDIR := tests/consensus
CS_OUT := $(BUILD)/consensus
CONSENSUS_SEEDS ?= 1
CONSENSUS_LONG_SEEDS ?= 20
# the long run's files; tmpfs spares the disk (in one process fsync only
# costs time: what it guarantees is outside what a simulation can show)
CONSENSUS_LONG_TMP ?= $(firstword $(wildcard /dev/shm) $(CS_OUT)/tmp)
CONSENSUS_FUZZ_SECONDS ?= 20

CS_SRCS := $(CS_DIR)/msg.c $(CS_DIR)/signstate.c $(CS_DIR)/engine.c \
	$(CS_DIR)/propose.c $(CS_DIR)/sync.c $(CS_DIR)/evidence.c
CS_HDRS := $(CS_DIR)/consensus.h $(CS_DIR)/engine.h $(LEDGER_HDRS)
CS_INC := -I$(CS_DIR) -I$(LEDGER_DIR)
CS_OBJS := $(patsubst $(CS_DIR)/%.c,$(CS_OUT)/obj/%.o,$(CS_SRCS))
CS_SOBJS := $(patsubst $(CS_DIR)/%.c,$(CS_OUT)/san/%.o,$(CS_SRCS))
CS_TESTS := test_msg test_signstate test_sim
CS_TEST_BINS := $(addprefix $(CS_OUT)/,$(CS_TESTS))
CS_THELP := $(CS_TDIR)/sim.c $(CS_TDIR)/sim.h $(LEDGER_TDIR)/helpers.c \
	$(LEDGER_TDIR)/helpers.h

.PHONY: consensus check-consensus check-consensus-long bench-consensus \
	consensus-corpus
.SECONDARY: $(CS_OBJS) $(CS_SOBJS)

consensus: $(CS_OUT)/libmlconsensus.a

$(CS_OUT)/obj/%.o: $(CS_DIR)/%.c $(CS_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_CFLAGS) $(CS_INC) $(LEDGER_PKG_CFLAGS) -c -o $@ $<

$(CS_OUT)/san/%.o: $(CS_DIR)/%.c $(CS_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(CS_INC) $(LEDGER_PKG_CFLAGS) -c -o $@ $<

$(CS_OUT)/libmlconsensus.a: $(CS_OBJS)
	$(LEDGER_Q)rm -f $@ && ar rcs $@ $^

$(CS_OUT)/test_%: $(CS_TDIR)/test_%.c $(CS_SOBJS) $(LEDGER_SOBJS) $(CS_THELP)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(CS_INC) -I$(LEDGER_TDIR) \
		$(LEDGER_PKG_CFLAGS) -o $@ $< $(CS_TDIR)/sim.c \
		$(LEDGER_TDIR)/helpers.c $(CS_SOBJS) $(LEDGER_SOBJS) \
		$(LEDGER_PKG_LIBS) -lcmocka

$(CS_OUT)/fuzz_msg: $(CS_TDIR)/fuzz/fuzz_msg.c $(CS_SRCS) $(CS_HDRS) $(LEDGER_SRCS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CLANG) $(LEDGER_WARN) -O1 -g $(CS_INC) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(LEDGER_PKG_CFLAGS) -o $@ $< $(CS_SRCS) $(LEDGER_SRCS) \
		$(LEDGER_PKG_LIBS)

$(CS_OUT)/bench: $(CS_TDIR)/bench.c $(CS_OBJS) $(LEDGER_OBJS) $(CS_THELP)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_WARN) -O2 -g $(CS_INC) -I$(LEDGER_TDIR) \
		$(LEDGER_PKG_CFLAGS) -o $@ $< $(CS_TDIR)/sim.c \
		$(LEDGER_TDIR)/helpers.c $(CS_OBJS) $(LEDGER_OBJS) $(LEDGER_PKG_LIBS)

$(CS_OUT)/gen_corpus: $(CS_TDIR)/gen_corpus.c $(CS_OBJS) $(LEDGER_OBJS) $(CS_THELP)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_WARN) -O1 -g $(CS_INC) -I$(LEDGER_TDIR) \
		$(LEDGER_PKG_CFLAGS) -o $@ $< $(CS_TDIR)/sim.c \
		$(LEDGER_TDIR)/helpers.c $(CS_OBJS) $(LEDGER_OBJS) $(LEDGER_PKG_LIBS)

# Regenerates the seed corpus (kept in git; run after a format change).
consensus-corpus: $(CS_OUT)/gen_corpus
	$(LEDGER_Q)mkdir -p $(CS_OUT)/tmp && rm -f $(CS_TDIR)/corpus/msg/* && \
	TMPDIR=$(CS_OUT)/tmp $< $(CS_TDIR)/corpus/msg

$(CS_OUT)/.clang-clean: $(CS_SRCS) $(CS_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)for f in $(CS_SRCS); do \
		$(LEDGER_CLANG) $(LEDGER_WARN) $(CS_INC) $(LEDGER_PKG_CFLAGS) \
			-fsyntax-only $$f || exit 1; done
	@touch $@

# The tests write ledgers and sign-state files under $(CS_OUT)/tmp, with
# real fsync; a scenario prints its seed, so a failure can be replayed
# with CS_SEED=<seed> $(CS_OUT)/test_sim.
define cs_run_tests
	$(LEDGER_Q)set -e; export CMOCKA_MESSAGE_OUTPUT=TAP; \
	mkdir -p $(CS_OUT)/tmp; \
	for t in $(CS_TEST_BINS); do \
		echo "# $$(basename $$t)"; \
		TMPDIR=$(2) CS_SEEDS=$(1) $$t; \
	done
endef

check-consensus: consensus $(CS_OUT)/.clang-clean $(CS_TEST_BINS) $(CS_OUT)/fuzz_msg
	$(call cs_run_tests,$(CONSENSUS_SEEDS),$(CS_OUT)/tmp)
	$(LEDGER_Q)rm -rf $(CS_OUT)/corpus-msg && mkdir -p $(CS_OUT)/corpus-msg; \
	echo "# fuzz_msg: $(CONSENSUS_FUZZ_SECONDS) s"; \
	$(CS_OUT)/fuzz_msg -max_total_time=$(CONSENSUS_FUZZ_SECONDS) \
		-print_final_stats=0 -artifact_prefix=$(CS_OUT)/fuzz_msg- \
		$(CS_OUT)/corpus-msg $(CS_TDIR)/corpus/msg \
		2>$(CS_OUT)/fuzz_msg.log \
	|| { tail -n 40 $(CS_OUT)/fuzz_msg.log; exit 1; }; \
	grep -E '^Done [0-9]+ runs' $(CS_OUT)/fuzz_msg.log || true
	@echo "check-consensus: all passed"

check-consensus-long: consensus $(CS_TEST_BINS)
	$(call cs_run_tests,$(CONSENSUS_LONG_SEEDS),$(CONSENSUS_LONG_TMP))
	@echo "check-consensus-long: all passed"

bench-consensus: $(CS_OUT)/bench
	$(LEDGER_Q)mkdir -p $(CS_OUT)/tmp && TMPDIR=$(CS_OUT)/tmp $(CS_OUT)/bench
