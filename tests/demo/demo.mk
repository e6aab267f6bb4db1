# SPDX-License-Identifier: GPL-2.0
#
# The neighbourhood demo (make demo, tests/demo.sh) and settled's network
# mode test:
#
#   make demo-tools              what the guest scripts run
#   make check-settled-network   4 settled in network mode in a QEMU guest,
#                                software keys: the reports of one reach all
#                                four chains identically (TAP)
#   make check-demo              make demo, checked (exit 0 only if every step
#                                happened)

DEMO_OUT := $(BUILD)/demo

.PHONY: demo-tools check-settled-network check-demo

$(DEMO_OUT)/mkgenesis: tests/demo/mkgenesis.c $(LEDGER_OUT)/libmlledger.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SETTLED_WARN) -O1 -g -Ilib/ledger -o $@ $< \
		$(LEDGER_OUT)/libmlledger.a $(LEDGER_PKG_LIBS)

demo-tools: $(DEMO_OUT)/mkgenesis settled mlnode ledgerctl meterctl tools

check-settled-network: modules demo-tools
	$(Q)METERLINK_BUILD=$(BUILD) tests/qemu/run-guest --timeout 900 \
		--log $(BUILD)/qemu/settled-network.log \
		--insmod kernel/meterlink_sim.ko --insmod kernel/meterlink.ko \
		-- $(CURDIR)/tests/demo/network.sh

check-demo: demo
