// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Signing rates in one run: the TPM key on swtpm through mltpm against
 * libsodium Ed25519 (the vote key), printed as a ratio, never asserted.
 * A real TPM is 2-3 orders of magnitude slower than swtpm (see
 * Documentation/tpm.rst), which is why votes use the Ed25519 key.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "../../lib/mltpm/mltpm.h"
#include "swtpm.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	uint8_t d[32] = { 0 }, sig[64], pk[32], sk[64], esig[64];
	const double span = 2.0;
	struct mltpm_opts o = { 0 };
	double t0, el, tpm_rate, ed_rate;
	struct mltpm *t;
	struct swtpm s;
	long n;

	if (sodium_init() < 0 || swtpm_start_new(&s)) {
		fprintf(stderr, "bench-tpm: cannot start swtpm\n");
		return 1;
	}
	o.tcti = s.tcti;
	if (mltpm_open(&o, &t)) {
		fprintf(stderr, "bench-tpm: %s\n", mltpm_error(NULL));
		swtpm_destroy(&s);
		return 1;
	}
	t0 = now_s();
	for (n = 0; (el = now_s() - t0) < span; n++) {
		d[n % 32]++;
		if (mltpm_sign_digest(t, d, sig)) {
			fprintf(stderr, "bench-tpm: %s\n", mltpm_error(t));
			mltpm_close(t);
			swtpm_destroy(&s);
			return 1;
		}
	}
	tpm_rate = n / el;
	mltpm_close(t);
	swtpm_destroy(&s);

	crypto_sign_keypair(pk, sk);
	t0 = now_s();
	for (n = 0; (el = now_s() - t0) < span; n++) {
		d[n % 32]++;
		crypto_sign_detached(esig, NULL, d, sizeof(d), sk);
	}
	ed_rate = n / el;

	printf("bench-tpm: swtpm ECDSA P-256 signatures: %.0f/s (%.3f ms each)\n",
	       tpm_rate, 1e3 / tpm_rate);
	printf("bench-tpm: libsodium Ed25519 signatures: %.0f/s (%.3f ms each)\n",
	       ed_rate, 1e3 / ed_rate);
	printf("bench-tpm: Ed25519 / swtpm ratio: %.1f (a real TPM at ~200 ms "
	       "per signature would be ~%.0f)\n", ed_rate / tpm_rate,
	       ed_rate / 5.0);
	return 0;
}
