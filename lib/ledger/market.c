// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Gate closure of one delivery interval: read its open orders, clear them
 * with the auction and book the trades. Runs inside the block's SQLite
 * transaction; the money moves between accounts and never appears or
 * disappears (see Documentation/ledger/market.rst).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auction.h"
#include "state.h"

struct book {
	struct ml_auction_order *o;
	uint8_t (*id)[ML_ID_LEN];
	uint8_t (*acct)[ML_KEY_LEN];
	int64_t *reserved;
	uint64_t *filled;
	size_t n, cap;
};

static void book_free(struct book *b)
{
	free(b->o);
	free(b->id);
	free(b->acct);
	free(b->reserved);
	free(b->filled);
}

static int book_grow(struct book *b)
{
	size_t cap = b->cap ? 2 * b->cap : 64;
	void *p;

#define GROW(f) do {							\
		p = realloc(b->f, cap * sizeof(*b->f));			\
		if (!p)							\
			return -ENOMEM;					\
		b->f = p;						\
	} while (0)
	GROW(o);
	GROW(id);
	GROW(acct);
	GROW(reserved);
	GROW(filled);
#undef GROW
	b->cap = cap;
	return 0;
}

static int load_feeders(struct ml_ledger *l, struct ml_feeder **out, size_t *n)
{
	sqlite3_stmt *s = ml_stmt(l, ST_FEEDERS);
	struct ml_feeder *f = NULL, *nf;
	size_t cnt = 0;
	int rc;

	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nf = realloc(f, (cnt + 1) * sizeof(*f));
		if (!nf) {
			rc = SQLITE_NOMEM;
			break;
		}
		f = nf;
		f[cnt].id = (uint32_t)sqlite3_column_int64(s, 0);
		f[cnt].import_limit_wh = (uint64_t)sqlite3_column_int64(s, 1);
		f[cnt].export_limit_wh = (uint64_t)sqlite3_column_int64(s, 2);
		cnt++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(f);
		return ml_sql_err(rc);
	}
	*out = f;
	*n = cnt;
	return 0;
}

static int feeder_index(const struct ml_feeder *f, size_t n, uint32_t id,
			uint32_t *idx)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f[mid].id == id) {
			*idx = (uint32_t)mid;
			return 0;
		}
		if (f[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -EUCLEAN;	/* a meter on a feeder that does not exist */
}

static int load_book(struct ml_ledger *l, uint64_t start,
		     const struct ml_feeder *f, size_t nf, struct book *b)
{
	sqlite3_stmt *s = ml_stmt(l, ST_ORDERS_OPEN);
	int rc, ret = 0;

	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, (int64_t)start);
	while (!ret && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct ml_auction_order *o;

		if (b->n == b->cap && (ret = book_grow(b)))
			break;
		o = &b->o[b->n];
		memcpy(b->id[b->n], sqlite3_column_blob(s, 0), ML_ID_LEN);
		memcpy(b->acct[b->n], sqlite3_column_blob(s, 1), ML_KEY_LEN);
		o->side = (uint8_t)sqlite3_column_int(s, 2);
		o->qty = (uint64_t)sqlite3_column_int64(s, 3);
		o->price = (uint64_t)sqlite3_column_int64(s, 4);
		b->reserved[b->n] = sqlite3_column_int64(s, 5);
		o->seq = (uint64_t)sqlite3_column_int64(s, 6);
		ret = feeder_index(f, nf, (uint32_t)sqlite3_column_int64(s, 7),
				   &o->feeder);
		b->filled[b->n] = 0;
		b->n++;
	}
	sqlite3_reset(s);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? 0 : ml_sql_err(rc);
}

static int book_trade(struct ml_ledger *l, uint64_t start, struct book *b,
		      const struct ml_auction_fill *fl, uint64_t price)
{
	uint64_t amount = ml_energy_cost(fl->qty, price);
	uint64_t fee = ml_energy_cost(fl->qty, l->p.fee_per_kwh);
	sqlite3_stmt *s;
	int ret;

	ret = ml_acct_add(l, b->acct[fl->bid], -(int64_t)(amount + fee), 0);
	ret = ret ? ret : ml_acct_add(l, b->acct[fl->ask], (int64_t)amount, 0);
	if (!ret && fee)
		ret = ml_acct_add(l, l->p.fee_account, (int64_t)fee, 0);
	if (ret)
		return ret;
	b->filled[fl->bid] += fl->qty;
	b->filled[fl->ask] += fl->qty;
	s = ml_stmt(l, ST_TRADE_PUT);
	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, (int64_t)start);
	ml_bind_blob(s, 2, b->id[fl->bid], ML_ID_LEN);
	ml_bind_blob(s, 3, b->id[fl->ask], ML_ID_LEN);
	ml_bind_i64(s, 4, (int64_t)fl->qty);
	ml_bind_i64(s, 5, (int64_t)price);
	ml_bind_i64(s, 6, (int64_t)amount);
	ml_bind_i64(s, 7, (int64_t)fee);
	return ml_step_done(s);
}

static int close_orders(struct ml_ledger *l, struct book *b)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < b->n; i++) {
		sqlite3_stmt *s;

		/* whatever a bid did not spend is free again */
		if (b->reserved[i])
			ret = ml_acct_add(l, b->acct[i], 0, -b->reserved[i]);
		s = ret ? NULL : ml_stmt(l, ST_ORDER_CLOSE);
		if (!ret && !s)
			ret = -EIO;
		if (ret)
			break;
		ml_bind_i64(s, 1, ML_ORDER_CLOSED);
		ml_bind_i64(s, 2, (int64_t)b->filled[i]);
		ml_bind_blob(s, 3, b->id[i], ML_ID_LEN);
		ret = ml_step_done(s);
	}
	return ret;
}

int ml_market_clear(struct ml_ledger *l, uint64_t start)
{
	struct ml_auction_result r = { 0 };
	struct ml_feeder *f = NULL;
	struct book b = { 0 };
	sqlite3_stmt *s;
	size_t nf = 0, i;
	int ret;

	ret = load_feeders(l, &f, &nf);
	ret = ret ? ret : load_book(l, start, f, nf, &b);
	if (!ret && b.n)
		ret = ml_auction_clear(b.o, b.n, f, nf, &r);
	for (i = 0; !ret && i < r.nfills; i++)
		ret = book_trade(l, start, &b, &r.fills[i], r.price);
	ret = ret ? ret : close_orders(l, &b);
	if (!ret) {
		s = ml_stmt(l, ST_IV_SET);
		if (!s) {
			ret = -EIO;
		} else {
			ml_bind_i64(s, 1, ML_IV_CLEARED);
			ml_bind_i64(s, 2, (int64_t)r.price);
			ml_bind_i64(s, 3, (int64_t)r.volume);
			ml_bind_i64(s, 4, (int64_t)start);
			ret = ml_step_done(s);
		}
	}
	ml_auction_result_free(&r);
	book_free(&b);
	free(f);
	return ret;
}
