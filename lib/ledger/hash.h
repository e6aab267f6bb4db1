/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain-separated BLAKE2b-256. Every hash in the ledger starts with its
 * own ASCII domain tag, so no two kinds of object can share a hash.
 */
#ifndef ML_HASH_H
#define ML_HASH_H

#include <sodium.h>
#include <string.h>

#define ML_DOMAIN_TX		"meterlink-tx-v1"
#define ML_DOMAIN_BLOCK		"meterlink-block-v1"
#define ML_DOMAIN_COMMIT	"meterlink-commit-v1"
#define ML_DOMAIN_REPORT	"meterlink-report-v1"
#define ML_DOMAIN_GENESIS	"meterlink-genesis-v1"
#define ML_DOMAIN_STATE		"meterlink-state-v1"
#define ML_DOMAIN_VOTE		"meterlink-vote-v1"

static inline void ml_hash_init(crypto_generichash_state *st, const char *domain)
{
	crypto_generichash_init(st, NULL, 0, 32);
	crypto_generichash_update(st, (const unsigned char *)domain,
				  strlen(domain));
}

static inline void ml_hash_final(crypto_generichash_state *st, uint8_t out[32])
{
	crypto_generichash_final(st, out, 32);
}

#endif
