# SPDX-License-Identifier: GPL-2.0
#
# Device tree: the Raspberry Pi overlays in dts-overlays/ and the bindings
# in Documentation/devicetree/bindings/iio/meter/. Included from the
# top-level Makefile (which defines BUILD and KSRC_TAR); paths are relative
# to the repository root, everything is built under $(BUILD)/dtbs/.
#
#   make dtbs         $(BUILD)/dtbs/*.dtbo with "dtc -@"; any dtc warning
#                     fails the build
#   make check-dtbs   dtbs, then: each .dtbo checked with fdtget (nodes,
#                     __fixups__, exact __overrides__ bytes), applied with
#                     fdtoverlay to a stand-in base tree and the result run
#                     through dt-validate; each binding checked with
#                     dt-doc-validate and its example compiled and run
#                     through dt-validate (dt-schema, Debian 12)
#   make dtbs-deps    the Debian packages all of that needs
#
# The dt-bindings headers, spi-peripheral-props.yaml (and what it refers
# to) and vendor-prefixes.yaml come from Debian's linux-source-6.1
# tarball at build time. The "meterlink," property prefix is not a
# registered vendor prefix, so the copy of vendor-prefixes.yaml used here
# gets one line for it.

DTBS_DEB_PACKAGES := device-tree-compiler cpp dt-schema xz-utils \
	linux-source-6.1

DTBS_SRCDIR := dts-overlays
DTBS_BINDINGS_DIR := Documentation/devicetree/bindings
DTBS_BINDINGS := $(wildcard $(DTBS_BINDINGS_DIR)/iio/meter/*.yaml \
	$(DTBS_BINDINGS_DIR)/spi/meterlink,*.yaml)
DTBS_OUT := $(BUILD)/dtbs
DTBS_KSRC := $(DTBS_OUT)/ksrc
DTBS_SCHEMA := $(DTBS_OUT)/schema
DTBS_SRCS := $(wildcard $(DTBS_SRCDIR)/*-overlay.dts)
DTBS := $(patsubst $(DTBS_SRCDIR)/%-overlay.dts,$(DTBS_OUT)/%.dtbo,$(DTBS_SRCS))
DTBS_CPP := cpp -nostdinc -I$(DTBS_KSRC)/include -undef -x assembler-with-cpp -P

# compile $(1) (already preprocessed) to $@; any dtc output is an error
define dtbs_dtc
	$(Q)dtc -@ $(2) -I dts -O dtb -o $@ $(1) 2>$@.log || { cat $@.log >&2; exit 1; }
	$(Q)if [ -s $@.log ]; then cat $@.log >&2; rm -f $@; \
		echo "error: dtc warnings in $(1) (see above)" >&2; exit 1; fi
endef

.PHONY: dtbs check-dtbs check-dt-bindings dtbs-deps

dtbs: $(DTBS)

dtbs-deps:
	$(Q)missing=; for p in $(DTBS_DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get install -y $$missing; fi

$(DTBS_KSRC)/.stamp: $(KSRC_TAR)
	@mkdir -p $(DTBS_KSRC)
	$(Q)tar -xJf $(KSRC_TAR) -C $(DTBS_KSRC) --strip-components=1 \
		--wildcards '*/include/dt-bindings/gpio/gpio.h' \
		'*/include/dt-bindings/interrupt-controller/irq.h' \
		'*/$(DTBS_BINDINGS_DIR)/spi/*.yaml' \
		'*/$(DTBS_BINDINGS_DIR)/vendor-prefixes.yaml'
	@touch $@

.PRECIOUS: $(DTBS_OUT)/%.pp.dts

$(DTBS_OUT)/%.pp.dts: $(DTBS_SRCDIR)/%-overlay.dts $(DTBS_KSRC)/.stamp
	$(Q)$(DTBS_CPP) -o $@ $<

$(DTBS_OUT)/%.dtbo: $(DTBS_OUT)/%.pp.dts
	$(call dtbs_dtc,$<)

$(DTBS_OUT)/test-base.dtb: $(DTBS_SRCDIR)/test-base.dts
	@mkdir -p $(dir $@)
	$(call dtbs_dtc,$<)

# the schema tree dt-mk-schema reads: the kernel's spi/ bindings, its vendor
# prefixes plus "meterlink", and ours
$(DTBS_SCHEMA)/.stamp: $(DTBS_KSRC)/.stamp $(DTBS_BINDINGS)
	$(Q)rm -rf $(DTBS_SCHEMA) && mkdir -p $(DTBS_SCHEMA)/iio/meter
	$(Q)cp -r $(DTBS_KSRC)/$(DTBS_BINDINGS_DIR)/spi $(DTBS_SCHEMA)/
	$(Q)sed '/# Normal property name match without a comma/i\  "^meterlink,.*":\n    description: meterlink (out of tree; not a registered prefix)\n' \
		$(DTBS_KSRC)/$(DTBS_BINDINGS_DIR)/vendor-prefixes.yaml \
		>$(DTBS_SCHEMA)/vendor-prefixes.yaml
	$(Q)grep -q '"^meterlink,' $(DTBS_SCHEMA)/vendor-prefixes.yaml
	$(Q)for y in $(DTBS_BINDINGS); do cp $$y $(DTBS_SCHEMA)/$${y#$(DTBS_BINDINGS_DIR)/}; done
	@touch $@

$(DTBS_OUT)/processed-schema.json: $(DTBS_SCHEMA)/.stamp
	$(Q)dt-mk-schema -j $(DTBS_SCHEMA) >$@.tmp 2>$@.log || { cat $@.log >&2; exit 1; }
	$(Q)if [ -s $@.log ]; then cat $@.log >&2; exit 1; fi
	$(Q)mv $@.tmp $@

# dt-doc-validate and dt-validate report problems on stdout/stderr but exit
# 0, so any output is a failure
check-dt-bindings: $(DTBS_OUT)/processed-schema.json
	$(Q)set -e; for y in $(DTBS_BINDINGS); do \
		n=$$(basename $$y .yaml); o=$(DTBS_OUT)/bindings/$$n; \
		mkdir -p $(DTBS_OUT)/bindings; \
		dt-doc-validate -u $(DTBS_SCHEMA) $(DTBS_SCHEMA)/$${y#$(DTBS_BINDINGS_DIR)/} >$$o.log 2>&1 || true; \
		if [ -s $$o.log ]; then cat $$o.log >&2; echo "check-dtbs: $$y: dt-doc-validate failed" >&2; exit 1; fi; \
		dt-extract-example $$y >$$o.example.dts; \
		$(DTBS_CPP) -o $$o.example.pp.dts $$o.example.dts; \
		dtc -@ -Wno-avoid_unnecessary_addr_size -I dts -O dtb \
			-o $$o.example.dtb $$o.example.pp.dts 2>$$o.log || { cat $$o.log >&2; exit 1; }; \
		if [ -s $$o.log ]; then cat $$o.log >&2; echo "check-dtbs: $$y: dtc warnings in the example" >&2; exit 1; fi; \
		dt-validate -s $(DTBS_OUT)/processed-schema.json $$o.example.dtb >$$o.log 2>&1 || true; \
		if [ -s $$o.log ]; then cat $$o.log >&2; echo "check-dtbs: $$y: example fails dt-validate" >&2; exit 1; fi; \
		echo "check-dtbs: $$y: ok (dt-doc-validate, example: dtc, dt-validate)"; \
	done

check-dtbs: dtbs check-dt-bindings $(DTBS_OUT)/test-base.dtb
	$(Q)set -e; for s in $(DTBS_SRCS); do \
		n=$$(basename $$s -overlay.dts); \
		c=$$(sed -n 's/.*compatible = "\([a-z0-9]*,[a-z0-9]*\)";.*/\1/p' $$s | grep -v '^brcm,' | head -n1); \
		$(DTBS_SRCDIR)/check-overlay.sh $(DTBS_OUT)/$$n.dtbo $$c \
			$(DTBS_OUT)/test-base.dtb $(DTBS_OUT) $(DTBS_OUT)/processed-schema.json; \
	done
