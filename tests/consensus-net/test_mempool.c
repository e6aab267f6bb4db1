// SPDX-License-Identifier: GPL-2.0
/*
 * mlpool against a real ledger (SQLite, real Ed25519 signatures): what
 * take() returns is applied as a block by the ledger itself, so "a valid
 * per-sender nonce sequence" is checked by the code that defines it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "mempool.h"

struct fix {
	struct th_chain c;
	struct mlpool *p;
	struct ml_tx out[256];
};

static int setup_cfg(void **state, const struct mlpool_cfg *cfg)
{
	struct th_opts o = { .nval = 4, .nusers = 8, .user_balance = 1000000000 };
	struct fix *f = calloc(1, sizeof(*f));

	if (!f || th_chain_init(&f->c, &o) || mlpool_open(f->c.l, cfg, &f->p))
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_cfg(state, NULL);
}

static int setup_small(void **state)
{
	struct mlpool_cfg cfg = { .max_txs = 8 };

	return setup_cfg(state, &cfg);
}

static int teardown(void **state)
{
	struct fix *f = *state;

	mlpool_close(f->p);
	th_chain_free(&f->c);
	free(f);
	return 0;
}

/* A signed transfer of @amount from user @u with @nonce. */
static struct ml_tx tx_of(struct fix *f, int u, uint64_t nonce, uint64_t amount)
{
	struct ml_tx tx = { .kind = ML_TX_TRANSFER, .chain_id = TH_CHAIN_ID };

	tx.nonce = nonce;
	memcpy(tx.u.transfer.to, f->c.user[(u + 1) % f->c.nusers].pk, 32);
	tx.u.transfer.amount = amount;
	assert_int_equal(ml_tx_sign(&tx, f->c.user[u].sk), 0);
	return tx;
}

static void add_ok(struct fix *f, int u, uint64_t nonce)
{
	struct ml_tx tx = tx_of(f, u, nonce, 1 + nonce);

	assert_int_equal(mlpool_add(f->p, &tx), 0);
}

static int is(const struct ml_tx *tx, struct fix *f, int u, uint64_t nonce)
{
	return !memcmp(tx->sender, f->c.user[u].pk, 32) && tx->nonce == nonce;
}

/*
 * Applies @n transactions as the next block, as a proposer would, then
 * tells the pool; returns how many the pool removed.
 */
static int commit(struct fix *f, const struct ml_tx *txs, int n)
{
	struct ml_block b = { .ntx = (uint32_t)n, .txs = (struct ml_tx *)txs };

	memcpy(f->c.pend, txs, (size_t)n * sizeof(*txs));
	f->c.npend = (uint32_t)n;
	assert_int_equal(th_commit(&f->c, f->c.time + 5), 0);
	return mlpool_remove_committed(f->p, &b);
}

static void test_gap_waits_then_nonce_order(void **state)
{
	struct fix *f = *state;
	int n;

	add_ok(f, 0, 2);
	add_ok(f, 0, 0);
	n = mlpool_take(f->p, 100, 1 << 20, f->out);
	assert_int_equal(n, 1);		/* nonce 2 waits for 1 */
	assert_true(is(&f->out[0], f, 0, 0));
	add_ok(f, 0, 1);
	n = mlpool_take(f->p, 100, 1 << 20, f->out);
	assert_int_equal(n, 3);
	assert_true(is(&f->out[0], f, 0, 0));
	assert_true(is(&f->out[1], f, 0, 1));
	assert_true(is(&f->out[2], f, 0, 2));
	/* a sender whose first pooled nonce is ahead yields nothing */
	add_ok(f, 1, 1);
	assert_int_equal(mlpool_take(f->p, 100, 1 << 20, f->out), 3);
}

static void test_take_is_a_block_the_ledger_accepts(void **state)
{
	struct fix *f = *state;
	struct mlpool_stats st;
	uint64_t seed = 42;
	int order[40], i, n;

	/* 8 users x 5 nonces, admitted in a shuffled order */
	for (i = 0; i < 40; i++)
		order[i] = i;
	for (i = 39; i > 0; i--) {
		int j = (int)(th_rand(&seed) % (uint64_t)(i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < 40; i++)
		add_ok(f, order[i] % 8, (uint64_t)(order[i] / 8));
	n = mlpool_take(f->p, 256, 1 << 20, f->out);
	assert_int_equal(n, 40);
	assert_int_equal(commit(f, f->out, n), 40);
	mlpool_stats(f->p, &st);
	assert_int_equal(st.txs, 0);
	assert_int_equal(st.senders, 0);
	assert_int_equal(st.committed, 40);
	assert_int_equal(st.verifies, 40);	/* once each */
	for (i = 0; i < 8; i++) {
		uint64_t nonce;

		assert_int_equal(ml_ledger_balance(f->c.l, f->c.user[i].pk,
						   NULL, NULL, &nonce), 0);
		assert_int_equal(nonce, 5);
	}
}

static void test_take_turns_and_limits(void **state)
{
	struct fix *f = *state;
	struct ml_tx one = tx_of(f, 0, 0, 1);
	uint8_t buf[ML_TX_MAX_LEN];
	size_t size;
	int u, k, n;

	for (u = 0; u < 3; u++)
		for (k = 0; k < 5; k++)
			add_ok(f, u, (uint64_t)k);
	/* senders take turns, oldest sender first */
	n = mlpool_take(f->p, 6, 1 << 20, f->out);
	assert_int_equal(n, 6);
	for (k = 0; k < 6; k++)
		assert_true(is(&f->out[k], f, k % 3, (uint64_t)(k / 3)));
	/* the byte limit: room for exactly two transfers */
	assert_int_equal(ml_tx_encode(&one, buf, sizeof(buf), &size), 0);
	assert_int_equal(mlpool_take(f->p, 100, 2 * size + size - 1, f->out), 2);
	assert_int_equal(mlpool_take(f->p, 100, size - 1, f->out), 0);
	assert_int_equal(mlpool_take(f->p, 0, 1 << 20, f->out), 0);
	/* take() removes nothing */
	assert_int_equal(mlpool_take(f->p, 100, 1 << 20, f->out), 15);
	assert_int_equal(commit(f, f->out, 15), 15);
}

static void test_stale_nonces_refused_and_evicted(void **state)
{
	struct fix *f = *state;
	struct ml_tx tx, other;
	struct mlpool_stats st;
	int n;

	/* user 0 uses nonce 0 on the ledger behind the pool's back */
	tx = tx_of(f, 0, 0, 7);
	assert_int_equal(commit(f, &tx, 1), 0);
	tx = tx_of(f, 0, 0, 8);
	assert_int_equal(mlpool_add(f->p, &tx), -EALREADY);

	/* user 1 pools 0 and 1; a block carries another nonce 0 of user 1 */
	add_ok(f, 1, 0);
	add_ok(f, 1, 1);
	other = tx_of(f, 1, 0, 999);
	assert_int_equal(commit(f, &other, 1), 1);
	n = mlpool_take(f->p, 100, 1 << 20, f->out);
	assert_int_equal(n, 1);
	assert_true(is(&f->out[0], f, 1, 1));
	mlpool_stats(f->p, &st);
	assert_int_equal(st.stale, 1);
	assert_int_equal(st.txs, 1);
	assert_int_equal(st.dropped, 1);	/* the conflicting nonce 0 */

	/* a block applied without remove_committed: the next admission of
	 * that sender prunes what went stale */
	tx = tx_of(f, 1, 1, 555);
	memcpy(f->c.pend, &tx, sizeof(tx));
	f->c.npend = 1;
	assert_int_equal(th_commit(&f->c, f->c.time + 5), 0);
	add_ok(f, 1, 2);
	mlpool_stats(f->p, &st);
	assert_int_equal(st.txs, 1);
	assert_int_equal(mlpool_take(f->p, 100, 1 << 20, f->out), 1);
	assert_true(is(&f->out[0], f, 1, 2));
}

/* The pool keeps each sender's ledger nonce per height: a block moves it
 * on even when the pool is not told (no remove_committed).
 */
static void test_sender_nonce_follows_the_height(void **state)
{
	struct fix *f = *state;
	struct ml_tx txs[2], tx;

	add_ok(f, 0, 0);
	txs[0] = tx_of(f, 0, 0, 1);
	txs[1] = tx_of(f, 0, 1, 2);
	memcpy(f->c.pend, txs, sizeof(txs));
	f->c.npend = 2;
	assert_int_equal(th_commit(&f->c, f->c.time + 5), 0);
	tx = tx_of(f, 0, 1, 3);
	assert_int_equal(mlpool_add(f->p, &tx), -EALREADY);
	add_ok(f, 0, 2);
	assert_int_equal(mlpool_take(f->p, 100, 1 << 20, f->out), 1);
	assert_true(is(&f->out[0], f, 0, 2));
}

static void test_duplicates_refused(void **state)
{
	struct fix *f = *state;
	struct ml_tx tx = tx_of(f, 2, 0, 10), twin = tx_of(f, 2, 0, 11);
	struct mlpool_stats st;
	uint8_t buf[ML_TX_MAX_LEN];
	size_t len;

	assert_int_equal(mlpool_add(f->p, &tx), 0);
	assert_int_equal(mlpool_add(f->p, &tx), -EEXIST);
	assert_int_equal(ml_tx_encode(&tx, buf, sizeof(buf), &len), 0);
	assert_int_equal(mlpool_add_encoded(f->p, buf, len), -EEXIST);
	assert_int_equal(mlpool_add(f->p, &twin), -EEXIST);
	mlpool_stats(f->p, &st);
	assert_int_equal(st.duplicate, 2);
	assert_int_equal(st.conflict, 1);
	assert_int_equal(st.txs, 1);
	assert_int_equal(st.verifies, 1);	/* duplicates cost no verify */
}

static void test_invalid_refused(void **state)
{
	struct fix *f = *state;
	struct ml_tx tx = tx_of(f, 3, 0, 10), bad;
	struct mlpool_stats st;
	struct th_key stranger;
	uint8_t junk[40] = { 1, 2, 3 };

	bad = tx;
	bad.sig[5] ^= 1;
	assert_int_equal(mlpool_add(f->p, &bad), -EPERM);
	bad = tx;
	bad.u.transfer.amount++;	/* signature no longer covers it */
	assert_int_equal(mlpool_add(f->p, &bad), -EPERM);
	bad = tx;
	bad.chain_id++;
	assert_int_equal(mlpool_add(f->p, &bad), -EXDEV);
	bad = tx;
	bad.kind = 99;
	assert_int_equal(mlpool_add(f->p, &bad), -EINVAL);
	bad = tx_of(f, 3, 64, 10);	/* max_ahead is 64 */
	assert_int_equal(mlpool_add(f->p, &bad), -ERANGE);
	th_key(&stranger, 200);
	bad = tx;
	assert_int_equal(ml_tx_sign(&bad, stranger.sk), 0);
	assert_int_equal(mlpool_add(f->p, &bad), -ENOENT);
	assert_int_equal(mlpool_add_encoded(f->p, junk, sizeof(junk)), -EBADMSG);
	mlpool_stats(f->p, &st);
	assert_int_equal(st.txs, 0);
	assert_int_equal(st.bad_sig, 2);
	assert_int_equal(st.too_far, 1);
	assert_int_equal(st.invalid, 4);
	/* and the good one still gets in */
	assert_int_equal(mlpool_add(f->p, &tx), 0);
}

static void test_full_pool_evicts_the_largest_sender_tail(void **state)
{
	struct fix *f = *state;
	struct ml_tx tx;
	struct mlpool_stats st;
	int k, n;

	for (k = 0; k < 8; k++)
		add_ok(f, 0, (uint64_t)k);
	/* user 0 cannot grow further: it is the largest, and that is known
	 * before its signature is checked */
	tx = tx_of(f, 0, 8, 1);
	mlpool_stats(f->p, &st);
	assert_int_equal(mlpool_add(f->p, &tx), -ENOSPC);
	k = (int)st.verifies;
	mlpool_stats(f->p, &st);
	assert_int_equal(st.verifies, (uint64_t)k);
	/* user 1 gets in, user 0 loses its last nonce (no gap opens) */
	add_ok(f, 1, 0);
	add_ok(f, 2, 0);
	mlpool_stats(f->p, &st);
	assert_int_equal(st.txs, 8);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.full, 1);
	n = mlpool_take(f->p, 100, 1 << 20, f->out);
	assert_int_equal(n, 8);
	assert_int_equal(commit(f, f->out, n), 8);	/* still a valid block */
	mlpool_stats(f->p, &st);
	assert_int_equal(st.txs, 0);
	/* the evicted nonces can come back later */
	add_ok(f, 0, 6);
}

static void test_drop_removes_the_rest_of_a_sender(void **state)
{
	struct fix *f = *state;
	int k;

	for (k = 0; k < 4; k++)
		add_ok(f, 4, (uint64_t)k);
	assert_int_equal(mlpool_drop(f->p, f->c.user[4].pk, 1), 3);
	assert_int_equal(mlpool_drop(f->p, f->c.user[5].pk, 0), 0);
	assert_int_equal(mlpool_take(f->p, 100, 1 << 20, f->out), 1);
	assert_true(is(&f->out[0], f, 4, 0));
}

static void test_many_senders_hash_table(void **state)
{
	struct fix *f = *state;
	struct mlpool_stats st;
	int round, u;

	/* churn through insertions and deletions of every sender, in a
	 * 16-slot table (max_txs 8) where probes collide */
	for (round = 0; round < 3; round++) {
		for (u = 0; u < 8; u++)
			add_ok(f, u, 0);
		for (u = 0; u < 8; u += 2)
			assert_int_equal(mlpool_drop(f->p, f->c.user[u].pk, 0), 1);
		for (u = 1; u < 8; u += 2)
			assert_int_equal(mlpool_drop(f->p, f->c.user[u].pk, 0), 1);
	}
	mlpool_stats(f->p, &st);
	assert_int_equal(st.txs, 0);
	assert_int_equal(st.senders, 0);
	assert_int_equal(st.added, 24);
}

static int setup_random(void **state)
{
	struct mlpool_cfg cfg = { .max_txs = 24, .max_ahead = 8 };

	return setup_cfg(state, &cfg);
}

/*
 * Seeded random admissions, takes, commits and drops: results stay within
 * the documented errors, bounds hold, and every take() is a block the
 * ledger applies.
 */
static void test_random_operations_keep_invariants(void **state)
{
	struct fix *f = *state;
	struct mlpool_stats st;
	uint64_t seed = 0x5eed, added = 0;
	int op, blocks = 0;

	for (op = 0; op < 3000; op++) {
		int u = (int)(th_rand(&seed) % 8);
		uint64_t base, r = th_rand(&seed) % 100;

		assert_int_equal(ml_ledger_balance(f->c.l, f->c.user[u].pk,
						   NULL, NULL, &base), 0);
		if (r < 85) {
			struct ml_tx tx = tx_of(f, u, base + th_rand(&seed) % 10,
						 1 + th_rand(&seed) % 3);
			int ret = mlpool_add(f->p, &tx);

			assert_true(ret == 0 || ret == -EEXIST ||
				    ret == -ERANGE || ret == -ENOSPC);
			added += !ret;
		} else if (r < 97) {
			size_t max = 1 + th_rand(&seed) % 30;
			int n = mlpool_take(f->p, max, 1 << 20, f->out);

			assert_true(n >= 0 && (size_t)n <= max);
			if (n) {
				assert_int_equal(commit(f, f->out, n), n);
				blocks++;
			}
		} else {
			mlpool_drop(f->p, f->c.user[u].pk,
				    base + th_rand(&seed) % 4);
		}
		mlpool_stats(f->p, &st);
		assert_true(st.txs <= 24);
		assert_true(st.senders <= st.txs);
		/* one verify per admission; refusals for room before it */
		assert_true(st.verifies >= st.added);
		assert_true(st.verifies <= st.added + st.bad_sig + st.full);
	}
	assert_true(blocks > 50);
	assert_int_equal(st.added, added);
	assert_int_equal(st.added, st.txs + st.committed + st.evicted + st.dropped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gap_waits_then_nonce_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_is_a_block_the_ledger_accepts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_turns_and_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_nonces_refused_and_evicted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sender_nonce_follows_the_height,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_pool_evicts_the_largest_sender_tail,
						setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_drop_removes_the_rest_of_a_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_senders_hash_table, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_random_operations_keep_invariants,
						setup_random, teardown),
	};

	return cmocka_run_group_tests_name("mlpool", tests, NULL, NULL);
}
