// SPDX-License-Identifier: GPL-2.0
/*
 * Consensus speed in the simulated network (sim.c), printed against limits
 * measured in the same run, never asserted:
 *
 *  - throughput: 4 validators in one process, no block period, a full
 *    mempool; finalized tx/s of wall time against the Ed25519 ceiling
 *    (verifies/s on this core / validators: every validator checks every
 *    transaction at least once, and here they share one core);
 *  - finality: block period 1 s, 2-40 ms network delay, light load;
 *    p50/p99 from submission to the first commit, in virtual time, against
 *    the block period (goal: p99 <= 2 periods).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "sim.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double verify_rate(void)
{
	uint8_t pk[32], sk[64], sig[64], msg[ML_VOTE_BYTES_LEN] = { 1 };
	double t0 = now_s(), t;
	long n = 0;

	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	do {
		for (int i = 0; i < 200; i++)
			if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk))
				abort();
		n += 200;
		t = now_s() - t0;
	} while (t < 0.5);
	return n / t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	struct sim s;
	double vps, t0, dt, tps, ceiling;
	uint64_t h0, *lat, blocks;
	size_t i, n = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (sodium_init() < 0)
		return 1;
	vps = verify_rate();
	printf("ed25519 verify: %.0f/s on one core, %ld cores\n", vps, cores);

	/* throughput */
	if (sim_init(&s, 4, 1))
		return 1;
	s.cfg.block_period_ms = 0;
	s.dmin_ms = 0;
	s.dmax_ms = 1;
	s.cfg.max_block_txs = 512;
	for (i = 0; i < 4; i++) {	/* restart with the new config */
		sim_crash(&s, (int)i);
		sim_restart(&s, (int)i);
	}
	sim_load(&s, 4000);
	h0 = sim_max_height(&s);
	t0 = now_s();
	if (sim_drain(&s, 600000))
		fprintf(stderr, "bench: load did not drain\n");
	dt = now_s() - t0;
	blocks = sim_max_height(&s) - h0;
	tps = s.ntx / dt;
	ceiling = vps / 4;
	printf("throughput, 4 validators in one process: %zu tx in %llu blocks, %.2f s: %.0f tx/s, %.1f blocks/s\n",
	       s.ntx, (unsigned long long)blocks, dt, tps, blocks / dt);
	printf("  ceiling (verifies/s / validators, one core): %.0f tx/s; ratio %.2f\n",
	       ceiling, tps / ceiling);
	printf("  on %ld cores, one validator each (verifies/s x cores / validators): %.0f tx/s\n",
	       cores, vps * (double)cores / 4);
	if (sim_check(&s, 1))
		fprintf(stderr, "bench: invariants broken\n");
	sim_free(&s);

	/* finality latency */
	if (sim_init(&s, 4, 2))
		return 1;
	sim_run_with_load(&s, 60000, 100, 5);
	sim_drain(&s, 60000);
	lat = calloc(s.ntx, sizeof(*lat));
	for (i = 0; i < s.ntx; i++)
		if (s.txs[i].final_ms)
			lat[n++] = s.txs[i].final_ms - s.txs[i].submit_ms;
	qsort(lat, n, sizeof(*lat), cmp_u64);
	if (n)
		printf("finality, block period %u ms, delay %u-%u ms: p50 %llu ms, p99 %llu ms (virtual) = %.2f / %.2f block periods (goal p99 <= 2)\n",
		       s.cfg.block_period_ms, s.dmin_ms, s.dmax_ms,
		       (unsigned long long)lat[n / 2],
		       (unsigned long long)lat[n * 99 / 100],
		       lat[n / 2] / (double)s.cfg.block_period_ms,
		       lat[n * 99 / 100] / (double)s.cfg.block_period_ms);
	free(lat);
	sim_free(&s);
	return 0;
}
