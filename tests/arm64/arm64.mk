# SPDX-License-Identifier: GPL-2.0
#
# The arm64 gateway test. Included from the top-level Makefile (which defines
# BUILD, Q and, through dts-overlays/dtbs.mk, DTBS_KSRC, DTBS_CPP, dtbs_dtc).
#
#   make check-arm64     fetch Debian's arm64 kernel (scripts/arm64-deps.sh),
#                        cross-build the modules against its headers and
#                        tests/arm64/dt_reading.c (static), compile the test
#                        overlay, then tests/arm64/run.sh: QEMU virt (aarch64)
#                        with virt's own DTB plus the overlay, the driver
#                        probing from the device tree, readings checked
#   make arm64-modules   only the cross-build, into $(ARM64_OUT)/src/kernel
#                        (ARM64_KDIR= the unpacked arm64 headers)
#   make arm64-deps      the Debian host packages the test needs
#
# The modules are built from a tree of symbolic links to kernel/ and include/
# under $(ARM64_OUT)/src, so the amd64 objects in kernel/ are left alone.

ARM64_DEB_PACKAGES := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm \
	device-tree-compiler cpio gzip

ARM64_OUT := $(BUILD)/arm64
ARM64_SRC := $(ARM64_OUT)/src
ARM64_CROSS := aarch64-linux-gnu-
ARM64_KERNEL_FILES := $(filter-out %.mod.c,$(wildcard kernel/Kbuild kernel/*.[ch] \
	kernel/sim/*.[ch] kernel/tests/*.[ch]))

.PHONY: check-arm64 arm64-modules arm64-deps

arm64-deps:
	@echo $(ARM64_DEB_PACKAGES)

arm64-modules:
	@test -n "$(ARM64_KDIR)" -a -f "$(ARM64_KDIR)/Makefile" || \
		{ echo "arm64-modules: set ARM64_KDIR to the arm64 headers (scripts/arm64-deps.sh)" >&2; exit 1; }
	$(Q)set -e; for f in $(ARM64_KERNEL_FILES); do \
		mkdir -p $(ARM64_SRC)/$$(dirname $$f); \
		ln -sfn $(CURDIR)/$$f $(ARM64_SRC)/$$f; \
	done; \
	ln -sfn $(CURDIR)/include $(ARM64_SRC)/include; \
	if [ -e VERSION ]; then ln -sfn $(CURDIR)/VERSION $(ARM64_SRC)/VERSION; fi
	$(Q)$(MAKE) -C $(ARM64_KDIR) M=$(ARM64_SRC)/kernel ARCH=arm64 \
		CROSS_COMPILE=$(ARM64_CROSS) W=1 KCFLAGS=-Werror modules $(if $(V),V=$(V))

$(ARM64_OUT)/dt_reading: tests/arm64/dt_reading.c include/uapi/linux/meterlink.h
	@mkdir -p $(dir $@)
	$(Q)$(ARM64_CROSS)gcc -static -O2 -Wall -Wextra -Werror -Iinclude/uapi -o $@ $< -lm

$(ARM64_OUT)/meterlink-sim.pp.dts: tests/arm64/meterlink-sim-overlay.dts $(DTBS_KSRC)/.stamp
	@mkdir -p $(dir $@)
	$(Q)$(DTBS_CPP) -o $@ $<

$(ARM64_OUT)/meterlink-sim.dtbo: $(ARM64_OUT)/meterlink-sim.pp.dts
	$(call dtbs_dtc,$<)

# Device trees the simulator must refuse: dtc's own warnings about them are
# beside the point (-q), what meterlink_sim says is checked in the guest.
$(ARM64_OUT)/bad/%.dtbo: tests/arm64/bad/%.dts
	@mkdir -p $(dir $@)
	$(Q)dtc -q -@ -I dts -O dtb -o $@ $<

# The overlay's nodes against the bindings (ours and the kernel's spi ones),
# on a bare root: virt's own nodes are QEMU's business.
$(ARM64_OUT)/meterlink-sim.validated: $(ARM64_OUT)/meterlink-sim.dtbo $(DTBS_OUT)/processed-schema.json
	$(Q)printf '/dts-v1/;\n/ {\n\tcompatible = "linux,dummy-virt";\n\tmodel = "stand-in";\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n};\n' | \
		dtc -q -I dts -O dtb -o $(ARM64_OUT)/bare.dtb -
	$(Q)fdtoverlay -i $(ARM64_OUT)/bare.dtb -o $(ARM64_OUT)/meterlink-sim-bare.dtb $<
	$(Q)dt-validate -s $(DTBS_OUT)/processed-schema.json $(ARM64_OUT)/meterlink-sim-bare.dtb >$@.log 2>&1 || true
	$(Q)if [ -s $@.log ]; then cat $@.log >&2; echo "check-arm64: the test overlay fails dt-validate" >&2; exit 1; fi
	@touch $@

ARM64_BAD := $(patsubst tests/arm64/bad/%.dts,$(ARM64_OUT)/bad/%.dtbo,$(wildcard tests/arm64/bad/*.dts))

check-arm64: $(ARM64_OUT)/dt_reading $(ARM64_OUT)/meterlink-sim.validated $(ARM64_BAD)
	$(Q)cache=$$(scripts/arm64-deps.sh) && \
	$(MAKE) --no-print-directory arm64-modules ARM64_KDIR=$$cache/kdir && \
	tests/arm64/run.sh $$cache $(ARM64_OUT)/guest $(ARM64_SRC)/kernel \
		$(ARM64_OUT)/dt_reading $(ARM64_OUT)/meterlink-sim.dtbo $(ARM64_BAD)
