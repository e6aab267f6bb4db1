// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Software checks of the TPM key's signatures with OpenSSL (EVP), usable
 * without a TPM: ECDSA P-256 over a SHA-256 digest and the vote key
 * certificate.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"
#include "../ledger/codec.h"

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
