/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dispatch executor: an instruction from the chain, clamped to the
 * installer's limits from settled.conf ("most restrictive wins"), carried
 * out by the configured executor program.
 */
#ifndef SETTLED_DISPATCH_H
#define SETTLED_DISPATCH_H

#include <stdint.h>

#include "config.h"

struct dispatch_order {
	uint8_t id[32];		/* the dispatch transaction's id */
	uint8_t meter[32];
	uint8_t kind;		/* enum ml_dispatch_kind */
	int64_t value;		/* W, as instructed */
	uint64_t start, end;
};

/* the value to execute: the instruction or the local limit, whichever is
 * more restrictive; 1 if it was clamped, 0 if not, -EINVAL for a bad kind */
int dispatch_clamp(const struct config *c, uint8_t kind, int64_t value, int64_t *out);

/*
 * Runs the executor: argv KIND VALUE_W START END, environment
 * SETTLED_DISPATCH_ID, SETTLED_METER (hex), SETTLED_REQUESTED_W,
 * SETTLED_CLAMPED (0/1); stdin /dev/null. Returns its exit status (0..255),
 * -ETIMEDOUT after executor_timeout_ms (it is killed), -ENOENT without an
 * executor configured, or another negative errno.
 */
int dispatch_run(const struct config *c, const struct dispatch_order *o);

#endif
