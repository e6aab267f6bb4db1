// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Consensus messages: canonical encoding, strict bounded decoding and
 * Ed25519 signatures. Layout: Documentation/ledger/consensus.rst.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "consensus.h"
#include "wire.h"

#define DOMAIN_RC	"meterlink-rc-v1"
#define DOMAIN_MSG	"meterlink-csmsg-v1"
#define RC_ENTRY_LEN	(ML_KEY_LEN + 4 + ML_HASH_LEN + ML_SIG_LEN)
#define SIG_ENTRY_LEN	(ML_KEY_LEN + ML_SIG_LEN)

static const uint8_t zero[ML_HASH_LEN];

void ml_cs_rc_digest(uint32_t pr, const uint8_t ph[ML_HASH_LEN],
		     uint8_t digest[ML_HASH_LEN])
{
	crypto_generichash_state st;
	uint8_t b[4] = { pr >> 24, pr >> 16, pr >> 8, pr };

	crypto_generichash_init(&st, NULL, 0, ML_HASH_LEN);
	crypto_generichash_update(&st, (const uint8_t *)DOMAIN_RC,
				  strlen(DOMAIN_RC));
	crypto_generichash_update(&st, b, 4);
	crypto_generichash_update(&st, ph, ML_HASH_LEN);
	crypto_generichash_final(&st, digest, ML_HASH_LEN);
}

void ml_cs_msg_digest(const struct ml_cs_msg *m, uint8_t digest[ML_HASH_LEN])
{
	crypto_generichash_state st;
	uint8_t b[8];
	int i;

	switch (m->type) {
	case ML_CS_PROPOSAL:
	case ML_CS_PREPARE:
	case ML_CS_COMMIT:
	case ML_CS_BLOCK:
		memcpy(digest, m->hash, ML_HASH_LEN);
		return;
	case ML_CS_ROUND_CHANGE:
		ml_cs_rc_digest(m->pr, m->hash, digest);
		return;
	}
	/* the header fields are signed anyway; add the body's own fields,
	 * never a signature
	 */
	crypto_generichash_init(&st, NULL, 0, ML_HASH_LEN);
	crypto_generichash_update(&st, (const uint8_t *)DOMAIN_MSG,
				  strlen(DOMAIN_MSG));
	if (m->type == ML_CS_STATE_RESP) {
		for (i = 0; i < 8; i++)
			b[i] = (uint8_t)(m->committed >> (56 - 8 * i));
		crypto_generichash_update(&st, b, 8);
	} else if (m->type == ML_CS_EVIDENCE) {
		crypto_generichash_update(&st, m->offender, ML_KEY_LEN);
		crypto_generichash_update(&st, &m->vtype, 1);
		crypto_generichash_update(&st, m->hash, ML_HASH_LEN);
		crypto_generichash_update(&st, m->hash_b, ML_HASH_LEN);
	}
	crypto_generichash_final(&st, digest, ML_HASH_LEN);
}

static size_t sign_bytes(const struct ml_cs_msg *m, const uint8_t *sender,
			 uint8_t out[ML_VOTE_BYTES_LEN])
{
	uint8_t d[ML_HASH_LEN];

	ml_cs_msg_digest(m, d);
	return ml_vote_bytes(m->type, m->chain_id, m->height, m->round, sender,
			     d, out);
}

void ml_cs_msg_sign(struct ml_cs_msg *m, const uint8_t sk[64])
{
	uint8_t b[ML_VOTE_BYTES_LEN];
	size_t n;

	memcpy(m->sender, sk + 32, ML_KEY_LEN);
	n = sign_bytes(m, m->sender, b);
	crypto_sign_detached(m->sig, NULL, b, n, sk);
}

int ml_cs_msg_verify(const struct ml_cs_msg *m)
{
	uint8_t b[ML_VOTE_BYTES_LEN];
	size_t n = sign_bytes(m, m->sender, b);

	return crypto_sign_verify_detached(m->sig, b, n, m->sender) ? -EPERM : 0;
}

static void write_block(struct ml_wr *w, const struct ml_cs_msg *m)
{
	ml_wr_u32(w, m->block_len);
	if (m->block_len)
		ml_wr_bytes(w, m->block, m->block_len);
}

static void write_prep(struct ml_wr *w, const struct ml_cs_msg *m)
{
	uint16_t i;

	ml_wr_u16(w, m->nprep);
	for (i = 0; i < m->nprep; i++) {
		ml_wr_bytes(w, m->prep[i].sender, ML_KEY_LEN);
		ml_wr_bytes(w, m->prep[i].sig, ML_SIG_LEN);
	}
}

/* The checks an encoder and a decoder share: one meaning per message. */
static int body_valid(const struct ml_cs_msg *m)
{
	uint16_t i;

	if (m->block_len > ML_MAX_BLOCK_BYTES ||
	    m->nrc > ML_CS_MAX_VALIDATORS || m->nprep > ML_CS_MAX_VALIDATORS)
		return 0;
	for (i = 1; i < m->nrc; i++)
		if (memcmp(m->rc[i - 1].sender, m->rc[i].sender, ML_KEY_LEN) >= 0)
			return 0;
	for (i = 1; i < m->nprep; i++)
		if (memcmp(m->prep[i - 1].sender, m->prep[i].sender,
			   ML_KEY_LEN) >= 0)
			return 0;
	switch (m->type) {
	case ML_CS_PROPOSAL:
		if (!m->block_len || (!m->round && (m->nrc || m->nprep)))
			return 0;
		return m->round ? m->nrc > 0 : 1;
	case ML_CS_ROUND_CHANGE:
		if (m->pr == ML_CS_NOT_PREPARED)
			return !memcmp(m->hash, zero, ML_HASH_LEN) &&
			       !m->nprep && !m->block_len;
		return m->pr < m->round && m->nprep && m->block_len;
	case ML_CS_BLOCK:
		return m->block_len > 0;
	case ML_CS_EVIDENCE:
		return m->vtype >= ML_VOTE_PROPOSAL &&
		       m->vtype <= ML_VOTE_COMMIT &&
		       memcmp(m->hash, m->hash_b, ML_HASH_LEN) < 0;
	case ML_CS_PREPARE:
	case ML_CS_COMMIT:
	case ML_CS_STATE_REQ:
	case ML_CS_STATE_RESP:
		return 1;
	default:
		return 0;
	}
}

int ml_cs_msg_encode(const struct ml_cs_msg *m, uint8_t **out, size_t *len)
{
	size_t cap = 64 + 3 * ML_SIG_LEN + 3 * ML_HASH_LEN + 16 +
		     (size_t)m->block_len + (size_t)m->nrc * RC_ENTRY_LEN +
		     (size_t)m->nprep * SIG_ENTRY_LEN;
	struct ml_wr w = { .cap = cap };
	uint16_t i;

	if (!body_valid(m))
		return -EINVAL;
	w.p = malloc(cap);
	if (!w.p)
		return -ENOMEM;
	ml_wr_u8(&w, ML_CS_VERSION);
	ml_wr_u8(&w, m->type);
	ml_wr_u64(&w, m->chain_id);
	ml_wr_u64(&w, m->height);
	ml_wr_u32(&w, m->round);
	ml_wr_bytes(&w, m->sender, ML_KEY_LEN);
	switch (m->type) {
	case ML_CS_PROPOSAL:
		ml_wr_bytes(&w, m->hash, ML_HASH_LEN);
		write_block(&w, m);
		ml_wr_u16(&w, m->nrc);
		for (i = 0; i < m->nrc; i++) {
			ml_wr_bytes(&w, m->rc[i].sender, ML_KEY_LEN);
			ml_wr_u32(&w, m->rc[i].pr);
			ml_wr_bytes(&w, m->rc[i].ph, ML_HASH_LEN);
			ml_wr_bytes(&w, m->rc[i].sig, ML_SIG_LEN);
		}
		write_prep(&w, m);
		break;
	case ML_CS_PREPARE:
		ml_wr_bytes(&w, m->hash, ML_HASH_LEN);
		break;
	case ML_CS_COMMIT:
		ml_wr_bytes(&w, m->hash, ML_HASH_LEN);
		ml_wr_bytes(&w, m->seal, ML_SIG_LEN);
		break;
	case ML_CS_ROUND_CHANGE:
		ml_wr_u32(&w, m->pr);
		ml_wr_bytes(&w, m->hash, ML_HASH_LEN);
		write_prep(&w, m);
		write_block(&w, m);
		break;
	case ML_CS_STATE_RESP:
		ml_wr_u64(&w, m->committed);
		break;
	case ML_CS_BLOCK:
		ml_wr_bytes(&w, m->hash, ML_HASH_LEN);
		write_block(&w, m);
		break;
	case ML_CS_EVIDENCE:
		ml_wr_bytes(&w, m->offender, ML_KEY_LEN);
		ml_wr_u8(&w, m->vtype);
		ml_wr_bytes(&w, m->hash, ML_HASH_LEN);
		ml_wr_bytes(&w, m->sig_a, ML_SIG_LEN);
		ml_wr_bytes(&w, m->hash_b, ML_HASH_LEN);
		ml_wr_bytes(&w, m->sig_b, ML_SIG_LEN);
		break;
	}
	ml_wr_bytes(&w, m->sig, ML_SIG_LEN);
	if (w.err) {
		free(w.p);
		return w.err;
	}
	*out = w.p;
	*len = w.len;
	return 0;
}

void ml_cs_msg_free(struct ml_cs_msg *m)
{
	free(m->block);
	free(m->rc);
	free(m->prep);
	m->block = NULL;
	m->rc = NULL;
	m->prep = NULL;
	m->block_len = 0;
	m->nrc = 0;
	m->nprep = 0;
}

/* Never allocates for more than the input can still hold. */
static void read_block(struct ml_rd *r, struct ml_cs_msg *m)
{
	uint32_t n = ml_rd_u32(r);

	ml_rd_require(r, r->err || (n <= ML_MAX_BLOCK_BYTES &&
				    n <= r->len - r->off));
	if (r->err || !n)
		return;
	m->block = malloc(n);
	if (!m->block) {
		r->err = -ENOMEM;
		return;
	}
	m->block_len = n;
	ml_rd_bytes(r, m->block, n);
}

static void read_prep(struct ml_rd *r, struct ml_cs_msg *m)
{
	uint16_t n = ml_rd_u16(r), i;

	ml_rd_require(r, r->err || (n <= ML_CS_MAX_VALIDATORS &&
				    (size_t)n * SIG_ENTRY_LEN <= r->len - r->off));
	if (r->err || !n)
		return;
	m->prep = calloc(n, sizeof(*m->prep));
	if (!m->prep) {
		r->err = -ENOMEM;
		return;
	}
	m->nprep = n;
	for (i = 0; i < n; i++) {
		ml_rd_bytes(r, m->prep[i].sender, ML_KEY_LEN);
		ml_rd_bytes(r, m->prep[i].sig, ML_SIG_LEN);
	}
}

static void read_rcs(struct ml_rd *r, struct ml_cs_msg *m)
{
	uint16_t n = ml_rd_u16(r), i;

	ml_rd_require(r, r->err || (n <= ML_CS_MAX_VALIDATORS &&
				    (size_t)n * RC_ENTRY_LEN <= r->len - r->off));
	if (r->err || !n)
		return;
	m->rc = calloc(n, sizeof(*m->rc));
	if (!m->rc) {
		r->err = -ENOMEM;
		return;
	}
	m->nrc = n;
	for (i = 0; i < n; i++) {
		ml_rd_bytes(r, m->rc[i].sender, ML_KEY_LEN);
		m->rc[i].pr = ml_rd_u32(r);
		ml_rd_bytes(r, m->rc[i].ph, ML_HASH_LEN);
		ml_rd_bytes(r, m->rc[i].sig, ML_SIG_LEN);
	}
}

int ml_cs_msg_decode(const uint8_t *buf, size_t len, struct ml_cs_msg *out)
{
	struct ml_rd r = { .p = buf, .len = len };
	struct ml_cs_msg m;
	int ret;

	if (len > ML_CS_MAX_MSG)
		return -E2BIG;
	memset(&m, 0, sizeof(m));
	ml_rd_require(&r, ml_rd_u8(&r) == ML_CS_VERSION);
	m.type = ml_rd_u8(&r);
	m.chain_id = ml_rd_u64(&r);
	m.height = ml_rd_u64(&r);
	m.round = ml_rd_u32(&r);
	ml_rd_bytes(&r, m.sender, ML_KEY_LEN);
	switch (r.err ? 0 : m.type) {
	case ML_CS_PROPOSAL:
		ml_rd_bytes(&r, m.hash, ML_HASH_LEN);
		read_block(&r, &m);
		read_rcs(&r, &m);
		read_prep(&r, &m);
		break;
	case ML_CS_PREPARE:
		ml_rd_bytes(&r, m.hash, ML_HASH_LEN);
		break;
	case ML_CS_COMMIT:
		ml_rd_bytes(&r, m.hash, ML_HASH_LEN);
		ml_rd_bytes(&r, m.seal, ML_SIG_LEN);
		break;
	case ML_CS_ROUND_CHANGE:
		m.pr = ml_rd_u32(&r);
		ml_rd_bytes(&r, m.hash, ML_HASH_LEN);
		read_prep(&r, &m);
		read_block(&r, &m);
		break;
	case ML_CS_STATE_REQ:
		break;
	case ML_CS_STATE_RESP:
		m.committed = ml_rd_u64(&r);
		break;
	case ML_CS_BLOCK:
		ml_rd_bytes(&r, m.hash, ML_HASH_LEN);
		read_block(&r, &m);
		break;
	case ML_CS_EVIDENCE:
		ml_rd_bytes(&r, m.offender, ML_KEY_LEN);
		m.vtype = ml_rd_u8(&r);
		ml_rd_bytes(&r, m.hash, ML_HASH_LEN);
		ml_rd_bytes(&r, m.sig_a, ML_SIG_LEN);
		ml_rd_bytes(&r, m.hash_b, ML_HASH_LEN);
		ml_rd_bytes(&r, m.sig_b, ML_SIG_LEN);
		break;
	default:
		ml_rd_require(&r, 0);	/* unknown type */
	}
	ml_rd_bytes(&r, m.sig, ML_SIG_LEN);
	ret = ml_rd_end(&r);
	if (!ret && !body_valid(&m))
		ret = -EINVAL;
	if (ret) {
		ml_cs_msg_free(&m);
		return ret;
	}
	*out = m;
	return 0;
}
