// SPDX-License-Identifier: GPL-2.0
/*
 * The worked examples of Documentation/ledger/market.rst, one test each,
 * first on the auction alone and then through blocks on a real ledger.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auction.h"
#include "helpers.h"

#define BID(q, p, s)	{ .price = p, .qty = q, .seq = s, .side = ML_BID }
#define ASK(q, p, s)	{ .price = p, .qty = q, .seq = s, .side = ML_ASK }

static const struct ml_feeder open_feeder = {
	.id = 1, .import_limit_wh = 1ULL << 40, .export_limit_wh = 1ULL << 40,
};

static void expect_fill(const struct ml_auction_result *r, size_t i,
			uint32_t bid, uint32_t ask, uint64_t qty)
{
	assert_true(i < r->nfills);
	assert_int_equal(r->fills[i].bid, bid);
	assert_int_equal(r->fills[i].ask, ask);
	assert_int_equal(r->fills[i].qty, qty);
}

/* market.rst, example 1 */
static void test_example1_uniform_price_and_partial_fill(void **state)
{
	const struct ml_auction_order o[] = {
		BID(3000, 300000, 1), BID(2000, 250000, 2), BID(1000, 150000, 3),
		ASK(2000, 100000, 4), ASK(2000, 200000, 5), ASK(3000, 280000, 6),
	};
	struct ml_auction_result r;

	(void)state;
	assert_int_equal(ml_auction_clear(o, 6, &open_feeder, 1, &r), 0);
	assert_int_equal(r.price, 225000);
	assert_int_equal(r.volume, 4000);
	assert_int_equal(r.volume_unconstrained, 4000);
	assert_int_equal(r.nfills, 3);
	expect_fill(&r, 0, 0, 3, 2000);
	expect_fill(&r, 1, 0, 4, 1000);
	expect_fill(&r, 2, 1, 4, 1000);
	ml_auction_result_free(&r);
}

/* market.rst, example 2 */
static void test_example2_equal_prices_fill_in_arrival_order(void **state)
{
	const struct ml_auction_order o[] = {
		ASK(1000, 200000, 7), ASK(1000, 200000, 3),
		BID(1500, 200000, 9),
	};
	struct ml_auction_result r;

	(void)state;
	assert_int_equal(ml_auction_clear(o, 3, &open_feeder, 1, &r), 0);
	assert_int_equal(r.price, 200000);
	assert_int_equal(r.nfills, 2);
	expect_fill(&r, 0, 2, 1, 1000);	/* seq 3 before seq 7 */
	expect_fill(&r, 1, 2, 0, 500);
	ml_auction_result_free(&r);
}

/* market.rst, example 3 */
static void test_example3_feeder_export_limit_curtails_cheap_ask(void **state)
{
	const struct ml_feeder f[2] = {
		{ .id = 1, .import_limit_wh = 5000, .export_limit_wh = 1000 },
		{ .id = 2, .import_limit_wh = 5000, .export_limit_wh = 5000 },
	};
	struct ml_auction_order o[] = {
		ASK(3000, 100000, 1), ASK(3000, 200000, 2),
		BID(3000, 300000, 3),
	};
	struct ml_auction_result r;

	(void)state;
	o[0].feeder = 0;
	o[1].feeder = 1;
	o[2].feeder = 1;
	assert_int_equal(ml_auction_clear(o, 3, f, 2, &r), 0);
	assert_int_equal(r.price, 200000);
	assert_int_equal(r.volume, 3000);
	expect_fill(&r, 0, 2, 0, 1000);
	expect_fill(&r, 1, 2, 1, 2000);
	ml_auction_result_free(&r);
}

/* market.rst, example 4 */
static void test_example4_import_limit_reduces_volume_not_price(void **state)
{
	const struct ml_feeder f[2] = {
		{ .id = 1, .import_limit_wh = 0, .export_limit_wh = 9000 },
		{ .id = 2, .import_limit_wh = 9000, .export_limit_wh = 9000 },
	};
	struct ml_auction_order o[] = {
		ASK(2000, 100000, 1), BID(2000, 300000, 2),
	};
	struct ml_auction_result r;

	(void)state;
	o[0].feeder = 1;	/* seller on feeder 2, buyer on feeder 1 */
	o[1].feeder = 0;
	assert_int_equal(ml_auction_clear(o, 2, f, 2, &r), 0);
	assert_int_equal(r.price, 200000);
	assert_int_equal(r.volume_unconstrained, 2000);
	assert_int_equal(r.volume, 0);
	assert_int_equal(r.nfills, 0);
	ml_auction_result_free(&r);
}

/* market.rst, example 5 */
static void test_example5_no_crossing_no_trade(void **state)
{
	const struct ml_auction_order o[] = {
		BID(1000, 100000, 1), ASK(1000, 200000, 2),
	};
	struct ml_auction_result r;

	(void)state;
	assert_int_equal(ml_auction_clear(o, 2, &open_feeder, 1, &r), 0);
	assert_int_equal(r.price, 0);
	assert_int_equal(r.volume, 0);
	assert_int_equal(r.nfills, 0);
	ml_auction_result_free(&r);
}

static void test_auction_refuses_bad_orders(void **state)
{
	struct ml_auction_order o[] = { BID(1000, 100000, 1) };
	struct ml_auction_result r;

	(void)state;
	o[0].feeder = 1;
	assert_int_equal(ml_auction_clear(o, 1, &open_feeder, 1, &r), -EINVAL);
	o[0].feeder = 0;
	o[0].qty = 0;
	assert_int_equal(ml_auction_clear(o, 1, &open_feeder, 1, &r), -EINVAL);
	o[0].qty = 1;
	o[0].side = 3;
	assert_int_equal(ml_auction_clear(o, 1, &open_feeder, 1, &r), -EINVAL);
}

/* --- the same rules through blocks: money, fees, gate closure --- */

#define S1 (TH_T0 + 1800)	/* a delivery interval, gate closes at -300 */

static struct th_chain C;
static EVP_PKEY *gw[6];

static int setup(void **state)
{
	struct th_opts o = {
		.nusers = 6, .user_balance = 10000000, .gate_closure = 300,
		.fee = 50000, .shortfall = 400000, .surplus = 50000,
	};
	int i;

	(void)state;
	if (th_chain_init(&C, &o))
		return -1;
	for (i = 0; i < 6; i++)
		gw[i] = th_register(&C, i, C.user[i].pk, 1);
	return th_commit(&C, TH_T0 + 10);
}

static int teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 6; i++)
		EVP_PKEY_free(gw[i]);
	th_chain_free(&C);
	return 0;
}

/* market.rst, example 6: example 1's book on a ledger, with a grid fee */
static void test_example6_clearing_moves_money_and_pays_grid_fee(void **state)
{
	int64_t total0, total1, locked;

	(void)state;
	assert_int_equal(ml_ledger_total(C.l, &total0), 0);
	assert_int_equal(th_order(&C, &C.user[0], 0, ML_BID, S1, 3000, 300000), 0);
	assert_int_equal(th_order(&C, &C.user[1], 1, ML_BID, S1, 2000, 250000), 0);
	assert_int_equal(th_order(&C, &C.user[2], 2, ML_BID, S1, 1000, 150000), 0);
	assert_int_equal(th_order(&C, &C.user[3], 3, ML_ASK, S1, 2000, 100000), 0);
	assert_int_equal(th_order(&C, &C.user[4], 4, ML_ASK, S1, 2000, 200000), 0);
	assert_int_equal(th_order(&C, &C.user[5], 5, ML_ASK, S1, 3000, 280000), 0);
	assert_int_equal(th_commit(&C, TH_T0 + 20), 0);
	/* a bid reserves quantity x (limit + fee) */
	assert_int_equal(ml_ledger_balance(C.l, C.user[0].pk, NULL, &locked,
					   NULL), 0);
	assert_int_equal(locked, 3000 * (300000 + 50000) / 1000);
	assert_int_equal(th_commit(&C, S1 - 300), 0);	/* gate closes */
	assert_int_equal(th_balance(&C, C.user[0].pk), 10000000 - 675000 - 150000);
	assert_int_equal(th_balance(&C, C.user[1].pk), 10000000 - 225000 - 50000);
	assert_int_equal(th_balance(&C, C.user[2].pk), 10000000);
	assert_int_equal(th_balance(&C, C.user[3].pk), 10000000 + 450000);
	assert_int_equal(th_balance(&C, C.user[4].pk), 10000000 + 450000);
	assert_int_equal(th_balance(&C, C.user[5].pk), 10000000);
	assert_int_equal(th_balance(&C, C.op.pk), 200000);
	assert_int_equal(ml_ledger_balance(C.l, C.user[0].pk, NULL, &locked,
					   NULL), 0);
	assert_int_equal(locked, 0);
	assert_int_equal(ml_ledger_total(C.l, &total1), 0);
	assert_int_equal(total0, total1);
}

static void test_orders_after_gate_closure_are_refused(void **state)
{
	(void)state;
	assert_int_equal(th_order(&C, &C.user[0], 0, ML_BID, S1, 1000, 1000), 0);
	assert_int_equal(th_commit(&C, S1 - 300), -ETIME);
	assert_int_equal(th_order(&C, &C.user[0], 0, ML_BID, S1, 1000, 1000), 0);
	assert_int_equal(th_commit(&C, S1 - 301), 0);
}

static void test_order_rules_meter_owner_alignment_and_funds(void **state)
{
	(void)state;
	assert_int_equal(th_order(&C, &C.user[0], 1, ML_BID, S1, 1000, 1000), 0);
	assert_int_equal(th_commit(&C, TH_T0 + 20), -EPERM);	/* not hers */
	assert_int_equal(th_order(&C, &C.user[0], 0, ML_BID, S1 + 1, 1000, 1), 0);
	assert_int_equal(th_commit(&C, TH_T0 + 20), -EINVAL);	/* unaligned */
	assert_int_equal(th_order(&C, &C.user[0], 0, ML_BID, S1, 100000000,
				  ML_MAX_PRICE), 0);
	assert_int_equal(th_commit(&C, TH_T0 + 20), -ENOSPC);	/* funds */
}

static void test_cancel_releases_reservation_before_gate_only(void **state)
{
	struct ml_tx tx = { .kind = ML_TX_CANCEL };
	int64_t locked;

	(void)state;
	assert_int_equal(th_order(&C, &C.user[0], 0, ML_BID, S1, 1000, 200000), 0);
	ml_tx_id(&C.pend[0], tx.u.cancel.order_id);
	assert_int_equal(th_commit(&C, TH_T0 + 20), 0);
	assert_int_equal(th_add(&C, &C.user[1], &tx), 0);
	assert_int_equal(th_commit(&C, TH_T0 + 30), -EPERM);	/* not hers */
	assert_int_equal(th_add(&C, &C.user[0], &tx), 0);
	assert_int_equal(th_commit(&C, TH_T0 + 30), 0);
	assert_int_equal(ml_ledger_balance(C.l, C.user[0].pk, NULL, &locked,
					   NULL), 0);
	assert_int_equal(locked, 0);
	assert_int_equal(th_add(&C, &C.user[0], &tx), 0);
	assert_int_equal(th_commit(&C, TH_T0 + 40), -EALREADY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example1_uniform_price_and_partial_fill),
		cmocka_unit_test(test_example2_equal_prices_fill_in_arrival_order),
		cmocka_unit_test(test_example3_feeder_export_limit_curtails_cheap_ask),
		cmocka_unit_test(test_example4_import_limit_reduces_volume_not_price),
		cmocka_unit_test(test_example5_no_crossing_no_trade),
		cmocka_unit_test(test_auction_refuses_bad_orders),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_example6_clearing_moves_money_and_pays_grid_fee),
		T(test_orders_after_gate_closure_are_refused),
		T(test_order_rules_meter_owner_alignment_and_funds),
		T(test_cancel_releases_reservation_before_gate_only),
#undef T
	};

	return cmocka_run_group_tests_name("ledger market", tests, NULL, NULL);
}
