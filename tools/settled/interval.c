// SPDX-License-Identifier: GPL-2.0
/*
 * Interval aggregation. Energy comes from the driver's 64-bit accumulators:
 * the energy of an interval is the accumulator of its last reading minus
 * that of the reading before it (in this interval or the one before), so
 * missed readings lose no energy. When a meter's seq or accumulators go
 * back (driver reloaded, device re-created) the accumulators restarted at
 * zero: the new value itself is the energy since the reset; what the meter
 * counted between its last reading and the reset was never published.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

#include "interval.h"
#include "merkle.h"

void ival_begin(struct ival_acc *a, const uint8_t meter[32], uint64_t start,
		uint32_t len, const struct ival_prev *prev)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->meter, meter, 32);
	a->s.start = start;
	a->s.len = len;
	a->s.min_mw = INT64_MAX;
	a->s.max_mw = INT64_MIN;
	if (prev)
		a->prev = *prev;
}

static void totals(const struct meterlink_reading *r, uint64_t *imp, uint64_t *exp)
{
	uint32_t i, n = r->nr_phases < METERLINK_MAX_PHASES ? r->nr_phases : METERLINK_MAX_PHASES;

	*imp = *exp = 0;
	for (i = 0; i < n; i++) {
		*imp += r->phase[i].energy_import_uwh;
		*exp += r->phase[i].energy_export_uwh;
	}
}

int ival_add(struct ival_acc *a, const struct meterlink_reading *r, const struct clk *c)
{
	struct ival_prev *p = &a->prev;
	uint64_t imp, exp;
	uint32_t i;

	if (a->nleaves == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		void *n = realloc(a->leaves, cap * 32);

		if (!n)
			return -ENOMEM;
		a->leaves = n;
		a->cap = cap;
	}
	merkle_leaf(a->meter, r, sizeof(*r), a->leaves[a->nleaves++]);
	totals(r, &imp, &exp);
	if (!p->valid) {
		/* the first reading ever is the baseline */
	} else if (r->seq <= p->seq || imp < p->import_uwh || exp < p->export_uwh) {
		a->s.resets++;
		a->s.import_uwh += imp;
		a->s.export_uwh += exp;
	} else {
		a->s.gaps += r->seq - p->seq - 1;
		a->s.import_uwh += imp - p->import_uwh;
		a->s.export_uwh += exp - p->export_uwh;
	}
	p->valid = 1;
	p->seq = r->seq;
	p->import_uwh = imp;
	p->export_uwh = exp;
	a->s.count++;
	if (r->flags & (METERLINK_F_SPI_ERROR | METERLINK_F_INVALID)) {
		a->s.invalid++;
	} else {
		int64_t mw = 0;

		for (i = 0; i < r->nr_phases && i < METERLINK_MAX_PHASES; i++)
			mw += r->phase[i].active_mw;
		if (mw < a->s.min_mw)
			a->s.min_mw = mw;
		if (mw > a->s.max_mw)
			a->s.max_mw = mw;
	}
	if (c) {
		if (c->state == TIME_ERROR || (c->status & STA_UNSYNC))
			a->s.unsynced++;
		if (c->maxerror_us > a->s.maxerror_us)
			a->s.maxerror_us = c->maxerror_us;
		if (c->esterror_us > a->s.esterror_us)
			a->s.esterror_us = c->esterror_us;
	}
	return 0;
}

int ival_end(struct ival_acc *a, struct ival_sum *out, struct ival_prev *next)
{
	struct ival_prev *p = &a->prev;
	uint64_t imp, exp;
	int ret;

	if (!a->nleaves)
		return -ENODATA;
	ret = merkle_root((const uint8_t (*)[32])a->leaves, a->nleaves, a->s.root);
	if (ret)
		return ret;
	if (a->s.min_mw > a->s.max_mw)	/* no valid reading */
		a->s.min_mw = a->s.max_mw = 0;
	imp = p->carry_import_uwh + a->s.import_uwh;
	exp = p->carry_export_uwh + a->s.export_uwh;
	a->s.import_wh = imp / 1000000;
	a->s.export_wh = exp / 1000000;
	*out = a->s;
	*next = *p;
	next->carry_import_uwh = imp % 1000000;
	next->carry_export_uwh = exp % 1000000;
	return 0;
}

void ival_free(struct ival_acc *a)
{
	free(a->leaves);
	a->leaves = NULL;
	a->nleaves = a->cap = 0;
}
