/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: deterministic keys, a chain in a temporary directory with
 * real SQLite, blocks signed by a quorum of real validator keys, and a
 * P-256 key made with OpenSSL standing in for a gateway's TPM key.
 */
#ifndef ML_TEST_HELPERS_H
#define ML_TEST_HELPERS_H

#include <openssl/evp.h>

#include "ledger.h"

struct th_key {
	uint8_t pk[32];
	uint8_t sk[64];
};

#define TH_MAX_VAL	7
#define TH_MAX_USERS	64
#define TH_MAX_PEND	4096
#define TH_CHAIN_ID	0x6d6c2d7465737431ULL	/* "ml-test1" */
#define TH_T0		1700000100ULL		/* genesis time */

struct th_chain {
	char dir[256];
	char path[300];
	struct ml_ledger *l;
	struct ml_genesis g;
	struct th_key val[TH_MAX_VAL];
	int nval;
	struct th_key op;
	struct th_key user[TH_MAX_USERS];
	int nusers;
	struct ml_tx pend[TH_MAX_PEND];
	uint32_t npend;
	uint64_t time;
};

struct th_opts {
	int nval, nusers;
	uint64_t user_balance;
	uint32_t gate_closure, settle_delay;
	uint64_t fee, shortfall, surplus;
	uint64_t feeder_limit;	/* per feeder, both directions; 0: large */
};

void th_key(struct th_key *k, uint8_t seed);
int th_chain_init(struct th_chain *c, const struct th_opts *o);
void th_chain_free(struct th_chain *c);
/* Reopens the ledger file, as after a restart. */
int th_chain_reopen(struct th_chain *c);
/* Queues @tx from @k with the right chain id and next nonce, signed. */
int th_add(struct th_chain *c, const struct th_key *k, struct ml_tx *tx);
/* Builds, certifies and applies the queued transactions at @time. */
int th_commit(struct th_chain *c, uint64_t time);
int th_build(struct th_chain *c, uint64_t time, uint8_t **buf, size_t *len);
int64_t th_balance(struct th_chain *c, const uint8_t *key);
void th_state_root(struct th_chain *c, uint8_t root[32]);
/* A fresh temporary path under $TMPDIR. */
void th_tmpdir(char *dir, size_t n);
void th_rmdir(const char *dir);

/* gateway keys, as the TPM would hold them */
EVP_PKEY *th_gw_new(uint8_t pub[ML_P256_PUB_LEN]);
int th_report_sign(EVP_PKEY *k, struct ml_meter_report *r);
void th_meter_id(uint8_t id[ML_ID_LEN], int n);

/* A meter registered to @owner on @feeder; returns its gateway key. */
EVP_PKEY *th_register(struct th_chain *c, int n, const uint8_t *owner,
		      uint32_t feeder);
int th_report(struct th_chain *c, EVP_PKEY *gw, const struct th_key *from,
	      int meter, uint64_t start, uint64_t imp, uint64_t exp);
int th_order(struct th_chain *c, const struct th_key *k, int meter, int side,
	     uint64_t start, uint64_t qty, uint64_t price);

/* A simple xorshift, so random tests are seeded and reproducible. */
static inline uint64_t th_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

#endif
