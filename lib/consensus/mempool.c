// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mlpool: nonce-ordered, bounded transaction pool (see mempool.h).
 *
 * Senders live in an open-addressing hash table keyed with SipHash under a
 * random key (sender keys are chosen by users, so an unkeyed hash could be
 * flooded) and in a dense array for iteration. Each sender keeps its
 * transactions in an array sorted by nonce, at most max_ahead long.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mempool.h"

struct entry {
	struct ml_tx tx;
	uint8_t id[ML_HASH_LEN];
	uint32_t size;		/* encoded bytes */
	uint64_t seq;		/* arrival order */
};

struct sender {
	uint8_t key[ML_KEY_LEN];
	struct entry **e;	/* sorted by nonce */
	uint32_t n;
	size_t idx;		/* in mlpool.svec */
	uint64_t base;		/* the account's nonce on the ledger ... */
	uint64_t base_height;	/* ... at this height (0: not read yet) */
};

struct mlpool {
	struct ml_ledger *l;
	struct mlpool_cfg cfg;
	uint64_t chain_id;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	struct sender **tab;	/* hash table, size mask + 1 */
	size_t mask;
	struct sender **svec;	/* dense */
	size_t nsend;
	size_t txs, bytes;
	uint64_t seq;
	struct mlpool_stats st;
};

static size_t slot_of(const struct mlpool *p, const uint8_t *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, key, ML_KEY_LEN, p->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)v & p->mask;
}

static struct sender *sender_find(const struct mlpool *p, const uint8_t *key)
{
	size_t i = slot_of(p, key);

	for (; p->tab[i]; i = (i + 1) & p->mask)
		if (!memcmp(p->tab[i]->key, key, ML_KEY_LEN))
			return p->tab[i];
	return NULL;
}

static struct sender *sender_add(struct mlpool *p, const uint8_t *key)
{
	struct sender *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	s->e = calloc(p->cfg.max_ahead, sizeof(*s->e));
	if (!s->e) {
		free(s);
		return NULL;
	}
	memcpy(s->key, key, ML_KEY_LEN);
	for (i = slot_of(p, key); p->tab[i]; i = (i + 1) & p->mask)
		;
	p->tab[i] = s;
	s->idx = p->nsend;
	p->svec[p->nsend++] = s;
	return s;
}

/* Linear probing: deleting shifts later members of the cluster back. */
static void sender_del(struct mlpool *p, struct sender *s)
{
	size_t i = slot_of(p, s->key), j, k;

	while (p->tab[i] != s)
		i = (i + 1) & p->mask;
	p->tab[i] = NULL;
	for (j = (i + 1) & p->mask; p->tab[j]; j = (j + 1) & p->mask) {
		k = slot_of(p, p->tab[j]->key);
		/* move j to the hole at i unless its home lies in (i, j] */
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			p->tab[i] = p->tab[j];
			p->tab[j] = NULL;
			i = j;
		}
	}
	p->svec[s->idx] = p->svec[--p->nsend];
	p->svec[s->idx]->idx = s->idx;
	free(s->e);
	free(s);
}

/* Removes entries [from, to) of @s; frees @s when it becomes empty. */
static int remove_range(struct mlpool *p, struct sender *s, uint32_t from,
			uint32_t to)
{
	uint32_t i;

	for (i = from; i < to; i++) {
		p->txs--;
		p->bytes -= s->e[i]->size;
		free(s->e[i]);
	}
	memmove(s->e + from, s->e + to, (s->n - to) * sizeof(*s->e));
	s->n -= to - from;
	if (!s->n)
		sender_del(p, s);
	return (int)(to - from);
}

/* Index of the first entry with nonce >= @nonce. */
static uint32_t lower_bound(const struct sender *s, uint64_t nonce)
{
	uint32_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->e[mid]->tx.nonce < nonce)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The sender with most entries; ties go to the one with the newest tail. */
static struct sender *largest(const struct mlpool *p)
{
	struct sender *best = NULL;
	size_t i;

	for (i = 0; i < p->nsend; i++) {
		struct sender *s = p->svec[i];

		if (!best || s->n > best->n ||
		    (s->n == best->n &&
		     s->e[s->n - 1]->seq > best->e[best->n - 1]->seq))
			best = s;
	}
	return best;
}

static int fits(const struct mlpool *p, size_t size)
{
	return p->txs < p->cfg.max_txs && p->bytes + size <= p->cfg.max_bytes;
}

/* Makes room for @size bytes from sender @mine (which holds @mine_n). */
static int make_room(struct mlpool *p, const uint8_t *mine, uint32_t mine_n,
		     size_t size)
{
	while (!fits(p, size)) {
		struct sender *v = largest(p);

		if (!v || v->n <= mine_n || !memcmp(v->key, mine, ML_KEY_LEN))
			return -ENOSPC;
		remove_range(p, v, v->n - 1, v->n);
		p->st.evicted++;
	}
	return 0;
}

int mlpool_add(struct mlpool *p, const struct ml_tx *tx)
{
	uint8_t buf[ML_TX_MAX_LEN];
	struct entry *e;
	struct sender *s;
	uint64_t base, height;
	size_t size;
	uint32_t i;
	int ret;

	if (tx->chain_id != p->chain_id) {
		p->st.invalid++;
		return -EXDEV;
	}
	if (ml_tx_encode(tx, buf, sizeof(buf), &size)) {
		p->st.invalid++;
		return -EINVAL;
	}
	/* the account's nonce, read once per sender and height: a
	 * ledger read per admission costs about as much as the verify
	 */
	height = ml_ledger_height(p->l) + 1;
	s = sender_find(p, tx->sender);
	if (s && s->base_height == height) {
		base = s->base;
	} else {
		ret = ml_ledger_balance(p->l, tx->sender, NULL, NULL, &base);
		if (ret) {
			p->st.invalid++;
			return ret;
		}
		if (s) {
			s->base = base;
			s->base_height = height;
		}
	}
	if (tx->nonce < base) {
		p->st.stale++;
		return -EALREADY;
	}
	if (tx->nonce - base >= p->cfg.max_ahead) {
		p->st.too_far++;
		return -ERANGE;
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->tx = *tx;
	e->size = (uint32_t)size;
	ml_tx_id(tx, e->id);
	/* a block applied without mlpool_remove_committed() left stale
	 * entries; dropping them keeps every sender within max_ahead */
	if (s && s->e[0]->tx.nonce < base) {
		int gone;

		i = lower_bound(s, base);
		gone = i == s->n;
		p->st.dropped += i;
		remove_range(p, s, 0, i);
		if (gone)
			s = NULL;
	}
	i = s ? lower_bound(s, tx->nonce) : 0;
	if (s && i < s->n && s->e[i]->tx.nonce == tx->nonce) {
		ret = -EEXIST;
		if (memcmp(s->e[i]->id, e->id, ML_HASH_LEN))
			p->st.conflict++;
		else
			p->st.duplicate++;
		goto out;
	}
	/* refuse before the verify when not even one eviction is allowed:
	 * a sender flooding a full pool costs no signature checks */
	if (!fits(p, size)) {
		struct sender *v = largest(p);

		if (!v || size > p->cfg.max_bytes || v->n <= (s ? s->n : 0) ||
		    v == s) {
			ret = -ENOSPC;
			p->st.full++;
			goto out;
		}
	}
	p->st.verifies++;
	/* through the ledger's cache: the block that carries it later is
	 * checked against the same cache and skips this verify */
	if (ml_ledger_tx_verify(p->l, tx)) {
		p->st.bad_sig++;
		ret = -EPERM;
		goto out;
	}
	ret = make_room(p, tx->sender, s ? s->n : 0, size);
	if (ret) {
		p->st.full++;
		goto out;
	}
	/* eviction may have emptied and freed our own sender: look again */
	s = sender_find(p, tx->sender);
	if (!s) {
		s = sender_add(p, tx->sender);
		if (!s) {
			ret = -ENOMEM;
			goto out;
		}
		s->base = base;
		s->base_height = height;
	}
	i = lower_bound(s, tx->nonce);
	memmove(s->e + i + 1, s->e + i, (s->n - i) * sizeof(*s->e));
	e->seq = p->seq++;
	s->e[i] = e;
	s->n++;
	p->txs++;
	p->bytes += size;
	p->st.added++;
	return 0;
out:
	free(e);
	return ret;
}

int mlpool_add_encoded(struct mlpool *p, const uint8_t *buf, size_t len)
{
	struct ml_tx tx;

	if (ml_tx_decode(buf, len, &tx)) {
		p->st.invalid++;
		return -EBADMSG;
	}
	return mlpool_add(p, &tx);
}

struct run {
	struct sender *s;
	uint32_t next;		/* index into s->e */
	uint64_t nonce;		/* the nonce it must carry */
};

static int run_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	uint64_t sx = x->s->e[x->next]->seq, sy = y->s->e[y->next]->seq;

	return sx < sy ? -1 : sx > sy;
}

int mlpool_take(struct mlpool *p, size_t max_txs, size_t max_bytes,
		struct ml_tx *out)
{
	struct run *r;
	size_t i, nr = 0, n = 0, bytes = 0, live;

	if (!p->nsend || !max_txs)
		return 0;
	r = calloc(p->nsend, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < p->nsend; i++) {
		struct sender *s = p->svec[i];
		uint64_t base;

		if (ml_ledger_balance(p->l, s->key, NULL, NULL, &base))
			continue;
		r[nr].s = s;
		r[nr].next = lower_bound(s, base);
		r[nr].nonce = base;
		if (r[nr].next < s->n && s->e[r[nr].next]->tx.nonce == base)
			nr++;	/* executable now; others wait for a gap */
	}
	qsort(r, nr, sizeof(*r), run_cmp);
	live = nr;
	while (live && n < max_txs) {
		live = 0;
		for (i = 0; i < nr && n < max_txs; i++) {
			struct sender *s = r[i].s;
			struct entry *e;

			if (!s)
				continue;
			e = r[i].next < s->n ? s->e[r[i].next] : NULL;
			if (!e || e->tx.nonce != r[i].nonce ||
			    bytes + e->size > max_bytes) {
				r[i].s = NULL;	/* gap, end, or no room */
				continue;
			}
			out[n++] = e->tx;
			bytes += e->size;
			r[i].next++;
			r[i].nonce++;
			live++;
		}
	}
	free(r);
	return (int)n;
}

int mlpool_remove_committed(struct mlpool *p, const struct ml_block *b)
{
	uint32_t i;
	int total = 0;

	for (i = 0; i < b->ntx; i++) {
		const struct ml_tx *tx = &b->txs[i];
		struct sender *s = sender_find(p, tx->sender);
		uint32_t end;
		int n;

		if (!s)
			continue;
		end = lower_bound(s, tx->nonce);
		p->st.dropped += end;	/* older nonces: stale now */
		if (end < s->n && s->e[end]->tx.nonce == tx->nonce) {
			uint8_t id[ML_HASH_LEN];

			ml_tx_id(tx, id);
			if (!memcmp(id, s->e[end]->id, ML_HASH_LEN))
				p->st.committed++;
			else
				p->st.dropped++;
			end++;
		}
		n = remove_range(p, s, 0, end);
		total += n;
	}
	return total;
}

int mlpool_drop(struct mlpool *p, const uint8_t sender[ML_KEY_LEN],
		uint64_t nonce)
{
	struct sender *s = sender_find(p, sender);
	uint32_t from;
	int n;

	if (!s)
		return 0;
	from = lower_bound(s, nonce);
	n = remove_range(p, s, from, s->n);
	p->st.dropped += (uint64_t)n;
	return n;
}

void mlpool_stats(const struct mlpool *p, struct mlpool_stats *s)
{
	*s = p->st;
	s->txs = p->txs;
	s->bytes = p->bytes;
	s->senders = p->nsend;
}

int mlpool_open(struct ml_ledger *l, const struct mlpool_cfg *cfg,
		struct mlpool **out)
{
	struct ml_ledger_info info;
	struct mlpool *p;
	size_t tab = 16;
	int ret;

	if (!l || !out || sodium_init() < 0)
		return -EINVAL;
	ret = ml_ledger_info(l, &info);
	if (ret)
		return ret;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (cfg)
		p->cfg = *cfg;
	if (!p->cfg.max_txs)
		p->cfg.max_txs = 20000;
	if (!p->cfg.max_bytes)
		p->cfg.max_bytes = 8u << 20;
	if (!p->cfg.max_ahead)
		p->cfg.max_ahead = 64;
	if (p->cfg.max_txs > (1u << 24) || p->cfg.max_ahead > 65536) {
		free(p);
		return -EINVAL;
	}
	while (tab < 2 * p->cfg.max_txs)
		tab <<= 1;
	p->mask = tab - 1;
	p->tab = calloc(tab, sizeof(*p->tab));
	p->svec = calloc(p->cfg.max_txs, sizeof(*p->svec));
	if (!p->tab || !p->svec) {
		mlpool_close(p);
		return -ENOMEM;
	}
	p->l = l;
	p->chain_id = info.chain_id;
	randombytes_buf(p->hkey, sizeof(p->hkey));
	*out = p;
	return 0;
}

void mlpool_close(struct mlpool *p)
{
	if (!p)
		return;
	while (p->nsend)
		remove_range(p, p->svec[0], 0, p->svec[0]->n);
	free(p->tab);
	free(p->svec);
	free(p);
}
