// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Blocks: header, transaction list and commit certificate; the Merkle
 * root of the transactions and the quorum check of a certificate.
 * Layout: Documentation/ledger/format.rst.
 */
#include <errno.h>
#include <stdlib.h>
#include <sodium.h>

#include "codec.h"
#include "hash.h"

/* version, kind, chain, sender, nonce + the shortest body + signature */
#define TX_MIN_LEN	(1 + 1 + 8 + ML_KEY_LEN + 8 + 32 + ML_SIG_LEN)
#define COMMIT_ENTRY_LEN	(ML_KEY_LEN + ML_SIG_LEN)

static void header_write(struct ml_wr *w, const struct ml_block_header *h)
{
	ml_wr_u8(w, ML_FORMAT_VERSION);
	ml_wr_u64(w, h->chain_id);
	ml_wr_u64(w, h->height);
	ml_wr_u32(w, h->round);
	ml_wr_u64(w, h->time);
	ml_wr_bytes(w, h->prev_hash, ML_HASH_LEN);
	ml_wr_bytes(w, h->tx_root, ML_HASH_LEN);
	ml_wr_bytes(w, h->state_root, ML_HASH_LEN);
	ml_wr_bytes(w, h->proposer, ML_KEY_LEN);
}

void ml_block_hash(const struct ml_block_header *h, uint8_t hash[ML_HASH_LEN])
{
	uint8_t buf[ML_HEADER_LEN];
	struct ml_wr w = { .p = buf, .cap = sizeof(buf) };
	crypto_generichash_state st;

	header_write(&w, h);
	ml_hash_init(&st, ML_DOMAIN_BLOCK);
	crypto_generichash_update(&st, buf, w.len);
	ml_hash_final(&st, hash);
}

/* Leaves and inner nodes get different prefixes so neither can pose as
 * the other; an odd node is carried up unchanged rather than paired with
 * itself, so no two different lists share a root (cf. CVE-2012-2459).
 */
int ml_block_tx_root(const struct ml_tx *txs, uint32_t ntx,
		     uint8_t root[ML_HASH_LEN])
{
	uint8_t (*lvl)[ML_HASH_LEN], buf[ML_TX_MAX_LEN];
	static const uint8_t leaf = 0, node = 1;
	crypto_generichash_state st;
	uint32_t n = ntx, i;
	int ret;

	if (!ntx) {
		memset(root, 0, ML_HASH_LEN);
		return 0;
	}
	lvl = malloc((size_t)ntx * ML_HASH_LEN);
	if (!lvl)
		return -ENOMEM;
	for (i = 0; i < ntx; i++) {
		size_t len;

		ret = ml_tx_encode(&txs[i], buf, sizeof(buf), &len);
		if (ret) {
			free(lvl);
			return ret;
		}
		crypto_generichash_init(&st, NULL, 0, ML_HASH_LEN);
		crypto_generichash_update(&st, &leaf, 1);
		crypto_generichash_update(&st, buf, len);
		crypto_generichash_final(&st, lvl[i], ML_HASH_LEN);
	}
	while (n > 1) {
		for (i = 0; i + 1 < n; i += 2) {
			crypto_generichash_init(&st, NULL, 0, ML_HASH_LEN);
			crypto_generichash_update(&st, &node, 1);
			crypto_generichash_update(&st, lvl[i], 2 * ML_HASH_LEN);
			crypto_generichash_final(&st, lvl[i / 2], ML_HASH_LEN);
		}
		if (n & 1)
			memmove(lvl[n / 2], lvl[n - 1], ML_HASH_LEN);
		n = (n + 1) / 2;
	}
	memcpy(root, lvl[0], ML_HASH_LEN);
	free(lvl);
	return 0;
}

int ml_block_encode(const struct ml_block *b, uint8_t **out, size_t *len)
{
	size_t cap = ML_HEADER_LEN + 4 + 2 +
		     (size_t)b->ntx * (4 + ML_TX_MAX_LEN) +
		     (size_t)b->ncommit * COMMIT_ENTRY_LEN;
	struct ml_wr w = { .cap = cap };
	uint32_t i;

	if (b->ntx > ML_MAX_BLOCK_TXS || b->ncommit > ML_MAX_CERT_SIGS)
		return -E2BIG;
	for (i = 1; i < b->ncommit; i++)
		if (memcmp(b->commit[i - 1].validator, b->commit[i].validator,
			   ML_KEY_LEN) >= 0)
			return -EINVAL;
	w.p = malloc(cap);
	if (!w.p)
		return -ENOMEM;
	header_write(&w, &b->hdr);
	ml_wr_u32(&w, b->ntx);
	for (i = 0; i < b->ntx && !w.err; i++) {
		size_t at = w.len, n;

		ml_wr_u32(&w, 0);	/* length, patched below */
		w.err = ml_tx_encode(&b->txs[i], w.p + w.len, w.cap - w.len, &n);
		if (!w.err) {
			w.len = at;
			ml_wr_u32(&w, n);
			w.len += n;
		}
	}
	ml_wr_u16(&w, b->ncommit);
	for (i = 0; i < b->ncommit; i++) {
		ml_wr_bytes(&w, b->commit[i].validator, ML_KEY_LEN);
		ml_wr_bytes(&w, b->commit[i].sig, ML_SIG_LEN);
	}
	if (!w.err && w.len > ML_MAX_BLOCK_BYTES)
		w.err = -E2BIG;
	if (w.err) {
		free(w.p);
		return w.err;
	}
	*out = w.p;
	*len = w.len;
	return 0;
}

void ml_block_free(struct ml_block *b)
{
	free(b->txs);
	free(b->commit);
	b->txs = NULL;
	b->commit = NULL;
	b->ntx = 0;
	b->ncommit = 0;
}

static void header_read(struct ml_rd *r, struct ml_block_header *h)
{
	ml_rd_require(r, ml_rd_u8(r) == ML_FORMAT_VERSION);
	h->chain_id = ml_rd_u64(r);
	h->height = ml_rd_u64(r);
	h->round = ml_rd_u32(r);
	h->time = ml_rd_u64(r);
	ml_rd_bytes(r, h->prev_hash, ML_HASH_LEN);
	ml_rd_bytes(r, h->tx_root, ML_HASH_LEN);
	ml_rd_bytes(r, h->state_root, ML_HASH_LEN);
	ml_rd_bytes(r, h->proposer, ML_KEY_LEN);
}

int ml_block_decode(const uint8_t *buf, size_t len, struct ml_block *out)
{
	struct ml_rd r = { .p = buf, .len = len };
	struct ml_block b = { 0 };
	uint32_t i;
	int ret;

	if (len > ML_MAX_BLOCK_BYTES)
		return -E2BIG;
	header_read(&r, &b.hdr);
	b.ntx = ml_rd_u32(&r);
	/* never allocate for transactions the input cannot hold */
	ml_rd_require(&r, b.ntx <= ML_MAX_BLOCK_TXS &&
		      (size_t)b.ntx * (4 + TX_MIN_LEN) <= len - r.off);
	if (r.err)
		return r.err;
	if (b.ntx) {
		b.txs = calloc(b.ntx, sizeof(*b.txs));
		if (!b.txs)
			return -ENOMEM;
	}
	for (i = 0; i < b.ntx && !r.err; i++) {
		uint32_t n = ml_rd_u32(&r);
		const uint8_t *at;

		ml_rd_require(&r, n >= TX_MIN_LEN && n <= ML_TX_MAX_LEN);
		at = ml_rd_bytes(&r, NULL, n);
		if (at) {
			ret = ml_tx_decode(at, n, &b.txs[i]);
			if (ret)
				r.err = ret;
		}
	}
	b.ncommit = ml_rd_u16(&r);
	ml_rd_require(&r, r.err || (b.ncommit <= ML_MAX_CERT_SIGS &&
		      (size_t)b.ncommit * COMMIT_ENTRY_LEN == len - r.off));
	if (!r.err && b.ncommit) {
		b.commit = calloc(b.ncommit, sizeof(*b.commit));
		if (!b.commit)
			r.err = -ENOMEM;
	}
	for (i = 0; i < b.ncommit && !r.err; i++) {
		ml_rd_bytes(&r, b.commit[i].validator, ML_KEY_LEN);
		ml_rd_bytes(&r, b.commit[i].sig, ML_SIG_LEN);
		/* one canonical order, and no validator twice */
		ml_rd_require(&r, !i || memcmp(b.commit[i - 1].validator,
					       b.commit[i].validator,
					       ML_KEY_LEN) < 0);
	}
	ret = ml_rd_end(&r);
	if (ret) {
		ml_block_free(&b);
		return ret;
	}
	*out = b;
	return 0;
}

size_t ml_quorum(size_t n)
{
	return (2 * n + 2) / 3;
}

static void commit_msg(const struct ml_block *b, uint8_t *msg, size_t *len)
{
	size_t dl = strlen(ML_DOMAIN_COMMIT);

	/* the block hash already binds chain, height and round */
	memcpy(msg, ML_DOMAIN_COMMIT, dl);
	ml_block_hash(&b->hdr, msg + dl);
	*len = dl + ML_HASH_LEN;
}

int ml_commit_add(struct ml_block *b, const uint8_t sk[64])
{
	uint8_t msg[64];
	struct ml_commit_sig *c;
	size_t len;
	uint32_t i, at;

	for (at = 0; at < b->ncommit; at++) {
		int d = memcmp(b->commit[at].validator, sk + 32, ML_KEY_LEN);

		if (d >= 0)
			break;
	}
	commit_msg(b, msg, &len);
	if (at < b->ncommit &&
	    !memcmp(b->commit[at].validator, sk + 32, ML_KEY_LEN)) {
		crypto_sign_detached(b->commit[at].sig, NULL, msg, len, sk);
		return 0;
	}
	if (b->ncommit >= ML_MAX_CERT_SIGS)
		return -E2BIG;
	c = realloc(b->commit, (b->ncommit + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	b->commit = c;
	for (i = b->ncommit; i > at; i--)
		c[i] = c[i - 1];
	memcpy(c[at].validator, sk + 32, ML_KEY_LEN);
	crypto_sign_detached(c[at].sig, NULL, msg, len, sk);
	b->ncommit++;
	return 0;
}

int ml_commit_verify(const struct ml_block *b, const uint8_t *validators,
		     size_t nval)
{
	uint8_t msg[64];
	size_t len, j;
	uint32_t i;

	if (!nval)
		return -EPERM;
	commit_msg(b, msg, &len);
	for (i = 0; i < b->ncommit; i++) {
		const struct ml_commit_sig *c = &b->commit[i];

		/* sorted strictly, hence distinct; checked again for callers
		 * that built the block themselves
		 */
		if (i && memcmp(b->commit[i - 1].validator, c->validator,
				ML_KEY_LEN) >= 0)
			return -EINVAL;
		for (j = 0; j < nval; j++)
			if (!memcmp(validators + j * ML_KEY_LEN, c->validator,
				    ML_KEY_LEN))
				break;
		if (j == nval)
			return -EPERM;	/* not a validator */
		if (crypto_sign_verify_detached(c->sig, msg, len, c->validator))
			return -EPERM;
	}
	return b->ncommit >= ml_quorum(nval) ? 0 : -EPERM;
}

size_t ml_vote_bytes(uint8_t type, uint64_t chain_id, uint64_t height,
		     uint32_t round, const uint8_t validator[ML_KEY_LEN],
		     const uint8_t digest[ML_HASH_LEN],
		     uint8_t out[ML_VOTE_BYTES_LEN])
{
	struct ml_wr w = { .p = out, .cap = ML_VOTE_BYTES_LEN };

	ml_wr_bytes(&w, ML_DOMAIN_VOTE, strlen(ML_DOMAIN_VOTE));
	ml_wr_u8(&w, type);
	ml_wr_u64(&w, chain_id);
	ml_wr_u64(&w, height);
	ml_wr_u32(&w, round);
	ml_wr_bytes(&w, validator, ML_KEY_LEN);
	ml_wr_bytes(&w, digest, ML_HASH_LEN);
	return w.len;
}
