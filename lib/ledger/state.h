/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SQLite state, shared by the code that applies blocks. */
#ifndef ML_STATE_H
#define ML_STATE_H

#include <sqlite3.h>

#include "ledger.h"

enum ml_stmt {
	ST_ACCT_GET, ST_ACCT_PUT, ST_ACCT_ADD, ST_ACCT_SUM, ST_VALIDATORS,
	ST_METER_GET, ST_METER_PUT, ST_FEEDER_GET, ST_FEEDERS,
	ST_ORDER_PUT, ST_ORDER_GET, ST_ORDER_CLOSE, ST_ORDERS_OPEN,
	ST_IV_TOUCH, ST_IV_DUE_CLEAR, ST_IV_DUE_SETTLE, ST_IV_SET, ST_IV_SETTLED,
	ST_TRADE_PUT, ST_REPORT_GET, ST_REPORT_PUT,
	ST_POSITIONS, ST_SETTLE_PUT,
	ST_DISP_PUT, ST_DISP_GET, ST_DISP_ACK, ST_DISP_OVERLAP, ST_COMPL_PUT,
	ST_VOTE_PUT, ST_VOTE_COUNT, ST_VOTE_CLEAR, ST_EVIDENCE_PUT,
	ST_BLOCK_PUT, ST_BLOCK_GET, ST_CHAIN_PUT, ST_CHAIN_GET,
	__ST_COUNT,
};

enum ml_order_status { ML_ORDER_OPEN = 0, ML_ORDER_CLOSED = 1,
		       ML_ORDER_CANCELLED = 2 };
enum ml_interval_status { ML_IV_OPEN = 0, ML_IV_CLEARED = 1,
			  ML_IV_SETTLED = 2 };
enum ml_dispatch_status { ML_DISP_PENDING = 0, ML_DISP_ACCEPTED = 1,
			  ML_DISP_REJECTED = 2 };

struct ml_params {
	uint64_t chain_id;
	uint32_t interval_len, gate_closure, settle_delay;
	uint64_t fee_per_kwh, shortfall_price, surplus_price;
	uint8_t fee_account[ML_KEY_LEN];
};

struct ml_ledger {
	sqlite3 *db;
	sqlite3_stmt *st[__ST_COUNT];
	struct ml_params p;
	uint64_t height, time;
	uint8_t last_hash[ML_HASH_LEN];
	struct ml_sigcache *sigcache;	/* sigcache.c; NULL until first use */
	size_t sc_sets;			/* its size; 0: the default */
	/* a block's execution kept in the open transaction (apply.c) */
	bool keep;		/* ml_ledger_keep_execution() */
	bool held;		/* a kept execution is open */
	bool busy;		/* inside build or apply: no implicit rollback */
	uint8_t held_key[ML_HASH_LEN];	/* header hash, state root zeroed */
	uint8_t held_root[ML_HASH_LEN];
	struct ml_exec_stats xs;
	/* the committed state while one is kept (state.c) */
	sqlite3 *ro;
	sqlite3_stmt *ro_st[__ST_COUNT];
};

struct ml_account {
	int64_t balance, locked;
	uint64_t nonce;
	uint8_t roles;
};

void ml_sigcache_free(struct ml_sigcache *c);	/* sigcache.c */

/* A reset statement, prepared on first use. NULL only on SQLite failure.
 * Outside build and apply, it first rolls a kept execution back.
 */
sqlite3_stmt *ml_stmt(struct ml_ledger *l, enum ml_stmt id);
/* Rolls a kept execution back (not inside build or apply). */
void ml_held_drop(struct ml_ledger *l);
/* A reset statement of the committed state: on the read-only connection
 * while an execution is kept, else ml_stmt(). NULL on SQLite failure.
 */
sqlite3_stmt *ml_stmt_committed(struct ml_ledger *l, enum ml_stmt id);
/* Opens that read-only connection (0, or it cannot be had). */
int ml_ro_open(struct ml_ledger *l);
/* Steps a statement that returns no rows, then resets it. */
int ml_step_done(sqlite3_stmt *s);
int ml_sql_err(int rc);
int ml_exec(struct ml_ledger *l, const char *sql);

int ml_acct_get(struct ml_ledger *l, const uint8_t *key, struct ml_account *a);
int ml_acct_put(struct ml_ledger *l, const uint8_t *key,
		const struct ml_account *a);
/* Adds to balance and locked of an account that must exist. */
int ml_acct_add(struct ml_ledger *l, const uint8_t *key, int64_t balance,
		int64_t locked);

int ml_chain_store(struct ml_ledger *l, uint64_t height, uint64_t time,
		   const uint8_t hash[ML_HASH_LEN]);
int ml_ledger_load_head(struct ml_ledger *l);
int ml_chain_genesis(struct ml_ledger *l, uint8_t **buf, size_t *len);

int ml_state_root(struct ml_ledger *l, uint64_t height, uint8_t root[32]);
int ml_validator_keys(struct ml_ledger *l, uint8_t **keys, size_t *n);
/* The same, of the committed state (see ml_stmt_committed()). */
int ml_validator_keys_committed(struct ml_ledger *l, uint8_t **keys,
				size_t *n);

/* market.c, settle.c */
int ml_market_clear(struct ml_ledger *l, uint64_t start);
int ml_market_settle(struct ml_ledger *l, uint64_t start);
int ml_meter_report_get(struct ml_ledger *l, const uint8_t *meter,
			uint64_t start, int64_t *import_wh, int64_t *export_wh);

/* dispatch.c */
struct ml_txctx {
	const struct ml_tx *tx;
	const uint8_t *id;
	uint64_t height, time;
	uint32_t index;
};
int ml_apply_dispatch(struct ml_ledger *l, const struct ml_txctx *c);
int ml_apply_dispatch_ack(struct ml_ledger *l, const struct ml_txctx *c);
int ml_dispatch_measure(struct ml_ledger *l, uint64_t start);

static inline void ml_bind_blob(sqlite3_stmt *s, int i, const void *p, int n)
{
	sqlite3_bind_blob(s, i, p, n, SQLITE_STATIC);
}

static inline void ml_bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s, i, v);
}

#endif
