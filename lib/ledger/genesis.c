// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Genesis: the chain's parameters and initial accounts. Its hash is the
 * previous hash of block 1, and its balances are the only issuance there
 * ever is. Layout: Documentation/ledger/format.rst.
 */
#include <errno.h>
#include <stdlib.h>

#include "codec.h"
#include "hash.h"

#define MAX_ACCOUNTS	(1u << 20)
#define MAX_FEEDERS	(1u << 16)
#define MAX_DELAY	(7u * 86400)
#define MAX_FEEDER_WH	(1ULL << 48)
#define MAX_SUPPLY	(1ULL << 62)
#define ACCOUNT_LEN	(ML_KEY_LEN + 8 + 1)
#define FEEDER_LEN	(4 + 8 + 8)

static int params_valid(const struct ml_genesis *g)
{
	return g->interval_len > 0 && g->interval_len <= ML_MAX_INTERVAL_LEN &&
	       g->gate_closure <= MAX_DELAY && g->settle_delay <= MAX_DELAY &&
	       g->fee_per_kwh <= ML_MAX_PRICE &&
	       g->shortfall_price <= ML_MAX_PRICE &&
	       g->surplus_price <= ML_MAX_PRICE &&
	       g->naccounts <= MAX_ACCOUNTS && g->nfeeders <= MAX_FEEDERS;
}

/* Sorted, within range, a fee account that is an operator, a validator. */
static int lists_valid(const struct ml_genesis *g)
{
	uint64_t supply = 0;
	int fee_ok = 0, nval = 0;
	uint32_t i;

	for (i = 0; i < g->naccounts; i++) {
		const struct ml_genesis_account *a = &g->accounts[i];

		if (i && memcmp(g->accounts[i - 1].key, a->key, ML_KEY_LEN) >= 0)
			return 0;
		if (a->roles & ~ML_ROLE_MASK || a->balance > MAX_SUPPLY - supply)
			return 0;
		supply += a->balance;
		nval += !!(a->roles & ML_ROLE_VALIDATOR);
		if (!memcmp(a->key, g->fee_account, ML_KEY_LEN) &&
		    a->roles & ML_ROLE_OPERATOR)
			fee_ok = 1;
	}
	for (i = 0; i < g->nfeeders; i++) {
		const struct ml_feeder *f = &g->feeders[i];

		if (i && g->feeders[i - 1].id >= f->id)
			return 0;
		if (f->import_limit_wh > MAX_FEEDER_WH ||
		    f->export_limit_wh > MAX_FEEDER_WH)
			return 0;
	}
	return fee_ok && nval > 0;
}

int ml_genesis_encode(const struct ml_genesis *g, uint8_t **out, size_t *len)
{
	struct ml_wr w;
	uint32_t i;

	if (!params_valid(g) || !lists_valid(g))
		return -EINVAL;
	w = (struct ml_wr){ .cap = 128 + (size_t)g->naccounts * ACCOUNT_LEN +
				   (size_t)g->nfeeders * FEEDER_LEN };
	w.p = malloc(w.cap);
	if (!w.p)
		return -ENOMEM;
	ml_wr_u8(&w, ML_FORMAT_VERSION);
	ml_wr_u64(&w, g->chain_id);
	ml_wr_u64(&w, g->time);
	ml_wr_u32(&w, g->interval_len);
	ml_wr_u32(&w, g->gate_closure);
	ml_wr_u32(&w, g->settle_delay);
	ml_wr_u64(&w, g->fee_per_kwh);
	ml_wr_u64(&w, g->shortfall_price);
	ml_wr_u64(&w, g->surplus_price);
	ml_wr_bytes(&w, g->fee_account, ML_KEY_LEN);
	ml_wr_u32(&w, g->naccounts);
	for (i = 0; i < g->naccounts; i++) {
		ml_wr_bytes(&w, g->accounts[i].key, ML_KEY_LEN);
		ml_wr_u64(&w, g->accounts[i].balance);
		ml_wr_u8(&w, g->accounts[i].roles);
	}
	ml_wr_u32(&w, g->nfeeders);
	for (i = 0; i < g->nfeeders; i++) {
		ml_wr_u32(&w, g->feeders[i].id);
		ml_wr_u64(&w, g->feeders[i].import_limit_wh);
		ml_wr_u64(&w, g->feeders[i].export_limit_wh);
	}
	if (w.err) {
		free(w.p);
		return w.err;
	}
	*out = w.p;
	*len = w.len;
	return 0;
}

void ml_genesis_free(struct ml_genesis *g)
{
	free(g->accounts);
	free(g->feeders);
	g->accounts = NULL;
	g->feeders = NULL;
	g->naccounts = 0;
	g->nfeeders = 0;
}

int ml_genesis_decode(const uint8_t *buf, size_t len, struct ml_genesis *out)
{
	struct ml_rd r = { .p = buf, .len = len };
	struct ml_genesis g = { 0 };
	uint32_t i;
	int ret;

	ml_rd_require(&r, ml_rd_u8(&r) == ML_FORMAT_VERSION);
	g.chain_id = ml_rd_u64(&r);
	g.time = ml_rd_u64(&r);
	g.interval_len = ml_rd_u32(&r);
	g.gate_closure = ml_rd_u32(&r);
	g.settle_delay = ml_rd_u32(&r);
	g.fee_per_kwh = ml_rd_u64(&r);
	g.shortfall_price = ml_rd_u64(&r);
	g.surplus_price = ml_rd_u64(&r);
	ml_rd_bytes(&r, g.fee_account, ML_KEY_LEN);
	g.naccounts = ml_rd_u32(&r);
	ml_rd_require(&r, r.err || (params_valid(&g) &&
		      (size_t)g.naccounts * ACCOUNT_LEN <= len - r.off));
	if (r.err)
		return r.err;
	g.accounts = calloc(g.naccounts ? g.naccounts : 1, sizeof(*g.accounts));
	if (!g.accounts)
		return -ENOMEM;
	for (i = 0; i < g.naccounts; i++) {
		ml_rd_bytes(&r, g.accounts[i].key, ML_KEY_LEN);
		g.accounts[i].balance = ml_rd_u64(&r);
		g.accounts[i].roles = ml_rd_u8(&r);
	}
	g.nfeeders = ml_rd_u32(&r);
	ml_rd_require(&r, r.err || (g.nfeeders <= MAX_FEEDERS &&
		      (size_t)g.nfeeders * FEEDER_LEN == len - r.off));
	if (!r.err) {
		g.feeders = calloc(g.nfeeders ? g.nfeeders : 1,
				   sizeof(*g.feeders));
		if (!g.feeders)
			r.err = -ENOMEM;
	}
	for (i = 0; i < g.nfeeders && !r.err; i++) {
		g.feeders[i].id = ml_rd_u32(&r);
		g.feeders[i].import_limit_wh = ml_rd_u64(&r);
		g.feeders[i].export_limit_wh = ml_rd_u64(&r);
	}
	ml_rd_require(&r, r.err || lists_valid(&g));
	ret = ml_rd_end(&r);
	if (ret) {
		ml_genesis_free(&g);
		return ret;
	}
	*out = g;
	return 0;
}

void ml_genesis_hash(const uint8_t *enc, size_t len, uint8_t hash[ML_HASH_LEN])
{
	crypto_generichash_state st;

	ml_hash_init(&st, ML_DOMAIN_GENESIS);
	crypto_generichash_update(&st, enc, len);
	ml_hash_final(&st, hash);
}
