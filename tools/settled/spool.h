/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The spool: raw readings, closed intervals and their reports in SQLite
 * (WAL, synchronous=FULL). A batch of readings is one transaction; an
 * interval, its report and the meter's carry-over are one transaction. A
 * connection belongs to one thread.
 */
#ifndef SETTLED_SPOOL_H
#define SETTLED_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/meterlink.h>

#include "interval.h"

struct spool;

enum report_state { REP_UNSIGNED, REP_SIGNED, REP_COMMITTED, REP_REJECTED };

struct spool_report {
	int64_t id;
	int64_t meter;
	uint8_t meter_key[32];
	uint64_t start;
	uint32_t len;
	uint64_t import_wh, export_wh;
	uint8_t root[32];
	uint8_t sig[64];
	int state;
	uint64_t height;
};

struct spool_meter {
	int64_t id;
	char bus_id[64];
	uint8_t key[32];
	uint64_t closed_until;
	int64_t registered;	/* height, -1: not yet */
};

int spool_open(const char *path, struct spool **out);
void spool_close(struct spool *s);
const char *spool_errmsg(struct spool *s);

int spool_begin(struct spool *s);
int spool_commit(struct spool *s);
void spool_rollback(struct spool *s);

/* The meter row of @bus_id, created with key @key if new. */
int spool_meter(struct spool *s, const char *bus_id, const uint8_t key[32], int64_t *id);
/* stores one reading into interval max(floor(t/len)*len, closed_until) */
int spool_put_reading(struct spool *s, int64_t meter, uint32_t len,
		      const struct meterlink_reading *r, const struct clk *c);
/* The newest reading of @meter's newest interval: 0, -ENOENT (none kept) or -errno. */
int spool_last_reading(struct spool *s, int64_t meter, struct meterlink_reading *r);
/*
 * Closes every interval of every meter that ended before @now_ms - @delay_ms
 * and holds readings: interval row, unsigned report, carry-over, one
 * transaction each. Returns the number closed or a negative errno.
 */
int spool_close_due(struct spool *s, uint32_t len, int64_t now_ms, uint32_t delay_ms);
/* deletes readings of closed intervals that ended before @before (s) */
int spool_prune(struct spool *s, int64_t before);

/* oldest report in @state; -ENOENT when none */
int spool_next_report(struct spool *s, int state, struct spool_report *r);
int spool_reports(struct spool *s, int state, struct spool_report *r, size_t max, size_t *n);
/* reports with id > @after, any state, by id */
int spool_reports_after(struct spool *s, int64_t after, struct spool_report *r, size_t max,
			size_t *n);
int spool_meter_list(struct spool *s, struct spool_meter *m, size_t max, size_t *n);
/* reports per state (4) and stored readings */
int spool_counts(struct spool *s, int64_t states[4], int64_t *readings);
int spool_report_signed(struct spool *s, int64_t id, const uint8_t sig[64]);
int spool_report_done(struct spool *s, int64_t id, int state, uint64_t height, int err);

/* meters not registered on the chain yet */
int spool_unregistered(struct spool *s, int64_t *ids, uint8_t (*keys)[32], size_t max, size_t *n);
int spool_meter_registered(struct spool *s, int64_t id, uint64_t height);

/* key/value store for small state (strings) */
int spool_kv_get(struct spool *s, const char *k, char *v, size_t len);
int spool_kv_set(struct spool *s, const char *k, const char *v);

/*
 * Inclusion proof of the reading @seq of meter @bus_id (the newest such):
 * the record, its interval and index, and the interval's leaves. *leaves
 * is malloc()ed. -ENOENT: no such reading; -EAGAIN: interval not closed.
 */
struct spool_proof {
	uint8_t meter_key[32];
	struct meterlink_reading rec;
	uint64_t start;
	size_t index, n;
	uint8_t root[32];
	uint8_t (*leaves)[32];
	int report_state;
	uint8_t sig[64];
	uint64_t import_wh, export_wh;
};
int spool_proof(struct spool *s, const char *bus_id, uint64_t seq, struct spool_proof *p);

/*
 * Transactions signed by users and submitted on the control socket, kept
 * until the chain took or refused them (states as reports: 0 queued,
 * 2 committed, 3 refused).
 */
struct spool_user_tx {
	int64_t id;
	size_t len;
	uint8_t enc[384];	/* ML_TX_MAX_LEN */
};
int spool_user_tx_add(struct spool *s, const uint8_t txid[32], const uint8_t *tx, size_t len);
int spool_user_txs(struct spool *s, struct spool_user_tx *t, size_t max, size_t *n);
int spool_user_tx_done(struct spool *s, int64_t id, int state, uint64_t height, int err);
int spool_user_tx_state(struct spool *s, const uint8_t txid[32], int *state, uint64_t *height,
			int *err);

/*
 * Dispatch instructions for this gateway's meters found final on the chain
 * (scan.h): state 0 to execute, 1 executed (ack = ML_ACK_*, result = the
 * executor's exit status or -errno) with the acknowledgement to submit,
 * 2 acknowledged, 3 done (compliance logged; or rejected; or expired
 * before it could run: ack 0, result -ETIME, never executed).
 */
struct spool_dispatch {
	uint8_t id[32], meter[32];
	uint8_t kind;
	int64_t value;
	uint64_t start, end;
	int ack, result;
};
/* 1 if @key is one of this gateway's meters */
int spool_has_meter(struct spool *s, const uint8_t key[32]);
/* 1 if recorded now (state 0), 0 if the id was recorded already (its
 * state is kept), or -errno */
int spool_dispatch_add(struct spool *s, const struct spool_dispatch *d);
int spool_dispatches(struct spool *s, int state, struct spool_dispatch *d, size_t max, size_t *n);
int spool_dispatch_set(struct spool *s, const uint8_t id[32], int state, int ack, int result);

#endif
