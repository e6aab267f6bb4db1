# SPDX-License-Identifier: GPL-2.0
#
#   make check-install   `make install` honours PREFIX and DESTDIR: installs
#                        into temporary DESTDIRs and compares the file lists
#                        with tests/install/expected-*.txt (TAP)

.PHONY: check-install

check-install: tools libmeterlink meterctl ledgerctl settled
	$(Q)METERLINK_BUILD=$(BUILD) tests/install/run.sh
