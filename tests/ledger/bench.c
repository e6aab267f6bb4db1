// SPDX-License-Identifier: GPL-2.0
/*
 * Ledger benchmarks, each a ratio against a limit measured in the same
 * run on the same machine, so the figures mean something on a Pi and in
 * CI alike. Nothing is asserted; the goals are printed beside the ratios.
 *
 *   apply:  transactions applied per second (decode, Ed25519 checks,
 *           SQLite, state root, fsync) / raw libsodium verifies per second
 *   clear:  time to clear 100,000 orders / time to qsort the same orders
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "auction.h"
#include "helpers.h"

#define USERS		64
#define BLOCK_TXS	2000
#define BLOCKS		5
#define VERIFIES	10000
#define ORDERS		100000
#define REPEAT		5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double verify_rate(void)
{
	static uint8_t sig[VERIFIES][64], msg[VERIFIES][32];
	struct th_key k;
	double t0, t;
	int i, bad = 0;

	th_key(&k, 3);
	for (i = 0; i < VERIFIES; i++) {
		randombytes_buf(msg[i], 32);
		crypto_sign_detached(sig[i], NULL, msg[i], 32, k.sk);
	}
	t0 = now();
	for (i = 0; i < VERIFIES; i++)
		bad |= crypto_sign_verify_detached(sig[i], msg[i], 32, k.pk);
	t = now() - t0;
	if (bad)
		abort();
	return VERIFIES / t;
}

static double apply_rate(void)
{
	struct th_opts o = { .nusers = USERS, .user_balance = 1000000000 };
	struct th_chain *c = calloc(1, sizeof(*c));
	double spent = 0;
	int b, i;

	if (!c || th_chain_init(c, &o))
		abort();
	for (b = 0; b < BLOCKS; b++) {
		uint8_t *buf;
		size_t len;
		double t0;

		for (i = 0; i < BLOCK_TXS; i++) {
			struct ml_tx tx = { .kind = ML_TX_TRANSFER };
			int from = (i * 7 + b) % USERS;

			memcpy(tx.u.transfer.to, c->user[(from + 1 + i % 5) %
							  USERS].pk, 32);
			tx.u.transfer.amount = 1 + (uint64_t)i;
			if (th_add(c, &c->user[from], &tx))
				abort();
		}
		if (th_build(c, TH_T0 + 10 * (b + 1), &buf, &len))
			abort();
		t0 = now();
		if (ml_ledger_apply_block(c->l, buf, len, 0))
			abort();
		spent += now() - t0;
		free(buf);
	}
	th_chain_free(c);
	free(c);
	return BLOCKS * BLOCK_TXS / spent;
}

static int order_cmp(const void *a, const void *b)
{
	const struct ml_auction_order *x = a, *y = b;

	if (x->price != y->price)
		return x->price < y->price ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void clear_ratio(double *t_clear, double *t_sort, uint64_t *vol)
{
	struct ml_auction_order *o = malloc(ORDERS * sizeof(*o));
	struct ml_auction_order *s = malloc(ORDERS * sizeof(*s));
	struct ml_feeder f[4];
	uint64_t rs = 12345;
	int i, r;

	if (!o || !s)
		abort();
	for (i = 0; i < 4; i++)
		f[i] = (struct ml_feeder){ i + 1, 1ULL << 30, 1ULL << 30 };
	for (i = 0; i < ORDERS; i++) {
		o[i].side = th_rand(&rs) & 1 ? ML_BID : ML_ASK;
		o[i].price = 50000 + th_rand(&rs) % 300000;
		o[i].qty = 1 + th_rand(&rs) % 5000;
		o[i].seq = (uint64_t)i;
		o[i].feeder = (uint32_t)(th_rand(&rs) % 4);
	}
	*t_clear = *t_sort = 1e9;
	for (r = 0; r < REPEAT; r++) {
		struct ml_auction_result res;
		double t0;

		memcpy(s, o, ORDERS * sizeof(*o));
		t0 = now();
		qsort(s, ORDERS, sizeof(*s), order_cmp);
		t0 = now() - t0;
		if (t0 < *t_sort)
			*t_sort = t0;
		t0 = now();
		if (ml_auction_clear(o, ORDERS, f, 4, &res))
			abort();
		t0 = now() - t0;
		if (t0 < *t_clear)
			*t_clear = t0;
		*vol = res.volume;
		ml_auction_result_free(&res);
	}
	free(o);
	free(s);
}

int main(void)
{
	double v, a, tc, ts;
	uint64_t vol;

	if (sodium_init() < 0)
		return 1;
	/* the best of two verify runs, around the apply run, so a cold
	 * start or a noisy neighbour cannot flatter the ratio
	 */
	v = verify_rate();
	a = apply_rate();
	tc = verify_rate();
	if (tc > v)
		v = tc;
	printf("ledger bench: Ed25519 verify (libsodium, raw)   %9.0f /s\n", v);
	printf("ledger bench: transactions applied (%d per block) %9.0f /s\n",
	       BLOCK_TXS, a);
	printf("ledger bench: apply / verify ratio              %9.2f  (goal >= 0.6)\n",
	       a / v);
	clear_ratio(&tc, &ts, &vol);
	printf("ledger bench: qsort %d orders                %9.2f ms\n",
	       ORDERS, ts * 1e3);
	printf("ledger bench: clear %d orders (%llu Wh)   %9.2f ms\n",
	       ORDERS, (unsigned long long)vol, tc * 1e3);
	printf("ledger bench: clear / qsort ratio               %9.2f  (goal <= 3)\n",
	       tc / ts);
	return 0;
}
