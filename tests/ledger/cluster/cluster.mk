# SPDX-License-Identifier: GPL-2.0
#
# The cluster scenarios of the consensus node: real `mlnode run` processes,
# each in a network namespace of its own, driven and checked from the
# shell (tests/ledger/cluster/cluster.sh). Included from the top-level
# Makefile after lib/consensus/consensus.mk; needs root (ip netns).
#
#   make check-ledger-cluster  every scenario once (n = 1, 4, 7; kills,
#                              partition, clock skew, damaged database),
#                              a kill loop of CLUSTER_KILLS (20) kill -9
#   make check-ledger-long     the same with CLUSTER_LONG_KILLS (120)
#   make bench-ledger-cluster  finalized tx/s and finality p50/p99 of 4
#                              nodes against the Ed25519 ceiling
#
# The byzantine scenario's validator is mlbyz (test-only, never installed):
# the real engine and transport with key 4, signing two proposals and two
# votes per step.
#
# The runs keep their files (logs, databases) under $(BUILD)/cluster/run.

CLU_DIR := tests/ledger/cluster
CLU_OUT := $(BUILD)/cluster
CLU_MLNODE ?= $(BUILD)/consensus/mlnode
CLUSTER_KILLS ?= 20
CLUSTER_LONG_KILLS ?= 120

.PHONY: check-ledger-cluster check-ledger-long bench-ledger-cluster

$(CLU_OUT)/mlcluster: $(CLU_DIR)/mlcluster.c $(LEDGER_OBJS) $(LEDGER_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_WARN) -O2 -g -I$(LEDGER_DIR) \
		$(LEDGER_PKG_CFLAGS) -o $@ $< $(LEDGER_OBJS) $(LEDGER_PKG_LIBS)

$(CLU_OUT)/mlbyz: $(CLU_DIR)/mlbyz.c $(ND_OBJS) $(ND_HDRS) $(LEDGER_OBJS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_WARN) -O2 -g $(ND_INC) $(ND_PKG_CFLAGS) \
		-o $@ $< $(ND_OBJS) $(LEDGER_OBJS) $(ND_PKG_LIBS)

CLU_RUN = MLNODE=$(CLU_MLNODE) MLCLUSTER=$(CLU_OUT)/mlcluster \
	MLBYZ=$(CLU_OUT)/mlbyz CLUSTER_OUT=$(CLU_OUT)/run $(CLU_DIR)/cluster.sh

check-ledger-cluster: $(CLU_OUT)/mlcluster $(CLU_OUT)/mlbyz $(CLU_MLNODE)
	$(LEDGER_Q)CLUSTER_KILLS=$(CLUSTER_KILLS) $(CLU_RUN) check
	@echo "check-ledger-cluster: all passed"

check-ledger-long: $(CLU_OUT)/mlcluster $(CLU_OUT)/mlbyz $(CLU_MLNODE)
	$(LEDGER_Q)CLUSTER_KILLS=$(CLUSTER_LONG_KILLS) $(CLU_RUN) long
	@echo "check-ledger-long: all passed"

bench-ledger-cluster: $(CLU_OUT)/mlcluster $(CLU_MLNODE)
	$(LEDGER_Q)$(CLU_RUN) bench
