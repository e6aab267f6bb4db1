// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>

#include "sim.h"

static uint64_t rnd(struct sim *s, uint64_t n)
{
	return n ? th_rand(&s->rng) % n : 0;
}

/* --- the event queue --- */

static int before(const struct sim_msg *a, const struct sim_msg *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void q_push(struct sim *s, struct sim_msg m)
{
	size_t i;

	if (s->nq == s->capq) {
		s->capq = s->capq ? 2 * s->capq : 1024;
		s->q = realloc(s->q, s->capq * sizeof(*s->q));
		if (!s->q)
			abort();
	}
	i = s->nq++;
	while (i && before(&m, &s->q[(i - 1) / 2])) {
		s->q[i] = s->q[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->q[i] = m;
}

static struct sim_msg q_pop(struct sim *s)
{
	struct sim_msg top = s->q[0], last = s->q[--s->nq];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < s->nq) {
		if (c + 1 < s->nq && before(&s->q[c + 1], &s->q[c]))
			c++;
		if (!before(&s->q[c], &last))
			break;
		s->q[i] = s->q[c];
		i = c;
	}
	if (s->nq)
		s->q[i] = last;
	return top;
}

/* --- callbacks --- */

static void enqueue(struct sim *s, int from, int to, const uint8_t *buf,
		    size_t len)
{
	struct sim_msg m = { .from = from, .to = to, .len = len };

	s->msgs_sent++;
	if ((s->filter && s->filter(s, from, to, buf, len)) ||
	    rnd(s, 1000) < s->drop_permille ||
	    s->node[from].group != s->node[to].group) {
		s->msgs_dropped++;
		return;
	}
	m.t = s->now + s->dmin_ms + rnd(s, s->dmax_ms - s->dmin_ms + 1);
	m.seq = s->seq++;
	m.buf = malloc(len);
	if (!m.buf)
		abort();
	memcpy(m.buf, buf, len);
	q_push(s, m);
}

/*
 * The twin: what the byzantine node signs goes out as it is, and a
 * conflicting copy (another block, or a vote for another hash), signed
 * with the same key past any sign state, goes to the odd-numbered nodes.
 */
static void twin(struct sim_node *nd, int to, const uint8_t *buf, size_t len)
{
	struct sim *s = nd->s;
	struct ml_cs_msg m;
	uint8_t *out, msg[64];
	size_t olen;

	if (!(to & 1) || ml_cs_msg_decode(buf, len, &m))
		return;
	if (m.type == ML_CS_PROPOSAL && !m.round) {
		struct ml_block b;

		if (ml_block_decode(m.block, m.block_len, &b))
			goto out;
		b.hdr.time++;	/* no orders in the sim: same state root */
		ml_block_hash(&b.hdr, m.hash);
		free(m.block);
		m.block = NULL;
		if (ml_block_encode(&b, &m.block, &olen)) {
			ml_block_free(&b);
			goto out;
		}
		m.block_len = (uint32_t)olen;
		ml_block_free(&b);
	} else if (m.type == ML_CS_PREPARE || m.type == ML_CS_COMMIT) {
		randombytes_buf(m.hash, ML_HASH_LEN);
		m.hash[0] = (uint8_t)s->rng;
		memcpy(msg, "meterlink-commit-v1", 19);
		memcpy(msg + 19, m.hash, 32);
		crypto_sign_detached(m.seal, NULL, msg, 51, nd->key.sk);
	} else {
		goto out;
	}
	ml_cs_msg_sign(&m, nd->key.sk);
	if (!ml_cs_msg_encode(&m, &out, &olen)) {
		enqueue(s, nd->id, to, out, olen);
		free(out);
	}
out:
	ml_cs_msg_free(&m);
}

static void cb_send(void *ctx, const uint8_t *to, const uint8_t *buf,
		    size_t len)
{
	struct sim_node *nd = ctx;
	struct sim *s = nd->s;
	int i;

	if (s->on_send)
		s->on_send(s, nd->id, buf, len);
	for (i = 0; i < s->n; i++) {
		if (i == nd->id ||
		    (to && memcmp(to, s->node[i].key.pk, ML_KEY_LEN)))
			continue;
		enqueue(s, nd->id, i, buf, len);
		if (nd->byz)
			twin(nd, i, buf, len);
	}
}

static void cb_timer(void *ctx, uint64_t deadline)
{
	struct sim_node *nd = ctx;

	nd->deadline = deadline;
}

static uint64_t cb_unix(void *ctx)
{
	struct sim_node *nd = ctx;

	return (uint64_t)((int64_t)(SIM_T0 + nd->s->now / 1000) + nd->skew_s);
}

static const uint8_t *sender_key(struct sim *s, int u)
{
	return u < SIM_USERS ? s->user[u].pk : s->node[u - SIM_USERS].key.pk;
}

static int sender_index(struct sim *s, const uint8_t *key)
{
	int u;

	for (u = 0; u < SIM_USERS + s->n; u++)
		if (!memcmp(key, sender_key(s, u), ML_KEY_LEN))
			return u;
	return -1;
}

static int cb_get_txs(void *ctx, uint64_t height, struct ml_tx *txs,
		      uint32_t max, uint32_t *n)
{
	struct sim_node *nd = ctx;
	struct sim *s = nd->s;
	uint64_t nonce[SIM_USERS + SIM_MAX_NODES];
	size_t i;
	int u;

	(void)height;
	*n = 0;
	for (u = 0; u < SIM_USERS + s->n; u++)
		if (ml_ledger_balance(nd->l, sender_key(s, u), NULL, NULL,
				      &nonce[u]))
			return -EIO;
	/* the queue holds each sender's txs in nonce order */
	for (i = 0; i < s->ntx && *n < max; i++) {
		const struct ml_tx *t = &s->txs[i].tx;

		u = sender_index(s, t->sender);
		if (u >= 0 && t->nonce == nonce[u] && !s->txs[i].refused) {
			txs[(*n)++] = *t;
			nonce[u]++;
		}
	}
	return 0;
}

static void cb_tx_refused(void *ctx, const struct ml_tx *tx, int err)
{
	struct sim_node *nd = ctx;
	struct sim *s = nd->s;
	uint8_t id[ML_HASH_LEN];
	size_t k;

	int u = sender_index(s, tx->sender);

	(void)err;
	ml_tx_id(tx, id);
	for (k = 0; k < s->ntx; k++)
		if (!s->txs[k].refused &&
		    !memcmp(s->txs[k].id, id, ML_HASH_LEN)) {
			s->txs[k].refused = 1;
			/* the client learns its last tx is gone: nonce reused */
			if (u >= 0 && tx->nonce + 1 == s->next_nonce[u])
				s->next_nonce[u]--;
		}
}

static void cb_committed(void *ctx, uint64_t height, const uint8_t *buf,
			 size_t len)
{
	struct sim_node *nd = ctx;
	struct sim *s = nd->s;
	struct ml_block b;
	uint8_t hash[ML_HASH_LEN], id[ML_HASH_LEN];
	uint32_t i;
	size_t k;

	if (ml_block_decode(buf, len, &b))
		abort();
	ml_block_hash(&b.hdr, hash);
	if (height > s->nfinal) {
		s->final = realloc(s->final, height * ML_HASH_LEN);
		if (!s->final)
			abort();
		memset(s->final[s->nfinal], 0, (height - s->nfinal) * 32);
		s->nfinal = height;
	}
	if (!sodium_is_zero(s->final[height - 1], ML_HASH_LEN) &&
	    memcmp(s->final[height - 1], hash, ML_HASH_LEN)) {
		fprintf(stderr, "# FORK: node %d committed another block at %llu\n",
			nd->id, (unsigned long long)height);
		s->forked++;
	}
	memcpy(s->final[height - 1], hash, ML_HASH_LEN);
	for (i = 0; i < b.ntx; i++) {
		ml_tx_id(&b.txs[i], id);
		for (k = 0; k < s->ntx; k++)
			if (!s->txs[k].final_ms &&
			    !memcmp(s->txs[k].id, id, ML_HASH_LEN))
				s->txs[k].final_ms = s->now ? s->now : 1;
	}
	ml_block_free(&b);
	if (nd->commits < 4096)
		nd->commit_ms[nd->commits] = s->now;
	nd->commits++;
}

static void cb_log(void *ctx, const char *msg)
{
	struct sim_node *nd = ctx;

	snprintf(nd->s->last_log, sizeof(nd->s->last_log), "%s", msg);
	if (!nd->s->quiet)
		fprintf(stderr, "# [%llu ms] node %d: %s\n",
			(unsigned long long)nd->s->now, nd->id, msg);
}

static const struct ml_cs_ops sim_ops = {
	.send = cb_send,
	.set_timer = cb_timer,
	.unix_time = cb_unix,
	.get_txs = cb_get_txs,
	.committed = cb_committed,
	.tx_refused = cb_tx_refused,
	.log = cb_log,
};

/* --- nodes --- */

int sim_restart(struct sim *s, int i)
{
	struct sim_node *nd = &s->node[i];
	struct ml_cs_config cfg = s->cfg;
	int ret;

	ret = ml_ledger_open(nd->db, &nd->l);
	if (ret)
		return ret;
	memcpy(cfg.sk, nd->key.sk, 64);
	cfg.state_path = nd->ss;
	nd->deadline = 0;
	nd->up = 1;
	ret = ml_cs_create(&cfg, nd->l, &sim_ops, nd, s->now, &nd->cs);
	if (ret) {
		nd->up = 0;
		ml_ledger_close(nd->l);
		nd->l = NULL;
	}
	return ret;
}

int sim_crash(struct sim *s, int i)
{
	struct sim_node *nd = &s->node[i];
	size_t k;

	if (!nd->up)
		return -EALREADY;
	/* what it had just sent may never have left the machine */
	for (k = 0; k < s->nq; k++)
		if (s->q[k].from == i && s->q[k].t <= s->now + s->dmin_ms &&
		    rnd(s, 2))
			s->q[k].to = -1;
	ml_cs_destroy(nd->cs);
	ml_ledger_close(nd->l);
	nd->cs = NULL;
	nd->l = NULL;
	nd->up = 0;
	nd->deadline = 0;
	nd->crashes++;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ML_KEY_LEN);
}

int sim_init(struct sim *s, int n, uint64_t seed)
{
	struct ml_genesis *g = &s->g;
	struct th_key op;
	int i, k = 0, ret;

	if (sodium_init() < 0 || n < 1 || n > SIM_MAX_NODES)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	s->dmin_ms = 2;
	s->dmax_ms = 40;
	s->quiet = !getenv("CS_VERBOSE");
	s->cfg.block_period_ms = 1000;
	s->cfg.timeout_base_ms = 1000;
	s->cfg.timeout_cap_ms = 8000;
	s->cfg.max_drift_s = 10;
	s->cfg.max_block_txs = 256;
	s->txs = calloc(SIM_MAX_TX, sizeof(*s->txs));
	if (!s->txs)
		return -ENOMEM;
	th_tmpdir(s->dir, sizeof(s->dir));
	g->chain_id = TH_CHAIN_ID;
	g->time = TH_T0;
	g->interval_len = 900;
	g->settle_delay = 300;
	g->accounts = calloc(1 + n + SIM_USERS, sizeof(*g->accounts));
	g->feeders = calloc(1, sizeof(*g->feeders));
	if (!g->accounts || !g->feeders)
		return -ENOMEM;
	th_key(&op, 0xee);
	memcpy(g->fee_account, op.pk, 32);
	memcpy(g->accounts[k].key, op.pk, 32);
	g->accounts[k++].roles = ML_ROLE_OPERATOR;
	for (i = 0; i < n; i++) {
		th_key(&s->node[i].key, (uint8_t)(0xa0 + i));
		memcpy(g->accounts[k].key, s->node[i].key.pk, 32);
		g->accounts[k++].roles = ML_ROLE_VALIDATOR;
	}
	for (i = 0; i < SIM_USERS; i++) {
		th_key(&s->user[i], (uint8_t)(1 + i));
		memcpy(g->accounts[k].key, s->user[i].pk, 32);
		g->accounts[k++].balance = 1000000000;
		s->expect[i] = 1000000000;
	}
	qsort(g->accounts, k, sizeof(*g->accounts), key_cmp);
	g->naccounts = k;
	g->nfeeders = 1;
	g->feeders[0].id = 1;
	g->feeders[0].import_limit_wh = 1ULL << 40;
	g->feeders[0].export_limit_wh = 1ULL << 40;
	for (i = 0; i < n; i++) {
		struct sim_node *nd = &s->node[i];

		nd->s = s;
		nd->id = i;
		snprintf(nd->dir, sizeof(nd->dir), "%s/n%d", s->dir, i);
		snprintf(nd->db, sizeof(nd->db), "%s/n%d/ledger.db", s->dir, i);
		snprintf(nd->ss, sizeof(nd->ss), "%s/n%d/signstate", s->dir, i);
		if (mkdir(nd->dir, 0700))
			return -errno;
		ret = ml_ledger_create(nd->db, g);
		ret = ret ? ret : sim_restart(s, i);
		if (ret)
			return ret;
	}
	return 0;
}

void sim_free(struct sim *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->node[i].up)
			sim_crash(s, i);
	while (s->nq)
		free(q_pop(s).buf);
	free(s->q);
	free(s->txs);
	free(s->final);
	ml_genesis_free(&s->g);
	if (!getenv("CS_KEEP"))
		th_rmdir(s->dir);
}

/* --- running --- */

static int next_timer(struct sim *s, uint64_t *t)
{
	int i, best = -1;

	for (i = 0; i < s->n; i++)
		if (s->node[i].up && s->node[i].deadline &&
		    (best < 0 || s->node[i].deadline < *t)) {
			best = i;
			*t = s->node[i].deadline;
		}
	return best;
}

void sim_run_until(struct sim *s, uint64_t t_end)
{
	for (;;) {
		uint64_t tt = 0;
		int i = next_timer(s, &tt);

		if (i >= 0 && (!s->nq || tt <= s->q[0].t)) {
			if (tt > t_end)
				break;
			if (tt > s->now)
				s->now = tt;
			s->node[i].deadline = 0;
			s->node[i].timer_fires++;
			ml_cs_timer(s->node[i].cs, s->now);
			continue;
		}
		if (!s->nq || s->q[0].t > t_end)
			break;
		{
			struct sim_msg m = q_pop(s);
			struct sim_node *to = m.to >= 0 ? &s->node[m.to] : NULL;

			if (m.t > s->now)
				s->now = m.t;
			/* a partition also cuts what is in flight */
			if (to && to->up &&
			    to->group == s->node[m.from].group) {
				s->verify_calls++;
				ml_cs_receive(to->cs, s->node[m.from].key.pk,
					      m.buf, m.len, s->now);
			}
			free(m.buf);
		}
	}
	if (t_end > s->now)
		s->now = t_end;
}

void sim_load(struct sim *s, int k)
{
	while (k-- > 0 && s->ntx < SIM_MAX_TX) {
		struct sim_tx *t = &s->txs[s->ntx];
		int from = (int)rnd(s, SIM_USERS), to = (int)rnd(s, SIM_USERS - 1);
		uint64_t amount = 1 + rnd(s, 1000);

		if (to >= from)
			to++;
		memset(t, 0, sizeof(*t));
		t->tx.kind = ML_TX_TRANSFER;
		t->tx.chain_id = TH_CHAIN_ID;
		t->tx.nonce = s->next_nonce[from]++;
		memcpy(t->tx.u.transfer.to, s->user[to].pk, ML_KEY_LEN);
		t->tx.u.transfer.amount = amount;
		if (ml_tx_sign(&t->tx, s->user[from].sk))
			abort();
		ml_tx_id(&t->tx, t->id);
		t->submit_ms = s->now;
		s->expect[from] -= (int64_t)amount;
		s->expect[to] += (int64_t)amount;
		s->ntx++;
	}
}

void sim_vote(struct sim *s, int from, int subject, uint8_t action)
{
	struct sim_tx *t = &s->txs[s->ntx];
	uint64_t nonce = 0;

	/* validators also sign evidence: start from the ledger's nonce */
	ml_ledger_balance(s->node[0].l, s->node[from].key.pk, NULL, NULL,
			  &nonce);
	if (nonce > s->next_nonce[SIM_USERS + from])
		s->next_nonce[SIM_USERS + from] = nonce;
	memset(t, 0, sizeof(*t));
	t->tx.kind = ML_TX_VALIDATOR_VOTE;
	t->tx.chain_id = TH_CHAIN_ID;
	t->tx.nonce = s->next_nonce[SIM_USERS + from]++;
	memcpy(t->tx.u.vote.subject, s->node[subject].key.pk, ML_KEY_LEN);
	t->tx.u.vote.action = action;
	if (ml_tx_sign(&t->tx, s->node[from].key.sk))
		abort();
	ml_tx_id(&t->tx, t->id);
	t->submit_ms = s->now;
	s->ntx++;
}

void sim_run_with_load(struct sim *s, uint64_t t_ms, uint64_t every_ms, int k)
{
	while (s->now + every_ms <= t_ms) {
		sim_load(s, k);
		sim_run_until(s, s->now + every_ms);
	}
	sim_run_until(s, t_ms);
}

uint64_t sim_height(struct sim *s, int i)
{
	struct ml_ledger_info info;

	if (!s->node[i].up || ml_ledger_info(s->node[i].l, &info))
		return 0;
	return info.height;
}

uint64_t sim_max_height(struct sim *s)
{
	uint64_t m = 0, h;
	int i;

	for (i = 0; i < s->n; i++) {
		h = sim_height(s, i);
		if (h > m)
			m = h;
	}
	return m;
}

static int all_final(struct sim *s)
{
	uint64_t nonce, min = UINT64_MAX, max = 0, h;
	int i, u;

	for (i = 0; i < s->n; i++) {
		if (!s->node[i].up || s->node[i].byz)
			continue;
		for (u = 0; u < SIM_USERS + s->n; u++)
			if ((u >= SIM_USERS && !s->next_nonce[u]) ||
			    s->node[u < SIM_USERS ? 0 : u - SIM_USERS].byz)
				continue;	/* evidence moves their nonces */
			else if (ml_ledger_balance(s->node[i].l, sender_key(s, u),
						   NULL, NULL, &nonce) ||
			    nonce != s->next_nonce[u])
				return 0;
		h = sim_height(s, i);
		min = h < min ? h : min;
		max = h > max ? h : max;
	}
	return max - min <= 1;
}

int sim_drain(struct sim *s, uint64_t max_ms)
{
	uint64_t end = s->now + max_ms;
	int i;

	s->drop_permille = 0;
	for (i = 0; i < s->n; i++)
		s->node[i].group = 0;
	while (s->now < end) {
		sim_run_until(s, s->now + 500);
		if (all_final(s))
			return 0;
	}
	return -ETIMEDOUT;
}

static int block_at(struct sim *s, int i, uint64_t h, struct ml_block *b,
		    uint8_t hash[ML_HASH_LEN])
{
	uint8_t *buf;
	size_t len;
	int ret = ml_ledger_block(s->node[i].l, h, &buf, &len);

	if (ret)
		return ret;
	ret = ml_block_decode(buf, len, b);
	free(buf);
	if (!ret)
		ml_block_hash(&b->hdr, hash);
	return ret;
}

const char *sim_check(struct sim *s, int require_all_final)
{
	static char why[200];
	uint8_t hash[ML_HASH_LEN], id[ML_HASH_LEN];
	uint64_t h, top = sim_max_height(s);
	int64_t total, bal, gtotal = 0;
	uint32_t k;
	size_t t;
	int i, u, ref = -1, *seen;
	struct ml_block b;

	for (k = 0; k < s->g.naccounts; k++)
		gtotal += (int64_t)s->g.accounts[k].balance;
	for (i = 0; i < s->n; i++)
		if (s->node[i].up && !s->node[i].byz &&
		    (ref < 0 || sim_height(s, i) > sim_height(s, ref)))
			ref = i;
	if (s->forked)
		return "two blocks were committed at one height";
	if (ref < 0)
		return "no honest node is up";
	seen = calloc(s->ntx + 1, sizeof(*seen));
	if (!seen)
		return "out of memory";
	for (h = 1; h <= top; h++) {
		if (block_at(s, ref, h, &b, hash))
			break;
		if (memcmp(hash, s->final[h - 1], ML_HASH_LEN)) {
			snprintf(why, sizeof(why), "height %llu differs from the first commit",
				 (unsigned long long)h);
			goto fail;
		}
		for (k = 0; k < b.ntx; k++) {
			ml_tx_id(&b.txs[k], id);
			for (t = 0; t < s->ntx; t++)
				if (!memcmp(s->txs[t].id, id, ML_HASH_LEN))
					seen[t]++;
		}
		ml_block_free(&b);
		for (i = 0; i < s->n; i++) {
			uint8_t other[ML_HASH_LEN];

			if (!s->node[i].up || s->node[i].byz ||
			    h > sim_height(s, i))
				continue;
			if (block_at(s, i, h, &b, other))
				return "a block is missing from a ledger";
			ml_block_free(&b);
			if (memcmp(other, hash, ML_HASH_LEN)) {
				snprintf(why, sizeof(why), "fork at %llu: nodes %d and %d",
					 (unsigned long long)h, ref, i);
				goto fail;
			}
		}
	}
	for (t = 0; t < s->ntx; t++)
		if (seen[t] > 1 || (require_all_final && seen[t] != 1 &&
				     !s->txs[t].refused)) {
			snprintf(why, sizeof(why), "tx %zu is on chain %d times",
				 t, seen[t]);
			goto fail;
		}
	free(seen);
	for (i = 0; i < s->n; i++) {
		if (!s->node[i].up || s->node[i].byz)
			continue;
		if (ml_ledger_total(s->node[i].l, &total) || total != gtotal)
			return "the total of all balances changed";
		for (u = 0; require_all_final && u < SIM_USERS; u++)
			if (ml_ledger_balance(s->node[i].l, s->user[u].pk, &bal,
					      NULL, NULL) || bal != s->expect[u])
				return "a balance differs from the client's";
	}
	return NULL;
fail:
	free(seen);
	return why;
}

int sim_evidence_on_chain(struct sim *s, int i, const uint8_t *offender)
{
	uint8_t hash[ML_HASH_LEN];
	uint64_t h, top = sim_height(s, i);
	struct ml_block b;
	int c = 0;
	uint32_t k;

	for (h = 1; h <= top; h++) {
		if (block_at(s, i, h, &b, hash))
			return -1;
		for (k = 0; k < b.ntx; k++)
			if (b.txs[k].kind == ML_TX_EVIDENCE &&
			    !memcmp(b.txs[k].u.evidence.validator, offender,
				    ML_KEY_LEN))
				c++;
		ml_block_free(&b);
	}
	return c;
}
