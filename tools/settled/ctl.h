/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: a unix stream socket, mode 0660, group
 * control_group, one JSON object per line each way
 * (Documentation/settled.rst, "Control socket").
 */
#ifndef SETTLED_CTL_H
#define SETTLED_CTL_H

#include <poll.h>
#include <stdint.h>

#include "config.h"

struct ctl;
struct spool;
struct ingest_stats;
struct worker;
struct ml_ledger;

#define CTL_MAX_CLIENTS	16
#define CTL_NFDS	(1 + CTL_MAX_CLIENTS)

/* what the commands read */
struct ctl_ctx {
	const struct config *cfg;
	struct spool *sp;
	const struct ingest_stats *in;
	struct worker *worker;
	struct ml_ledger *ledger;	/* the main thread's own read handle */
	const uint8_t *account;		/* this gateway's account key */
	const char *state_dir;
	int reload_requested;	/* set by the operator command "reload" */
};

int ctl_open(const struct config *c, struct ctl **out);
void ctl_close(struct ctl *ctl);
/* fills @p (CTL_NFDS entries) and returns how many */
int ctl_pollfds(struct ctl *ctl, struct pollfd *p);
/* handles what poll() reported in @p (as filled by ctl_pollfds) */
void ctl_handle(struct ctl *ctl, const struct pollfd *p, int n, struct ctl_ctx *cx);
/* sends report events to subscribers (called on every tick) */
void ctl_events(struct ctl *ctl, struct ctl_ctx *cx);

#endif
