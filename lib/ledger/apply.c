// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Applying a block: check the header against the chain, verify every
 * signature, then run the interval hooks and the transactions inside one
 * SQLite transaction. Any failure rolls all of it back, so a block is
 * either applied whole or leaves no trace.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "auction.h"
#include "codec.h"
#include "state.h"

#define MAX_ORDER_AHEAD		(7 * 86400ULL)	/* orders at most a week out */
#define MAX_DISPATCH_INTERVALS	96		/* one day at 15 minutes */

static int check_nonce(struct ml_ledger *l, const struct ml_tx *tx,
		       struct ml_account *a)
{
	int ret = ml_acct_get(l, tx->sender, a);

	if (ret)
		return ret;	/* -ENOENT: unknown sender */
	return tx->nonce == a->nonce ? 0 : -EALREADY;
}

static int apply_transfer(struct ml_ledger *l, const struct ml_txctx *c,
			  struct ml_account *from)
{
	const struct ml_tx *tx = c->tx;
	struct ml_account to;
	int64_t amount = (int64_t)tx->u.transfer.amount;
	int ret;

	if (!memcmp(tx->sender, tx->u.transfer.to, ML_KEY_LEN))
		return -EINVAL;
	if (from->balance - from->locked < amount)
		return -ENOSPC;
	ret = ml_acct_get(l, tx->u.transfer.to, &to);
	if (ret == -ENOENT) {
		memset(&to, 0, sizeof(to));
		ret = 0;
	}
	if (ret)
		return ret;
	from->balance -= amount;
	to.balance += amount;
	return ml_acct_put(l, tx->u.transfer.to, &to);
}

static int meter_get(struct ml_ledger *l, const uint8_t *meter, uint8_t *owner,
		     uint32_t *feeder, uint8_t *gw_key)
{
	sqlite3_stmt *s = ml_stmt(l, ST_METER_GET);
	int rc;

	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, meter, ML_ID_LEN);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (owner)
			memcpy(owner, sqlite3_column_blob(s, 0), ML_KEY_LEN);
		if (feeder)
			*feeder = (uint32_t)sqlite3_column_int64(s, 1);
		if (gw_key)
			memcpy(gw_key, sqlite3_column_blob(s, 2),
			       ML_P256_PUB_LEN);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT :
	       ml_sql_err(rc);
}

static int touch_interval(struct ml_ledger *l, uint64_t start)
{
	sqlite3_stmt *s = ml_stmt(l, ST_IV_TOUCH);

	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, (int64_t)start);
	return ml_step_done(s);
}

static int apply_order(struct ml_ledger *l, const struct ml_txctx *c,
		       struct ml_account *a)
{
	const struct ml_tx *tx = c->tx;
	uint64_t start = tx->u.order.interval_start, reserve = 0;
	uint8_t owner[ML_KEY_LEN];
	sqlite3_stmt *s;
	int ret;

	ret = meter_get(l, tx->u.order.meter, owner, NULL, NULL);
	if (ret)
		return ret;
	if (memcmp(owner, tx->sender, ML_KEY_LEN))
		return -EPERM;
	if (start % l->p.interval_len || start > c->time + MAX_ORDER_AHEAD)
		return -EINVAL;
	if (c->time + l->p.gate_closure >= start)
		return -ETIME;	/* gate closed */
	if (tx->u.order.side == ML_BID) {
		/* the most this bid can cost: sum of floors <= floor of sum */
		reserve = ml_energy_cost(tx->u.order.qty_wh, tx->u.order.price) +
			  ml_energy_cost(tx->u.order.qty_wh, l->p.fee_per_kwh);
		if (a->balance - a->locked < (int64_t)reserve)
			return -ENOSPC;
		a->locked += (int64_t)reserve;
	}
	s = ml_stmt(l, ST_ORDER_PUT);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, c->id, ML_ID_LEN);
	ml_bind_blob(s, 2, tx->sender, ML_KEY_LEN);
	ml_bind_blob(s, 3, tx->u.order.meter, ML_ID_LEN);
	ml_bind_i64(s, 4, tx->u.order.side);
	ml_bind_i64(s, 5, (int64_t)start);
	ml_bind_i64(s, 6, (int64_t)tx->u.order.qty_wh);
	ml_bind_i64(s, 7, (int64_t)tx->u.order.price);
	ml_bind_i64(s, 8, (int64_t)reserve);
	ml_bind_i64(s, 9, (int64_t)(c->height << 20 | c->index));
	ret = ml_step_done(s);
	return ret ? ret : touch_interval(l, start);
}

static int apply_cancel(struct ml_ledger *l, const struct ml_txctx *c,
			struct ml_account *a)
{
	sqlite3_stmt *s = ml_stmt(l, ST_ORDER_GET);
	uint64_t start = 0;
	int64_t reserved = 0;
	int rc, ret = 0;

	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, c->tx->u.cancel.order_id, ML_ID_LEN);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (memcmp(sqlite3_column_blob(s, 0), c->tx->sender, ML_KEY_LEN))
			ret = -EPERM;
		else if (sqlite3_column_int(s, 3) != ML_ORDER_OPEN)
			ret = -EALREADY;
		start = (uint64_t)sqlite3_column_int64(s, 1);
		reserved = sqlite3_column_int64(s, 2);
	} else {
		ret = rc == SQLITE_DONE ? -ENOENT : ml_sql_err(rc);
	}
	sqlite3_reset(s);
	if (ret)
		return ret;
	if (c->time + l->p.gate_closure >= start)
		return -ETIME;
	a->locked -= reserved;
	s = ml_stmt(l, ST_ORDER_CLOSE);
	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, ML_ORDER_CANCELLED);
	ml_bind_i64(s, 2, 0);
	ml_bind_blob(s, 3, c->tx->u.cancel.order_id, ML_ID_LEN);
	return ml_step_done(s);
}

static int apply_report(struct ml_ledger *l, const struct ml_txctx *c)
{
	const struct ml_meter_report *r = &c->tx->u.report;
	uint8_t gw_key[ML_P256_PUB_LEN];
	uint64_t end = r->interval_start + r->interval_len;
	sqlite3_stmt *s;
	int rc, ret;

	if (r->chain_id != l->p.chain_id || r->interval_len != l->p.interval_len)
		return -EINVAL;
	if (c->time < end)
		return -EAGAIN;	/* the interval is not over */
	if (c->time >= end + l->p.settle_delay)
		return -ETIME;	/* settled already, or about to be */
	ret = meter_get(l, r->meter, NULL, NULL, gw_key);
	if (ret)
		return ret;
	s = ml_stmt(l, ST_REPORT_GET);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, r->meter, ML_ID_LEN);
	ml_bind_i64(s, 2, (int64_t)r->interval_start);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return rc == SQLITE_ROW ? -EEXIST : ml_sql_err(rc);
	ret = ml_report_verify(r, gw_key);
	if (ret)
		return ret;
	s = ml_stmt(l, ST_REPORT_PUT);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, r->meter, ML_ID_LEN);
	ml_bind_i64(s, 2, (int64_t)r->interval_start);
	ml_bind_i64(s, 3, (int64_t)r->import_wh);
	ml_bind_i64(s, 4, (int64_t)r->export_wh);
	ml_bind_blob(s, 5, r->readings_root, ML_HASH_LEN);
	ml_bind_blob(s, 6, c->id, ML_ID_LEN);
	ret = ml_step_done(s);
	return ret ? ret : touch_interval(l, r->interval_start);
}

static int apply_register(struct ml_ledger *l, const struct ml_txctx *c,
			  const struct ml_account *a)
{
	const struct ml_tx *tx = c->tx;
	struct ml_account owner;
	sqlite3_stmt *s;
	int rc, ret;

	if (!(a->roles & ML_ROLE_OPERATOR))
		return -EPERM;
	if (!ml_p256_key_valid(tx->u.reg.gw_key))
		return -EINVAL;
	s = ml_stmt(l, ST_FEEDER_GET);
	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, tx->u.reg.feeder);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENOENT : ml_sql_err(rc);
	ret = ml_acct_get(l, tx->u.reg.owner, &owner);
	if (ret == -ENOENT) {
		memset(&owner, 0, sizeof(owner));
		ret = ml_acct_put(l, tx->u.reg.owner, &owner);
	}
	if (ret)
		return ret;
	s = ml_stmt(l, ST_METER_PUT);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, tx->u.reg.meter, ML_ID_LEN);
	ml_bind_blob(s, 2, tx->u.reg.owner, ML_KEY_LEN);
	ml_bind_i64(s, 3, tx->u.reg.feeder);
	ml_bind_blob(s, 4, tx->u.reg.gw_key, ML_P256_PUB_LEN);
	return ml_step_done(s);	/* -EEXIST: registered already */
}

static int apply_vote(struct ml_ledger *l, const struct ml_txctx *c,
		      const struct ml_account *a)
{
	const struct ml_tx *tx = c->tx;
	struct ml_account subj;
	uint8_t *keys;
	size_t n;
	sqlite3_stmt *s;
	int64_t votes = 0;
	int rc, ret, is_val;

	if (!(a->roles & ML_ROLE_VALIDATOR))
		return -EPERM;
	ret = ml_acct_get(l, tx->u.vote.subject, &subj);
	if (ret == -ENOENT) {
		memset(&subj, 0, sizeof(subj));
		ret = 0;
	}
	if (ret)
		return ret;
	is_val = !!(subj.roles & ML_ROLE_VALIDATOR);
	if (is_val != (tx->u.vote.action == ML_VOTE_REMOVE))
		return -EALREADY;
	ret = ml_validator_keys(l, &keys, &n);
	if (ret)
		return ret;
	free(keys);
	if (tx->u.vote.action == ML_VOTE_REMOVE && n <= 1)
		return -EPERM;	/* never an empty validator set */
	s = ml_stmt(l, ST_VOTE_PUT);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, tx->u.vote.subject, ML_KEY_LEN);
	ml_bind_i64(s, 2, tx->u.vote.action);
	ml_bind_blob(s, 3, tx->sender, ML_KEY_LEN);
	ret = ml_step_done(s);	/* -EEXIST: voted already */
	if (ret)
		return ret;
	s = ml_stmt(l, ST_VOTE_COUNT);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, tx->u.vote.subject, ML_KEY_LEN);
	ml_bind_i64(s, 2, tx->u.vote.action);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		votes = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return ml_sql_err(rc);
	if ((size_t)votes < ml_quorum(n))
		return 0;
	/* the change takes effect at once, for the rest of this block too */
	subj.roles ^= ML_ROLE_VALIDATOR;
	ret = ml_acct_put(l, tx->u.vote.subject, &subj);
	if (ret)
		return ret;
	s = ml_stmt(l, ST_VOTE_CLEAR);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, tx->u.vote.subject, ML_KEY_LEN);
	return ml_step_done(s);
}

/*
 * Double-sign evidence: two signatures of one validator over the same
 * (type, height, round) naming different blocks. Recorded once; only a
 * validator may submit it. What follows from it (removal) is up to the
 * validators' votes.
 */
static int apply_evidence(struct ml_ledger *l, const struct ml_txctx *c,
			  const struct ml_account *a)
{
	const struct ml_tx *tx = c->tx;
	uint8_t msg[ML_VOTE_BYTES_LEN];
	sqlite3_stmt *s;
	size_t len;

	if (!(a->roles & ML_ROLE_VALIDATOR))
		return -EPERM;
	if (tx->u.evidence.height > c->height)
		return -EINVAL;
	len = ml_vote_bytes(tx->u.evidence.type, l->p.chain_id,
			    tx->u.evidence.height, tx->u.evidence.round,
			    tx->u.evidence.validator, tx->u.evidence.hash_a, msg);
	if (crypto_sign_verify_detached(tx->u.evidence.sig_a, msg, len,
					tx->u.evidence.validator))
		return -EPERM;
	len = ml_vote_bytes(tx->u.evidence.type, l->p.chain_id,
			    tx->u.evidence.height, tx->u.evidence.round,
			    tx->u.evidence.validator, tx->u.evidence.hash_b, msg);
	if (crypto_sign_verify_detached(tx->u.evidence.sig_b, msg, len,
					tx->u.evidence.validator))
		return -EPERM;
	s = ml_stmt(l, ST_EVIDENCE_PUT);
	if (!s)
		return -EIO;
	ml_bind_blob(s, 1, tx->u.evidence.validator, ML_KEY_LEN);
	ml_bind_i64(s, 2, (int64_t)tx->u.evidence.height);
	ml_bind_i64(s, 3, tx->u.evidence.round);
	ml_bind_i64(s, 4, tx->u.evidence.type);
	ml_bind_blob(s, 5, c->id, ML_ID_LEN);
	return ml_step_done(s);	/* -EEXIST: recorded already */
}

static int apply_tx(struct ml_ledger *l, const struct ml_txctx *c)
{
	const struct ml_tx *tx = c->tx;
	struct ml_account a;
	int ret;

	if (tx->chain_id != l->p.chain_id)
		return -EINVAL;
	ret = check_nonce(l, tx, &a);
	if (ret)
		return ret;
	a.nonce++;
	/* handlers that move the sender's money do it on @a, written last */
	switch (tx->kind) {
	case ML_TX_TRANSFER:
		ret = apply_transfer(l, c, &a);
		break;
	case ML_TX_ORDER:
		ret = apply_order(l, c, &a);
		break;
	case ML_TX_CANCEL:
		ret = apply_cancel(l, c, &a);
		break;
	case ML_TX_METER_REPORT:
		ret = apply_report(l, c);
		break;
	case ML_TX_REGISTER_METER:
		ret = apply_register(l, c, &a);
		break;
	case ML_TX_DISPATCH:
		ret = (a.roles & ML_ROLE_OPERATOR) ? ml_apply_dispatch(l, c) :
						     -EPERM;
		break;
	case ML_TX_DISPATCH_ACK:
		ret = ml_apply_dispatch_ack(l, c);
		break;
	case ML_TX_VALIDATOR_VOTE:
		ret = apply_vote(l, c, &a);
		break;
	case ML_TX_EVIDENCE:
		ret = apply_evidence(l, c, &a);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret)
		return ret;
	/* re-read roles: a vote may have changed the sender's own */
	if (tx->kind == ML_TX_VALIDATOR_VOTE) {
		struct ml_account now;

		ret = ml_acct_get(l, tx->sender, &now);
		if (ret)
			return ret;
		a.roles = now.roles;
	}
	return ml_acct_put(l, tx->sender, &a);
}

static int due_intervals(struct ml_ledger *l, enum ml_stmt id, int64_t limit,
			 uint64_t **out, size_t *n)
{
	sqlite3_stmt *s = ml_stmt(l, id);
	uint64_t *v = NULL, *nv;
	size_t cnt = 0;
	int rc;

	if (!s)
		return -EIO;
	ml_bind_i64(s, 1, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			rc = SQLITE_NOMEM;
			break;
		}
		v = nv;
		v[cnt++] = (uint64_t)sqlite3_column_int64(s, 0);
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

/* Clear every interval whose gate has closed, then settle every interval
 * whose reports are in; both in time order, before the block's own txs.
 */
static int run_hooks(struct ml_ledger *l, uint64_t time)
{
	uint64_t *iv = NULL, span = (uint64_t)l->p.interval_len +
				    l->p.settle_delay;
	size_t n = 0, i;
	int ret;

	ret = due_intervals(l, ST_IV_DUE_CLEAR,
			    (int64_t)(time + l->p.gate_closure), &iv, &n);
	for (i = 0; !ret && i < n; i++)
		ret = ml_market_clear(l, iv[i]);
	free(iv);
	iv = NULL;
	n = 0;
	if (ret || time < span)
		return ret;
	ret = due_intervals(l, ST_IV_DUE_SETTLE, (int64_t)(time - span), &iv,
			    &n);
	for (i = 0; !ret && i < n; i++)
		ret = ml_market_settle(l, iv[i]);
	free(iv);
	return ret;
}

static int run_block(struct ml_ledger *l, const struct ml_block *b,
		     uint8_t root[ML_HASH_LEN])
{
	uint8_t id[ML_HASH_LEN];
	uint32_t i;
	int ret;

	ret = run_hooks(l, b->hdr.time);
	for (i = 0; !ret && i < b->ntx; i++) {
		struct ml_txctx c = {
			.tx = &b->txs[i], .id = id, .height = b->hdr.height,
			.time = b->hdr.time, .index = i,
		};

		ml_tx_id(&b->txs[i], id);
		ret = apply_tx(l, &c);
	}
	return ret ? ret : ml_state_root(l, b->hdr.height, root);
}

static int verify_txs(struct ml_ledger *l, const struct ml_block *b)
{
	uint32_t i;

	for (i = 0; i < b->ntx; i++)
		if (ml_ledger_tx_verify(l, &b->txs[i]))
			return -EPERM;
	return 0;
}

static int check_header(struct ml_ledger *l, const struct ml_block *b,
			unsigned int flags)
{
	const struct ml_block_header *h = &b->hdr;
	uint8_t root[ML_HASH_LEN], *keys;
	size_t n;
	int ret;

	if (h->chain_id != l->p.chain_id || h->height != l->height + 1 ||
	    memcmp(h->prev_hash, l->last_hash, ML_HASH_LEN))
		return -ESTALE;
	if (h->time <= l->time)
		return -ETIME;
	ret = ml_block_tx_root(b->txs, b->ntx, root);
	if (ret)
		return ret;
	if (memcmp(root, h->tx_root, ML_HASH_LEN))
		return -EBADMSG;
	/* the set before this block, also while its execution is kept */
	ret = ml_validator_keys_committed(l, &keys, &n);
	if (ret)
		return ret;
	/* round-robin proposer, as consensus picks it */
	if (!n || memcmp(h->proposer,
			 keys + ((h->height + h->round) % n) * ML_KEY_LEN,
			 ML_KEY_LEN))
		ret = -EPERM;
	else if (!(flags & ML_APPLY_NO_CERT))
		ret = ml_commit_verify(b, keys, n);
	free(keys);
	return ret;
}

static int store_block(struct ml_ledger *l, const struct ml_block *b,
		       const uint8_t *buf, size_t len, uint8_t hash[32])
{
	sqlite3_stmt *s = ml_stmt(l, ST_BLOCK_PUT);
	int ret;

	if (!s)
		return -EIO;
	ml_block_hash(&b->hdr, hash);
	ml_bind_i64(s, 1, (int64_t)b->hdr.height);
	ml_bind_blob(s, 2, hash, ML_HASH_LEN);
	ml_bind_blob(s, 3, b->hdr.state_root, ML_HASH_LEN);
	ml_bind_blob(s, 4, buf, (int)len);
	ret = ml_step_done(s);
	return ret ? ret : ml_chain_store(l, b->hdr.height, b->hdr.time, hash);
}

/* What execution depends on: the whole header but its result. */
static void exec_key(const struct ml_block_header *h, uint8_t key[ML_HASH_LEN])
{
	struct ml_block_header c = *h;

	memset(c.state_root, 0, ML_HASH_LEN);
	ml_block_hash(&c, key);
}

static bool held_is(const struct ml_ledger *l, const uint8_t *key)
{
	return l->held && !memcmp(l->held_key, key, ML_HASH_LEN);
}

static void held_end(struct ml_ledger *l, const char *how)
{
	sqlite3_exec(l->db, how, NULL, NULL, NULL);
	l->held = false;
}

int ml_ledger_apply_block(struct ml_ledger *l, const uint8_t *buf, size_t len,
			  unsigned int flags)
{
	uint8_t root[ML_HASH_LEN], hash[ML_HASH_LEN], key[ML_HASH_LEN];
	struct ml_block b;
	bool kept;
	int ret;

	ret = ml_block_decode(buf, len, &b);
	if (ret)
		return ret;
	exec_key(&b.hdr, key);
	kept = held_is(l, key);
	if (!kept)
		ml_held_drop(l);
	l->busy = true;
	ret = check_header(l, &b, flags);
	if (kept) {
		/* executed by the build that kept it: store and commit */
		if (ret)
			goto out;
		ret = memcmp(l->held_root, b.hdr.state_root, ML_HASH_LEN) ?
		      -EBADMSG : 0;
		if (ret)
			goto out;
		l->xs.reused++;
		ret = store_block(l, &b, buf, len, hash);
		held_end(l, ret ? "ROLLBACK" : "COMMIT");
		if (ret)
			goto out;
		goto done;
	}
	ret = ret ? ret : verify_txs(l, &b);
	ret = ret ? ret : ml_exec(l, "BEGIN IMMEDIATE");
	if (ret)
		goto out;
	l->xs.runs++;
	ret = run_block(l, &b, root);
	if (!ret && memcmp(root, b.hdr.state_root, ML_HASH_LEN))
		ret = -EBADMSG;	/* we disagree with the proposer */
	ret = ret ? ret : store_block(l, &b, buf, len, hash);
	ret = ret ? ret : ml_exec(l, "COMMIT");
	if (ret) {
		ml_exec(l, "ROLLBACK");
		goto out;
	}
done:
	l->height = b.hdr.height;
	l->time = b.hdr.time;
	memcpy(l->last_hash, hash, ML_HASH_LEN);
out:
	l->busy = false;
	ml_block_free(&b);
	return ret;
}

int ml_ledger_build_block(struct ml_ledger *l, struct ml_block *b)
{
	struct ml_block_header *h = &b->hdr;
	uint8_t root[ML_HASH_LEN], key[ML_HASH_LEN];
	int ret;

	h->chain_id = l->p.chain_id;
	h->height = l->height + 1;
	memcpy(h->prev_hash, l->last_hash, ML_HASH_LEN);
	if (h->time <= l->time)
		return -ETIME;
	ret = ml_block_tx_root(b->txs, b->ntx, h->tx_root);
	if (ret)
		return ret;
	exec_key(h, key);
	if (held_is(l, key)) {
		l->xs.reused++;
		memcpy(h->state_root, l->held_root, ML_HASH_LEN);
		return 0;
	}
	ml_held_drop(l);
	ret = verify_txs(l, b);
	ret = ret ? ret : ml_exec(l, "BEGIN IMMEDIATE");
	if (ret)
		return ret;
	l->busy = true;
	l->xs.runs++;
	ret = run_block(l, b, root);
	if (!ret && l->keep && !ml_ro_open(l)) {
		/* kept for the apply; a proposal changes nothing visible */
		l->held = true;
		memcpy(l->held_key, key, ML_HASH_LEN);
		memcpy(l->held_root, root, ML_HASH_LEN);
	} else {
		ml_exec(l, "ROLLBACK");
	}
	l->busy = false;
	if (!ret)
		memcpy(h->state_root, root, ML_HASH_LEN);
	return ret;
}

void ml_ledger_keep_execution(struct ml_ledger *l, bool on)
{
	l->keep = on;
	if (!on)
		ml_held_drop(l);
}

void ml_ledger_exec_stats(const struct ml_ledger *l, struct ml_exec_stats *st)
{
	*st = l->xs;
}
