// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dispatch: an operator's instruction to one meter's site for a window of
 * whole delivery intervals, the owner's acknowledgement, and compliance
 * measured from the signed meter reports as each interval settles.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

#define MAX_WINDOW_INTERVALS	96

enum ml_compliance { ML_COMPLY_MET = 0, ML_COMPLY_MISSED = 1,
		     ML_COMPLY_NO_REPORT = 2 };

int ml_apply_dispatch(struct ml_ledger *l, const struct ml_txctx *c)
{
	const struct ml_tx *tx = c->tx;
	uint64_t len = l->p.interval_len, t;
	sqlite3_stmt *s;
	int rc, ret;

	if (tx->u.dispatch.start % len || tx->u.dispatch.end % len ||
	    tx->u.dispatch.end - tx->u.dispatch.start >
	    MAX_WINDOW_INTERVALS * len)
		return -EINVAL;
	/* an interval that has ended may be settled already */
	if (tx->u.dispatch.start < c->time)
		return -ETIME;
	s = ml_stmt(l, ST_METER_GET);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, tx->u.dispatch.meter, ML_ID_LEN);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENOENT : ml_sql_err(rc);
	s = ml_stmt(l, ST_DISP_PUT);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, c->id, ML_ID_LEN);
	ml_bind_blob(s, 2, tx->u.dispatch.meter, ML_ID_LEN);
	ml_bind_i64(s, 3, tx->u.dispatch.kind);
	ml_bind_i64(s, 4, tx->u.dispatch.value);
	ml_bind_i64(s, 5, (int64_t)tx->u.dispatch.start);
	ml_bind_i64(s, 6, (int64_t)tx->u.dispatch.end);
	ret = ml_step_done(s);
	/* every interval of the window settles, and so gets measured */
	for (t = tx->u.dispatch.start; !ret && t < tx->u.dispatch.end; t += len) {
		s = ml_stmt(l, ST_IV_TOUCH);
		if (!s)
			return -EIO;
		ml_bind_i64(s, 1, (int64_t)t);
		ret = ml_step_done(s);
	}
	return ret;
}

int ml_apply_dispatch_ack(struct ml_ledger *l, const struct ml_txctx *c)
{
	sqlite3_stmt *s = ml_stmt(l, ST_DISP_GET);
	uint64_t end = 0;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, c->tx->u.ack.dispatch_id, ML_ID_LEN);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		end = (uint64_t)sqlite3_column_int64(s, 1);
		if (sqlite3_column_int(s, 2) != ML_DISP_PENDING)
			ret = -EALREADY;
		else if (memcmp(sqlite3_column_blob(s, 3), c->tx->sender,
				ML_KEY_LEN))
			ret = -EPERM;	/* only the meter's owner answers */
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : ml_sql_err(rc);
	}
	sqlite3_reset(s);
	if (ret)
		return ret;
	if (c->time >= end)
		return -ETIME;
	s = ml_stmt(l, ST_DISP_ACK);
	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, c->tx->u.ack.status == ML_ACK_ACCEPT ?
			  ML_DISP_ACCEPTED : ML_DISP_REJECTED);
	ml_bind_i64(s, 2, (int64_t)c->height);
	ml_bind_blob(s, 3, c->tx->u.ack.dispatch_id, ML_ID_LEN);
	return ml_step_done(s);
}

struct instr {
	uint8_t id[ML_ID_LEN], meter[ML_ID_LEN];
	int kind;
	int64_t value;
};

/* Target energy of one interval at a power in W; truncates toward zero. */
static int64_t interval_wh(int64_t w, uint32_t len)
{
	return w * (int64_t)len / 3600;
}

static int measure_one(struct ml_ledger *l, uint64_t start,
		       const struct instr *d)
{
	int64_t imp, exp, target, measured = 0, dev = 0;
	int status, ret;
	sqlite3_stmt *s;

	target = interval_wh(d->value, l->p.interval_len);
	ret = ml_meter_report_get(l, d->meter, start, &imp, &exp);
	if (ret == -ENOENT) {
		status = ML_COMPLY_NO_REPORT;
	} else if (ret) {
		return ret;
	} else {
		switch (d->kind) {
		case ML_DISPATCH_IMPORT_LIMIT:
			measured = imp;
			break;
		case ML_DISPATCH_BATTERY:
			measured = imp - exp;	/* charging imports */
			break;
		default:	/* export limit, curtailment */
			measured = exp;
		}
		if (d->kind == ML_DISPATCH_BATTERY) {
			dev = measured > target ? measured - target :
						  target - measured;
			/* a battery tracks a setpoint within 5 % */
			status = dev * 20 <= (target < 0 ? -target : target) ?
				 ML_COMPLY_MET : ML_COMPLY_MISSED;
		} else {
			dev = measured > target ? measured - target : 0;
			status = dev ? ML_COMPLY_MISSED : ML_COMPLY_MET;
		}
	}
	s = ml_stmt(l, ST_COMPL_PUT);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, d->id, ML_ID_LEN);
	ml_bind_i64(s, 2, (int64_t)start);
	ml_bind_i64(s, 3, target);
	if (status != ML_COMPLY_NO_REPORT)
		ml_bind_i64(s, 4, measured);
	ml_bind_i64(s, 5, dev);
	ml_bind_i64(s, 6, status);
	return ml_step_done(s);
}

int ml_dispatch_measure(struct ml_ledger *l, uint64_t start)
{
	sqlite3_stmt *s = ml_stmt(l, ST_DISP_OVERLAP);
	struct instr *v = NULL, *nv;
	size_t n = 0, i;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, (int64_t)start);
	ml_bind_i64(s, 2, (int64_t)start);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			rc = SQLITE_NOMEM;
			break;
		}
		v = nv;
		memcpy(v[n].id, sqlite3_column_blob(s, 0), ML_ID_LEN);
		memcpy(v[n].meter, sqlite3_column_blob(s, 1), ML_ID_LEN);
		v[n].kind = sqlite3_column_int(s, 2);
		v[n].value = sqlite3_column_int64(s, 3);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		ret = ml_sql_err(rc);
	for (i = 0; !ret && i < n; i++)
		ret = measure_one(l, start, &v[i]);
	free(v);
	return ret;
}
