// SPDX-License-Identifier: GPL-2.0
/*
 * Settlement against signed meter reports (market.rst examples 7 and 8)
 * and conservation: over a long randomized run no block changes the sum
 * of all balances; genesis is the only issuance.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

#define S1 (TH_T0 + 1800)
#define NU 6

static struct th_chain C;
static EVP_PKEY *gw[NU];

static int setup(void **state)
{
	struct th_opts o = {
		.nusers = NU, .user_balance = 10000000, .gate_closure = 300,
		.settle_delay = 300, .fee = 50000, .shortfall = 400000,
		.surplus = 50000,
	};
	int i;

	(void)state;
	if (th_chain_init(&C, &o))
		return -1;
	for (i = 0; i < NU; i++)
		gw[i] = th_register(&C, i, C.user[i].pk, 1 + (i & 1));
	return th_commit(&C, TH_T0 + 10);
}

static int teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < NU; i++)
		EVP_PKEY_free(gw[i]);
	th_chain_free(&C);
	return 0;
}

/* user 3 sells 2000 Wh to user 0 at 0.20; both then report */
static void trade_2000(void)
{
	assert_int_equal(th_order(&C, &C.user[0], 0, ML_BID, S1, 2000, 300000), 0);
	assert_int_equal(th_order(&C, &C.user[2], 2, ML_ASK, S1, 2000, 100000), 0);
	assert_int_equal(th_commit(&C, TH_T0 + 20), 0);
	assert_int_equal(th_commit(&C, S1 - 300), 0);
	assert_int_equal(th_balance(&C, C.user[0].pk), 10000000 - 400000 - 100000);
	assert_int_equal(th_balance(&C, C.user[2].pk), 10000000 + 400000);
}

/* market.rst, example 7 */
static void test_example7_shortfall_and_surplus_priced_at_imbalance(void **state)
{
	(void)state;
	trade_2000();
	assert_int_equal(th_report(&C, gw[2], &C.user[2], 2, S1, 0, 1500), 0);
	assert_int_equal(th_report(&C, gw[0], &C.user[0], 0, S1, 1800, 0), 0);
	assert_int_equal(th_commit(&C, S1 + 900), 0);
	assert_int_equal(th_commit(&C, S1 + 1200), 0);	/* settles */
	assert_int_equal(th_balance(&C, C.user[2].pk), 10000000 + 400000 - 200000);
	assert_int_equal(th_balance(&C, C.user[0].pk),
			 10000000 - 500000 + 10000);
	assert_int_equal(th_balance(&C, C.op.pk), 100000 + 200000 - 10000);
}

/* market.rst, example 8 */
static void test_example8_missing_report_counts_as_nothing_delivered(void **state)
{
	(void)state;
	trade_2000();
	assert_int_equal(th_commit(&C, S1 + 1200), 0);
	assert_int_equal(th_balance(&C, C.user[2].pk), 10000000 + 400000 - 800000);
	assert_int_equal(th_balance(&C, C.user[0].pk), 10000000 - 500000);
}

static void test_report_rules_window_key_and_duplicates(void **state)
{
	(void)state;
	trade_2000();
	/* before the interval has ended */
	assert_int_equal(th_report(&C, gw[2], &C.user[2], 2, S1, 0, 2000), 0);
	assert_int_equal(th_commit(&C, S1 + 899), -EAGAIN);
	/* signed by another gateway's key */
	assert_int_equal(th_report(&C, gw[1], &C.user[2], 2, S1, 0, 2000), 0);
	assert_int_equal(th_commit(&C, S1 + 900), -EPERM);
	/* anyone may relay a report; the TPM signature is what counts */
	assert_int_equal(th_report(&C, gw[2], &C.user[5], 2, S1, 0, 2000), 0);
	assert_int_equal(th_commit(&C, S1 + 900), 0);
	/* one report per meter and interval */
	assert_int_equal(th_report(&C, gw[2], &C.user[2], 2, S1, 0, 2000), 0);
	assert_int_equal(th_commit(&C, S1 + 901), -EEXIST);
	/* too late: settlement has run */
	assert_int_equal(th_commit(&C, S1 + 1200), 0);
	assert_int_equal(th_report(&C, gw[0], &C.user[0], 0, S1, 2000, 0), 0);
	assert_int_equal(th_commit(&C, S1 + 1201), -ETIME);
	assert_int_equal(th_balance(&C, C.user[2].pk), 10000000 + 400000);
}

/*
 * Random orders, transfers, cancels and reports over many intervals. A
 * block that fails must leave no trace; every block that applies must
 * keep the total. Seeded: ML_PROP_SEED, ML_PROP_ROUNDS.
 */
static void test_conservation_over_long_randomized_run(void **state)
{
	const char *se = getenv("ML_PROP_SEED"), *ro = getenv("ML_PROP_ROUNDS");
	uint64_t rs = se ? strtoull(se, NULL, 0) : 0xc0ffee, t = TH_T0 + 10;
	int blocks = ro ? atoi(ro) / 10 : 300, ok = 0, b, i;
	int64_t total0, total;
	uint8_t root0[32], root1[32];

	(void)state;
	assert_int_equal(ml_ledger_total(C.l, &total0), 0);
	for (b = 0; b < blocks; b++) {
		uint64_t iv = (t / 900 + 1 + th_rand(&rs) % 4) * 900;
		uint64_t done = (t / 900 - 1) * 900;
		int n = 1 + (int)(th_rand(&rs) % 6);

		for (i = 0; i < n; i++) {
			int u = (int)(th_rand(&rs) % NU);
			uint64_t r = th_rand(&rs) % 10;

			if (r < 5) {
				assert_int_equal(th_order(&C, &C.user[u], u,
					r & 1 ? ML_BID : ML_ASK, iv,
					1 + th_rand(&rs) % 3000,
					th_rand(&rs) % 400000), 0);
			} else if (r < 7) {
				struct ml_tx tx = { .kind = ML_TX_TRANSFER };

				memcpy(tx.u.transfer.to,
				       C.user[(u + 1) % NU].pk, 32);
				tx.u.transfer.amount = 1 + th_rand(&rs) % 50000;
				assert_int_equal(th_add(&C, &C.user[u], &tx), 0);
			} else {
				assert_int_equal(th_report(&C, gw[u],
					&C.user[u], u, done,
					th_rand(&rs) % 3000,
					th_rand(&rs) % 3000), 0);
			}
		}
		t += 60 + th_rand(&rs) % 400;
		th_state_root(&C, root0);
		if (th_commit(&C, t)) {
			/* refused as a whole: nothing may have changed */
			th_state_root(&C, root1);
			assert_memory_equal(root0, root1, 32);
			assert_int_equal(th_commit(&C, t), 0);	/* empty */
		} else {
			ok++;
		}
		assert_int_equal(ml_ledger_total(C.l, &total), 0);
		if (total != total0)
			fail_msg("block %d: total %lld != %lld", b,
				 (long long)total, (long long)total0);
	}
	/* the run must have done real work, not only refused blocks */
	assert_true(ok > blocks / 4);
	assert_true(th_balance(&C, C.op.pk) != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_example7_shortfall_and_surplus_priced_at_imbalance),
		T(test_example8_missing_report_counts_as_nothing_delivered),
		T(test_report_rules_window_key_and_duplicates),
		T(test_conservation_over_long_randomized_run),
#undef T
	};

	return cmocka_run_group_tests_name("ledger settlement", tests, NULL,
					   NULL);
}
