// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Proposals: building one (fresh, or the highest prepared block again
 * after a round change) and checking one (justification, then execution
 * against our own ledger).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "engine.h"

static int build(struct ml_cs *e, uint32_t round, struct ml_tx *txs,
		 uint32_t ntx, uint8_t **buf, size_t *len)
{
	struct ml_block b = { 0 };
	uint64_t now = e->ops->unix_time(e->ctx);
	int ret;

	b.hdr.round = round;
	b.hdr.time = now > e->parent_time ? now : e->parent_time + 1;
	memcpy(b.hdr.proposer, e->pk, ML_KEY_LEN);
	b.txs = txs;
	b.ntx = ntx;
	ret = ml_ledger_build_block(e->l, &b);
	return ret ? ret : ml_block_encode(&b, buf, len);
}

/*
 * Evidence first, then the mempool's transactions. If the block does not
 * build, propose the longest prefix that does (a binary search: execution
 * is sequential, so a prefix that fails stays failed when extended) and
 * tell the host which transaction broke it, so its mempool can drop it.
 */
static int fresh_block(struct ml_cs *e, uint32_t round, uint8_t **buf,
		       size_t *len)
{
	uint32_t max = e->cfg.max_block_txs, n = 0, nev = 0, i, lo, hi, mid;
	struct ml_tx *txs = calloc((size_t)max + EVIDENCE_PER_BLOCK, sizeof(*txs));
	uint64_t nonce = 0;
	int ret;

	if (!txs)
		return -ENOMEM;
	ml_ledger_balance(e->l, e->pk, NULL, NULL, &nonce);
	for (i = 0; i < e->nev && nev < EVIDENCE_PER_BLOCK; i++) {
		txs[nev] = e->ev[i];
		txs[nev].chain_id = e->chain_id;
		txs[nev].nonce = nonce + nev;
		if (!ml_tx_sign(&txs[nev], e->cfg.sk))
			nev++;
	}
	if (e->ops->get_txs &&
	    e->ops->get_txs(e->ctx, e->h, txs + nev, max, &n))
		n = 0;
	ret = build(e, round, txs, nev + n, buf, len);
	if (ret && nev + n) {
		for (lo = 0, hi = nev + n; hi - lo > 1;) {
			mid = lo + (hi - lo) / 2;
			if (build(e, round, txs, mid, buf, len)) {
				hi = mid;
			} else {
				free(*buf);
				lo = mid;
			}
		}
		ml_cs_log(e, "block %llu: transaction %u of %u refused: %s",
		      (unsigned long long)e->h, lo, nev + n, strerror(-ret));
		if (lo < nev) {	/* recorded already, or the offender is gone */
			e->ev[lo] = e->ev[--e->nev];
		} else if (e->ops->tx_refused) {
			e->ops->tx_refused(e->ctx, &txs[lo], ret);
		}
		ret = build(e, round, txs, lo < nev ? 0 : lo, buf, len);
	}
	free(txs);
	return ret;
}

static int cmp_rc(const void *a, const void *b)
{
	return memcmp(((const struct ml_cs_rc *)a)->sender,
		      ((const struct ml_cs_rc *)b)->sender, ML_KEY_LEN);
}

void ml_cs_propose(struct ml_cs *e)
{
	struct ml_cs_msg m = { .type = ML_CS_PROPOSAL };
	const struct rec *best = NULL;
	struct ml_block blk;
	uint8_t *buf = NULL;
	size_t i, len = 0;
	int ret;

	if (e->me < 0 || e->proposed || memcmp(ml_cs_proposer(e, e->r), e->pk, 32))
		return;
	m.height = e->h;
	m.round = e->r;
	if (e->r) {
		if (ml_cs_count(e, ML_CS_ROUND_CHANGE, e->r, NULL) < ml_cs_quorum(e))
			return;
		m.rc = calloc(e->n, sizeof(*m.rc));
		if (!m.rc)
			return;
		for (i = 0; i < e->nrecs; i++) {
			const struct rec *x = &e->recs[i];
			struct ml_cs_rc *c = &m.rc[m.nrc];

			if (x->type != ML_CS_ROUND_CHANGE || x->round != e->r)
				continue;
			memcpy(c->sender, e->vals + x->v * ML_KEY_LEN, 32);
			c->pr = x->pr;
			memcpy(c->ph, x->hash, ML_HASH_LEN);
			memcpy(c->sig, x->sig, ML_SIG_LEN);
			m.nrc++;
			if (x->pr != ML_CS_NOT_PREPARED &&
			    (!best || x->pr > best->pr))
				best = x;
		}
		qsort(m.rc, m.nrc, sizeof(*m.rc), cmp_rc);
	}
	if (best) {	/* QBFT: re-propose the highest prepared block */
		struct blk *b = ml_cs_blk_find(e, best->hash);

		if (!b)
			goto out;
		buf = malloc(b->len);
		if (!buf)
			goto out;
		memcpy(buf, b->buf, b->len);
		len = b->len;
		m.prep = malloc(best->nprep * sizeof(*m.prep));
		if (!m.prep)
			goto out;
		memcpy(m.prep, best->prep, best->nprep * sizeof(*m.prep));
		m.nprep = best->nprep;
	} else {
		ret = fresh_block(e, e->r, &buf, &len);
		if (ret) {
			ml_cs_log(e, "cannot build block %llu: %s",
			      (unsigned long long)e->h, strerror(-ret));
			goto out;
		}
	}
	if (ml_cs_hash_of(buf, (uint32_t)len, &blk, m.hash))
		goto out;
	ml_block_free(&blk);
	m.block = buf;
	m.block_len = (uint32_t)len;
	buf = NULL;
	e->proposed = 1;
	if (!ml_cs_sign_send(e, &m, ML_CS_STEP_PROPOSAL, NULL))
		ml_cs_handle(e, &m, e->me);
out:
	free(buf);
	ml_cs_msg_free(&m);
}

int ml_cs_justified(struct ml_cs *e, const struct ml_cs_msg *m,
		     const struct ml_block *b)
{
	const struct ml_cs_rc *best = NULL;
	uint8_t d[ML_HASH_LEN];
	uint16_t i;

	if (!m->round)
		return b->hdr.round == 0;
	if (m->nrc < ml_cs_quorum(e))
		return 0;
	for (i = 0; i < m->nrc; i++) {
		const struct ml_cs_rc *c = &m->rc[i];

		if (ml_cs_val_index(e, c->sender) < 0)
			return 0;
		if (c->pr != ML_CS_NOT_PREPARED && c->pr >= m->round)
			return 0;
		ml_cs_rc_digest(c->pr, c->ph, d);
		if (!ml_cs_sig_ok(e, ML_CS_ROUND_CHANGE, m->round, c->sender, d,
			    c->sig))
			return 0;
		if (c->pr != ML_CS_NOT_PREPARED && (!best || c->pr > best->pr))
			best = c;
	}
	if (!best)
		return b->hdr.round == m->round && !m->nprep;
	return !memcmp(best->ph, m->hash, ML_HASH_LEN) &&
	       ml_cs_cert_ok(e, best->pr, best->ph, m->prep, m->nprep);
}

/* The proposal's block extends our chain and executes to its state root. */
int ml_cs_block_valid(struct ml_cs *e, const struct ml_cs_msg *m,
		       const struct ml_block *b)
{
	struct ml_block c = *b;
	uint64_t now = e->ops->unix_time(e->ctx);

	if (b->ncommit || b->hdr.height != e->h ||
	    b->hdr.chain_id != e->chain_id || b->hdr.round > m->round ||
	    memcmp(b->hdr.prev_hash, e->parent_hash, ML_HASH_LEN) ||
	    memcmp(b->hdr.proposer,
		   e->vals + ((e->h + b->hdr.round) % e->n) * ML_KEY_LEN, 32))
		return -EINVAL;
	/* a fresh block must not come from the future; a prepared one is
	 * re-proposed as it is, whatever our clock says
	 */
	if (b->hdr.round == m->round && b->hdr.time > now + e->cfg.max_drift_s)
		return -ETIME;
	if (ml_ledger_build_block(e->l, &c))
		return -EINVAL;
	if (memcmp(c.hdr.state_root, b->hdr.state_root, ML_HASH_LEN) ||
	    memcmp(c.hdr.tx_root, b->hdr.tx_root, ML_HASH_LEN))
		return -EBADMSG;
	return 0;
}
