# SPDX-License-Identifier: GPL-2.0
#
# libmeterlink and meterctl: included from the top-level Makefile, which
# defines BUILD; everything is built under $(BUILD)/libmeterlink and
# $(BUILD)/tools/meterctl. Sources are found relative to this file, so the
# fragment works from any including makefile.
#
#   make libmeterlink         libmeterlink.so.0 (exports ml_* only), .a,
#                             meterlink.pc and the example
#   make meterctl             the tool (libmeterlink linked in statically)
#   make install-meterctl     tool, library, header, meterlink.pc, man page and
#                             bash completion under $(DESTDIR)$(PREFIX)
#   make check-meterctl-host  tests that need no kernel module (TAP)
#   make meterctl-guest-tests what tests/netlink/run.sh runs in the guest
#   make check-meterctl-guest tests/netlink/run.sh in a QEMU guest with the
#                             modules (make modules first)
#   make meterctl-deps        the Debian packages all of that needs
#
# Install directories: PREFIX (/usr/local), BINDIR, LIBDIR ($(PREFIX)/lib),
# INCLUDEDIR, MANDIR, BASHCOMPDIR ($(PREFIX)/share/bash-completion/completions).

METERCTL_DEB_PACKAGES := libnl-3-dev libnl-genl-3-dev libjansson-dev iproute2

ML_ROOT := $(patsubst %/tools/meterctl/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

ML_VERSION := $(VERSION)
ML_SONAME := libmeterlink.so.0

ML_LDIR := $(ML_ROOT)/lib/libmeterlink
ML_TDIR := $(ML_ROOT)/tools/meterctl
ML_LOUT := $(BUILD)/libmeterlink
ML_TOUT := $(BUILD)/tools/meterctl
ML_NOUT := $(BUILD)/tests/netlink
ML_UAPI := $(ML_ROOT)/include/uapi

ML_CC ?= gcc
ML_NL_CFLAGS = $(shell pkg-config --cflags libnl-genl-3.0)
ML_NL_LIBS = $(shell pkg-config --libs libnl-genl-3.0)
ML_JSON_CFLAGS = $(shell pkg-config --cflags jansson)
ML_JSON_LIBS = $(shell pkg-config --libs jansson)
ML_WARN := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror
ML_CFLAGS := $(ML_WARN) -O2 -g -MMD -MP -I$(ML_UAPI) -I$(ML_LDIR)
ML_SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

ML_LSRCS := $(sort $(wildcard $(ML_LDIR)/*.c))
ML_LOBJS := $(patsubst $(ML_LDIR)/%.c,$(ML_LOUT)/obj/%.o,$(ML_LSRCS))
ML_TSRCS := $(sort $(wildcard $(ML_TDIR)/*.c))
ML_TOBJS := $(patsubst $(ML_TDIR)/%.c,$(ML_TOUT)/obj/%.o,$(ML_TSRCS))
ML_LIBS := $(ML_LOUT)/libmeterlink.a $(ML_LOUT)/libmeterlink.so.$(ML_VERSION) \
	$(ML_LOUT)/$(ML_SONAME) $(ML_LOUT)/libmeterlink.so

ifeq ($(V),1)
ML_Q :=
else
ML_Q := @
endif

.PHONY: libmeterlink meterctl install-meterctl check-meterctl-host \
	meterctl-guest-tests check-meterctl-guest meterctl-deps

libmeterlink: $(ML_LIBS) $(ML_LOUT)/meterlink.pc $(ML_LOUT)/examples/watch

meterctl: $(ML_TOUT)/meterctl

meterctl-deps:
	@echo $(METERCTL_DEB_PACKAGES)

-include $(ML_LOBJS:.o=.d) $(ML_TOBJS:.o=.d)

# ---- the library ----

$(ML_LOUT)/obj/%.o: $(ML_LDIR)/%.c
	@mkdir -p $(dir $@)
	$(ML_Q)$(ML_CC) $(ML_CFLAGS) -fPIC $(ML_NL_CFLAGS) -c -o $@ $<

$(ML_LOUT)/libmeterlink.a: $(ML_LOBJS)
	$(ML_Q)rm -f $@ && ar rcs $@ $^

$(ML_LOUT)/libmeterlink.so.$(ML_VERSION): $(ML_LOBJS) $(ML_LDIR)/libmeterlink.map
	$(ML_Q)$(ML_CC) -shared -Wl,-soname,$(ML_SONAME) -Wl,-z,defs \
		-Wl,--version-script,$(ML_LDIR)/libmeterlink.map -o $@ $(ML_LOBJS) \
		$(ML_NL_LIBS)

$(ML_LOUT)/$(ML_SONAME) $(ML_LOUT)/libmeterlink.so: $(ML_LOUT)/libmeterlink.so.$(ML_VERSION)
	$(ML_Q)ln -sf libmeterlink.so.$(ML_VERSION) $@

$(ML_LOUT)/meterlink.pc: $(ML_LDIR)/meterlink.pc.in FORCE
	@mkdir -p $(dir $@)
	$(ML_Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(ML_VERSION)|' \
		$< > $@.tmp && { cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }

# the example builds against the archive, as a user's program would with
# pkg-config --static
$(ML_LOUT)/examples/watch: $(ML_LDIR)/examples/watch.c $(ML_LOUT)/libmeterlink.a
	@mkdir -p $(dir $@)
	$(ML_Q)$(ML_CC) $(ML_WARN) -O2 -I$(ML_UAPI) -I$(ML_LDIR) -o $@ $< \
		$(ML_LOUT)/libmeterlink.a $(ML_NL_LIBS)

# ---- the tool ----

$(ML_TOUT)/obj/%.o: $(ML_TDIR)/%.c
	@mkdir -p $(dir $@)
	$(ML_Q)$(ML_CC) $(ML_CFLAGS) -I$(ML_TDIR) $(ML_JSON_CFLAGS) -c -o $@ $<

$(ML_TOUT)/meterctl: $(ML_TOBJS) $(ML_LOUT)/libmeterlink.a
	$(ML_Q)$(ML_CC) -o $@ $(ML_TOBJS) $(ML_LOUT)/libmeterlink.a $(ML_NL_LIBS) \
		$(ML_JSON_LIBS)

# ---- install ----

install-meterctl: $(ML_TOUT)/meterctl $(ML_LIBS) $(ML_LOUT)/meterlink.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(ML_TOUT)/meterctl $(DESTDIR)$(BINDIR)/meterctl
	install -m 0755 $(ML_LOUT)/libmeterlink.so.$(ML_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libmeterlink.so.$(ML_VERSION) $(DESTDIR)$(LIBDIR)/$(ML_SONAME)
	ln -sf $(ML_SONAME) $(DESTDIR)$(LIBDIR)/libmeterlink.so
	install -m 0644 $(ML_LOUT)/libmeterlink.a $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(ML_LOUT)/meterlink.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0644 $(ML_LDIR)/meterlink.h $(DESTDIR)$(INCLUDEDIR)/meterlink.h
	install -m 0644 $(ML_UAPI)/linux/meterlink.h $(DESTDIR)$(INCLUDEDIR)/linux/
	install -m 0644 $(ML_TDIR)/meterctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(ML_TDIR)/completion/meterctl.bash \
		$(DESTDIR)$(BASHCOMPDIR)/meterctl

# ---- tests ----

ML_HOST_TESTS := $(ML_TOUT)/test_parse_format $(ML_LOUT)/test_stream

# the unit tests link the sources directly (internal headers, sanitizers)
$(ML_TOUT)/test_parse_format: $(ML_ROOT)/tests/meterctl/test_parse_format.c \
		$(ML_TDIR)/parse.c $(ML_TDIR)/format.c $(ML_TDIR)/meterctl.h
	@mkdir -p $(dir $@)
	$(ML_Q)$(ML_CC) $(ML_WARN) $(ML_SAN) -I$(ML_UAPI) -I$(ML_LDIR) -I$(ML_TDIR) \
		$(ML_JSON_CFLAGS) -o $@ $< $(ML_TDIR)/parse.c $(ML_TDIR)/format.c \
		$(ML_JSON_LIBS) -lcmocka

$(ML_LOUT)/test_stream: $(ML_ROOT)/tests/meterctl/test_stream.c $(ML_LSRCS) \
		$(wildcard $(ML_LDIR)/*.h)
	@mkdir -p $(dir $@)
	$(ML_Q)$(ML_CC) $(ML_WARN) $(ML_SAN) -I$(ML_UAPI) -I$(ML_LDIR) $(ML_NL_CFLAGS) \
		-o $@ $< $(ML_LSRCS) $(ML_NL_LIBS) -lcmocka

check-meterctl-host: libmeterlink meterctl $(ML_HOST_TESTS)
	$(ML_Q)set -e; export CMOCKA_MESSAGE_OUTPUT=TAP; \
	for t in $(ML_HOST_TESTS); do echo "# $$(basename $$t)"; \
		ML_GOLDEN_DIR=$(ML_ROOT)/tests/meterctl/golden $$t; done
	$(ML_Q)rm -rf $(ML_LOUT)/destdir
	$(ML_Q)$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) \
		install-meterctl DESTDIR=$(ML_LOUT)/destdir PREFIX=/usr LIBDIR=/usr/lib \
		BINDIR=/usr/bin INCLUDEDIR=/usr/include MANDIR=/usr/share/man \
		BASHCOMPDIR=/usr/share/bash-completion/completions >/dev/null
	$(ML_Q)METERCTL=$(ML_TOUT)/meterctl ML_LIBDIR=$(ML_LOUT) \
		ML_DESTDIR=$(ML_LOUT)/destdir $(ML_ROOT)/tests/meterctl/host.sh
	@echo "check-meterctl-host: all passed"

# programs tests/netlink/run.sh runs in the guest
ML_GUEST_BINS := $(ML_NOUT)/nl_attrs $(ML_NOUT)/nl_subscribers $(ML_NOUT)/nl_history \
	$(ML_NOUT)/nl_dump_churn

$(ML_NOUT)/%: $(ML_ROOT)/tests/netlink/%.c $(ML_LOUT)/libmeterlink.a
	@mkdir -p $(dir $@)
	$(ML_Q)$(ML_CC) $(ML_WARN) -O2 -g -I$(ML_UAPI) -I$(ML_LDIR) $(ML_NL_CFLAGS) \
		-o $@ $< $(ML_LOUT)/libmeterlink.a $(ML_NL_LIBS) -lpthread

meterctl-guest-tests: meterctl $(ML_GUEST_BINS)

check-meterctl-guest: meterctl-guest-tests
	$(ML_Q)METERLINK_BUILD=$(BUILD) $(ML_ROOT)/tests/qemu/run-guest \
		--timeout $${NETLINK_TEST_TIMEOUT:-900} --log $(BUILD)/qemu/netlink.log \
		--insmod $(ML_ROOT)/kernel/meterlink_sim.ko \
		--insmod $(ML_ROOT)/kernel/meterlink.ko -- $(ML_ROOT)/tests/netlink/run.sh

FORCE:
