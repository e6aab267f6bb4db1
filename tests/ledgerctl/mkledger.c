// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the ledger that the ledgerctl tests read: three homes (a PV
 * exporter, a consumer, a home with a battery) on two feeders, two
 * delivery intervals with orders, clearing, signed meter reports and
 * settlement, a transfer, a dispatch instruction with its acknowledgement
 * and a validator vote, in 7 blocks certified by 3 of 4 validators.
 *
 * Everything is deterministic, so the golden outputs can name block
 * hashes: the gateway keys come from fixed scalars, and the stand-in for
 * the TPM signs with a nonce derived from the key and the digest (like
 * RFC 6979 in spirit; good enough for a fixture, never for a real key).
 *
 * usage: mkledger OUT.db
 */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define S1	(TH_T0 + 1800)
#define S2	(S1 + 900)
#define NH	3

static EC_GROUP *grp;
static BIGNUM *gw_d[NH];

static void sha256(const void *a, size_t alen, const void *b, size_t blen,
		   uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c, a, alen) || !EVP_DigestUpdate(c, b, blen) ||
	    !EVP_DigestFinal_ex(c, out, NULL))
		abort();
	EVP_MD_CTX_free(c);
}

/* r = x(k*G) mod n, s = k^-1 (e + r d) mod n, then low-s */
static int p256_sign(const BIGNUM *d, struct ml_meter_report *r)
{
	const BIGNUM *n = EC_GROUP_get0_order(grp);
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *k = BN_new(), *e = BN_new(), *x = BN_new(), *s = BN_new();
	EC_POINT *R = EC_POINT_new(grp);
	uint8_t digest[32], db[32], kb[32];
	int ok;

	ml_report_digest(r, digest);
	BN_bn2binpad(d, db, 32);
	sha256(db, 32, digest, 32, kb);
	ok = ctx && k && e && x && s && R &&
	     BN_bin2bn(kb, 32, k) && BN_nnmod(k, k, n, ctx) && !BN_is_zero(k) &&
	     BN_bin2bn(digest, 32, e) &&
	     EC_POINT_mul(grp, R, k, NULL, NULL, ctx) &&
	     EC_POINT_get_affine_coordinates(grp, R, x, NULL, ctx) &&
	     BN_nnmod(x, x, n, ctx) &&
	     BN_mod_mul(s, x, d, n, ctx) && BN_mod_add(s, s, e, n, ctx) &&
	     BN_mod_inverse(k, k, n, ctx) && BN_mod_mul(s, s, k, n, ctx) &&
	     BN_bn2binpad(x, r->sig, 32) == 32 &&
	     BN_bn2binpad(s, r->sig + 32, 32) == 32;
	EC_POINT_free(R);
	BN_free(k);
	BN_free(e);
	BN_free(x);
	BN_free(s);
	BN_CTX_free(ctx);
	return ok ? ml_p256_sig_normalize(r->sig) : -EIO;
}

static int gw_key(int i, uint8_t pub[ML_P256_PUB_LEN])
{
	EC_POINT *P = EC_POINT_new(grp);
	BN_CTX *ctx = BN_CTX_new();
	uint8_t seed[32], pt[65];
	int ok;

	sha256("mkledger gateway", 16, &i, sizeof(i), seed);
	gw_d[i] = BN_bin2bn(seed, 32, NULL);
	ok = P && ctx && gw_d[i] &&
	     BN_nnmod(gw_d[i], gw_d[i], EC_GROUP_get0_order(grp), ctx) &&
	     EC_POINT_mul(grp, P, gw_d[i], NULL, NULL, ctx) &&
	     EC_POINT_point2oct(grp, P, POINT_CONVERSION_UNCOMPRESSED, pt,
				sizeof(pt), ctx) == 65;
	EC_POINT_free(P);
	BN_CTX_free(ctx);
	if (!ok)
		return -EIO;
	memcpy(pub, pt + 1, 64);
	return 0;
}

/* meters named after the homes, as an installer might */
static void meter_id(uint8_t id[ML_ID_LEN], int i)
{
	static const char *const names[NH] = { "pv-home", "consumer",
					       "battery-home" };

	memset(id, 0, ML_ID_LEN);
	memcpy(id, names[i], strlen(names[i]));
}

static int order(struct th_chain *c, int i, int side, uint64_t start,
		 uint64_t qty, uint64_t price)
{
	struct ml_tx tx = { .kind = ML_TX_ORDER };

	meter_id(tx.u.order.meter, i);
	tx.u.order.side = (uint8_t)side;
	tx.u.order.interval_start = start;
	tx.u.order.qty_wh = qty;
	tx.u.order.price = price;
	return th_add(c, &c->user[i], &tx);
}

static int reg(struct th_chain *c, int i, uint32_t feeder)
{
	struct ml_tx tx = { .kind = ML_TX_REGISTER_METER };
	int ret = gw_key(i, tx.u.reg.gw_key);

	meter_id(tx.u.reg.meter, i);
	memcpy(tx.u.reg.owner, c->user[i].pk, 32);
	tx.u.reg.feeder = feeder;
	return ret ? ret : th_add(c, &c->op, &tx);
}

static int report(struct th_chain *c, int i, uint64_t start, uint64_t imp,
		  uint64_t exp)
{
	struct ml_tx tx = { .kind = ML_TX_METER_REPORT };
	struct ml_meter_report *r = &tx.u.report;
	int ret;

	r->chain_id = TH_CHAIN_ID;
	meter_id(r->meter, i);
	r->interval_start = start;
	r->interval_len = 900;
	r->import_wh = imp;
	r->export_wh = exp;
	memset(r->readings_root, 0x5a + i, 32);
	ret = p256_sign(gw_d[i], r);
	return ret ? ret : th_add(c, &c->user[i], &tx);
}

static int build(struct th_chain *c)
{
	struct ml_tx disp = { .kind = ML_TX_DISPATCH };
	struct ml_tx tx;
	int ret = 0, i;

	/* 1: the three homes register their meters */
	for (i = 0; !ret && i < NH; i++)
		ret = reg(c, i, i == 2 ? 2 : 1);
	ret = ret ? ret : th_commit(c, TH_T0 + 10);

	/* 2: orders for two intervals, a transfer, a dispatch */
	ret = ret ? ret : order(c, 0, ML_ASK, S1, 2000, 100000);
	ret = ret ? ret : order(c, 1, ML_BID, S1, 1500, 300000);
	ret = ret ? ret : order(c, 2, ML_BID, S1, 800, 250000);
	ret = ret ? ret : order(c, 2, ML_ASK, S2, 500, 120000);
	ret = ret ? ret : order(c, 1, ML_BID, S2, 400, 200000);
	ret = ret ? ret : order(c, 0, ML_ASK, S2, 700, 180000);
	memset(&tx, 0, sizeof(tx));
	tx.kind = ML_TX_TRANSFER;
	memcpy(tx.u.transfer.to, c->user[2].pk, 32);
	tx.u.transfer.amount = 123456;
	ret = ret ? ret : th_add(c, &c->user[1], &tx);
	meter_id(disp.u.dispatch.meter, 2);
	disp.u.dispatch.kind = ML_DISPATCH_BATTERY;
	disp.u.dispatch.value = -2000;
	disp.u.dispatch.start = S2;
	disp.u.dispatch.end = S2 + 900;
	ret = ret ? ret : th_add(c, &c->op, &disp);
	ret = ret ? ret : th_commit(c, TH_T0 + 20);

	/* 3: the owner accepts the dispatch; S1's gate closes: cleared */
	memset(&tx, 0, sizeof(tx));
	tx.kind = ML_TX_DISPATCH_ACK;
	ml_tx_id(&disp, tx.u.ack.dispatch_id);
	tx.u.ack.status = ML_ACK_ACCEPT;
	ret = ret ? ret : th_add(c, &c->user[2], &tx);
	ret = ret ? ret : th_commit(c, S1 - 300);

	/* 4: S1 is over: reports; S2's gate has closed: cleared */
	ret = ret ? ret : report(c, 0, S1, 0, 1900);
	ret = ret ? ret : report(c, 1, S1, 1500, 0);
	ret = ret ? ret : report(c, 2, S1, 800, 0);
	ret = ret ? ret : th_commit(c, S1 + 900);

	/* 5: S1 settles; a validator proposes user 0 as a validator */
	memset(&tx, 0, sizeof(tx));
	tx.kind = ML_TX_VALIDATOR_VOTE;
	memcpy(tx.u.vote.subject, c->user[0].pk, 32);
	tx.u.vote.action = ML_VOTE_ADD;
	ret = ret ? ret : th_add(c, &c->val[0], &tx);
	ret = ret ? ret : th_commit(c, S1 + 1200);

	/* 6: S2 is over; the battery discharged less than it sold */
	ret = ret ? ret : report(c, 0, S2, 0, 700);
	ret = ret ? ret : report(c, 1, S2, 1100, 0);
	ret = ret ? ret : report(c, 2, S2, 0, 300);
	ret = ret ? ret : th_commit(c, S2 + 900);

	/* 7: S2 settles */
	return ret ? ret : th_commit(c, S2 + 1200);
}

int main(int argc, char **argv)
{
	struct th_opts o = {
		.nusers = NH, .user_balance = 10000000, .gate_closure = 300,
		.settle_delay = 300, .fee = 50000, .shortfall = 400000,
		.surplus = 50000,
	};
	static struct th_chain c;
	int ret, i;

	if (argc != 2) {
		fprintf(stderr, "usage: mkledger OUT.db\n");
		return 2;
	}
	grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	ret = grp ? th_chain_init(&c, &o) : -ENOMEM;
	ret = ret ? ret : build(&c);
	ml_ledger_close(c.l);
	c.l = NULL;
	if (!ret && rename(c.path, argv[1]))
		ret = -errno;
	th_chain_free(&c);
	for (i = 0; i < NH; i++)
		BN_free(gw_d[i]);
	EC_GROUP_free(grp);
	if (ret)
		fprintf(stderr, "mkledger: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
