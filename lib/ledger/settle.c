// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Settlement of one delivery interval against the signed meter reports:
 * each meter's deviation from its traded position is priced at the
 * imbalance prices and paid to or by the operator's clearing account.
 * Rules and examples: Documentation/ledger/market.rst.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auction.h"
#include "state.h"

struct position {
	uint8_t meter[ML_ID_LEN];
	uint8_t owner[ML_KEY_LEN];
	int64_t contracted;	/* Wh, net export sold (+) or bought (-) */
};

int ml_meter_report_get(struct ml_ledger *l, const uint8_t *meter,
			uint64_t start, int64_t *import_wh, int64_t *export_wh)
{
	sqlite3_stmt *s = ml_stmt(l, ST_REPORT_GET);
	int rc;

	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, meter, ML_ID_LEN);
	ml_bind_i64(s, 2, (int64_t)start);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*import_wh = sqlite3_column_int64(s, 0);
		*export_wh = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT :
	       ml_sql_err(rc);
}

static int load_positions(struct ml_ledger *l, uint64_t start,
			  struct position **out, size_t *n)
{
	sqlite3_stmt *s = ml_stmt(l, ST_POSITIONS);
	struct position *v = NULL, *nv;
	size_t cnt = 0;
	int rc;

	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, (int64_t)start);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			rc = SQLITE_NOMEM;
			break;
		}
		v = nv;
		memcpy(v[cnt].meter, sqlite3_column_blob(s, 0), ML_ID_LEN);
		memcpy(v[cnt].owner, sqlite3_column_blob(s, 1), ML_KEY_LEN);
		v[cnt].contracted = sqlite3_column_int64(s, 2);
		cnt++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return ml_sql_err(rc);
	}
	*out = v;
	*n = cnt;
	return 0;
}

static int settle_one(struct ml_ledger *l, uint64_t start,
		      const struct position *p)
{
	int64_t imp, exp, measured, dev, amount;
	sqlite3_stmt *s;
	int have, ret;

	ret = ml_meter_report_get(l, p->meter, start, &imp, &exp);
	if (ret && ret != -ENOENT)
		return ret;
	have = !ret;
	/*
	 * No report: assume nothing was exported and exactly what was
	 * bought was consumed, the worst case for the meter's owner and no
	 * windfall for a buyer who stays silent.
	 */
	measured = have ? exp - imp : (p->contracted < 0 ? p->contracted : 0);
	dev = measured - p->contracted;
	if (dev < 0)
		amount = -(int64_t)ml_energy_cost((uint64_t)-dev,
						  l->p.shortfall_price);
	else
		amount = (int64_t)ml_energy_cost((uint64_t)dev,
						 l->p.surplus_price);
	if (amount) {
		ret = ml_acct_add(l, p->owner, amount, 0);
		ret = ret ? ret : ml_acct_add(l, l->p.fee_account, -amount, 0);
		if (ret)
			return ret;
	}
	s = ml_stmt(l, ST_SETTLE_PUT);
	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, (int64_t)start);
	ml_bind_blob(s, 2, p->meter, ML_ID_LEN);
	ml_bind_blob(s, 3, p->owner, ML_KEY_LEN);
	ml_bind_i64(s, 4, p->contracted);
	if (have)
		ml_bind_i64(s, 5, measured);	/* else NULL: no report */
	ml_bind_i64(s, 6, amount);
	return ml_step_done(s);
}

int ml_market_settle(struct ml_ledger *l, uint64_t start)
{
	struct position *p = NULL;
	sqlite3_stmt *s;
	size_t n = 0, i;
	int ret;

	ret = load_positions(l, start, &p, &n);
	for (i = 0; !ret && i < n; i++)
		ret = settle_one(l, start, &p[i]);
	free(p);
	ret = ret ? ret : ml_dispatch_measure(l, start);
	if (ret)
		return ret;
	s = ml_stmt(l, ST_IV_SETTLED);
	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, (int64_t)start);
	return ml_step_done(s);
}
