// SPDX-License-Identifier: GPL-2.0
/*
 * The spool in SQLite. Schema in Documentation/settled.rst ("Spool").
 * Every interval is rebuilt from its stored readings when it closes, so a
 * crash at any moment leaves either the readings of a batch or none of
 * them, and either a closed interval with its report or an open one.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "spool.h"

struct spool {
	sqlite3 *db;
	sqlite3_stmt *put;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meters(id INTEGER PRIMARY KEY, bus_id TEXT UNIQUE NOT NULL,"
	" key BLOB NOT NULL, closed_until INTEGER NOT NULL DEFAULT 0,"
	" registered INTEGER NOT NULL DEFAULT -1,"
	" p_valid INTEGER NOT NULL DEFAULT 0, p_seq INTEGER NOT NULL DEFAULT 0,"
	" p_imp INTEGER NOT NULL DEFAULT 0, p_exp INTEGER NOT NULL DEFAULT 0,"
	" c_imp INTEGER NOT NULL DEFAULT 0, c_exp INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS readings(n INTEGER PRIMARY KEY, meter INTEGER NOT NULL,"
	" ival INTEGER NOT NULL, seq INTEGER NOT NULL, t_ns INTEGER NOT NULL,"
	" clk_state INTEGER, clk_status INTEGER, maxerr INTEGER, esterr INTEGER,"
	" rec BLOB NOT NULL, UNIQUE(meter, seq, t_ns));"
	"CREATE INDEX IF NOT EXISTS readings_ival ON readings(meter, ival, n);"
	"CREATE TABLE IF NOT EXISTS intervals(meter INTEGER, start INTEGER, len INTEGER,"
	" count INTEGER, gaps INTEGER, resets INTEGER, invalid INTEGER,"
	" min_mw INTEGER, max_mw INTEGER, import_uwh INTEGER, export_uwh INTEGER,"
	" import_wh INTEGER, export_wh INTEGER, unsynced INTEGER, maxerr INTEGER,"
	" esterr INTEGER, root BLOB, PRIMARY KEY(meter, start)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS reports(id INTEGER PRIMARY KEY, meter INTEGER,"
	" start INTEGER, state INTEGER NOT NULL DEFAULT 0, sig BLOB, height INTEGER,"
	" err INTEGER, UNIQUE(meter, start));"
	"CREATE TABLE IF NOT EXISTS user_txs(id INTEGER PRIMARY KEY, txid BLOB UNIQUE NOT NULL,"
	" tx BLOB NOT NULL, state INTEGER NOT NULL DEFAULT 0, height INTEGER, err INTEGER);"
	"CREATE TABLE IF NOT EXISTS dispatches(id BLOB PRIMARY KEY, meter BLOB NOT NULL,"
	" kind INTEGER NOT NULL, value INTEGER NOT NULL, start INTEGER NOT NULL,"
	" end_ INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0, ack INTEGER,"
	" result INTEGER, n INTEGER UNIQUE);"
	"CREATE TABLE IF NOT EXISTS kv(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;";

static int err(int rc)
{
	switch (rc) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return 0;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_CONSTRAINT: return -EEXIST;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: return -EUCLEAN;
	case SQLITE_READONLY: case SQLITE_PERM: case SQLITE_CANTOPEN: return -EACCES;
	default: return -EIO;
	}
}

static int exec(struct spool *s, const char *q)
{
	return err(sqlite3_exec(s->db, q, NULL, NULL, NULL));
}

static sqlite3_stmt *prep(struct spool *s, const char *q)
{
	sqlite3_stmt *st = NULL;

	sqlite3_prepare_v2(s->db, q, -1, &st, NULL);
	return st;
}

/* runs a prepared statement to completion and finalizes it */
static int done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : err(rc);
}

int spool_open(const char *path, struct spool **out)
{
	struct spool *s = calloc(1, sizeof(*s));
	int ret;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	ret = err(sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				  SQLITE_OPEN_NOMUTEX, NULL));
	if (!ret) {
		sqlite3_busy_timeout(s->db, 10000);
		ret = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
	}
	ret = ret ? ret : exec(s, schema);
	if (!ret) {
		s->put = prep(s, "INSERT INTO readings(meter, ival, seq, t_ns, clk_state,"
			      " clk_status, maxerr, esterr, rec) VALUES(?,"
			      " max(?, (SELECT closed_until FROM meters WHERE id = ?1)),"
			      " ?,?,?,?,?,?,?)");
		ret = s->put ? 0 : -EIO;
	}
	if (ret) {
		spool_close(s);
		return ret;
	}
	*out = s;
	return 0;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->put);
	sqlite3_close(s->db);
	free(s);
}

const char *spool_errmsg(struct spool *s)
{
	return sqlite3_errmsg(s->db);
}

int spool_begin(struct spool *s)
{
	return exec(s, "BEGIN IMMEDIATE");
}

int spool_commit(struct spool *s)
{
	return exec(s, "COMMIT");
}

void spool_rollback(struct spool *s)
{
	exec(s, "ROLLBACK");
}

int spool_meter(struct spool *s, const char *bus_id, const uint8_t key[32], int64_t *id)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO meters(bus_id, key) VALUES(?, ?)"
				" ON CONFLICT(bus_id) DO UPDATE SET bus_id = bus_id RETURNING id");
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, bus_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, key, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : err(rc);
}

int spool_put_reading(struct spool *s, int64_t meter, uint32_t len,
		      const struct meterlink_reading *r, const struct clk *c)
{
	sqlite3_stmt *st = s->put;
	int64_t t = r->realtime_ns / 1000000000;
	int rc;

	if (r->realtime_ns < 0)
		t = 0;
	sqlite3_bind_int64(st, 1, meter);
	sqlite3_bind_int64(st, 2, t - t % len);
	sqlite3_bind_int64(st, 3, (int64_t)r->seq);
	sqlite3_bind_int64(st, 4, r->realtime_ns);
	sqlite3_bind_int(st, 5, c->state);
	sqlite3_bind_int64(st, 6, c->status);
	sqlite3_bind_int64(st, 7, c->maxerror_us);
	sqlite3_bind_int64(st, 8, c->esterror_us);
	sqlite3_bind_blob(st, 9, r, sizeof(*r), SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : err(rc);
}

int spool_last_reading(struct spool *s, int64_t meter, struct meterlink_reading *r)
{
	/*
	 * the newest of the newest interval: a walk down the readings_ival
	 * index, not a sort of every reading kept (if a clock step put a later
	 * reading in an earlier open interval, an older one is found and the
	 * recovery refetches a few the spool then refuses as duplicates)
	 */
	sqlite3_stmt *st = prep(s, "SELECT rec FROM readings WHERE meter = ?"
				" ORDER BY ival DESC, n DESC LIMIT 1");
	int rc, ret = -ENOENT;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, meter);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == (int)sizeof(*r)) {
		memcpy(r, sqlite3_column_blob(st, 0), sizeof(*r));
		ret = 0;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ret = err(rc);
	}
	sqlite3_finalize(st);
	return ret;
}

static void load_prev(sqlite3_stmt *st, int col, struct ival_prev *p)
{
	p->valid = sqlite3_column_int(st, col);
	p->seq = (uint64_t)sqlite3_column_int64(st, col + 1);
	p->import_uwh = (uint64_t)sqlite3_column_int64(st, col + 2);
	p->export_uwh = (uint64_t)sqlite3_column_int64(st, col + 3);
	p->carry_import_uwh = (uint64_t)sqlite3_column_int64(st, col + 4);
	p->carry_export_uwh = (uint64_t)sqlite3_column_int64(st, col + 5);
}

/* aggregates and stores one interval; inside the caller's transaction */
static int close_one(struct spool *s, int64_t meter, const uint8_t key[32],
		     uint64_t start, uint32_t len, const struct ival_prev *prev)
{
	struct ival_acc a;
	struct ival_sum sum;
	struct ival_prev next;
	sqlite3_stmt *st;
	int rc, ret = 0;

	ival_begin(&a, key, start, len, prev);
	st = prep(s, "SELECT rec, clk_state, clk_status, maxerr, esterr FROM readings"
		  " WHERE meter = ? AND ival = ? ORDER BY n");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, meter);
	sqlite3_bind_int64(st, 2, (int64_t)start);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !ret) {
		struct meterlink_reading r;
		struct clk c;

		if (sqlite3_column_bytes(st, 0) != sizeof(r)) {
			ret = -EUCLEAN;
			break;
		}
		memcpy(&r, sqlite3_column_blob(st, 0), sizeof(r));
		c.state = sqlite3_column_int(st, 1);
		c.status = (uint32_t)sqlite3_column_int64(st, 2);
		c.maxerror_us = sqlite3_column_int64(st, 3);
		c.esterror_us = sqlite3_column_int64(st, 4);
		ret = ival_add(&a, &r, &c);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = err(rc);
	sqlite3_finalize(st);
	ret = ret ? ret : ival_end(&a, &sum, &next);
	ival_free(&a);
	if (ret)
		return ret;
	st = prep(s, "INSERT INTO intervals VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, meter);
	sqlite3_bind_int64(st, 2, (int64_t)start);
	sqlite3_bind_int64(st, 3, len);
	sqlite3_bind_int64(st, 4, sum.count);
	sqlite3_bind_int64(st, 5, (int64_t)sum.gaps);
	sqlite3_bind_int64(st, 6, sum.resets);
	sqlite3_bind_int64(st, 7, sum.invalid);
	sqlite3_bind_int64(st, 8, sum.min_mw);
	sqlite3_bind_int64(st, 9, sum.max_mw);
	sqlite3_bind_int64(st, 10, (int64_t)sum.import_uwh);
	sqlite3_bind_int64(st, 11, (int64_t)sum.export_uwh);
	sqlite3_bind_int64(st, 12, (int64_t)sum.import_wh);
	sqlite3_bind_int64(st, 13, (int64_t)sum.export_wh);
	sqlite3_bind_int64(st, 14, sum.unsynced);
	sqlite3_bind_int64(st, 15, sum.maxerror_us);
	sqlite3_bind_int64(st, 16, sum.esterror_us);
	sqlite3_bind_blob(st, 17, sum.root, 32, SQLITE_STATIC);
	ret = done(st);
	if (ret)
		return ret;
	st = prep(s, "INSERT INTO reports(meter, start) VALUES(?, ?)");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, meter);
	sqlite3_bind_int64(st, 2, (int64_t)start);
	ret = done(st);
	if (ret)
		return ret;
	st = prep(s, "UPDATE meters SET closed_until = ?, p_valid = ?, p_seq = ?,"
		  " p_imp = ?, p_exp = ?, c_imp = ?, c_exp = ? WHERE id = ?");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (int64_t)(start + len));
	sqlite3_bind_int(st, 2, next.valid);
	sqlite3_bind_int64(st, 3, (int64_t)next.seq);
	sqlite3_bind_int64(st, 4, (int64_t)next.import_uwh);
	sqlite3_bind_int64(st, 5, (int64_t)next.export_uwh);
	sqlite3_bind_int64(st, 6, (int64_t)next.carry_import_uwh);
	sqlite3_bind_int64(st, 7, (int64_t)next.carry_export_uwh);
	sqlite3_bind_int64(st, 8, meter);
	return done(st);
}

/* the oldest due interval with readings of any meter; -ENOENT if none */
static int next_due(struct spool *s, int64_t limit, int64_t *meter, uint64_t *start,
		    uint8_t key[32], struct ival_prev *prev)
{
	sqlite3_stmt *st = prep(s, "SELECT m.id, r.ival, m.key, m.p_valid, m.p_seq, m.p_imp,"
				" m.p_exp, m.c_imp, m.c_exp FROM meters m JOIN readings r"
				" ON r.meter = m.id AND r.ival >= m.closed_until"
				" WHERE r.ival <= ? ORDER BY r.ival, m.id LIMIT 1");
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, limit);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*meter = sqlite3_column_int64(st, 0);
		*start = (uint64_t)sqlite3_column_int64(st, 1);
		memcpy(key, sqlite3_column_blob(st, 2), 32);
		load_prev(st, 3, prev);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : err(rc);
}

int spool_close_due(struct spool *s, uint32_t len, int64_t now_ms, uint32_t delay_ms)
{
	/* intervals whose end <= (now - delay): start <= that - len */
	int64_t limit = (now_ms - (int64_t)delay_ms) / 1000 - len;
	int n = 0, ret;

	for (;;) {
		struct ival_prev prev;
		uint8_t key[32];
		uint64_t start = 0;
		int64_t meter = 0;

		ret = spool_begin(s);
		if (ret)
			return ret;
		ret = next_due(s, limit, &meter, &start, key, &prev);
		if (!ret)
			ret = close_one(s, meter, key, start, len, &prev);
		if (ret) {
			spool_rollback(s);
			return ret == -ENOENT ? n : ret;
		}
		ret = spool_commit(s);
		if (ret)
			return ret;
		n++;
	}
}

int spool_prune(struct spool *s, int64_t before)
{
	sqlite3_stmt *st = prep(s, "DELETE FROM readings WHERE ival + (SELECT len FROM"
				" intervals i WHERE i.meter = readings.meter AND"
				" i.start = readings.ival) <= ?");
	int ret;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, before);
	ret = done(st);
	return ret ? ret : sqlite3_changes(s->db);
}

static void load_report(sqlite3_stmt *st, struct spool_report *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->meter = sqlite3_column_int64(st, 1);
	memcpy(r->meter_key, sqlite3_column_blob(st, 2), 32);
	r->start = (uint64_t)sqlite3_column_int64(st, 3);
	r->len = (uint32_t)sqlite3_column_int64(st, 4);
	r->import_wh = (uint64_t)sqlite3_column_int64(st, 5);
	r->export_wh = (uint64_t)sqlite3_column_int64(st, 6);
	memcpy(r->root, sqlite3_column_blob(st, 7), 32);
	if (sqlite3_column_bytes(st, 8) == 64)
		memcpy(r->sig, sqlite3_column_blob(st, 8), 64);
	r->state = sqlite3_column_int(st, 9);
	r->height = (uint64_t)sqlite3_column_int64(st, 10);
}

#define REPORT_SELECT "SELECT p.id, p.meter, m.key, p.start, i.len, i.import_wh," \
	" i.export_wh, i.root, p.sig, p.state, p.height FROM reports p" \
	" JOIN meters m ON m.id = p.meter JOIN intervals i" \
	" ON i.meter = p.meter AND i.start = p.start"

/* the reports @sql selects with @key, oldest first, at most @max */
static int reports_where(struct spool *s, const char *sql, int64_t key,
			 struct spool_report *r, size_t max, size_t *n)
{
	sqlite3_stmt *st = prep(s, sql);
	int rc;

	*n = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, key);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		load_report(st, &r[(*n)++]);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : err(rc);
}

int spool_reports(struct spool *s, int state, struct spool_report *r, size_t max, size_t *n)
{
	return reports_where(s, REPORT_SELECT " WHERE p.state = ? ORDER BY p.id LIMIT ?",
			     state, r, max, n);
}

int spool_reports_after(struct spool *s, int64_t after, struct spool_report *r, size_t max,
			size_t *n)
{
	return reports_where(s, REPORT_SELECT " WHERE p.id > ? ORDER BY p.id LIMIT ?",
			     after, r, max, n);
}

int spool_meter_list(struct spool *s, struct spool_meter *m, size_t max, size_t *n)
{
	sqlite3_stmt *st = prep(s, "SELECT id, bus_id, key, closed_until, registered FROM meters"
				" ORDER BY id LIMIT ?");
	int rc;

	*n = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct spool_meter *x = &m[(*n)++];

		x->id = sqlite3_column_int64(st, 0);
		snprintf(x->bus_id, sizeof(x->bus_id), "%s", (const char *)sqlite3_column_text(st, 1));
		memcpy(x->key, sqlite3_column_blob(st, 2), 32);
		x->closed_until = (uint64_t)sqlite3_column_int64(st, 3);
		x->registered = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : err(rc);
}

int spool_counts(struct spool *s, int64_t states[4], int64_t *readings)
{
	sqlite3_stmt *st = prep(s, "SELECT -1, count(*) FROM readings UNION ALL"
				" SELECT state, count(*) FROM reports GROUP BY state");
	int rc;

	memset(states, 0, 4 * sizeof(*states));
	*readings = 0;
	if (!st)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int k = sqlite3_column_int(st, 0);

		if (k == -1)
			*readings = sqlite3_column_int64(st, 1);
		else if (k >= 0 && k < 4)
			states[k] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : err(rc);
}

int spool_next_report(struct spool *s, int state, struct spool_report *r)
{
	size_t n;
	int ret = spool_reports(s, state, r, 1, &n);

	return ret ? ret : n ? 0 : -ENOENT;
}

int spool_report_signed(struct spool *s, int64_t id, const uint8_t sig[64])
{
	sqlite3_stmt *st = prep(s, "UPDATE reports SET sig = ?, state = 1 WHERE id = ? AND state = 0");

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, sig, 64, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	return done(st);
}

int spool_report_done(struct spool *s, int64_t id, int state, uint64_t height, int e)
{
	sqlite3_stmt *st = prep(s, "UPDATE reports SET state = ?, height = ?, err = ? WHERE id = ?");

	if (!st)
		return -EIO;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int64(st, 2, (int64_t)height);
	sqlite3_bind_int(st, 3, e);
	sqlite3_bind_int64(st, 4, id);
	return done(st);
}

int spool_unregistered(struct spool *s, int64_t *ids, uint8_t (*keys)[32], size_t max, size_t *n)
{
	sqlite3_stmt *st = prep(s, "SELECT id, key FROM meters WHERE registered < 0 ORDER BY id LIMIT ?");
	int rc;

	*n = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids[*n] = sqlite3_column_int64(st, 0);
		memcpy(keys[(*n)++], sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : err(rc);
}

int spool_meter_registered(struct spool *s, int64_t id, uint64_t height)
{
	sqlite3_stmt *st = prep(s, "UPDATE meters SET registered = ? WHERE id = ?");

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (int64_t)height);
	sqlite3_bind_int64(st, 2, id);
	return done(st);
}

int spool_kv_get(struct spool *s, const char *k, char *v, size_t len)
{
	sqlite3_stmt *st = prep(s, "SELECT v FROM kv WHERE k = ?");
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(v, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : err(rc);
}

int spool_kv_set(struct spool *s, const char *k, const char *v)
{
	sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO kv VALUES(?, ?)");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	return done(st);
}

int spool_proof(struct spool *s, const char *bus_id, uint64_t seq, struct spool_proof *p)
{
	sqlite3_stmt *st = prep(s, "SELECT r.n, r.ival, r.meter, m.key, r.rec, i.root, p.state,"
				" p.sig, i.import_wh, i.export_wh FROM readings r"
				" JOIN meters m ON m.id = r.meter LEFT JOIN intervals i"
				" ON i.meter = r.meter AND i.start = r.ival LEFT JOIN reports p"
				" ON p.meter = r.meter AND p.start = r.ival"
				" WHERE m.bus_id = ? AND r.seq = ? ORDER BY r.n DESC LIMIT 1");
	int64_t n, meter;
	size_t cap = 0;
	int rc, ret = 0;

	memset(p, 0, sizeof(*p));
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, bus_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? -ENOENT : err(rc);
	}
	n = sqlite3_column_int64(st, 0);
	p->start = (uint64_t)sqlite3_column_int64(st, 1);
	meter = sqlite3_column_int64(st, 2);
	memcpy(p->meter_key, sqlite3_column_blob(st, 3), 32);
	if (sqlite3_column_bytes(st, 4) != sizeof(p->rec))
		ret = -EUCLEAN;
	else
		memcpy(&p->rec, sqlite3_column_blob(st, 4), sizeof(p->rec));
	if (sqlite3_column_type(st, 5) == SQLITE_NULL)
		ret = ret ? ret : -EAGAIN;
	else
		memcpy(p->root, sqlite3_column_blob(st, 5), 32);
	p->report_state = sqlite3_column_int(st, 6);
	if (sqlite3_column_bytes(st, 7) == 64)
		memcpy(p->sig, sqlite3_column_blob(st, 7), 64);
	p->import_wh = (uint64_t)sqlite3_column_int64(st, 8);
	p->export_wh = (uint64_t)sqlite3_column_int64(st, 9);
	sqlite3_finalize(st);
	if (ret)
		return ret;
	st = prep(s, "SELECT n, rec FROM readings WHERE meter = ? AND ival = ? ORDER BY n");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, meter);
	sqlite3_bind_int64(st, 2, (int64_t)p->start);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (p->n == cap) {
			void *m = realloc(p->leaves, (cap = cap ? 2 * cap : 256) * 32);

			if (!m) {
				ret = -ENOMEM;
				break;
			}
			p->leaves = m;
		}
		if (sqlite3_column_int64(st, 0) == n)
			p->index = p->n;
		merkle_leaf(p->meter_key, sqlite3_column_blob(st, 1),
			    (size_t)sqlite3_column_bytes(st, 1), p->leaves[p->n++]);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = err(rc);
	sqlite3_finalize(st);
	if (ret) {
		free(p->leaves);
		p->leaves = NULL;
	}
	return ret;
}

int spool_user_tx_add(struct spool *s, const uint8_t txid[32], const uint8_t *tx, size_t len)
{
	sqlite3_stmt *st = prep(s, "INSERT INTO user_txs(txid, tx) VALUES(?, ?)");

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, txid, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, tx, (int)len, SQLITE_STATIC);
	return done(st);
}

int spool_user_txs(struct spool *s, struct spool_user_tx *t, size_t max, size_t *n)
{
	sqlite3_stmt *st = prep(s, "SELECT id, tx FROM user_txs WHERE state = 0 ORDER BY id LIMIT ?");
	int rc;

	*n = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int len = sqlite3_column_bytes(st, 1);

		if (len <= 0 || len > (int)sizeof(t->enc))
			continue;	/* never stored: add checked it */
		t[*n].id = sqlite3_column_int64(st, 0);
		t[*n].len = (size_t)len;
		memcpy(t[*n].enc, sqlite3_column_blob(st, 1), (size_t)len);
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : err(rc);
}

int spool_user_tx_done(struct spool *s, int64_t id, int state, uint64_t height, int e)
{
	sqlite3_stmt *st = prep(s, "UPDATE user_txs SET state = ?, height = ?, err = ? WHERE id = ?");

	if (!st)
		return -EIO;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int64(st, 2, (int64_t)height);
	sqlite3_bind_int(st, 3, e);
	sqlite3_bind_int64(st, 4, id);
	return done(st);
}

int spool_user_tx_state(struct spool *s, const uint8_t txid[32], int *state, uint64_t *height,
			int *e)
{
	sqlite3_stmt *st = prep(s, "SELECT state, height, err FROM user_txs WHERE txid = ?");
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, txid, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*state = sqlite3_column_int(st, 0);
		*height = (uint64_t)sqlite3_column_int64(st, 1);
		*e = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : err(rc);
}

int spool_has_meter(struct spool *s, const uint8_t key[32])
{
	sqlite3_stmt *st = prep(s, "SELECT 1 FROM meters WHERE key = ?");
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : err(rc);
}

int spool_dispatch_add(struct spool *s, const struct spool_dispatch *d)
{
	sqlite3_stmt *st = prep(s, "INSERT OR IGNORE INTO dispatches(id, meter, kind, value, start,"
				" end_, n) VALUES(?,?,?,?,?,?, (SELECT coalesce(max(n), 0) + 1"
				" FROM dispatches))");
	int ret;

	if (!st)
		return -EIO;
	sqlite3_bind_blob(st, 1, d->id, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, d->meter, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, d->kind);
	sqlite3_bind_int64(st, 4, d->value);
	sqlite3_bind_int64(st, 5, (int64_t)d->start);
	sqlite3_bind_int64(st, 6, (int64_t)d->end);
	ret = done(st);
	return ret ? ret : sqlite3_changes(s->db) > 0;
}

int spool_dispatches(struct spool *s, int state, struct spool_dispatch *d, size_t max, size_t *n)
{
	sqlite3_stmt *st = prep(s, "SELECT id, meter, kind, value, start, end_, ack, result"
				" FROM dispatches WHERE state = ? ORDER BY n LIMIT ?");
	int rc;

	*n = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct spool_dispatch *x = &d[(*n)++];

		memcpy(x->id, sqlite3_column_blob(st, 0), 32);
		memcpy(x->meter, sqlite3_column_blob(st, 1), 32);
		x->kind = (uint8_t)sqlite3_column_int(st, 2);
		x->value = sqlite3_column_int64(st, 3);
		x->start = (uint64_t)sqlite3_column_int64(st, 4);
		x->end = (uint64_t)sqlite3_column_int64(st, 5);
		x->ack = sqlite3_column_int(st, 6);
		x->result = sqlite3_column_int(st, 7);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : err(rc);
}

int spool_dispatch_set(struct spool *s, const uint8_t id[32], int state, int ack, int result)
{
	sqlite3_stmt *st = prep(s, "UPDATE dispatches SET state = ?, ack = ?, result = ? WHERE id = ?");

	if (!st)
		return -EIO;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int(st, 2, ack);
	sqlite3_bind_int(st, 3, result);
	sqlite3_bind_blob(st, 4, id, 32, SQLITE_STATIC);
	return done(st);
}
