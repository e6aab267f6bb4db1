// SPDX-License-Identifier: GPL-2.0
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

void th_key(struct th_key *k, uint8_t seed)
{
	uint8_t s[32];

	memset(s, seed, sizeof(s));
	crypto_sign_seed_keypair(k->pk, k->sk, s);
}

void th_tmpdir(char *dir, size_t n)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, n, "%s/mlledger-XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(dir))
		abort();
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void th_rmdir(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

int th_chain_init(struct th_chain *c, const struct th_opts *o)
{
	struct ml_genesis *g = &c->g;
	int i, n = 0, ret;

	if (sodium_init() < 0)
		return -EIO;
	memset(c, 0, sizeof(*c));
	c->nval = o->nval ? o->nval : 4;
	c->nusers = o->nusers;
	th_tmpdir(c->dir, sizeof(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/ledger.db", c->dir);
	g->chain_id = TH_CHAIN_ID;
	g->time = TH_T0;
	g->interval_len = 900;
	g->gate_closure = o->gate_closure;
	g->settle_delay = o->settle_delay ? o->settle_delay : 300;
	g->fee_per_kwh = o->fee;
	g->shortfall_price = o->shortfall;
	g->surplus_price = o->surplus;
	g->accounts = calloc(1 + c->nval + c->nusers, sizeof(*g->accounts));
	g->feeders = calloc(2, sizeof(*g->feeders));
	th_key(&c->op, 0xee);
	memcpy(g->fee_account, c->op.pk, 32);
	memcpy(g->accounts[n].key, c->op.pk, 32);
	g->accounts[n++].roles = ML_ROLE_OPERATOR;
	for (i = 0; i < c->nval; i++) {
		th_key(&c->val[i], (uint8_t)(0xa0 + i));
		memcpy(g->accounts[n].key, c->val[i].pk, 32);
		g->accounts[n++].roles = ML_ROLE_VALIDATOR;
	}
	for (i = 0; i < c->nusers; i++) {
		th_key(&c->user[i], (uint8_t)(1 + i));
		memcpy(g->accounts[n].key, c->user[i].pk, 32);
		g->accounts[n++].balance = o->user_balance;
	}
	qsort(g->accounts, n, sizeof(*g->accounts), key_cmp);
	g->naccounts = n;
	g->nfeeders = 2;
	for (i = 0; i < 2; i++) {
		g->feeders[i].id = (uint32_t)(i + 1);
		g->feeders[i].import_limit_wh = o->feeder_limit ?
			o->feeder_limit : 1ULL << 40;
		g->feeders[i].export_limit_wh = g->feeders[i].import_limit_wh;
	}
	c->time = TH_T0;
	ret = ml_ledger_create(c->path, g);
	return ret ? ret : ml_ledger_open(c->path, &c->l);
}

void th_chain_free(struct th_chain *c)
{
	ml_ledger_close(c->l);
	c->l = NULL;
	ml_genesis_free(&c->g);
	th_rmdir(c->dir);
}

int th_chain_reopen(struct th_chain *c)
{
	ml_ledger_close(c->l);
	c->l = NULL;
	return ml_ledger_open(c->path, &c->l);
}

int th_add(struct th_chain *c, const struct th_key *k, struct ml_tx *tx)
{
	uint64_t nonce = 0;
	uint32_t i;

	ml_ledger_balance(c->l, k->pk, NULL, NULL, &nonce);
	for (i = 0; i < c->npend; i++)
		nonce += !memcmp(c->pend[i].sender, k->pk, 32);
	tx->chain_id = TH_CHAIN_ID;
	tx->nonce = nonce;
	if (c->npend >= TH_MAX_PEND || ml_tx_sign(tx, k->sk))
		return -EINVAL;
	c->pend[c->npend++] = *tx;
	return 0;
}

int th_build(struct th_chain *c, uint64_t time, uint8_t **buf, size_t *len)
{
	struct ml_ledger_info info;
	struct ml_block b = { 0 };
	uint8_t *keys = NULL;
	size_t nv, signed_n = 0, i;
	int j, ret;

	ret = ml_ledger_info(c->l, &info);
	ret = ret ? ret : ml_ledger_validators(c->l, &keys, &nv);
	if (ret)
		goto out;
	b.hdr.time = time;
	memcpy(b.hdr.proposer, keys + ((info.height + 1) % nv) * 32, 32);
	b.txs = c->pend;
	b.ntx = c->npend;
	ret = ml_ledger_build_block(c->l, &b);
	if (ret)
		goto out;
	for (i = 0; i < nv && signed_n < ml_quorum(nv); i++)
		for (j = 0; j < c->nval; j++)
			if (!memcmp(keys + i * 32, c->val[j].pk, 32)) {
				ret = ml_commit_add(&b, c->val[j].sk);
				signed_n++;
			}
	ret = ret ? ret : ml_block_encode(&b, buf, len);
out:
	free(b.commit);
	free(keys);
	c->npend = 0;
	return ret;
}

int th_commit(struct th_chain *c, uint64_t time)
{
	uint8_t *buf;
	size_t len;
	int ret;

	ret = th_build(c, time, &buf, &len);
	if (ret)
		return ret;
	ret = ml_ledger_apply_block(c->l, buf, len, 0);
	free(buf);
	if (!ret)
		c->time = time;
	return ret;
}

int64_t th_balance(struct th_chain *c, const uint8_t *key)
{
	int64_t b = INT64_MIN;

	ml_ledger_balance(c->l, key, &b, NULL, NULL);
	return b;
}

void th_state_root(struct th_chain *c, uint8_t root[32])
{
	struct ml_ledger_info info;

	if (ml_ledger_info(c->l, &info))
		abort();
	memcpy(root, info.state_root, 32);
}

EVP_PKEY *th_gw_new(uint8_t pub[ML_P256_PUB_LEN])
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	uint8_t pt[65];
	size_t n = 0;

	if (!k || !EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY,
						   pt, sizeof(pt), &n) ||
	    n != 65 || pt[0] != 4) {
		EVP_PKEY_free(k);
		return NULL;
	}
	memcpy(pub, pt + 1, 64);
	return k;
}

int th_report_sign(EVP_PKEY *k, struct ml_meter_report *r)
{
	uint8_t digest[32], der[80];
	size_t dlen = sizeof(der);
	EVP_PKEY_CTX *ctx;
	int ok;

	/* what settled does with Esys_Sign: sign the precomputed digest */
	ml_report_digest(r, digest);
	ctx = EVP_PKEY_CTX_new(k, NULL);
	ok = ctx && EVP_PKEY_sign_init(ctx) > 0 &&
	     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	     EVP_PKEY_sign(ctx, der, &dlen, digest, sizeof(digest)) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok ? ml_p256_sig_from_der(der, dlen, r->sig) : -EIO;
}

void th_meter_id(uint8_t id[ML_ID_LEN], int n)
{
	memset(id, 0, ML_ID_LEN);
	memcpy(id, "meter", 5);
	id[31] = (uint8_t)n;
	id[30] = (uint8_t)(n >> 8);
}

EVP_PKEY *th_register(struct th_chain *c, int n, const uint8_t *owner,
		      uint32_t feeder)
{
	struct ml_tx tx = { .kind = ML_TX_REGISTER_METER };
	EVP_PKEY *k = th_gw_new(tx.u.reg.gw_key);

	if (!k)
		return NULL;
	th_meter_id(tx.u.reg.meter, n);
	memcpy(tx.u.reg.owner, owner, 32);
	tx.u.reg.feeder = feeder;
	if (th_add(c, &c->op, &tx)) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int th_report(struct th_chain *c, EVP_PKEY *gw, const struct th_key *from,
	      int meter, uint64_t start, uint64_t imp, uint64_t exp)
{
	struct ml_tx tx = { .kind = ML_TX_METER_REPORT };
	struct ml_meter_report *r = &tx.u.report;
	int ret;

	r->chain_id = TH_CHAIN_ID;
	th_meter_id(r->meter, meter);
	r->interval_start = start;
	r->interval_len = 900;
	r->import_wh = imp;
	r->export_wh = exp;
	memset(r->readings_root, 0x5a, 32);
	ret = th_report_sign(gw, r);
	return ret ? ret : th_add(c, from, &tx);
}

int th_order(struct th_chain *c, const struct th_key *k, int meter, int side,
	     uint64_t start, uint64_t qty, uint64_t price)
{
	struct ml_tx tx = { .kind = ML_TX_ORDER };

	th_meter_id(tx.u.order.meter, meter);
	tx.u.order.side = (uint8_t)side;
	tx.u.order.interval_start = start;
	tx.u.order.qty_wh = qty;
	tx.u.order.price = price;
	return th_add(c, k, &tx);
}
