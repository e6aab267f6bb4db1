// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A bounded cache of transaction signatures that verified, one per ledger.
 *
 * A node checks each transaction's Ed25519 signature when its mempool
 * admits it, and the ledger checks every transaction of a block it builds
 * or applies: without a cache, each transaction is verified two or three
 * times per validator.
 *
 * The key is a keyed BLAKE2b over the transaction id and the outer
 * signature bytes. The id covers everything the signature is made over
 * (sender included) and ml_tx_verify() checks nothing else, so a hit says
 * exactly "this signature over this id by this sender verified". A
 * transaction whose signature differs in any byte has another key and is
 * verified afresh. The hash key is random per cache, so nobody can aim
 * transactions at one set to evict others.
 *
 * 4-way set associative, round-robin replacement inside a set; only
 * successful verifies are stored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "state.h"

#define SC_WAYS		4
#define SC_SETS		8192	/* 32768 entries, 1 MiB of keys: default */
#define SC_MAX_ENTRIES	(1u << 24)
#define SC_KEY_LEN	32

struct sc_set {
	uint8_t k[SC_WAYS][SC_KEY_LEN];
	uint8_t used;		/* bit per way */
	uint8_t next;		/* the way to replace next */
};

struct ml_sigcache {
	uint8_t hkey[crypto_generichash_KEYBYTES];
	struct sc_set *set;
	size_t nsets;		/* a power of two */
	uint64_t hits, misses, inserts;
};

static void sc_key(const struct ml_sigcache *c, const struct ml_tx *tx,
		   uint8_t key[SC_KEY_LEN])
{
	crypto_generichash_state st;
	uint8_t id[ML_HASH_LEN];

	ml_tx_id(tx, id);
	crypto_generichash_init(&st, c->hkey, sizeof(c->hkey), SC_KEY_LEN);
	crypto_generichash_update(&st, id, sizeof(id));
	crypto_generichash_update(&st, tx->sig, ML_SIG_LEN);
	crypto_generichash_final(&st, key, SC_KEY_LEN);
}

static struct sc_set *sc_set_of(const struct ml_sigcache *c,
				const uint8_t key[SC_KEY_LEN])
{
	uint64_t v;

	memcpy(&v, key, sizeof(v));
	return &c->set[v & (c->nsets - 1)];
}

static int sc_find(const struct sc_set *s, const uint8_t key[SC_KEY_LEN])
{
	int w;

	for (w = 0; w < SC_WAYS; w++)
		if ((s->used & (1u << w)) && !memcmp(s->k[w], key, SC_KEY_LEN))
			return 1;
	return 0;
}

static struct ml_sigcache *sc_get(struct ml_ledger *l)
{
	struct ml_sigcache *c = l->sigcache;

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->nsets = l->sc_sets ? l->sc_sets : SC_SETS;
	c->set = calloc(c->nsets, sizeof(*c->set));
	if (!c->set) {
		free(c);
		return NULL;
	}
	randombytes_buf(c->hkey, sizeof(c->hkey));
	l->sigcache = c;
	return c;
}

void ml_sigcache_free(struct ml_sigcache *c)
{
	if (!c)
		return;
	free(c->set);
	free(c);
}

int ml_ledger_tx_verify(struct ml_ledger *l, const struct ml_tx *tx)
{
	struct ml_sigcache *c = sc_get(l);
	uint8_t key[SC_KEY_LEN];
	struct sc_set *s;
	int ret;

	if (!c)			/* no memory for a cache: verify anyway */
		return ml_tx_verify(tx);
	sc_key(c, tx, key);
	s = sc_set_of(c, key);
	if (sc_find(s, key)) {
		c->hits++;
		return 0;
	}
	c->misses++;
	ret = ml_tx_verify(tx);
	if (ret)
		return ret;
	memcpy(s->k[s->next], key, SC_KEY_LEN);
	s->used |= 1u << s->next;
	s->next = (s->next + 1) % SC_WAYS;
	c->inserts++;
	return 0;
}

void ml_ledger_sigcache_stats(struct ml_ledger *l, struct ml_sigcache_stats *st)
{
	const struct ml_sigcache *c = l->sigcache;

	memset(st, 0, sizeof(*st));
	st->capacity = (uint64_t)(c ? c->nsets :
				  l->sc_sets ? l->sc_sets : SC_SETS) * SC_WAYS;
	if (c) {
		st->hits = c->hits;
		st->misses = c->misses;
		st->inserts = c->inserts;
	}
}

int ml_ledger_sigcache_reserve(struct ml_ledger *l, size_t entries)
{
	size_t sets = 1;

	if (!entries || entries > SC_MAX_ENTRIES)
		return -EINVAL;
	while (sets * SC_WAYS < entries)
		sets <<= 1;
	if (l->sigcache && l->sigcache->nsets == sets)
		return 0;
	ml_sigcache_free(l->sigcache);	/* made again on first use */
	l->sigcache = NULL;
	l->sc_sets = sets;
	return sc_get(l) ? 0 : -ENOMEM;
}
