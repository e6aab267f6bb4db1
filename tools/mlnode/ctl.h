/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mlnode's control socket: one JSON request per line, one JSON reply per
 * line (Documentation/ledger/consensus.rst, "The mlnode program").
 *   {"cmd":"submit","tx":"HEX"}  -> {"ok":true} | {"ok":false,"error":"..."}
 *   {"cmd":"status"}             -> {"ok":true,"height":N,"round":R,
 *                                    "validator":B,"peers":P,"mempool":M}
 */
#ifndef MLNODE_CTL_H
#define MLNODE_CTL_H

#include <stddef.h>

#include "ledger.h"

#define CTL_MAX_LINE	4096

enum ctl_cmd { CTL_SUBMIT = 1, CTL_STATUS = 2 };

struct ctl_req {
	enum ctl_cmd cmd;
	struct ml_tx tx;	/* CTL_SUBMIT: decoded, signature not checked */
};

/*
 * Parses one request (@len bytes, no newline). -EINVAL with a message in
 * @err for anything but exactly the forms above.
 */
int ctl_parse(const char *line, size_t len, struct ctl_req *r, char *err,
	      size_t errlen);

#endif
