/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client side of settled's control socket: a unix stream socket
 * carrying JSON lines, one request and one response per line. The
 * requests ledgerctl sends are listed in Documentation/ledgerctl.rst
 * (written against the plan for settled; see that page for what is
 * tested).
 */
#ifndef LEDGERCTL_CONTROL_H
#define LEDGERCTL_CONTROL_H

#include "ledgerctl.h"

/*
 * Sends @req (consumed) and returns the response in *resp. 0, or an exit
 * status after printing why: LC_EXIT_NODAEMON when the socket is not
 * there, LC_EXIT_REFUSED when settled answered {"ok": false, ...}.
 */
int ctl_call(struct lc *c, json_t *req, json_t **resp);

#endif
