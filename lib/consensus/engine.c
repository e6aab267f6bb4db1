// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The consensus engine: QBFT (Moniz, arXiv 2002.03613; the EEA QBFT spec;
 * Besu's qbft-core and the Dafny model, research notes section 1.1) on top
 * of libmlledger, as a state machine driven by ml_cs_receive() and
 * ml_cs_timer(). Protocol and guarantees: Documentation/ledger/consensus.rst.
 *
 * One deviation from QBFT, for liveness with capped timers: a validator
 * leaves round r on its timer only if round r "started" (r = 0, or a
 * quorum of ROUND-CHANGEs for r, or a justified proposal for r); otherwise
 * it repeats its ROUND-CHANGE for r. Rounds therefore never run ahead of
 * what a quorum reached, so validators that return after an outage find
 * the others at most one round away (compare besu#7642, polygon-edge#185).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "engine.h"
#include "hash.h"

void ml_cs_log(struct ml_cs *e, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!e->ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e->ops->log(e->ctx, buf);
}

uint32_t ml_cs_timeout_ms(const struct ml_cs_config *cfg, uint32_t round)
{
	uint64_t t = cfg->timeout_base_ms;

	while (round-- && t < cfg->timeout_cap_ms)
		t *= 2;
	return (uint32_t)(t < cfg->timeout_cap_ms ? t : cfg->timeout_cap_ms);
}

size_t ml_cs_quorum(const struct ml_cs *e)
{
	return ml_quorum(e->n);
}

static size_t faulty(const struct ml_cs *e)
{
	return (e->n - 1) / 3;
}

int ml_cs_val_index(const struct ml_cs *e, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!memcmp(e->vals + i * ML_KEY_LEN, key, ML_KEY_LEN))
			return (int)i;
	return -1;
}

const uint8_t *ml_cs_proposer(const struct ml_cs *e, uint32_t round)
{
	return e->vals + ((e->h + round) % e->n) * ML_KEY_LEN;
}

int ml_cs_sig_ok(const struct ml_cs *e, uint8_t type, uint32_t round,
		  const uint8_t *who, const uint8_t digest[ML_HASH_LEN],
		  const uint8_t sig[ML_SIG_LEN])
{
	uint8_t b[ML_VOTE_BYTES_LEN];
	size_t n = ml_vote_bytes(type, e->chain_id, e->h, round, who, digest, b);

	return !crypto_sign_verify_detached(sig, b, n, who);
}

static void seal_msg(const uint8_t hash[ML_HASH_LEN], uint8_t *msg, size_t *n)
{
	size_t dl = strlen(ML_DOMAIN_COMMIT);

	memcpy(msg, ML_DOMAIN_COMMIT, dl);
	memcpy(msg + dl, hash, ML_HASH_LEN);
	*n = dl + ML_HASH_LEN;
}

/* --- per-height state --- */

static void clear_height(struct ml_cs *e)
{
	size_t i;

	for (i = 0; i < e->nrecs; i++)
		free(e->recs[i].prep);
	free(e->recs);
	e->recs = NULL;
	e->nrecs = 0;
	for (i = 0; i < e->nblks; i++)
		free(e->blks[i].buf);
	e->nblks = 0;
	for (i = 0; i < e->nown; i++)
		free(e->own[i]);
	e->nown = 0;
	free(e->vals);
	e->vals = NULL;
}

struct blk *ml_cs_blk_find(struct ml_cs *e, const uint8_t *hash)
{
	size_t i;

	for (i = 0; i < e->nblks; i++)
		if (!memcmp(e->blks[i].hash, hash, ML_HASH_LEN))
			return &e->blks[i];
	return NULL;
}

static int blk_add(struct ml_cs *e, const uint8_t *hash, const uint8_t *buf,
		   uint32_t len)
{
	struct blk *b = ml_cs_blk_find(e, hash);

	if (b)
		return 0;
	if (e->nblks == MAX_BLKS)
		return -ENOSPC;
	b = &e->blks[e->nblks];
	b->buf = malloc(len);
	if (!b->buf)
		return -ENOMEM;
	memcpy(b->buf, buf, len);
	memcpy(b->hash, hash, ML_HASH_LEN);
	b->len = len;
	e->nblks++;
	return 0;
}

static void own_keep(struct ml_cs *e, uint8_t *buf, size_t len)
{
	if (e->nown == MAX_OWN) {
		free(e->own[0]);
		memmove(e->own, e->own + 1, (MAX_OWN - 1) * sizeof(e->own[0]));
		memmove(e->own_len, e->own_len + 1,
			(MAX_OWN - 1) * sizeof(e->own_len[0]));
		e->nown--;
	}
	e->own[e->nown] = buf;
	e->own_len[e->nown++] = len;
}

static void set_timer(struct ml_cs *e)
{
	uint64_t d = e->round_deadline;

	if (e->propose_deadline && (!d || e->propose_deadline < d))
		d = e->propose_deadline;
	if (d)
		e->ops->set_timer(e->ctx, d);
}

/* --- sending --- */

void ml_cs_send_encoded(struct ml_cs *e, const uint8_t *to, uint8_t *buf,
			 size_t len, int keep)
{
	e->ops->send(e->ctx, to, buf, len);
	if (keep)
		own_keep(e, buf, len);
	else
		free(buf);
}

/*
 * Signs @m and sends it. A vote (@step != NONE) is first checked against
 * and recorded in the sign state on disk; if that fails nothing is sent.
 */
int ml_cs_sign_send(struct ml_cs *e, struct ml_cs_msg *m, uint8_t step,
		     const uint8_t *to)
{
	uint8_t *buf, vh[ML_HASH_LEN];
	size_t len;
	int ret;

	m->chain_id = e->chain_id;
	if (step) {
		struct ml_cs_signstate next = e->ss;

		ml_cs_msg_digest(m, vh);
		ret = ml_cs_signstate_allows(&e->ss, m->height, m->round, step,
					     vh);
		if (ret) {
			ml_cs_log(e, "refusing to sign step %u at %llu/%u: conflicts with the sign state",
			      step, (unsigned long long)m->height, m->round);
			return ret;
		}
		next.height = m->height;
		next.round = m->round;
		next.step = step;
		memcpy(next.hash, vh, ML_HASH_LEN);
		ret = ml_cs_signstate_store(e->state_path, &next);
		if (ret) {
			ml_cs_log(e, "cannot write %s: %s; not voting",
			      e->state_path, strerror(-ret));
			return ret;
		}
		e->ss.height = next.height;
		e->ss.round = next.round;
		e->ss.step = next.step;
		memcpy(e->ss.hash, vh, ML_HASH_LEN);
	}
	ml_cs_msg_sign(m, e->cfg.sk);
	ret = ml_cs_msg_encode(m, &buf, &len);
	if (ret)
		return ret;
	ml_cs_send_encoded(e, to, buf, len, !to && step);
	return 0;
}

/* --- votes --- */

size_t ml_cs_count(const struct ml_cs *e, uint8_t type, uint32_t round,
		    const uint8_t *hash)
{
	size_t i, c = 0;

	for (i = 0; i < e->nrecs; i++) {
		const struct rec *x = &e->recs[i];

		if (x->type == type && (round == ML_CS_NOT_PREPARED ||
					x->round == round) &&
		    (!hash || !memcmp(x->hash, hash, ML_HASH_LEN)))
			c++;
	}
	return c;
}

/*
 * Keeps one signed vote. -EALREADY: the same vote again. A second vote of
 * one kind from one validator in one round naming another block is
 * equivocation: kept as evidence, not as a vote.
 */
static int rec_add(struct ml_cs *e, const struct ml_cs_msg *m, int v,
		   struct rec **out)
{
	struct rec *x;
	size_t i;

	for (i = 0; i < e->nrecs; i++) {
		x = &e->recs[i];
		if (x->type != m->type || x->round != m->round || x->v != v)
			continue;
		if (!memcmp(x->hash, m->hash, ML_HASH_LEN) ||
		    m->type == ML_CS_ROUND_CHANGE)
			return -EALREADY;
		ml_cs_evidence_add(e, m->sender, m->type, e->h, m->round, x->hash,
			     x->sig, m->hash, m->sig, 1);
		return -EEXIST;
	}
	if (e->nrecs == MAX_RECS)
		return -ENOSPC;
	if (!(e->nrecs & (e->nrecs - 1)) || !e->nrecs) {
		size_t cap = e->nrecs ? 2 * e->nrecs : 16;

		x = realloc(e->recs, cap * sizeof(*x));
		if (!x)
			return -ENOMEM;
		e->recs = x;
	}
	x = &e->recs[e->nrecs++];
	memset(x, 0, sizeof(*x));
	x->type = m->type;
	x->round = m->round;
	x->v = (uint16_t)v;
	memcpy(x->hash, m->hash, ML_HASH_LEN);
	memcpy(x->sig, m->sig, ML_SIG_LEN);
	memcpy(x->seal, m->seal, ML_SIG_LEN);
	x->pr = m->pr;
	if (out)
		*out = x;
	return 0;
}

/* Checks a prepared certificate: a quorum of PREPAREs for (h, pr, ph). */
int ml_cs_cert_ok(struct ml_cs *e, uint32_t pr, const uint8_t *ph,
		   const struct ml_cs_sig *prep, uint16_t n)
{
	uint16_t i;

	if (n < ml_cs_quorum(e))
		return 0;
	for (i = 0; i < n; i++)
		if (ml_cs_val_index(e, prep[i].sender) < 0 ||
		    !ml_cs_sig_ok(e, ML_CS_PREPARE, pr, prep[i].sender, ph,
			    prep[i].sig))
			return 0;
	return 1;	/* distinct: the decoder wants them sorted */
}

int ml_cs_hash_of(const uint8_t *buf, uint32_t len, struct ml_block *b,
		   uint8_t hash[ML_HASH_LEN])
{
	int ret = ml_block_decode(buf, len, b);

	if (!ret)
		ml_block_hash(&b->hdr, hash);
	return ret;
}

static int finalize(struct ml_cs *e, const uint8_t *hash);

static void check_commit(struct ml_cs *e, const uint8_t *hash)
{
	size_t i, c = 0;
	int seen[ML_CS_MAX_VALIDATORS] = { 0 };

	for (i = 0; i < e->nrecs; i++) {
		const struct rec *x = &e->recs[i];

		if (x->type == ML_CS_COMMIT && !seen[x->v] &&
		    !memcmp(x->hash, hash, ML_HASH_LEN)) {
			seen[x->v] = 1;
			c++;
		}
	}
	if (c < ml_cs_quorum(e))
		return;
	if (!ml_cs_blk_find(e, hash)) {
		ml_cs_request_state(e, NULL);	/* final, but we never saw it */
		return;
	}
	finalize(e, hash);
}

static int cmp_sig(const void *a, const void *b)
{
	return memcmp(((const struct ml_cs_sig *)a)->sender,
		      ((const struct ml_cs_sig *)b)->sender, ML_KEY_LEN);
}

static void check_prepared(struct ml_cs *e)
{
	struct ml_cs_msg m = { .type = ML_CS_COMMIT };
	struct ml_cs_signstate next;
	struct ml_cs_sig *cert;
	struct blk *b;
	uint8_t msg[64];
	size_t i, n = 0, len;

	if (e->me < 0 || e->acc_round != e->r ||
	    ml_cs_count(e, ML_CS_PREPARE, e->r, e->acc_hash) < ml_cs_quorum(e))
		return;
	if (e->ss.height == e->h && e->ss.round == e->r &&
	    e->ss.step >= ML_CS_STEP_COMMIT)
		return;	/* committed in this round already */
	b = ml_cs_blk_find(e, e->acc_hash);
	cert = calloc(e->n, sizeof(*cert));
	if (!b || !cert) {
		free(cert);
		return;
	}
	for (i = 0; i < e->nrecs && n < e->n; i++) {
		const struct rec *x = &e->recs[i];

		if (x->type == ML_CS_PREPARE && x->round == e->r &&
		    !memcmp(x->hash, e->acc_hash, ML_HASH_LEN)) {
			memcpy(cert[n].sender, e->vals + x->v * ML_KEY_LEN, 32);
			memcpy(cert[n++].sig, x->sig, ML_SIG_LEN);
		}
	}
	qsort(cert, n, sizeof(*cert), cmp_sig);
	/* the prepared certificate goes to disk with the COMMIT's record */
	next = e->ss;
	next.pr = e->r;
	memcpy(next.ph, e->acc_hash, ML_HASH_LEN);
	next.prep = cert;
	next.nprep = (uint16_t)n;
	next.block = malloc(b->len);
	if (!next.block) {
		free(cert);
		return;
	}
	memcpy(next.block, b->buf, b->len);
	next.block_len = b->len;
	ml_cs_signstate_free(&e->ss);
	e->ss = next;

	m.height = e->h;
	m.round = e->r;
	memcpy(m.hash, e->acc_hash, ML_HASH_LEN);
	seal_msg(m.hash, msg, &len);
	crypto_sign_detached(m.seal, NULL, msg, len, e->cfg.sk);
	if (ml_cs_sign_send(e, &m, ML_CS_STEP_COMMIT, NULL))
		return;
	ml_cs_handle(e, &m, e->me);
}

/* --- proposing --- */

/* --- rounds --- */

static void start_timer(struct ml_cs *e)
{
	e->round_deadline = e->now + ml_cs_timeout_ms(&e->cfg, e->r);
	set_timer(e);
}

static void send_rc(struct ml_cs *e)
{
	struct ml_cs_msg m = { .type = ML_CS_ROUND_CHANGE, .height = e->h,
			       .round = e->r, .pr = ML_CS_NOT_PREPARED };

	if (e->me < 0)
		return;
	if (e->ss.height == e->h && e->ss.pr != ML_CS_NOT_PREPARED) {
		m.pr = e->ss.pr;
		memcpy(m.hash, e->ss.ph, ML_HASH_LEN);
		m.prep = e->ss.prep;
		m.nprep = e->ss.nprep;
		m.block = e->ss.block;
		m.block_len = e->ss.block_len;
	}
	if (!ml_cs_sign_send(e, &m, ML_CS_STEP_ROUND_CHANGE, NULL))
		ml_cs_handle(e, &m, e->me);
}

static void enter_round(struct ml_cs *e, uint32_t round, int started)
{
	if (round <= e->r && e->started)
		return;
	if (round > e->r) {
		e->r = round;
		e->started = 0;
		e->proposed = 0;
		e->acc_round = ML_CS_NOT_PREPARED;
		e->propose_deadline = 0;
		e->rounds_total++;
		start_timer(e);
		send_rc(e);	/* may start the round itself */
	}
	if (started && !e->started) {
		e->started = 1;
		ml_cs_propose(e);
	}
}

/* f+1 ROUND-CHANGEs above our round: at least one honest validator is
 * there, so follow to the highest round f+1 of them reached.
 */
static void skip_ahead(struct ml_cs *e)
{
	uint32_t best[ML_CS_MAX_VALIDATORS] = { 0 }, t;
	size_t i, j, c = 0, need = faulty(e) + 1;

	for (i = 0; i < e->nrecs; i++) {
		const struct rec *x = &e->recs[i];

		if (x->type == ML_CS_ROUND_CHANGE && x->round > e->r &&
		    x->round > best[x->v])
			best[x->v] = x->round;
	}
	for (i = 0; i < e->n; i++)
		if (best[i])
			best[c++] = best[i];
	if (c < need)
		return;
	for (i = 0; i < c; i++)	/* sort descending; n is small */
		for (j = i + 1; j < c; j++)
			if (best[j] > best[i]) {
				t = best[i];
				best[i] = best[j];
				best[j] = t;
			}
	enter_round(e, best[need - 1],
		    ml_cs_count(e, ML_CS_ROUND_CHANGE, best[need - 1], NULL) >=
		    ml_cs_quorum(e));
}

/* --- handlers --- */

static int on_proposal(struct ml_cs *e, struct ml_cs_msg *m, int v)
{
	struct ml_cs_msg p = { .type = ML_CS_PREPARE };
	struct ml_block b;
	uint8_t hash[ML_HASH_LEN];
	int ret;

	if (m->round < e->r)
		return -ESTALE;
	if (memcmp(m->sender, ml_cs_proposer(e, m->round), ML_KEY_LEN))
		return -EPERM;
	ret = rec_add(e, m, v, NULL);
	if (ret)
		return ret == -EALREADY ? 0 : ret;
	if (ml_cs_hash_of(m->block, m->block_len, &b, hash))
		return -EBADMSG;
	ret = -EBADMSG;
	if (memcmp(hash, m->hash, ML_HASH_LEN))
		goto out;
	ret = -EPERM;
	if (!ml_cs_justified(e, m, &b))
		goto out;
	ret = ml_cs_block_valid(e, m, &b);
	if (ret) {
		ml_cs_log(e, "proposal %llu/%u refused: %s",
		      (unsigned long long)m->height, m->round, strerror(-ret));
		goto out;
	}
	ret = blk_add(e, hash, m->block, m->block_len);
	if (ret)
		goto out;
	/* a justified proposal proves a quorum reached its round */
	enter_round(e, m->round, 1);
	if (e->acc_round == e->r)
		goto out;
	if (e->me >= 0) {
		p.height = e->h;
		p.round = e->r;
		memcpy(p.hash, hash, ML_HASH_LEN);
		/* refused: we voted for another block in this round before
		 * a restart; sit the round out
		 */
		if (ml_cs_sign_send(e, &p, ML_CS_STEP_PREPARE, NULL))
			goto out;
	}
	e->acc_round = e->r;
	memcpy(e->acc_hash, hash, ML_HASH_LEN);
	if (e->me >= 0)
		ml_cs_handle(e, &p, e->me);
	check_prepared(e);
out:
	ml_block_free(&b);
	return ret;
}

static int on_round_change(struct ml_cs *e, struct ml_cs_msg *m, int v)
{
	struct rec *x;
	struct ml_block b;
	uint8_t hash[ML_HASH_LEN];
	int ret;

	if (m->round < e->r)
		return -ESTALE;
	if (m->pr != ML_CS_NOT_PREPARED) {
		if (!ml_cs_cert_ok(e, m->pr, m->hash, m->prep, m->nprep) ||
		    ml_cs_hash_of(m->block, m->block_len, &b, hash))
			return -EPERM;
		ml_block_free(&b);
		if (memcmp(hash, m->hash, ML_HASH_LEN))
			return -EPERM;
	}
	ret = rec_add(e, m, v, &x);
	if (ret)
		return ret == -EALREADY ? 0 : ret;
	if (m->pr != ML_CS_NOT_PREPARED) {
		x->prep = malloc(m->nprep * sizeof(*x->prep));
		if (x->prep) {
			memcpy(x->prep, m->prep, m->nprep * sizeof(*x->prep));
			x->nprep = m->nprep;
		}
		blk_add(e, m->hash, m->block, m->block_len);
	}
	if (m->round > e->r)
		skip_ahead(e);
	if (m->round == e->r &&
	    ml_cs_count(e, ML_CS_ROUND_CHANGE, e->r, NULL) >= ml_cs_quorum(e))
		enter_round(e, e->r, 1);
	return 0;
}

static int on_vote(struct ml_cs *e, struct ml_cs_msg *m, int v)
{
	uint8_t msg[64];
	size_t len;
	int ret;

	if (m->type == ML_CS_COMMIT) {
		seal_msg(m->hash, msg, &len);
		if (crypto_sign_verify_detached(m->seal, msg, len, m->sender))
			return -EPERM;
	}
	ret = rec_add(e, m, v, NULL);
	if (ret)
		return ret == -EALREADY ? 0 : ret;
	if (m->type == ML_CS_PREPARE)
		check_prepared(e);
	else
		check_commit(e, m->hash);
	return 0;
}

void ml_cs_committed(struct ml_cs *e, const uint8_t *buf, size_t len)
{
	struct ml_block b;
	size_t i, j;

	/* evidence that made it on chain is done with */
	if (!ml_block_decode(buf, len, &b)) {
		for (i = 0; i < b.ntx; i++) {
			if (b.txs[i].kind != ML_TX_EVIDENCE)
				continue;
			for (j = 0; j < e->nev; j++)
				if (!memcmp(&e->ev[j].u.evidence,
					    &b.txs[i].u.evidence,
					    sizeof(b.txs[i].u.evidence))) {
					e->ev[j] = e->ev[--e->nev];
					break;
				}
		}
		ml_block_free(&b);
	}
	if (e->ops->committed)
		e->ops->committed(e->ctx, e->h, buf, len);
}

static int finalize(struct ml_cs *e, const uint8_t *hash)
{
	struct blk *k = ml_cs_blk_find(e, hash);
	struct ml_block b;
	uint8_t *buf;
	size_t len, i;
	int seen[ML_CS_MAX_VALIDATORS] = { 0 }, ret;

	ret = ml_block_decode(k->buf, k->len, &b);
	if (ret)
		return ret;
	b.commit = calloc(e->n, sizeof(*b.commit));
	if (!b.commit) {
		ml_block_free(&b);
		return -ENOMEM;
	}
	/* vals are sorted, so walking them keeps the certificate sorted */
	for (i = 0; i < e->n; i++) {
		size_t j;

		for (j = 0; j < e->nrecs; j++) {
			const struct rec *x = &e->recs[j];

			if (x->type == ML_CS_COMMIT && x->v == i && !seen[i] &&
			    !memcmp(x->hash, hash, ML_HASH_LEN)) {
				seen[i] = 1;
				memcpy(b.commit[b.ncommit].validator,
				       e->vals + i * ML_KEY_LEN, 32);
				memcpy(b.commit[b.ncommit++].sig, x->seal, 64);
			}
		}
	}
	ret = ml_block_encode(&b, &buf, &len);
	ml_block_free(&b);
	if (ret)
		return ret;
	ret = ml_ledger_apply_block(e->l, buf, len, 0);
	if (ret) {
		ml_cs_log(e, "final block %llu does not apply: %s",
		      (unsigned long long)e->h, strerror(-ret));
		free(buf);
		return ret;
	}
	ml_cs_committed(e, buf, len);
	free(buf);
	return ml_cs_load_height(e);
}

/* A verified message of the current height (or a request of any). */
int ml_cs_handle(struct ml_cs *e, struct ml_cs_msg *m, int v)
{
	switch (m->type) {
	case ML_CS_PROPOSAL:
		return on_proposal(e, m, v);
	case ML_CS_PREPARE:
	case ML_CS_COMMIT:
		return on_vote(e, m, v);
	case ML_CS_ROUND_CHANGE:
		return on_round_change(e, m, v);
	case ML_CS_BLOCK:
		return ml_cs_on_block(e, m);
	case ML_CS_STATE_REQ:
		ml_cs_on_state_req(e, m);
		return 0;
	case ML_CS_STATE_RESP:
		if (m->committed >= e->h)
			ml_cs_request_state(e, m->sender);
		return 0;
	case ML_CS_EVIDENCE:
		return ml_cs_on_evidence(e, m);
	}
	return -EINVAL;
}

static int receive(struct ml_cs *e, const uint8_t *from, const uint8_t *buf,
		   size_t len)
{
	struct ml_cs_msg m;
	int v, ret;

	ret = ml_cs_msg_decode(buf, len, &m);
	if (ret)
		return ret;
	ret = -EPERM;
	if (m.chain_id != e->chain_id ||
	    (from && memcmp(from, m.sender, ML_KEY_LEN)))
		goto out;
	if (m.height > e->h && m.type != ML_CS_STATE_REQ &&
	    m.type != ML_CS_STATE_RESP && m.type != ML_CS_EVIDENCE) {
		/* the validator set of that height is not known yet */
		ml_cs_keep_future(e, from, buf, len, m.height);
		ml_cs_request_state(e, m.sender);
		ret = 0;
		goto out;
	}
	v = ml_cs_val_index(e, m.sender);
	if (v < 0 || v == e->me || ml_cs_msg_verify(&m))
		goto out;
	ret = -ESTALE;
	if (m.height < e->h && m.type != ML_CS_STATE_REQ &&
	    m.type != ML_CS_EVIDENCE)
		goto out;
	ret = ml_cs_handle(e, &m, v);
out:
	ml_cs_msg_free(&m);
	return ret;
}

/* --- heights --- */

int ml_cs_load_height(struct ml_cs *e)
{
	struct ml_ledger_info info;
	size_t i;
	int ret;

	clear_height(e);
	ret = ml_ledger_info(e->l, &info);
	ret = ret ? ret : ml_ledger_validators(e->l, &e->vals, &e->n);
	if (ret)
		return ret;
	if (!e->n || e->n > ML_CS_MAX_VALIDATORS)
		return -EUCLEAN;
	e->chain_id = info.chain_id;
	e->h = info.height + 1;
	e->parent_time = info.time;
	memcpy(e->parent_hash, info.last_hash, ML_HASH_LEN);
	e->me = ml_cs_val_index(e, e->pk);
	e->r = 0;
	e->started = 1;
	e->proposed = 0;
	e->acc_round = ML_CS_NOT_PREPARED;
	if (e->ss.height != e->h) {	/* the prepared block is history */
		ml_cs_signstate_free(&e->ss);
		e->ss.pr = ML_CS_NOT_PREPARED;
		memset(e->ss.ph, 0, ML_HASH_LEN);
	} else {
		/* restarted inside this height: carry on from the round we
		 * signed in; the timer then moves on with a fresh ROUND-CHANGE
		 */
		e->r = e->ss.round;
	}
	if (e->ss.height == e->h && e->ss.pr != ML_CS_NOT_PREPARED)
		blk_add(e, e->ss.ph, e->ss.block, e->ss.block_len);
	/* round 0 waits a block period first (besu#2095) */
	e->round_deadline = e->now + ml_cs_timeout_ms(&e->cfg, e->r) +
			    (e->r ? 0 : e->cfg.block_period_ms);
	e->propose_deadline = 0;
	if (!e->r && e->me >= 0 && !memcmp(ml_cs_proposer(e, 0), e->pk, 32))
		e->propose_deadline = e->now + e->cfg.block_period_ms + 1;
	set_timer(e);
	/* messages that arrived early */
	for (i = 0; i < e->nfut;) {
		struct fut f = e->fut[i];

		if (f.height > e->h) {
			i++;
			continue;
		}
		e->fut[i] = e->fut[--e->nfut];
		if (f.height == e->h) {
			receive(e, f.has_from ? f.from : NULL, f.buf, f.len);
			if (e->h != f.height) {
				free(f.buf);
				return 0;	/* moved on meanwhile */
			}
		}
		free(f.buf);
	}
	return 0;
}

int ml_cs_create(const struct ml_cs_config *cfg, struct ml_ledger *l,
		 const struct ml_cs_ops *ops, void *ctx, uint64_t now_ms,
		 struct ml_cs **out)
{
	struct ml_cs *e;
	int ret;

	if (!cfg->state_path || !cfg->timeout_base_ms ||
	    cfg->timeout_cap_ms < cfg->timeout_base_ms || !ops->send ||
	    !ops->set_timer || !ops->unix_time)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	e->state_path = strdup(cfg->state_path);
	e->cfg.state_path = e->state_path;
	if (!e->cfg.max_block_txs)
		e->cfg.max_block_txs = 1024;
	e->l = l;
	/* proposal, its check and the final apply: one execution */
	ml_ledger_keep_execution(l, true);
	e->ops = ops;
	e->ctx = ctx;
	e->now = now_ms;
	memcpy(e->pk, cfg->sk + 32, ML_KEY_LEN);
	ret = e->state_path ? ml_cs_signstate_load(e->state_path, &e->ss) :
			      -ENOMEM;
	if (ret == -ENOENT) {
		memset(&e->ss, 0, sizeof(e->ss));
		e->ss.pr = ML_CS_NOT_PREPARED;
		ret = 0;
	} else if (ret) {
		ml_cs_log(e, "%s: %s; refusing to vote with a damaged sign state (restore it, or remove it only if this key never signed at the heights it covers)",
		      cfg->state_path, strerror(-ret));
	}
	if (!ret) {
		ret = ml_cs_check_head(e);
		if (ret)
			ml_cs_log(e, "the ledger does not match its last block (%s); refusing to run on it: run ledgerctl verify, then restore or resync it",
			      strerror(-ret));
	}
	ret = ret ? ret : ml_cs_load_height(e);
	if (ret) {
		ml_cs_destroy(e);
		return ret;
	}
	ml_cs_request_state(e, NULL);
	*out = e;
	return 0;
}

void ml_cs_destroy(struct ml_cs *e)
{
	size_t i;

	if (!e)
		return;
	clear_height(e);
	for (i = 0; i < e->nfut; i++)
		free(e->fut[i].buf);
	ml_cs_signstate_free(&e->ss);
	sodium_memzero(e->cfg.sk, sizeof(e->cfg.sk));
	free(e->state_path);
	free(e);
}

int ml_cs_receive(struct ml_cs *e, const uint8_t *from, const uint8_t *msg,
		  size_t len, uint64_t now_ms)
{
	int ret;

	if (now_ms > e->now)
		e->now = now_ms;
	ret = receive(e, from, msg, len);
	if (ret && ret != -ESTALE)
		e->refused++;
	return ret;
}

void ml_cs_timer(struct ml_cs *e, uint64_t now_ms)
{
	if (now_ms > e->now)
		e->now = now_ms;
	if (e->propose_deadline && e->now >= e->propose_deadline) {
		e->propose_deadline = 0;
		if (!e->r)
			ml_cs_propose(e);
	}
	if (e->round_deadline && e->now >= e->round_deadline) {
		if (e->started) {
			enter_round(e, e->r + 1, 0);
		} else {
			/* nobody joined: say it again, do not run ahead */
			size_t i;

			for (i = 0; i < e->nown; i++) {
				uint8_t *c = malloc(e->own_len[i]);

				if (!c)
					break;
				memcpy(c, e->own[i], e->own_len[i]);
				ml_cs_send_encoded(e, NULL, c, e->own_len[i], 0);
			}
			start_timer(e);
		}
		ml_cs_request_state(e, NULL);
	}
	set_timer(e);
}

void ml_cs_status(struct ml_cs *e, struct ml_cs_status *st)
{
	st->height = e->h;
	st->round = e->r;
	st->rounds_total = e->rounds_total;
	st->evidence = (uint32_t)e->nev;
	st->refused = e->refused;
}
