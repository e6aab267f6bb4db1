// SPDX-License-Identifier: GPL-2.0
/*
 * Execute each block once (ml_ledger_keep_execution): a built block's
 * execution is kept in the open transaction and reused by the apply,
 * and nobody ever sees that uncommitted state.
 *
 * Two chains from the same genesis: K keeps executions, R (the
 * reference) does not; the same transactions must give the same state
 * roots and balances on both.
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
#include "state.h"

static struct th_chain K, R;

static int setup(void **state)
{
	struct th_opts o = { .nusers = 4, .user_balance = 1000000 };

	(void)state;
	if (th_chain_init(&K, &o) || th_chain_init(&R, &o))
		return -1;
	ml_ledger_keep_execution(K.l, true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	th_chain_free(&K);
	th_chain_free(&R);
	return 0;
}

/* Queues on both chains transfers of @amount from users 0 and 1 to 2. */
static void queue(uint64_t amount)
{
	struct th_chain *c[2] = { &K, &R };
	int i, u;

	for (i = 0; i < 2; i++)
		for (u = 0; u < 2; u++) {
			struct ml_tx tx = { .kind = ML_TX_TRANSFER };

			memcpy(tx.u.transfer.to, c[i]->user[2].pk, 32);
			tx.u.transfer.amount = amount;
			assert_int_equal(th_add(c[i], &c[i]->user[u], &tx), 0);
		}
}

static void stats(uint64_t runs, uint64_t reused)
{
	struct ml_exec_stats st;

	ml_ledger_exec_stats(K.l, &st);
	assert_int_equal(st.runs, runs);
	assert_int_equal(st.reused, reused);
}

/* K and R hold the same state at the same height. */
static void same_state(void)
{
	uint8_t a[32], b[32];
	int u;

	assert_int_equal(ml_ledger_height(K.l), ml_ledger_height(R.l));
	th_state_root(&K, a);
	th_state_root(&R, b);
	assert_memory_equal(a, b, 32);
	for (u = 0; u < 4; u++)
		assert_int_equal(th_balance(&K, K.user[u].pk),
				 th_balance(&R, R.user[u].pk));
}

static void apply(struct th_chain *c, const uint8_t *buf, size_t len)
{
	assert_int_equal(ml_ledger_apply_block(c->l, buf, len, 0), 0);
	c->time += 5;
}

/* Applies @buf (a block built on K) to K, checks the execution counts,
 * commits the same transactions on R and compares.
 */
static void apply_and_compare(uint8_t *buf, size_t len, uint64_t runs,
			      uint64_t reused)
{
	apply(&K, buf, len);
	free(buf);
	stats(runs, reused);
	assert_int_equal(th_commit(&R, R.time + 5), 0);
	same_state();
}

static void test_build_then_apply_executes_once(void **state)
{
	uint8_t *buf;
	size_t len;

	(void)state;
	queue(100);
	assert_int_equal(th_build(&K, K.time + 5, &buf, &len), 0);
	stats(1, 0);
	apply_and_compare(buf, len, 1, 1);
	assert_int_equal(th_balance(&K, K.user[2].pk), 1000000 + 200);
}

static void test_building_the_same_block_again_reuses_it(void **state)
{
	struct ml_block b = { 0 }, c;
	uint8_t *keys;
	size_t n;

	(void)state;
	queue(7);
	assert_int_equal(ml_ledger_validators(K.l, &keys, &n), 0);
	b.hdr.time = K.time + 5;
	memcpy(b.hdr.proposer, keys + (1 % n) * 32, 32);
	free(keys);
	b.txs = K.pend;
	b.ntx = K.npend;
	assert_int_equal(ml_ledger_build_block(K.l, &b), 0);
	c = b;
	memset(c.hdr.state_root, 0xaa, 32);	/* as a proposal would carry */
	assert_int_equal(ml_ledger_build_block(K.l, &c), 0);
	assert_memory_equal(b.hdr.state_root, c.hdr.state_root, 32);
	stats(1, 1);
	/* another time is another block */
	c.hdr.time++;
	assert_int_equal(ml_ledger_build_block(K.l, &c), 0);
	stats(2, 1);
	K.npend = 0;
	R.npend = 0;
}

static void test_reads_see_the_committed_state(void **state)
{
	struct ml_ledger *other;
	uint64_t nonce = 99;
	int64_t bal = 0;
	uint8_t *buf;
	size_t len;

	(void)state;
	queue(1000);
	assert_int_equal(th_build(&K, K.time + 5, &buf, &len), 0);
	stats(1, 0);
	/* the mempool's read: the nonce before the block */
	assert_int_equal(ml_ledger_balance(K.l, K.user[0].pk, &bal, NULL,
					   &nonce), 0);
	assert_int_equal(nonce, 0);
	assert_int_equal(bal, 1000000);
	/* another connection reads meanwhile, and sees no block */
	assert_int_equal(ml_ledger_open(K.path, &other), 0);
	assert_int_equal(ml_ledger_height(other), 0);
	assert_int_equal(ml_ledger_balance(other, K.user[2].pk, &bal, NULL,
					   NULL), 0);
	assert_int_equal(bal, 1000000);
	ml_ledger_close(other);
	/* those reads did not cost the kept execution */
	apply_and_compare(buf, len, 1, 1);
}

static void test_any_other_use_rolls_it_back(void **state)
{
	int64_t total, want;
	uint8_t *buf;
	size_t len;

	(void)state;
	queue(5);
	assert_int_equal(th_build(&K, K.time + 5, &buf, &len), 0);
	/* a query on the main connection: it must not see the block */
	assert_int_equal(ml_ledger_total(K.l, &total), 0);
	assert_int_equal(ml_ledger_total(R.l, &want), 0);
	assert_int_equal(total, want);
	assert_int_equal(th_balance(&K, K.user[2].pk), 1000000);
	apply(&K, buf, len);	/* executed again */
	free(buf);
	stats(2, 0);
	assert_int_equal(th_commit(&R, R.time + 5), 0);
	same_state();
}

static void test_a_later_proposal_replaces_it(void **state)
{
	uint8_t *a, *b;
	size_t alen, blen;
	struct ml_tx keep[4];
	uint32_t n;

	(void)state;
	queue(3);
	n = K.npend;
	memcpy(keep, K.pend, n * sizeof(*keep));
	assert_int_equal(th_build(&K, K.time + 5, &a, &alen), 0);
	/* round 1: the same transactions, later */
	memcpy(K.pend, keep, n * sizeof(*keep));
	K.npend = n;
	assert_int_equal(th_build(&K, K.time + 6, &b, &blen), 0);
	stats(2, 0);
	apply(&K, a, alen);	/* the first one is final after all */
	stats(3, 0);
	free(a);
	assert_int_equal(ml_ledger_apply_block(K.l, b, blen, 0), -ESTALE);
	free(b);
	assert_int_equal(th_commit(&R, R.time + 5), 0);
	same_state();
}

static void test_a_wrong_state_root_is_refused(void **state)
{
	struct ml_block blk;
	uint8_t *buf, *bad;
	size_t len, blen;
	int i, signed_n = 0;

	(void)state;
	queue(11);
	assert_int_equal(th_build(&K, K.time + 5, &buf, &len), 0);
	/* the same header with another state root, certified by a quorum */
	assert_int_equal(ml_block_decode(buf, len, &blk), 0);
	blk.hdr.state_root[0] ^= 1;
	blk.ncommit = 0;
	for (i = 0; i < K.nval && signed_n < (int)ml_quorum((size_t)K.nval); i++)
		if (!ml_commit_add(&blk, K.val[i].sk))
			signed_n++;
	assert_int_equal(ml_block_encode(&blk, &bad, &blen), 0);
	ml_block_free(&blk);
	assert_int_equal(ml_ledger_apply_block(K.l, bad, blen, 0), -EBADMSG);
	free(bad);
	assert_int_equal(ml_ledger_height(K.l), 0);
	apply_and_compare(buf, len, 1, 1);
}

static void test_closing_loses_nothing_committed(void **state)
{
	uint8_t *buf;
	size_t len;

	(void)state;
	queue(9);
	assert_int_equal(th_commit(&K, K.time + 5), 0);
	assert_int_equal(th_commit(&R, R.time + 5), 0);
	queue(13);
	assert_int_equal(th_build(&K, K.time + 5, &buf, &len), 0);
	/* a crash or stop with an execution kept: it was never committed */
	assert_int_equal(th_chain_reopen(&K), 0);
	ml_ledger_keep_execution(K.l, true);
	assert_int_equal(ml_ledger_height(K.l), 1);
	R.npend = 0;
	same_state();
	apply(&K, buf, len);
	free(buf);
	stats(1, 0);
	assert_int_equal(ml_ledger_height(K.l), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_then_apply_executes_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_building_the_same_block_again_reuses_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reads_see_the_committed_state,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_other_use_rolls_it_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_later_proposal_replaces_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_wrong_state_root_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_closing_loses_nothing_committed,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
