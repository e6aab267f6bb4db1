# SPDX-License-Identifier: GPL-2.0
#
# DKMS: included from the top-level Makefile, which defines VERSION, DESTDIR
# and KVER.
#
#   make dkms-source     the module sources and dkms.conf into
#                        $(DESTDIR)/usr/src/meterlink-$(VERSION) (what a
#                        distribution's DKMS package ships)
#   make dkms-install    dkms-source, then dkms add, build and install for
#                        kernel $(KVER) (default: the running kernel)
#   make dkms-uninstall  dkms remove for every kernel, and the sources
#   make check-dkms      tests/dkms/run.sh: all of the above against the
#                        installed Debian headers, the installed modules
#                        loaded by modprobe in a QEMU guest, and a clean removal
#
# The source tree holds only what Kbuild needs: kernel/ (without build
# products or tests' build-only files), include/uapi and VERSION.

DKMS_NAME := meterlink
DKMS_SRC := /usr/src/$(DKMS_NAME)-$(VERSION)
DKMS_DEB_PACKAGES := dkms

DKMS_KFILES := $(filter-out %.mod.c,$(wildcard kernel/*.c kernel/*.h \
	kernel/sim/*.c kernel/sim/*.h kernel/tests/*.c kernel/tests/*.h)) \
	kernel/Kbuild kernel/Makefile

.PHONY: dkms-source dkms-install dkms-uninstall check-dkms dkms-deps

dkms-deps:
	@echo $(DKMS_DEB_PACKAGES)

dkms-source:
	@for f in $(DKMS_KFILES) include/uapi/linux/meterlink.h VERSION; do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMS_SRC)/$$f || exit 1; \
	done
	sed 's|@VERSION@|$(VERSION)|' kernel/dkms.conf >$(DESTDIR)$(DKMS_SRC)/dkms.conf

dkms-install: dkms-source
	@command -v dkms >/dev/null || { echo "dkms-install: dkms is missing (apt-get install dkms)" >&2; exit 1; }
	dkms add -m $(DKMS_NAME) -v $(VERSION)
	dkms build -m $(DKMS_NAME) -v $(VERSION) -k $(KVER)
	dkms install -m $(DKMS_NAME) -v $(VERSION) -k $(KVER)

dkms-uninstall:
	@command -v dkms >/dev/null || { echo "dkms-uninstall: dkms is missing" >&2; exit 1; }
	-dkms remove -m $(DKMS_NAME) -v $(VERSION) --all
	rm -rf $(DESTDIR)$(DKMS_SRC)

check-dkms: tools
	METERLINK_BUILD=$(BUILD) tests/dkms/run.sh
