/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SETTLED_H
#define SETTLED_H

#include "config.h"

#define SETTLED_VERSION	"0.1.0"
#define SETTLED_CONF	"/etc/meterlink/settled.conf"

/* settled prove: prove.c */
int prove_main(const struct config *c, int argc, char **argv);

#endif
