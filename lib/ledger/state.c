// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ledger state in SQLite: schema, statements, accounts and the state
 * root. WAL with synchronous=FULL, so a committed block survives a power
 * cut; apply.c wraps each block in one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "hash.h"
#include "state.h"

static const char *const schema =
	"CREATE TABLE params(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
	"CREATE TABLE chain(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
	"CREATE TABLE accounts(key BLOB PRIMARY KEY, balance INTEGER NOT NULL,"
	" locked INTEGER NOT NULL, nonce INTEGER NOT NULL,"
	" roles INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE feeders(id INTEGER PRIMARY KEY, import_limit INTEGER,"
	" export_limit INTEGER);"
	"CREATE TABLE meters(id BLOB PRIMARY KEY, owner BLOB NOT NULL,"
	" feeder INTEGER NOT NULL, gw_key BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE orders(id BLOB PRIMARY KEY, account BLOB, meter BLOB,"
	" side INTEGER, interval INTEGER, qty INTEGER, price INTEGER,"
	" reserved INTEGER, filled INTEGER, status INTEGER, seq INTEGER)"
	" WITHOUT ROWID;"
	"CREATE INDEX orders_interval ON orders(interval, status, seq);"
	"CREATE TABLE intervals(start INTEGER PRIMARY KEY, status INTEGER,"
	" price INTEGER, volume INTEGER);"
	"CREATE TABLE trades(interval INTEGER, bid BLOB, ask BLOB, qty INTEGER,"
	" price INTEGER, amount INTEGER, fee INTEGER,"
	" PRIMARY KEY(interval, bid, ask)) WITHOUT ROWID;"
	"CREATE TABLE reports(meter BLOB, interval INTEGER, import_wh INTEGER,"
	" export_wh INTEGER, readings_root BLOB, tx BLOB,"
	" PRIMARY KEY(meter, interval)) WITHOUT ROWID;"
	"CREATE TABLE settlements(interval INTEGER, meter BLOB, account BLOB,"
	" contracted INTEGER, measured INTEGER, amount INTEGER,"
	" PRIMARY KEY(interval, meter)) WITHOUT ROWID;"
	"CREATE TABLE dispatches(id BLOB PRIMARY KEY, meter BLOB, kind INTEGER,"
	" value INTEGER, start INTEGER, end INTEGER, status INTEGER,"
	" ack_height INTEGER) WITHOUT ROWID;"
	"CREATE TABLE compliance(dispatch BLOB, interval INTEGER,"
	" target INTEGER, measured INTEGER, deviation INTEGER, status INTEGER,"
	" PRIMARY KEY(dispatch, interval)) WITHOUT ROWID;"
	"CREATE TABLE votes(subject BLOB, action INTEGER, voter BLOB,"
	" PRIMARY KEY(subject, action, voter)) WITHOUT ROWID;"
	"CREATE TABLE evidence(validator BLOB, height INTEGER, round INTEGER,"
	" type INTEGER, tx BLOB NOT NULL,"
	" PRIMARY KEY(validator, height, round, type)) WITHOUT ROWID;"
	"CREATE TABLE blocks(height INTEGER PRIMARY KEY, hash BLOB NOT NULL,"
	" state_root BLOB NOT NULL, data BLOB NOT NULL);";

/* What the state root covers, in this order, each in primary-key order. */
static const char *const root_tables[] = {
	"SELECT * FROM params ORDER BY k",
	"SELECT * FROM accounts ORDER BY key",
	"SELECT * FROM feeders ORDER BY id",
	"SELECT * FROM meters ORDER BY id",
	"SELECT * FROM orders ORDER BY id",
	"SELECT * FROM intervals ORDER BY start",
	"SELECT * FROM trades ORDER BY interval, bid, ask",
	"SELECT * FROM reports ORDER BY meter, interval",
	"SELECT * FROM settlements ORDER BY interval, meter",
	"SELECT * FROM dispatches ORDER BY id",
	"SELECT * FROM compliance ORDER BY dispatch, interval",
	"SELECT * FROM votes ORDER BY subject, action, voter",
	"SELECT * FROM evidence ORDER BY validator, height, round, type",
};

static const char *const sql[__ST_COUNT] = {
	[ST_ACCT_GET] = "SELECT balance, locked, nonce, roles FROM accounts"
			" WHERE key = ?",
	[ST_ACCT_PUT] = "INSERT OR REPLACE INTO accounts VALUES(?,?,?,?,?)",
	[ST_ACCT_ADD] = "UPDATE accounts SET balance = balance + ?,"
			" locked = locked + ? WHERE key = ?",
	[ST_ACCT_SUM] = "SELECT coalesce(sum(balance), 0) FROM accounts",
	[ST_VALIDATORS] = "SELECT key FROM accounts WHERE roles & 2"
			  " ORDER BY key",
	[ST_METER_GET] = "SELECT owner, feeder, gw_key FROM meters WHERE id = ?",
	[ST_METER_PUT] = "INSERT INTO meters VALUES(?,?,?,?)",
	[ST_FEEDER_GET] = "SELECT 1 FROM feeders WHERE id = ?",
	[ST_FEEDERS] = "SELECT id, import_limit, export_limit FROM feeders"
		       " ORDER BY id",
	[ST_ORDER_PUT] = "INSERT INTO orders VALUES(?,?,?,?,?,?,?,?,0,0,?)",
	[ST_ORDER_GET] = "SELECT account, interval, reserved, status FROM orders"
			 " WHERE id = ?",
	[ST_ORDER_CLOSE] = "UPDATE orders SET status = ?, filled = ?"
			   " WHERE id = ?",
	[ST_ORDERS_OPEN] = "SELECT o.id, o.account, o.side, o.qty, o.price,"
			   " o.reserved, o.seq, m.feeder FROM orders o"
			   " JOIN meters m ON m.id = o.meter"
			   " WHERE o.interval = ? AND o.status = 0"
			   " ORDER BY o.seq",
	[ST_IV_TOUCH] = "INSERT OR IGNORE INTO intervals VALUES(?, 0, 0, 0)",
	[ST_IV_DUE_CLEAR] = "SELECT start FROM intervals WHERE status = 0"
			    " AND start <= ? ORDER BY start",
	[ST_IV_DUE_SETTLE] = "SELECT start FROM intervals WHERE status = 1"
			     " AND start <= ? ORDER BY start",
	[ST_IV_SET] = "UPDATE intervals SET status = ?, price = ?, volume = ?"
		      " WHERE start = ?",
	[ST_IV_SETTLED] = "UPDATE intervals SET status = 2 WHERE start = ?",
	[ST_TRADE_PUT] = "INSERT INTO trades VALUES(?,?,?,?,?,?,?)",
	[ST_REPORT_GET] = "SELECT import_wh, export_wh FROM reports"
			  " WHERE meter = ? AND interval = ?",
	[ST_REPORT_PUT] = "INSERT INTO reports VALUES(?,?,?,?,?,?)",
	[ST_POSITIONS] = "SELECT o.meter, m.owner,"
			 " sum(CASE o.side WHEN 2 THEN o.filled"
			 " ELSE -o.filled END) FROM orders o"
			 " JOIN meters m ON m.id = o.meter"
			 " WHERE o.interval = ? AND o.filled > 0"
			 " GROUP BY o.meter ORDER BY o.meter",
	[ST_SETTLE_PUT] = "INSERT INTO settlements VALUES(?,?,?,?,?,?)",
	[ST_DISP_PUT] = "INSERT INTO dispatches VALUES(?,?,?,?,?,?,0,0)",
	[ST_DISP_GET] = "SELECT d.meter, d.end, d.status, m.owner"
			" FROM dispatches d JOIN meters m ON m.id = d.meter"
			" WHERE d.id = ?",
	[ST_DISP_ACK] = "UPDATE dispatches SET status = ?, ack_height = ?"
			" WHERE id = ?",
	[ST_DISP_OVERLAP] = "SELECT id, meter, kind, value FROM dispatches"
			    " WHERE start <= ? AND end > ? AND status != 2"
			    " ORDER BY id",
	[ST_COMPL_PUT] = "INSERT INTO compliance VALUES(?,?,?,?,?,?)",
	[ST_VOTE_PUT] = "INSERT INTO votes VALUES(?,?,?)",
	[ST_VOTE_COUNT] = "SELECT count(*) FROM votes v JOIN accounts a"
			  " ON a.key = v.voter WHERE v.subject = ?"
			  " AND v.action = ? AND a.roles & 2",
	[ST_VOTE_CLEAR] = "DELETE FROM votes WHERE subject = ?",
	[ST_EVIDENCE_PUT] = "INSERT INTO evidence VALUES(?,?,?,?,?)",
	[ST_BLOCK_PUT] = "INSERT INTO blocks VALUES(?,?,?,?)",
	[ST_BLOCK_GET] = "SELECT data, state_root FROM blocks WHERE height = ?",
	[ST_CHAIN_PUT] = "INSERT OR REPLACE INTO chain VALUES(?,?)",
	[ST_CHAIN_GET] = "SELECT v FROM chain WHERE k = ?",
};

int ml_sql_err(int rc)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	default:
		return -EIO;
	}
}

void ml_held_drop(struct ml_ledger *l)
{
	if (!l->held || l->busy)
		return;
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->held = false;
}

/* Statement @id of connection @db, cached in @slot. */
static sqlite3_stmt *stmt_of(sqlite3 *db, sqlite3_stmt **slot,
			     enum ml_stmt id)
{
	sqlite3_stmt *s = *slot;

	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	if (sqlite3_prepare_v3(db, sql[id], -1, SQLITE_PREPARE_PERSISTENT,
			       &s, NULL) != SQLITE_OK)
		return NULL;
	*slot = s;
	return s;
}

sqlite3_stmt *ml_stmt(struct ml_ledger *l, enum ml_stmt id)
{
	ml_held_drop(l);
	return stmt_of(l->db, &l->st[id], id);
}

int ml_step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : ml_sql_err(rc);
}

int ml_exec(struct ml_ledger *l, const char *q)
{
	ml_held_drop(l);
	return ml_sql_err(sqlite3_exec(l->db, q, NULL, NULL, NULL));
}

/*
 * WAL lets a second connection read the last commit while the first holds
 * its write transaction open; build opens it before it keeps anything.
 */
int ml_ro_open(struct ml_ledger *l)
{
	const char *path;

	if (l->ro)
		return 0;
	path = sqlite3_db_filename(l->db, "main");
	if (!path || !*path)
		return -EOPNOTSUPP;	/* in memory */
	if (sqlite3_open_v2(path, &l->ro, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(l->ro);
		l->ro = NULL;
		return -EIO;
	}
	sqlite3_busy_timeout(l->ro, 5000);
	return 0;
}

sqlite3_stmt *ml_stmt_committed(struct ml_ledger *l, enum ml_stmt id)
{
	if (!l->held)	/* (held only once ml_ro_open() succeeded) */
		return ml_stmt(l, id);
	return stmt_of(l->ro, &l->ro_st[id], id);
}

static int acct_read(sqlite3_stmt *s, const uint8_t *key,
		     struct ml_account *a)
{
	int rc;

	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, key, ML_KEY_LEN);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		a->balance = sqlite3_column_int64(s, 0);
		a->locked = sqlite3_column_int64(s, 1);
		a->nonce = (uint64_t)sqlite3_column_int64(s, 2);
		a->roles = (uint8_t)sqlite3_column_int(s, 3);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return ml_sql_err(rc);
}

int ml_acct_get(struct ml_ledger *l, const uint8_t *key, struct ml_account *a)
{
	return acct_read(ml_stmt(l, ST_ACCT_GET), key, a);
}

int ml_acct_put(struct ml_ledger *l, const uint8_t *key,
		const struct ml_account *a)
{
	sqlite3_stmt *s = ml_stmt(l, ST_ACCT_PUT);

	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, key, ML_KEY_LEN);
	ml_bind_i64(s, 2, a->balance);
	ml_bind_i64(s, 3, a->locked);
	ml_bind_i64(s, 4, (int64_t)a->nonce);
	ml_bind_i64(s, 5, a->roles);
	return ml_step_done(s);
}

int ml_acct_add(struct ml_ledger *l, const uint8_t *key, int64_t balance,
		int64_t locked)
{
	sqlite3_stmt *s = ml_stmt(l, ST_ACCT_ADD);
	int ret;

	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, balance);
	ml_bind_i64(s, 2, locked);
	ml_bind_blob(s, 3, key, ML_KEY_LEN);
	ret = ml_step_done(s);
	if (!ret && sqlite3_changes(l->db) != 1)
		ret = -ENOENT;
	return ret;
}

static void root_value(crypto_generichash_state *st, sqlite3_stmt *s, int col)
{
	uint8_t b[9];
	int i, n;

	switch (sqlite3_column_type(s, col)) {
	case SQLITE_INTEGER: {
		uint64_t v = (uint64_t)sqlite3_column_int64(s, col);

		b[0] = 'i';
		for (i = 0; i < 8; i++)
			b[1 + i] = (uint8_t)(v >> (56 - 8 * i));
		crypto_generichash_update(st, b, 9);
		return;
	}
	case SQLITE_BLOB:
	case SQLITE_TEXT:
		b[0] = sqlite3_column_type(s, col) == SQLITE_BLOB ? 'b' : 't';
		n = sqlite3_column_bytes(s, col);
		for (i = 0; i < 4; i++)
			b[1 + i] = (uint8_t)((uint32_t)n >> (24 - 8 * i));
		crypto_generichash_update(st, b, 5);
		crypto_generichash_update(st, sqlite3_column_blob(s, col),
					  (size_t)n);
		return;
	default:	/* NULL; REAL never appears in this schema */
		b[0] = 'n';
		crypto_generichash_update(st, b, 1);
	}
}

/*
 * A full, ordered scan: simple and obviously canonical, at a cost linear
 * in the state. Every value carries a type tag and every row and table an
 * end mark, so no two different states serialise alike.
 */
int ml_state_root(struct ml_ledger *l, uint64_t height, uint8_t root[32])
{
	crypto_generichash_state st;
	uint8_t h[8];
	size_t t;
	int i;

	ml_held_drop(l);
	ml_hash_init(&st, ML_DOMAIN_STATE);
	for (i = 0; i < 8; i++)
		h[i] = (uint8_t)(height >> (56 - 8 * i));
	crypto_generichash_update(&st, h, 8);
	for (t = 0; t < sizeof(root_tables) / sizeof(root_tables[0]); t++) {
		sqlite3_stmt *s;
		int rc, ncol;

		if (sqlite3_prepare_v2(l->db, root_tables[t], -1, &s, NULL))
			return -EIO;
		ncol = sqlite3_column_count(s);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			for (i = 0; i < ncol; i++)
				root_value(&st, s, i);
			crypto_generichash_update(&st, (const uint8_t *)"r", 1);
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return ml_sql_err(rc);
		crypto_generichash_update(&st, (const uint8_t *)"T", 1);
	}
	ml_hash_final(&st, root);
	return 0;
}

static int validator_keys(sqlite3_stmt *s, uint8_t **keys, size_t *n)
{
	uint8_t *v = NULL, *nv;
	size_t cnt = 0;
	int rc;

	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nv = realloc(v, (cnt + 1) * ML_KEY_LEN);
		if (!nv || sqlite3_column_bytes(s, 0) != ML_KEY_LEN) {
			free(nv ? nv : v);
			sqlite3_reset(s);
			return nv ? -EUCLEAN : -ENOMEM;
		}
		v = nv;
		memcpy(v + cnt++ * ML_KEY_LEN, sqlite3_column_blob(s, 0),
		       ML_KEY_LEN);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return ml_sql_err(rc);
	}
	*keys = v;
	*n = cnt;
	return 0;
}

int ml_validator_keys(struct ml_ledger *l, uint8_t **keys, size_t *n)
{
	return validator_keys(ml_stmt(l, ST_VALIDATORS), keys, n);
}

int ml_validator_keys_committed(struct ml_ledger *l, uint8_t **keys,
				size_t *n)
{
	return validator_keys(ml_stmt_committed(l, ST_VALIDATORS), keys, n);
}

static int open_db(const char *path, int flags, sqlite3 **out)
{
	sqlite3 *db;
	int rc;

	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return ml_sql_err(rc);
	}
	sqlite3_busy_timeout(db, 5000);
	/* synchronous=FULL: a block reported applied is on disk */
	rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			  " PRAGMA foreign_keys=OFF;", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return ml_sql_err(rc);
	}
	*out = db;
	return 0;
}

static int chain_put_blob(struct ml_ledger *l, const char *k, const void *v,
			  int n)
{
	sqlite3_stmt *s = ml_stmt(l, ST_CHAIN_PUT);

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	ml_bind_blob(s, 2, v, n);
	return ml_step_done(s);
}

static int chain_put_int(struct ml_ledger *l, const char *k, uint64_t v)
{
	sqlite3_stmt *s = ml_stmt(l, ST_CHAIN_PUT);

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	ml_bind_i64(s, 2, (int64_t)v);
	return ml_step_done(s);
}

/* Records the chain head; called inside the block's transaction. */
int ml_chain_store(struct ml_ledger *l, uint64_t height, uint64_t time,
		   const uint8_t hash[ML_HASH_LEN])
{
	int ret = chain_put_int(l, "height", height);

	if (!ret)
		ret = chain_put_int(l, "time", time);
	if (!ret)
		ret = chain_put_blob(l, "last_hash", hash, ML_HASH_LEN);
	return ret;
}

static int put_param(sqlite3 *db, const char *k, int64_t v, const void *blob)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db, "INSERT INTO params VALUES(?, ?)", -1, &s,
				NULL);
	if (rc)
		return ml_sql_err(rc);
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	if (blob)
		ml_bind_blob(s, 2, blob, ML_KEY_LEN);
	else
		ml_bind_i64(s, 2, v);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : ml_sql_err(rc);
}

static int load_genesis(struct ml_ledger *l, const struct ml_genesis *g,
			const uint8_t *enc, size_t len)
{
	uint8_t hash[ML_HASH_LEN];
	uint32_t i;
	int ret;

	ret = ml_exec(l, schema);
	ret = ret ? ret : put_param(l->db, "chain_id", (int64_t)g->chain_id, NULL);
	ret = ret ? ret : put_param(l->db, "interval_len", g->interval_len, NULL);
	ret = ret ? ret : put_param(l->db, "gate_closure", g->gate_closure, NULL);
	ret = ret ? ret : put_param(l->db, "settle_delay", g->settle_delay, NULL);
	ret = ret ? ret : put_param(l->db, "fee_per_kwh",
				    (int64_t)g->fee_per_kwh, NULL);
	ret = ret ? ret : put_param(l->db, "shortfall_price",
				    (int64_t)g->shortfall_price, NULL);
	ret = ret ? ret : put_param(l->db, "surplus_price",
				    (int64_t)g->surplus_price, NULL);
	ret = ret ? ret : put_param(l->db, "fee_account", 0, g->fee_account);
	for (i = 0; !ret && i < g->naccounts; i++) {
		struct ml_account a = {
			.balance = (int64_t)g->accounts[i].balance,
			.roles = g->accounts[i].roles,
		};

		ret = ml_acct_put(l, g->accounts[i].key, &a);
	}
	for (i = 0; !ret && i < g->nfeeders; i++) {
		char q[160];

		snprintf(q, sizeof(q), "INSERT INTO feeders VALUES(%u, %llu, %llu)",
			 g->feeders[i].id,
			 (unsigned long long)g->feeders[i].import_limit_wh,
			 (unsigned long long)g->feeders[i].export_limit_wh);
		ret = ml_exec(l, q);
	}
	ml_genesis_hash(enc, len, hash);
	ret = ret ? ret : chain_put_blob(l, "genesis", enc, (int)len);
	ret = ret ? ret : ml_chain_store(l, 0, g->time, hash);
	return ret;
}

static void finalize_all(struct ml_ledger *l)
{
	int i;

	for (i = 0; i < __ST_COUNT; i++) {
		sqlite3_finalize(l->st[i]);
		l->st[i] = NULL;
		sqlite3_finalize(l->ro_st[i]);
		l->ro_st[i] = NULL;
	}
}

int ml_ledger_create(const char *path, const struct ml_genesis *g)
{
	struct ml_ledger l = { 0 };
	uint8_t *enc;
	size_t len;
	int ret;

	ret = ml_genesis_encode(g, &enc, &len);
	if (ret)
		return ret;
	ret = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l.db);
	if (ret)
		goto out;
	ret = ml_exec(&l, "BEGIN IMMEDIATE");
	if (ret)
		goto out_close;
	if (sqlite3_table_column_metadata(l.db, NULL, "chain", "k", NULL, NULL,
					  NULL, NULL, NULL) == SQLITE_OK)
		ret = -EEXIST;
	else
		ret = load_genesis(&l, g, enc, len);
	finalize_all(&l);
	ml_exec(&l, ret ? "ROLLBACK" : "COMMIT");
out_close:
	sqlite3_close(l.db);
out:
	free(enc);
	return ret;
}

static int chain_get(struct ml_ledger *l, const char *k, int64_t *iv,
		     uint8_t *blob, size_t n)
{
	sqlite3_stmt *s = ml_stmt(l, ST_CHAIN_GET);
	int rc, ret = 0;

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		ret = rc == SQLITE_DONE ? -EUCLEAN : ml_sql_err(rc);
	else if (iv)
		*iv = sqlite3_column_int64(s, 0);
	else if ((size_t)sqlite3_column_bytes(s, 0) != n)
		ret = -EUCLEAN;
	else
		memcpy(blob, sqlite3_column_blob(s, 0), n);
	sqlite3_reset(s);
	return ret;
}

static int load_params(struct ml_ledger *l)
{
	sqlite3_stmt *s;
	int rc, ret = 0, seen = 0;

	rc = sqlite3_prepare_v2(l->db, "SELECT k, v FROM params", -1, &s, NULL);
	if (rc)
		return ml_sql_err(rc);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		int64_t v = sqlite3_column_int64(s, 1);

		seen++;
		if (!strcmp(k, "chain_id"))
			l->p.chain_id = (uint64_t)v;
		else if (!strcmp(k, "interval_len"))
			l->p.interval_len = (uint32_t)v;
		else if (!strcmp(k, "gate_closure"))
			l->p.gate_closure = (uint32_t)v;
		else if (!strcmp(k, "settle_delay"))
			l->p.settle_delay = (uint32_t)v;
		else if (!strcmp(k, "fee_per_kwh"))
			l->p.fee_per_kwh = (uint64_t)v;
		else if (!strcmp(k, "shortfall_price"))
			l->p.shortfall_price = (uint64_t)v;
		else if (!strcmp(k, "surplus_price"))
			l->p.surplus_price = (uint64_t)v;
		else if (!strcmp(k, "fee_account") &&
			 sqlite3_column_bytes(s, 1) == ML_KEY_LEN)
			memcpy(l->p.fee_account, sqlite3_column_blob(s, 1),
			       ML_KEY_LEN);
		else
			ret = -EUCLEAN;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return ml_sql_err(rc);
	return ret ? ret : (seen == 8 ? 0 : -EUCLEAN);
}

int ml_ledger_load_head(struct ml_ledger *l)
{
	int64_t h, t;
	int ret;

	ret = chain_get(l, "height", &h, NULL, 0);
	ret = ret ? ret : chain_get(l, "time", &t, NULL, 0);
	ret = ret ? ret : chain_get(l, "last_hash", NULL, l->last_hash,
				    ML_HASH_LEN);
	if (ret)
		return ret;
	l->height = (uint64_t)h;
	l->time = (uint64_t)t;
	return 0;
}

int ml_ledger_open(const char *path, struct ml_ledger **out)
{
	struct ml_ledger *l;
	int ret;

	if (sodium_init() < 0)
		return -EIO;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	ret = open_db(path, SQLITE_OPEN_READWRITE, &l->db);
	if (ret) {
		free(l);
		return ret;
	}
	ret = load_params(l);
	ret = ret ? ret : ml_ledger_load_head(l);
	if (ret) {
		ml_ledger_close(l);
		return ret;
	}
	*out = l;
	return 0;
}

void ml_ledger_close(struct ml_ledger *l)
{
	if (!l)
		return;
	l->busy = false;
	ml_held_drop(l);
	finalize_all(l);
	sqlite3_close(l->ro);
	sqlite3_close(l->db);
	ml_sigcache_free(l->sigcache);
	free(l);
}

int ml_ledger_info(struct ml_ledger *l, struct ml_ledger_info *info)
{
	struct ml_ledger_info i = {
		.chain_id = l->p.chain_id, .height = l->height, .time = l->time,
	};
	int ret;

	memcpy(i.last_hash, l->last_hash, ML_HASH_LEN);
	ret = ml_state_root(l, l->height, i.state_root);
	if (!ret)
		*info = i;
	return ret;
}

uint64_t ml_ledger_height(const struct ml_ledger *l)
{
	return l->height;
}

int ml_ledger_balance(struct ml_ledger *l, const uint8_t key[ML_KEY_LEN],
		      int64_t *balance, int64_t *locked, uint64_t *nonce)
{
	struct ml_account a;
	int ret = acct_read(ml_stmt_committed(l, ST_ACCT_GET), key, &a);

	if (ret)
		return ret;
	if (balance)
		*balance = a.balance;
	if (locked)
		*locked = a.locked;
	if (nonce)
		*nonce = a.nonce;
	return 0;
}

int ml_ledger_total(struct ml_ledger *l, int64_t *total)
{
	sqlite3_stmt *s = ml_stmt(l, ST_ACCT_SUM);
	int rc;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*total = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : ml_sql_err(rc);
}

int ml_ledger_validators(struct ml_ledger *l, uint8_t **keys, size_t *n)
{
	return ml_validator_keys(l, keys, n);
}

/*
 * Copies the blob in column 0 of the next row of @s into a new buffer;
 * @missing is the error when there is no row. Resets @s.
 */
static int step_blob(sqlite3_stmt *s, uint8_t **buf, size_t *len, int missing)
{
	int rc = sqlite3_step(s), ret = 0;

	if (rc == SQLITE_ROW) {
		int n = sqlite3_column_bytes(s, 0);

		*buf = malloc(n ? (size_t)n : 1);
		if (*buf) {
			memcpy(*buf, sqlite3_column_blob(s, 0), (size_t)n);
			*len = (size_t)n;
		} else {
			ret = -ENOMEM;
		}
	} else {
		ret = rc == SQLITE_DONE ? missing : ml_sql_err(rc);
	}
	sqlite3_reset(s);
	return ret;
}

int ml_ledger_block(struct ml_ledger *l, uint64_t height, uint8_t **buf,
		    size_t *len)
{
	sqlite3_stmt *s = ml_stmt(l, ST_BLOCK_GET);

	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, (int64_t)height);
	return step_blob(s, buf, len, -ENOENT);
}

int ml_chain_genesis(struct ml_ledger *l, uint8_t **buf, size_t *len)
{
	sqlite3_stmt *s = ml_stmt(l, ST_CHAIN_GET);

	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, "genesis", -1, SQLITE_STATIC);
	return step_blob(s, buf, len, -EUCLEAN);
}
