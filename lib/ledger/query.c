// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Read-only queries for tools (query.h). Statements are prepared per call
 * and finalized before returning: these run once per command, not per
 * block, so they stay out of the applier's statement cache.
 */
#include <errno.h>
#include <string.h>

#include "query.h"
#include "state.h"

/* ?1 is a key filter (NULL matches all), ?2 an interval filter (0: all). */
static int prepare(struct ml_ledger *l, const char *q, const uint8_t *key,
		   uint64_t iv, sqlite3_stmt **out)
{
	sqlite3_stmt *s;
	int rc;

	ml_held_drop(l);
	rc = sqlite3_prepare_v2(l->db, q, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return ml_sql_err(rc) ? ml_sql_err(rc) : -EIO;
	if (key)
		ml_bind_blob(s, 1, key, ML_KEY_LEN);
	ml_bind_i64(s, 2, (int64_t)iv);
	*out = s;
	return 0;
}

/* A blob column of exactly @n bytes, or the table is not ours. */
static int col_blob(sqlite3_stmt *s, int i, uint8_t *dst, size_t n)
{
	if ((size_t)sqlite3_column_bytes(s, i) != n)
		return -EUCLEAN;
	memcpy(dst, sqlite3_column_blob(s, i), n);
	return 0;
}

static int64_t col(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int64(s, i);
}

/* Finalizes @s; @ret is the first error or callback value, @rc the last step. */
static int finish(sqlite3_stmt *s, int rc, int ret)
{
	sqlite3_finalize(s);
	if (ret)
		return ret;
	if (rc == SQLITE_DONE)
		return 0;
	return ml_sql_err(rc) ? ml_sql_err(rc) : -EIO;
}

static int fill_account(sqlite3_stmt *s, struct ml_q_account *a)
{
	a->balance = col(s, 1);
	a->locked = col(s, 2);
	a->nonce = (uint64_t)col(s, 3);
	a->roles = (uint8_t)col(s, 4);
	return col_blob(s, 0, a->key, ML_KEY_LEN);
}

int ml_q_accounts(struct ml_ledger *l, const uint8_t *key,
		  int (*cb)(const struct ml_q_account *, void *), void *arg)
{
	struct ml_q_account a;
	sqlite3_stmt *s;
	int rc, ret;

	ret = prepare(l, "SELECT key, balance, locked, nonce, roles FROM accounts"
		      " WHERE (?1 IS NULL OR key = ?1) ORDER BY key", key, 0, &s);
	if (ret)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		ret = fill_account(s, &a);
		ret = ret ? ret : cb(&a, arg);
		if (ret)
			break;
	}
	return finish(s, rc, ret);
}

static int fill_meter(sqlite3_stmt *s, struct ml_q_meter *m)
{
	m->feeder = (uint32_t)col(s, 2);
	return col_blob(s, 0, m->id, ML_ID_LEN) ? -EUCLEAN :
	       col_blob(s, 1, m->owner, ML_KEY_LEN) ? -EUCLEAN :
	       col_blob(s, 3, m->gw_key, ML_P256_PUB_LEN);
}

int ml_q_meters(struct ml_ledger *l, const uint8_t *owner,
		int (*cb)(const struct ml_q_meter *, void *), void *arg)
{
	struct ml_q_meter m;
	sqlite3_stmt *s;
	int rc, ret;

	ret = prepare(l, "SELECT id, owner, feeder, gw_key FROM meters"
		      " WHERE (?1 IS NULL OR owner = ?1) ORDER BY id", owner, 0, &s);
	if (ret)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		ret = fill_meter(s, &m);
		ret = ret ? ret : cb(&m, arg);
		if (ret)
			break;
	}
	return finish(s, rc, ret);
}

static int fill_interval(sqlite3_stmt *s, struct ml_q_interval *v)
{
	v->start = (uint64_t)col(s, 0);
	v->status = (uint8_t)col(s, 1);
	v->price = (uint64_t)col(s, 2);
	v->volume = (uint64_t)col(s, 3);
	v->bid_wh = (uint64_t)col(s, 4);
	v->ask_wh = (uint64_t)col(s, 5);
	v->import_wh = (uint64_t)col(s, 6);
	v->export_wh = (uint64_t)col(s, 7);
	v->nreports = (uint32_t)col(s, 8);
	return 0;
}

int ml_q_intervals(struct ml_ledger *l, uint64_t from, uint64_t to,
		   int (*cb)(const struct ml_q_interval *, void *), void *arg)
{
	struct ml_q_interval v;
	sqlite3_stmt *s;
	int rc, ret;

	ret = prepare(l, "SELECT i.start, i.status, i.price, i.volume,"
		      " (SELECT coalesce(sum(qty), 0) FROM orders"
		      "  WHERE interval = i.start AND side = 1),"
		      " (SELECT coalesce(sum(qty), 0) FROM orders"
		      "  WHERE interval = i.start AND side = 2),"
		      " (SELECT coalesce(sum(import_wh), 0) FROM reports"
		      "  WHERE interval = i.start),"
		      " (SELECT coalesce(sum(export_wh), 0) FROM reports"
		      "  WHERE interval = i.start),"
		      " (SELECT count(*) FROM reports WHERE interval = i.start)"
		      " FROM intervals i WHERE i.start >= ?2"
		      " AND (?3 = 0 OR i.start <= ?3) ORDER BY i.start",
		      NULL, from, &s);
	if (ret)
		return ret;
	ml_bind_i64(s, 3, (int64_t)to);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&v, 0, sizeof(v));
		ret = fill_interval(s, &v);
		ret = ret ? ret : cb(&v, arg);
		if (ret)
			break;
	}
	return finish(s, rc, ret);
}

static int fill_order(sqlite3_stmt *s, struct ml_q_order *o)
{
	o->side = (uint8_t)col(s, 3);
	o->interval = (uint64_t)col(s, 4);
	o->qty = (uint64_t)col(s, 5);
	o->price = (uint64_t)col(s, 6);
	o->reserved = (uint64_t)col(s, 7);
	o->filled = (uint64_t)col(s, 8);
	o->status = (uint8_t)col(s, 9);
	o->seq = (uint64_t)col(s, 10);
	return col_blob(s, 0, o->id, ML_ID_LEN) ? -EUCLEAN :
	       col_blob(s, 1, o->account, ML_KEY_LEN) ? -EUCLEAN :
	       col_blob(s, 2, o->meter, ML_ID_LEN);
}

int ml_q_orders(struct ml_ledger *l, const uint8_t *account, uint64_t interval,
		int (*cb)(const struct ml_q_order *, void *), void *arg)
{
	struct ml_q_order o;
	sqlite3_stmt *s;
	int rc, ret;

	ret = prepare(l, "SELECT id, account, meter, side, interval, qty, price,"
		      " reserved, filled, status, seq FROM orders"
		      " WHERE (?1 IS NULL OR account = ?1)"
		      " AND (?2 = 0 OR interval = ?2) ORDER BY interval, seq",
		      account, interval, &s);
	if (ret)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		ret = fill_order(s, &o);
		ret = ret ? ret : cb(&o, arg);
		if (ret)
			break;
	}
	return finish(s, rc, ret);
}

static int fill_trade(sqlite3_stmt *s, struct ml_q_trade *t)
{
	t->interval = (uint64_t)col(s, 0);
	t->qty = (uint64_t)col(s, 3);
	t->price = (uint64_t)col(s, 4);
	t->amount = col(s, 5);
	t->fee = col(s, 6);
	return col_blob(s, 1, t->bid, ML_ID_LEN) ? -EUCLEAN :
	       col_blob(s, 2, t->ask, ML_ID_LEN);
}

int ml_q_trades(struct ml_ledger *l, const uint8_t *account, uint64_t interval,
		int (*cb)(const struct ml_q_trade *, void *), void *arg)
{
	struct ml_q_trade t;
	sqlite3_stmt *s;
	int rc, ret;

	ret = prepare(l, "SELECT interval, bid, ask, qty, price, amount, fee"
		      " FROM trades t WHERE (?2 = 0 OR interval = ?2)"
		      " AND (?1 IS NULL OR EXISTS (SELECT 1 FROM orders o"
		      "  WHERE o.account = ?1 AND o.id IN (t.bid, t.ask)))"
		      " ORDER BY interval, bid, ask", account, interval, &s);
	if (ret)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&t, 0, sizeof(t));
		ret = fill_trade(s, &t);
		ret = ret ? ret : cb(&t, arg);
		if (ret)
			break;
	}
	return finish(s, rc, ret);
}

static int fill_settlement(sqlite3_stmt *s, struct ml_q_settlement *st)
{
	st->interval = (uint64_t)col(s, 0);
	st->contracted = col(s, 3);
	st->measured = col(s, 4);
	st->amount = col(s, 5);
	return col_blob(s, 1, st->meter, ML_ID_LEN) ? -EUCLEAN :
	       col_blob(s, 2, st->account, ML_KEY_LEN);
}

int ml_q_settlements(struct ml_ledger *l, const uint8_t *account,
		     uint64_t interval,
		     int (*cb)(const struct ml_q_settlement *, void *),
		     void *arg)
{
	struct ml_q_settlement st;
	sqlite3_stmt *s;
	int rc, ret;

	ret = prepare(l, "SELECT interval, meter, account, contracted, measured,"
		      " amount FROM settlements WHERE (?1 IS NULL OR account = ?1)"
		      " AND (?2 = 0 OR interval = ?2) ORDER BY interval, meter",
		      account, interval, &s);
	if (ret)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&st, 0, sizeof(st));
		ret = fill_settlement(s, &st);
		ret = ret ? ret : cb(&st, arg);
		if (ret)
			break;
	}
	return finish(s, rc, ret);
}

static int fill_dispatch(sqlite3_stmt *s, struct ml_q_dispatch *d)
{
	d->kind = (uint8_t)col(s, 2);
	d->value = col(s, 3);
	d->start = (uint64_t)col(s, 4);
	d->end = (uint64_t)col(s, 5);
	d->status = (uint8_t)col(s, 6);
	d->ack_height = (uint64_t)col(s, 7);
	return col_blob(s, 0, d->id, ML_ID_LEN) ? -EUCLEAN :
	       col_blob(s, 1, d->meter, ML_ID_LEN);
}

int ml_q_dispatches(struct ml_ledger *l, const uint8_t *meter,
		    int (*cb)(const struct ml_q_dispatch *, void *), void *arg)
{
	struct ml_q_dispatch d;
	sqlite3_stmt *s;
	int rc, ret;

	ret = prepare(l, "SELECT id, meter, kind, value, start, end, status,"
		      " ack_height FROM dispatches WHERE (?1 IS NULL OR meter = ?1)"
		      " ORDER BY start, id", meter, 0, &s);
	if (ret)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&d, 0, sizeof(d));
		ret = fill_dispatch(s, &d);
		ret = ret ? ret : cb(&d, arg);
		if (ret)
			break;
	}
	return finish(s, rc, ret);
}

int ml_q_compliance(struct ml_ledger *l, const uint8_t *dispatch,
		    int (*cb)(const struct ml_q_compliance *, void *), void *arg)
{
	struct ml_q_compliance c;
	sqlite3_stmt *s;
	int rc, ret;

	ret = prepare(l, "SELECT dispatch, interval, target, measured, deviation,"
		      " status FROM compliance WHERE (?1 IS NULL OR dispatch = ?1)"
		      " ORDER BY dispatch, interval", dispatch, 0, &s);
	if (ret)
		return ret;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&c, 0, sizeof(c));
		c.interval = (uint64_t)col(s, 1);
		c.target = col(s, 2);
		c.has_measured = sqlite3_column_type(s, 3) != SQLITE_NULL;
		c.measured = col(s, 3);
		c.deviation = col(s, 4);
		c.status = (uint8_t)col(s, 5);
		ret = col_blob(s, 0, c.dispatch, ML_ID_LEN);
		ret = ret ? ret : cb(&c, arg);
		if (ret)
			break;
	}
	return finish(s, rc, ret);
}
