# SPDX-License-Identifier: GPL-2.0
#
# The consensus node (lib/consensus/node.c) and the mlnode program
# (tools/mlnode/): included from the top-level Makefile after net.mk and
# consensus.mk, paths relative to the repository root, everything built
# under $(BUILD)/consensus/.
#
#   make mlnode        build/consensus/mlnode and libmlnode.a (node, engine,
#                      transport, mempool; link with libmlledger.a)
#   make check-node    cmocka units (peers file, ctl requests, gossip
#                      batches) under ASan+UBSan, then tests/consensus-node/
#                      run.sh: 4 validators and a follower as real mlnode
#                      processes (built with ASan+UBSan too) on loopback
#                      TCP (TAP)

ND_TDIR := tests/consensus-node
ND_TOOL := tools/mlnode
ND_PKGS := libzmq libsodium libcrypto sqlite3 jansson
ND_PKG_CFLAGS = $(shell pkg-config --cflags $(ND_PKGS))
ND_PKG_LIBS = $(shell pkg-config --libs $(ND_PKGS)) -lpthread
ND_LIB_SRCS := $(CS_SRCS) $(CN_SRCS) $(CS_DIR)/node.c
ND_HDRS := $(CS_HDRS) $(CN_HDRS) $(CS_DIR)/node.h $(ND_TOOL)/ctl.h
ND_INC := -I$(CS_DIR) -I$(LEDGER_DIR) -I$(ND_TOOL)
ND_OBJS := $(patsubst $(CS_DIR)/%.c,$(CS_OUT)/nobj/%.o,$(ND_LIB_SRCS))
ND_SOBJS := $(patsubst $(CS_DIR)/%.c,$(CS_OUT)/nsan/%.o,$(ND_LIB_SRCS))
ND_TOOL_SRCS := $(ND_TOOL)/mlnode.c $(ND_TOOL)/ctl.c

.PHONY: mlnode check-node
.SECONDARY: $(ND_OBJS) $(ND_SOBJS)

mlnode: $(CS_OUT)/mlnode $(CS_OUT)/libmlnode.a

$(CS_OUT)/nobj/%.o: $(CS_DIR)/%.c $(ND_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_CFLAGS) $(ND_INC) $(ND_PKG_CFLAGS) -c -o $@ $<

$(CS_OUT)/nsan/%.o: $(CS_DIR)/%.c $(ND_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(ND_INC) $(ND_PKG_CFLAGS) -c -o $@ $<

$(CS_OUT)/libmlnode.a: $(ND_OBJS)
	$(LEDGER_Q)rm -f $@ && ar rcs $@ $^

$(CS_OUT)/mlnode: $(ND_TOOL_SRCS) $(ND_HDRS) $(ND_OBJS) $(LEDGER_OBJS)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_WARN) -O2 -g $(ND_INC) $(ND_PKG_CFLAGS) \
		-o $@ $(ND_TOOL_SRCS) $(ND_OBJS) $(LEDGER_OBJS) $(ND_PKG_LIBS)

# the same program under ASan+UBSan, for the process test
$(CS_OUT)/mlnode-san: $(ND_TOOL_SRCS) $(ND_HDRS) $(ND_SOBJS) $(LEDGER_SOBJS)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(ND_INC) $(ND_PKG_CFLAGS) \
		-o $@ $(ND_TOOL_SRCS) $(ND_SOBJS) $(LEDGER_SOBJS) $(ND_PKG_LIBS)

$(CS_OUT)/test_node: $(ND_TDIR)/test_node.c $(ND_TOOL)/ctl.c $(ND_HDRS) \
		$(ND_SOBJS) $(LEDGER_SOBJS)
	$(LEDGER_Q)$(LEDGER_CC) $(LEDGER_TCFLAGS) $(ND_INC) $(ND_PKG_CFLAGS) -o $@ \
		$< $(ND_TOOL)/ctl.c $(ND_SOBJS) $(LEDGER_SOBJS) $(ND_PKG_LIBS) \
		-lcmocka

$(CS_OUT)/.node-clang-clean: $(CS_DIR)/node.c $(ND_TOOL_SRCS) $(ND_HDRS)
	@mkdir -p $(dir $@)
	$(LEDGER_Q)for f in $(CS_DIR)/node.c $(ND_TOOL_SRCS); do \
		$(LEDGER_CLANG) $(LEDGER_WARN) $(ND_INC) $(ND_PKG_CFLAGS) \
			-fsyntax-only $$f || exit 1; done
	@touch $@

check-node: $(CS_OUT)/.node-clang-clean $(CS_OUT)/test_node $(CS_OUT)/mlnode \
		$(CS_OUT)/mlnode-san
	$(LEDGER_Q)echo "# test_node"; mkdir -p $(CS_OUT)/tmp; \
	CMOCKA_MESSAGE_OUTPUT=TAP TMPDIR=$(CS_OUT)/tmp $(CS_OUT)/test_node
	$(LEDGER_Q)echo "# consensus-node/run.sh"; \
	$(ND_TDIR)/run.sh $(CS_OUT)/mlnode-san $(CS_OUT)/tmp/node-run
	@echo "check-node: all passed"
