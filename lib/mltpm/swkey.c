// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The insecure software signing key: an OpenSSL P-256 key in a PEM file,
 * only when mltpm_opts.insecure_software_key names it (development
 * machines without a TPM). Never a fallback for a failing TPM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../ledger/ledger.h"
#include "internal.h"

static int sw_pub(struct mltpm *t)
{
	BIGNUM *x = NULL, *y = NULL;
	char group[32];
	size_t glen = 0;
	int ret = 0;

	if (EVP_PKEY_get_base_id(t->sw) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(t->sw, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), &glen) ||
	    strcmp(group, "prime256v1"))
		return mltpm_fail(t, -EINVAL, "%s: not a NIST P-256 private "
				  "key", t->sw_path);
	if (!EVP_PKEY_get_bn_param(t->sw, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(t->sw, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
	    BN_bn2binpad(x, t->pub, 32) != 32 ||
	    BN_bn2binpad(y, t->pub + 32, 32) != 32)
		ret = mltpm_fail(t, -EINVAL, "%s: cannot read the public point",
				 t->sw_path);
	BN_free(x);
	BN_free(y);
	return ret;
}

static int sw_create(struct mltpm *t)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ret;

	t->sw = EVP_EC_gen("P-256");
	if (!bio || !t->sw ||
	    !PEM_write_bio_PrivateKey(bio, t->sw, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return mltpm_fail(t, -ENOMEM, "cannot generate a P-256 key");
	}
	len = BIO_get_mem_data(bio, &data);
	ret = mltpm_write_atomic(t, t->sw_path, data, (size_t)len);
	BIO_free(bio);
	return ret;
}

int mltpm_sw_open(struct mltpm *t)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int ret;

	snprintf(t->warning, sizeof(t->warning),
		 "WARNING: INSECURE software signing key %s is used instead "
		 "of the TPM; anyone who can read this file can sign as this "
		 "gateway. Development only.", t->sw_path);
	ret = mltpm_read_file(t, t->sw_path, &buf, &len, 64 * 1024);
	if (ret == -ENOENT)
		return sw_create(t) ?: sw_pub(t);
	if (ret)
		return ret;
	bio = BIO_new_mem_buf(buf, (int)len);
	t->sw = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!t->sw)
		return mltpm_fail(t, -EINVAL, "%s: not a PEM private key",
				  t->sw_path);
	return sw_pub(t);
}

int mltpm_sw_sign(struct mltpm *t, const uint8_t digest[32],
		  uint8_t sig[MLTPM_SIG_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, t->sw, NULL);
	uint8_t der[80];
	size_t derlen = sizeof(der);
	int ret = -EIO;

	if (ctx && EVP_PKEY_sign_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_sign(ctx, der, &derlen, digest, 32) > 0)
		ret = ml_p256_sig_from_der(der, derlen, sig);
	EVP_PKEY_CTX_free(ctx);
	return ret ? mltpm_fail(t, -EIO, "software signature failed") : 0;
}
