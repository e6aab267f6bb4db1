// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Meter reports: what a gateway's TPM signs for one delivery interval, and
 * the verification of that ECDSA P-256 signature with OpenSSL.
 *
 * Signatures are stored as fixed 64-byte r || s. ECDSA is malleable: (r, s)
 * and (r, n - s) verify alike. The decoder refuses high-s signatures, so
 * the ledger holds one encoding per signature; the signer (settled) calls
 * ml_p256_sig_normalize() on what its TPM returns before publishing it.
 */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "codec.h"
#include "hash.h"

/* The P-256 group order n and n / 2 (rounded down), big-endian. */
static const uint8_t p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

static const uint8_t p256_half_n[32] = {
	0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00,
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42,
	0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
};

static int is_zero(const uint8_t *a)
{
	uint8_t acc = 0;
	int i;

	for (i = 0; i < 32; i++)
		acc |= a[i];
	return acc == 0;
}

/* Both r and s in [1, n-1] and s <= n/2. */
int ml_p256_sig_valid(const uint8_t sig[ML_P256_SIG_LEN])
{
	return !is_zero(sig) && memcmp(sig, p256_n, 32) < 0 &&
	       !is_zero(sig + 32) && memcmp(sig + 32, p256_half_n, 32) <= 0;
}

int ml_p256_sig_normalize(uint8_t sig[ML_P256_SIG_LEN])
{
	uint8_t *s = sig + 32;
	int i, borrow = 0;

	if (is_zero(sig) || memcmp(sig, p256_n, 32) >= 0 ||
	    is_zero(s) || memcmp(s, p256_n, 32) >= 0)
		return -EINVAL;
	if (memcmp(s, p256_half_n, 32) <= 0)
		return 0;
	for (i = 31; i >= 0; i--) {	/* s = n - s, n > s > 0 */
		int d = p256_n[i] - s[i] - borrow;

		borrow = d < 0;
		s[i] = (uint8_t)(d + (borrow << 8));
	}
	return 0;
}

int ml_p256_sig_from_der(const uint8_t *der, size_t len,
			 uint8_t sig[ML_P256_SIG_LEN])
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	uint8_t tmp[ML_P256_SIG_LEN];
	ECDSA_SIG *es;
	int ret = -EINVAL;

	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (!es)
		return -EINVAL;
	ECDSA_SIG_get0(es, &r, &s);
	if (p == der + len && BN_bn2binpad(r, tmp, 32) == 32 &&
	    BN_bn2binpad(s, tmp + 32, 32) == 32 &&
	    !ml_p256_sig_normalize(tmp)) {
		memcpy(sig, tmp, sizeof(tmp));
		ret = 0;
	}
	ECDSA_SIG_free(es);
	return ret;
}

static int report_valid(const struct ml_meter_report *r)
{
	return r->interval_len > 0 && r->interval_len <= ML_MAX_INTERVAL_LEN &&
	       r->interval_start % r->interval_len == 0 &&
	       r->import_wh <= ML_MAX_QTY_WH && r->export_wh <= ML_MAX_QTY_WH;
}

void ml_report_write(struct ml_wr *w, const struct ml_meter_report *r,
		     int with_sig)
{
	ml_wr_u8(w, ML_FORMAT_VERSION);
	ml_wr_u64(w, r->chain_id);
	ml_wr_bytes(w, r->meter, ML_ID_LEN);
	ml_wr_u64(w, r->interval_start);
	ml_wr_u32(w, r->interval_len);
	ml_wr_u64(w, r->import_wh);
	ml_wr_u64(w, r->export_wh);
	ml_wr_bytes(w, r->readings_root, ML_HASH_LEN);
	if (with_sig)
		ml_wr_bytes(w, r->sig, ML_P256_SIG_LEN);
}

void ml_report_read(struct ml_rd *rd, struct ml_meter_report *r)
{
	ml_rd_require(rd, ml_rd_u8(rd) == ML_FORMAT_VERSION);
	r->chain_id = ml_rd_u64(rd);
	ml_rd_bytes(rd, r->meter, ML_ID_LEN);
	r->interval_start = ml_rd_u64(rd);
	r->interval_len = ml_rd_u32(rd);
	r->import_wh = ml_rd_u64(rd);
	r->export_wh = ml_rd_u64(rd);
	ml_rd_bytes(rd, r->readings_root, ML_HASH_LEN);
	ml_rd_bytes(rd, r->sig, ML_P256_SIG_LEN);
	ml_rd_require(rd, rd->err || (report_valid(r) &&
				      ml_p256_sig_valid(r->sig)));
}

int ml_report_encode(const struct ml_meter_report *r, uint8_t out[ML_REPORT_LEN])
{
	struct ml_wr w = { .p = out, .cap = ML_REPORT_LEN };

	if (!report_valid(r) || !ml_p256_sig_valid(r->sig))
		return -EINVAL;
	ml_report_write(&w, r, 1);
	return w.err;
}

int ml_report_decode(const uint8_t *buf, size_t len, struct ml_meter_report *out)
{
	struct ml_rd rd = { .p = buf, .len = len };
	struct ml_meter_report r;
	int ret;

	memset(&r, 0, sizeof(r));
	ml_report_read(&rd, &r);
	ret = ml_rd_end(&rd);
	if (ret)
		return ret;
	*out = r;
	return 0;
}

void ml_report_digest(const struct ml_meter_report *r, uint8_t digest[32])
{
	uint8_t buf[ML_REPORT_LEN];
	struct ml_wr w = { .p = buf, .cap = sizeof(buf) };
	crypto_hash_sha256_state c;

	/* SHA-256, not BLAKE2b: the TPM only signs digests it knows */
	ml_report_write(&w, r, 0);
	crypto_hash_sha256_init(&c);
	crypto_hash_sha256_update(&c, (const uint8_t *)ML_DOMAIN_REPORT,
				  strlen(ML_DOMAIN_REPORT));
	crypto_hash_sha256_update(&c, buf, w.len);
	crypto_hash_sha256_final(&c, digest);
}

EVP_PKEY *ml_p256_pkey(const uint8_t key[ML_P256_PUB_LEN])
{
	uint8_t point[1 + ML_P256_PUB_LEN];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	point[0] = 0x04;	/* SEC1 uncompressed */
	memcpy(point + 1, key, ML_P256_PUB_LEN);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* fromdata does not check the point is on the curve; the check does. */
int ml_p256_key_valid(const uint8_t key[ML_P256_PUB_LEN])
{
	EVP_PKEY *pkey = ml_p256_pkey(key);
	EVP_PKEY_CTX *ctx;
	int ok = 0;

	if (!pkey)
		return 0;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx)
		ok = EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ok;
}

int ml_p256_verify_digest(const uint8_t key[ML_P256_PUB_LEN],
			  const uint8_t digest[32],
			  const uint8_t sig[ML_P256_SIG_LEN])
{
	uint8_t der[80];
	unsigned char *p = der;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *br, *bs;
	int derlen, ret = -EPERM;

	pkey = ml_p256_pkey(key);
	if (!pkey)
		return -EINVAL;
	es = ECDSA_SIG_new();
	br = BN_bin2bn(sig, 32, NULL);
	bs = BN_bin2bn(sig + 32, 32, NULL);
	if (!es || !br || !bs || !ECDSA_SIG_set0(es, br, bs)) {
		BN_free(br);
		BN_free(bs);
		ret = -ENOMEM;
		goto out;
	}
	derlen = i2d_ECDSA_SIG(es, &p);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (derlen > 0 && ctx && EVP_PKEY_verify_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_verify(ctx, der, (size_t)derlen, digest, 32) == 1)
		ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ECDSA_SIG_free(es);
	return ret;
}

int ml_report_verify(const struct ml_meter_report *r,
		     const uint8_t gw_key[ML_P256_PUB_LEN])
{
	uint8_t digest[32];
	int ret;

	if (!ml_p256_sig_valid(r->sig))
		return -EPERM;
	ml_report_digest(r, digest);
	ret = ml_p256_verify_digest(gw_key, digest, r->sig);
	return ret == -EINVAL ? -EPERM : ret;
}
