// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Software checks of the TPM key's signatures with OpenSSL (EVP), usable
 * without a TPM: ECDSA P-256 over a SHA-256 digest and the vote key
 * certificate.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "internal.h"
#include "../ledger/ledger.h"

EVP_PKEY *mltpm_pkey_from_pub(const uint8_t pub[MLTPM_PUB_LEN])
{
	uint8_t point[1 + MLTPM_PUB_LEN];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	point[0] = 0x04;	/* SEC1 uncompressed point */
	memcpy(point + 1, pub, MLTPM_PUB_LEN);
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

int mltpm_verify_digest(const uint8_t pub[MLTPM_PUB_LEN],
			const uint8_t digest[32],
			const uint8_t sig[MLTPM_SIG_LEN])
{
	if (!pub || !digest || !sig)
		return -EINVAL;
	return ml_p256_verify_digest(pub, digest, sig);
}

void mltpm_vote_cert_digest(const uint8_t pk[32], uint8_t digest[32])
{
	crypto_hash_sha256_state c;

	crypto_hash_sha256_init(&c);
	crypto_hash_sha256_update(&c, (const uint8_t *)MLTPM_VOTE_CERT_DOMAIN,
				  strlen(MLTPM_VOTE_CERT_DOMAIN));
	crypto_hash_sha256_update(&c, pk, 32);
	crypto_hash_sha256_final(&c, digest);
}

int mltpm_vote_cert_verify(const uint8_t pub[MLTPM_PUB_LEN],
			   const uint8_t pk[32],
			   const uint8_t cert[MLTPM_SIG_LEN])
{
	uint8_t digest[32];

	if (!pk)
		return -EINVAL;
	mltpm_vote_cert_digest(pk, digest);
	return mltpm_verify_digest(pub, digest, cert);
}
