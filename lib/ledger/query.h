/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Read-only queries over a ledger's tables, for tools that show the state
 * (ledgerctl). Nothing here changes the database or the state root.
 *
 * Each function calls @cb once per row, in primary-key order, and stops
 * early when @cb returns non-zero (that value is returned). The row is only
 * valid during the call. Filters that are NULL (keys) or 0 (intervals)
 * match everything. Returns 0, @cb's value, or a negative errno.
 */
#ifndef ML_QUERY_H
#define ML_QUERY_H

#include "ledger.h"

struct ml_q_account {
	uint8_t key[ML_KEY_LEN];
	int64_t balance, locked;
	uint64_t nonce;
	uint8_t roles;
};

struct ml_q_meter {
	uint8_t id[ML_ID_LEN];
	uint8_t owner[ML_KEY_LEN];
	uint32_t feeder;
	uint8_t gw_key[ML_P256_PUB_LEN];
};

struct ml_q_order {
	uint8_t id[ML_ID_LEN];
	uint8_t account[ML_KEY_LEN];
	uint8_t meter[ML_ID_LEN];
	uint8_t side;		/* enum ml_side */
	uint64_t interval, qty, price, reserved, filled, seq;
	uint8_t status;		/* 0 open, 1 closed by clearing, 2 cancelled */
};

struct ml_q_interval {
	uint64_t start;
	uint8_t status;		/* 0 open, 1 cleared, 2 settled */
	uint64_t price, volume;	/* clearing price, matched Wh */
	uint64_t bid_wh, ask_wh;	/* ordered, whatever the outcome */
	uint64_t import_wh, export_wh;	/* sum of the meter reports */
	uint32_t nreports;
};

struct ml_q_trade {
	uint64_t interval;
	uint8_t bid[ML_ID_LEN], ask[ML_ID_LEN];	/* order ids */
	uint64_t qty, price;
	int64_t amount, fee;
};

struct ml_q_settlement {
	uint64_t interval;
	uint8_t meter[ML_ID_LEN];
	uint8_t account[ML_KEY_LEN];
	int64_t contracted, measured, amount;
};

struct ml_q_dispatch {
	uint8_t id[ML_ID_LEN];
	uint8_t meter[ML_ID_LEN];
	uint8_t kind;		/* enum ml_dispatch_kind */
	int64_t value;
	uint64_t start, end;
	uint8_t status;		/* 0 pending, 1 accepted, 2 rejected */
	uint64_t ack_height;
};

/* Compliance of a dispatch for one interval, measured as it settled. */
struct ml_q_compliance {
	uint8_t dispatch[ML_ID_LEN];
	uint64_t interval;
	int64_t target;		/* Wh over the interval */
	int64_t measured;	/* Wh from the meter's signed report */
	int64_t deviation;	/* Wh */
	uint8_t status;		/* 0 met, 1 missed, 2 no report */
	uint8_t has_measured;	/* 0 with status 2 */
};

int ml_q_accounts(struct ml_ledger *l, const uint8_t *key,
		  int (*cb)(const struct ml_q_account *, void *), void *arg);
int ml_q_meters(struct ml_ledger *l, const uint8_t *owner,
		int (*cb)(const struct ml_q_meter *, void *), void *arg);
/* Intervals in [from, to] (to 0: no upper bound). */
int ml_q_intervals(struct ml_ledger *l, uint64_t from, uint64_t to,
		   int (*cb)(const struct ml_q_interval *, void *), void *arg);
int ml_q_orders(struct ml_ledger *l, const uint8_t *account, uint64_t interval,
		int (*cb)(const struct ml_q_order *, void *), void *arg);
/* Trades where @account owns the bid or the ask. */
int ml_q_trades(struct ml_ledger *l, const uint8_t *account, uint64_t interval,
		int (*cb)(const struct ml_q_trade *, void *), void *arg);
int ml_q_settlements(struct ml_ledger *l, const uint8_t *account,
		     uint64_t interval,
		     int (*cb)(const struct ml_q_settlement *, void *),
		     void *arg);
int ml_q_dispatches(struct ml_ledger *l, const uint8_t *meter,
		    int (*cb)(const struct ml_q_dispatch *, void *), void *arg);
/* Rows of one dispatch (@dispatch) or of all, by dispatch and interval. */
int ml_q_compliance(struct ml_ledger *l, const uint8_t *dispatch,
		    int (*cb)(const struct ml_q_compliance *, void *), void *arg);

#endif
