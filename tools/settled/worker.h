/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report worker: a thread that signs closed intervals with the gateway
 * key and submits them to the chain, in order, so that neither a slow TPM
 * nor an unreachable ledger ever holds up ingestion.
 */
#ifndef SETTLED_WORKER_H
#define SETTLED_WORKER_H

#include <stdint.h>

#include "chain.h"
#include "config.h"
#include "gwkey.h"

struct worker_stats {
	uint64_t signed_reports, committed, rejected, failures;
	uint64_t height;
	int last_err;
};

struct worker;

/* the worker opens its own spool connection at @spool_path */
int worker_start(const struct config *c, const char *spool_path, struct gwkey *key,
		 struct chain *ch, struct worker **out);
/* something new to sign or submit */
void worker_kick(struct worker *w);
/* the reloadable settings: block interval, executor and limits */
void worker_reconfigure(struct worker *w, const struct config *c);
void worker_stats(struct worker *w, struct worker_stats *st);
/* finishes the signature under way, then stops; its last stats in *@final
 * (may be NULL); @w is freed */
void worker_stop(struct worker *w, struct worker_stats *final);

#endif
