/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One settlement interval of one meter, built from its raw readings in
 * arrival order: a pure function of them and of the reading before the
 * interval, so that settled can rebuild it from the spool after a crash.
 */
#ifndef SETTLED_INTERVAL_H
#define SETTLED_INTERVAL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/meterlink.h>

/* clock-sync quality from adjtimex(), sampled when a batch arrived */
struct clk {
	int state;		/* adjtimex() return: TIME_OK .. TIME_ERROR */
	uint32_t status;	/* STA_* */
	int64_t maxerror_us;
	int64_t esterror_us;
};

/* what the next interval needs of the one before */
struct ival_prev {
	int valid;
	uint64_t seq;
	uint64_t import_uwh, export_uwh;	/* sum over phases */
	uint64_t carry_import_uwh, carry_export_uwh;	/* < 1 Wh, not reported yet */
};

struct ival_sum {
	uint64_t start;
	uint32_t len;
	uint32_t count;			/* readings */
	uint64_t gaps;			/* seq numbers missing */
	uint32_t resets;		/* seq or accumulators went back */
	uint32_t invalid;		/* readings flagged SPI_ERROR or INVALID */
	int64_t min_mw, max_mw;		/* total active power, valid readings */
	uint64_t import_uwh, export_uwh;	/* energy attributed here */
	uint64_t import_wh, export_wh;	/* reported: whole Wh incl. carry */
	uint32_t unsynced;		/* readings taken while unsynchronised */
	int64_t maxerror_us, esterror_us;	/* worst seen */
	uint8_t root[32];
};

struct ival_acc {
	struct ival_sum s;
	struct ival_prev prev;
	uint8_t meter[32];
	uint8_t (*leaves)[32];
	size_t nleaves, cap;
};

void ival_begin(struct ival_acc *a, const uint8_t meter[32], uint64_t start,
		uint32_t len, const struct ival_prev *prev);
/* -ENOMEM; the reading is not counted then */
int ival_add(struct ival_acc *a, const struct meterlink_reading *r, const struct clk *c);
/* -ENODATA without readings; fills @next for the interval after */
int ival_end(struct ival_acc *a, struct ival_sum *out, struct ival_prev *next);
void ival_free(struct ival_acc *a);

#endif
