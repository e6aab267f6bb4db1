/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ingestion: the "readings" and "events" groups through libmeterlink into
 * the spool, one SQLite transaction per receive batch.
 */
#ifndef SETTLED_INGEST_H
#define SETTLED_INGEST_H

#include <stdint.h>

#include "spool.h"

struct ml;
struct ml_sub;

#define INGEST_MAX_DEVS	64

struct ingest_stats {
	uint64_t readings;	/* stored */
	uint64_t batches;	/* transactions */
	uint64_t gaps;		/* records the socket never got (seq gaps) */
	uint64_t overflows;	/* ENOBUFS seen */
	uint64_t dropped;	/* readings of devices that vanished unseen */
	uint64_t recovered;	/* fetched from the kernel's ring on start */
	uint64_t max_backlog;	/* bytes queued on the socket, largest seen */
};

struct ingest {
	struct ml *ml;
	struct ml_sub *sub;
	struct spool *sp;
	uint32_t len;
	uint8_t gw_pub[64];
	struct { uint32_t dev; int64_t row; } devs[INGEST_MAX_DEVS];
	unsigned int ndevs;
	int in_tx;
	/* seq range of each device in the batch under way (debug log) */
	struct { uint32_t dev; uint64_t first, last, n; } range[INGEST_MAX_DEVS];
	unsigned int nrange;
	struct ingest_stats st;
};

int ingest_open(struct ingest *in, struct spool *sp, uint32_t len, const uint8_t gw_pub[64],
		uint32_t rcvbuf, char *err, size_t errlen);
void ingest_close(struct ingest *in);
int ingest_fd(const struct ingest *in);
/* receives what is queued and commits it; 0 or a negative errno */
int ingest_run(struct ingest *in);
/* the meter id of @bus_id on this gateway */
void ingest_meter_key(const uint8_t gw_pub[64], const char *bus_id, uint8_t key[32]);

#endif
