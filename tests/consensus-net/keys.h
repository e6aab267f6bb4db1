/* SPDX-License-Identifier: GPL-2.0 */
/* Deterministic Ed25519 keys for the transport and mempool tests. */
#ifndef CN_KEYS_H
#define CN_KEYS_H

#include <stdint.h>
#include <string.h>

#include <sodium.h>

struct cn_key {
	uint8_t pk[32];
	uint8_t sk[64];
};

static inline void cn_key(struct cn_key *k, uint8_t seed)
{
	uint8_t s[crypto_sign_SEEDBYTES];

	memset(s, seed, sizeof(s));
	crypto_sign_seed_keypair(k->pk, k->sk, s);
}

#endif
