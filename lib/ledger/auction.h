/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Uniform-price double auction for one delivery interval, in memory and
 * free of SQLite so that tests and benchmarks can drive it directly.
 * The rules are in Documentation/ledger/market.rst.
 */
#ifndef ML_AUCTION_H
#define ML_AUCTION_H

#include "ledger.h"

struct ml_auction_order {
	uint64_t price;		/* limit, micro-credits per kWh */
	uint64_t qty;		/* Wh, 1 .. ML_MAX_QTY_WH */
	uint64_t seq;		/* arrival order; unique within a book */
	uint32_t feeder;	/* index into the feeder array */
	uint8_t side;		/* ML_BID or ML_ASK */
};

struct ml_auction_fill {
	uint32_t bid, ask;	/* indexes into the order array */
	uint64_t qty;		/* Wh */
};

struct ml_auction_result {
	uint64_t price;			/* 0 when nothing trades */
	uint64_t volume;		/* Wh matched, within feeder limits */
	uint64_t volume_unconstrained;	/* Wh that would match without them */
	struct ml_auction_fill *fills;	/* in matching order */
	size_t nfills;
};

/* Feeder limits are per interval; @feeders[i] is feeder index i. */
int ml_auction_clear(const struct ml_auction_order *orders, size_t n,
		     const struct ml_feeder *feeders, size_t nfeeders,
		     struct ml_auction_result *res);
void ml_auction_result_free(struct ml_auction_result *res);

/* Payment for @qty Wh at @price per kWh: rounded down, the same for both
 * parties, so rounding never creates or destroys credit.
 */
static inline uint64_t ml_energy_cost(uint64_t qty_wh, uint64_t price_kwh)
{
	return qty_wh * price_kwh / 1000;
}

#endif
