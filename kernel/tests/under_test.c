// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink KUnit: the driver code under test, compiled into the test
 * module itself so that no internal symbol has to be exported for tests.
 * Everything but main.c (module init and the driver registration) is here,
 * so the module links on its own; only the pure parts are exercised.
 */
#include <linux/module.h>

#include "../convert.c"
#include "../scaling.c"
#include "../ring.c"
#include "../sample.c"
#include "../acquisition.c"
#include "../chardev.c"
#include "../sysfs.c"
#include "../debugfs.c"
#include "../netlink.c"
#include "../ade7953.c"
#include "../atm90e32.c"
#include "../ade9000.c"

MODULE_DESCRIPTION("KUnit suites of the meterlink driver");
MODULE_LICENSE("GPL");
