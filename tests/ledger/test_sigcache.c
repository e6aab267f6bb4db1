// SPDX-License-Identifier: GPL-2.0
/*
 * The ledger's cache of verified signatures (sigcache.c): a signature
 * verified once is not verified again by the blocks that carry it, and a
 * transaction whose id is cached but whose signature differs in any byte
 * is still refused, by the cache, by a block built on the ledger and by a
 * block applied to it. The cache stays within its capacity.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

static struct th_chain C;

static int setup(void **state)
{
	struct th_opts o = { .nusers = 2, .user_balance = 1000000 };

	(void)state;
	return th_chain_init(&C, &o);
}

static int teardown(void **state)
{
	(void)state;
	th_chain_free(&C);
	return 0;
}

/* A signed transfer of @amount from user 0 to user 1 at @nonce. */
static void transfer(struct ml_tx *tx, uint64_t nonce, uint64_t amount)
{
	memset(tx, 0, sizeof(*tx));
	tx->kind = ML_TX_TRANSFER;
	tx->chain_id = TH_CHAIN_ID;
	tx->nonce = nonce;
	memcpy(tx->u.transfer.to, C.user[1].pk, 32);
	tx->u.transfer.amount = amount;
	assert_int_equal(ml_tx_sign(tx, C.user[0].sk), 0);
}

static struct ml_sigcache_stats stats(void)
{
	struct ml_sigcache_stats s;

	ml_ledger_sigcache_stats(C.l, &s);
	return s;
}

static void test_second_verify_is_a_hit(void **state)
{
	struct ml_tx tx;

	(void)state;
	transfer(&tx, 0, 5);
	assert_int_equal(stats().misses, 0);
	assert_int_equal(ml_ledger_tx_verify(C.l, &tx), 0);
	assert_int_equal(stats().misses, 1);
	assert_int_equal(stats().inserts, 1);
	assert_int_equal(ml_ledger_tx_verify(C.l, &tx), 0);
	assert_int_equal(stats().hits, 1);
	assert_int_equal(stats().misses, 1);
}

static void test_flipped_signature_with_cached_id_is_refused(void **state)
{
	static const int where[] = { 0, 1, 31, 32, 62, 63 };
	uint8_t id[ML_HASH_LEN], bad_id[ML_HASH_LEN];
	struct ml_tx tx, bad;
	size_t i;

	(void)state;
	transfer(&tx, 0, 5);
	assert_int_equal(ml_ledger_tx_verify(C.l, &tx), 0);
	ml_tx_id(&tx, id);
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		bad = tx;
		bad.sig[where[i]] ^= 0x01;
		ml_tx_id(&bad, bad_id);
		assert_memory_equal(id, bad_id, ML_HASH_LEN);	/* same id */
		assert_int_equal(ml_ledger_tx_verify(C.l, &bad), -EPERM);
		/* a refusal is not remembered as a success either */
		assert_int_equal(ml_ledger_tx_verify(C.l, &bad), -EPERM);
	}
	assert_int_equal(stats().inserts, 1);
	/* the cached signature over another body: another id, refused */
	bad = tx;
	bad.u.transfer.amount = 6;
	assert_int_equal(ml_ledger_tx_verify(C.l, &bad), -EPERM);
	assert_int_equal(ml_ledger_tx_verify(C.l, &tx), 0);
}

static void test_blocks_use_the_cache_and_refuse_bad_signatures(void **state)
{
	struct ml_block b = { 0 }, d;
	struct ml_tx tx, bad;
	uint8_t *buf = NULL, *bad_buf = NULL;
	size_t len, bad_len;
	uint64_t hits;

	(void)state;
	transfer(&tx, 0, 5);
	assert_int_equal(ml_ledger_tx_verify(C.l, &tx), 0);	/* admission */
	bad = tx;
	bad.sig[10] ^= 0x80;

	/* building on the ledger: the good one hits, the bad one is refused */
	b.hdr.time = TH_T0 + 1;
	b.txs = &bad;
	b.ntx = 1;
	assert_int_equal(ml_ledger_build_block(C.l, &b), -EPERM);
	hits = stats().hits;
	b.txs = &tx;
	assert_int_equal(ml_ledger_build_block(C.l, &b), 0);
	assert_int_equal(stats().hits, hits + 1);

	/* applying: the same block with the flipped signature (tx root
	 * recomputed, no certificate) is refused and changes nothing
	 */
	C.pend[0] = tx;
	C.npend = 1;
	assert_int_equal(th_build(&C, TH_T0 + 1, &buf, &len), 0);
	assert_int_equal(ml_block_decode(buf, len, &d), 0);
	d.txs[0].sig[10] ^= 0x80;
	assert_int_equal(ml_block_tx_root(d.txs, d.ntx, d.hdr.tx_root), 0);
	assert_int_equal(ml_block_encode(&d, &bad_buf, &bad_len), 0);
	ml_block_free(&d);
	assert_int_equal(ml_ledger_apply_block(C.l, bad_buf, bad_len,
					       ML_APPLY_NO_CERT), -EPERM);
	assert_int_equal(th_balance(&C, C.user[1].pk), 1000000);
	hits = stats().hits;
	assert_int_equal(ml_ledger_apply_block(C.l, buf, len, 0), 0);
	assert_int_equal(stats().hits, hits + 1);
	assert_int_equal(th_balance(&C, C.user[1].pk), 1000005);
	free(buf);
	free(bad_buf);
}

static void test_cache_stays_within_capacity(void **state)
{
	struct ml_sigcache_stats s = stats();
	uint64_t n = s.capacity + s.capacity / 8, i;
	struct ml_tx *txs = calloc(n, sizeof(*txs));

	(void)state;
	assert_non_null(txs);
	for (i = 0; i < n; i++) {
		transfer(&txs[i], i, 1 + i);
		assert_int_equal(ml_ledger_tx_verify(C.l, &txs[i]), 0);
	}
	s = stats();
	assert_int_equal(s.inserts, n);
	assert_int_equal(s.hits, 0);
	/* everything still verifies; at most capacity of them from memory */
	for (i = 0; i < n; i++)
		assert_int_equal(ml_ledger_tx_verify(C.l, &txs[i]), 0);
	s = stats();
	assert_true(s.hits > 0);
	assert_true(s.hits <= s.capacity);
	assert_int_equal(s.hits + s.misses, 2 * n);
	free(txs);
}

static void test_reserve_sizes_the_cache(void **state)
{
	struct ml_sigcache_stats s;
	struct ml_tx txs[1100];
	uint64_t i;

	(void)state;
	assert_int_equal(ml_ledger_sigcache_reserve(C.l, 0), -EINVAL);
	assert_int_equal(ml_ledger_sigcache_reserve(C.l, (1u << 24) + 1),
			 -EINVAL);
	assert_int_equal(stats().capacity, 32768);	/* the default */
	assert_int_equal(ml_ledger_sigcache_reserve(C.l, 1000), 0);
	assert_int_equal(stats().capacity, 1024);	/* rounded up */
	for (i = 0; i < 1100; i++) {
		transfer(&txs[i], i, 1 + i);
		assert_int_equal(ml_ledger_tx_verify(C.l, &txs[i]), 0);
	}
	for (i = 0; i < 1100; i++)
		assert_int_equal(ml_ledger_tx_verify(C.l, &txs[i]), 0);
	s = stats();
	assert_true(s.hits > 0 && s.hits <= 1024);
	/* a new size starts empty */
	assert_int_equal(ml_ledger_sigcache_reserve(C.l, 131072), 0);
	s = stats();
	assert_int_equal(s.capacity, 131072);
	assert_int_equal(s.hits + s.misses, 0);
	assert_int_equal(ml_ledger_tx_verify(C.l, &txs[0]), 0);
	assert_int_equal(stats().misses, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_second_verify_is_a_hit),
		T(test_flipped_signature_with_cached_id_is_refused),
		T(test_blocks_use_the_cache_and_refuse_bad_signatures),
		T(test_cache_stays_within_capacity),
		T(test_reserve_sizes_the_cache),
#undef T
	};

	return cmocka_run_group_tests_name("ledger signature cache", tests,
					   NULL, NULL);
}
