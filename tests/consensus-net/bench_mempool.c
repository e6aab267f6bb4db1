// SPDX-License-Identifier: GPL-2.0
/*
 * Mempool admission rate against the raw Ed25519 verify rate of the same
 * transactions, measured in the same run (make bench-consensus-net).
 * Admission does one verify per transaction plus the id hash, the encoding
 * and one SQLite nonce lookup, so the ratio shows what the pool adds on top
 * of the signature check. Nothing is asserted; the goal is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "helpers.h"
#include "mempool.h"

#define USERS	TH_MAX_USERS
#define NONCES	64
#define NTX	(USERS * NONCES)
#define REPEAT	5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	static struct th_chain c;
	static struct ml_tx txs[NTX], out[NTX];
	static uint8_t ids[NTX][ML_HASH_LEN];
	struct th_opts o = { .nval = 4, .nusers = USERS, .user_balance = 1000000000 };
	struct mlpool_cfg cfg = { .max_txs = NTX, .max_bytes = 64u << 20 };
	double t, best_v = 0, best_a = 0, best_t = 0;
	int i, r, bad = 0;

	if (th_chain_init(&c, &o)) {
		fprintf(stderr, "bench: cannot create a ledger under $TMPDIR\n");
		return 1;
	}
	for (i = 0; i < NTX; i++) {
		struct ml_tx *tx = &txs[i];
		int u = i % USERS;

		tx->kind = ML_TX_TRANSFER;
		tx->chain_id = TH_CHAIN_ID;
		tx->nonce = (uint64_t)(i / USERS);
		memcpy(tx->u.transfer.to, c.user[(u + 1) % USERS].pk, 32);
		tx->u.transfer.amount = 1;
		if (ml_tx_sign(tx, c.user[u].sk))
			return 1;
		ml_tx_id(tx, ids[i]);
	}
	for (r = 0; r < REPEAT; r++) {
		struct mlpool *p;
		double v, a, tk;

		t = now();
		for (i = 0; i < NTX; i++)
			bad += crypto_sign_verify_detached(txs[i].sig, ids[i],
							   ML_HASH_LEN, txs[i].sender);
		v = NTX / (now() - t);

		if (mlpool_open(c.l, &cfg, &p))
			return 1;
		t = now();
		for (i = 0; i < NTX; i++)
			bad += mlpool_add(p, &txs[i]) != 0;
		a = NTX / (now() - t);
		t = now();
		bad += mlpool_take(p, NTX, 64u << 20, out) != NTX;
		tk = NTX / (now() - t);
		mlpool_close(p);
		if (v > best_v)
			best_v = v;
		if (a > best_a)
			best_a = a;
		if (tk > best_t)
			best_t = tk;
	}
	if (bad) {
		fprintf(stderr, "bench: %d operations failed\n", bad);
		return 1;
	}
	printf("mempool bench: Ed25519 verify (libsodium, raw)  %9.0f /s\n", best_v);
	printf("mempool bench: admissions (%d senders)          %9.0f /s\n", USERS, best_a);
	printf("mempool bench: take() of %d transactions      %9.0f tx/s\n", NTX, best_t);
	printf("mempool bench: admission / verify ratio         %9.2f  (goal >= 0.8)\n",
	       best_a / best_v);
	th_chain_free(&c);
	return 0;
}
