# SPDX-License-Identifier: GPL-2.0
#
# udev rules and the "meter" group: included from the top-level Makefile, which
# defines BUILD, DESTDIR and PREFIX.
#
#   make install-udev   udev/60-meterlink.rules into $(DESTDIR)$(UDEVRULESDIR) and
#                       udev/meterlink.sysusers as $(DESTDIR)$(SYSUSERSDIR)/meterlink.conf;
#                       without DESTDIR it then creates the group (systemd-sysusers)
#                       and has a running udevd reload its rules and re-apply them
#                       to the meters present (UDEV_ACTIVATE=0 skips that)
#   make check-udev     tests/udev/run.sh in a QEMU guest with a real systemd-udevd
#                       and only these rules (make modules first)
#   make udev-deps      the Debian packages all of that needs
#
# UDEVRULESDIR: with PREFIX=/usr the rules go where Debian's own packages put
# them, /lib/udev/rules.d (what `pkg-config --variable=udevdir udev` says on
# Debian 12; the same directory as /usr/lib/udev/rules.d on a merged-/usr
# system). With any other PREFIX they go to $(PREFIX)/lib/udev/rules.d: for the
# default /usr/local that is /usr/local/lib/udev/rules.d, which udev reads too;
# for other prefixes (/opt/...) udev does not look there, so set UDEVRULESDIR
# (e.g. /etc/udev/rules.d). SYSUSERSDIR follows PREFIX the same way
# ($(PREFIX)/lib/sysusers.d: systemd-sysusers reads /usr/lib and /usr/local/lib).

UDEV_DEB_PACKAGES := udev

UDEV_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
UDEVRULESDIR ?= $(if $(filter /usr /usr/,$(PREFIX)),/lib/udev/rules.d,$(PREFIX)/lib/udev/rules.d)
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
UDEV_ACTIVATE ?= $(if $(DESTDIR),0,1)

.PHONY: install-udev check-udev udev-deps

udev-deps:
	@echo $(UDEV_DEB_PACKAGES)

install-udev:
	install -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0644 $(UDEV_DIR)/60-meterlink.rules $(DESTDIR)$(UDEVRULESDIR)/60-meterlink.rules
	install -m 0644 $(UDEV_DIR)/meterlink.sysusers $(DESTDIR)$(SYSUSERSDIR)/meterlink.conf
ifeq ($(UDEV_ACTIVATE),1)
	@# The group first: udevd resolves GROUP= when it loads the rules.
	@if command -v systemd-sysusers >/dev/null 2>&1; then \
		echo "systemd-sysusers $(SYSUSERSDIR)/meterlink.conf"; \
		systemd-sysusers $(SYSUSERSDIR)/meterlink.conf; \
	else \
		echo "install-udev: no systemd-sysusers: create the group yourself (groupadd --system meter)"; \
	fi
	@if udevadm control --ping >/dev/null 2>&1; then \
		echo "udevadm control --reload; udevadm trigger --subsystem-match=meter --action=add"; \
		udevadm control --reload && udevadm trigger --subsystem-match=meter --action=add; \
	fi
endif

check-udev:
	@test -x /lib/systemd/systemd-udevd || { echo "check-udev: /lib/systemd/systemd-udevd is missing (apt-get install $(UDEV_DEB_PACKAGES))" >&2; exit 1; }
	METERLINK_BUILD=$(BUILD) $(CURDIR)/tests/qemu/run-guest \
		--insmod $(CURDIR)/kernel/meterlink_sim.ko \
		--insmod $(CURDIR)/kernel/meterlink.ko \
		--log $(BUILD)/qemu/udev.log -- $(CURDIR)/tests/udev/run.sh
