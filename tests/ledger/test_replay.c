// SPDX-License-Identifier: GPL-2.0
/* Replay from genesis: agreement, and naming the first block that differs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"

#define S1 (TH_T0 + 1800)

static struct th_chain C;
static EVP_PKEY *gw[2];
static char scratch[400];

/* Six blocks with trades, reports and settlement. */
static int setup(void **state)
{
	struct th_opts o = {
		.nusers = 2, .user_balance = 5000000, .gate_closure = 300,
		.fee = 10000, .shortfall = 300000, .surplus = 20000,
	};
	struct ml_tx tx = { .kind = ML_TX_TRANSFER };
	int ret;

	(void)state;
	if (th_chain_init(&C, &o))
		return -1;
	snprintf(scratch, sizeof(scratch), "%s/replay.db", C.dir);
	gw[0] = th_register(&C, 0, C.user[0].pk, 1);
	gw[1] = th_register(&C, 1, C.user[1].pk, 2);
	ret = th_commit(&C, TH_T0 + 10);
	ret = ret ? ret : th_order(&C, &C.user[0], 0, ML_BID, S1, 1000, 250000);
	ret = ret ? ret : th_order(&C, &C.user[1], 1, ML_ASK, S1, 1500, 150000);
	ret = ret ? ret : th_commit(&C, TH_T0 + 20);
	memcpy(tx.u.transfer.to, C.user[1].pk, 32);
	tx.u.transfer.amount = 777;
	ret = ret ? ret : th_add(&C, &C.user[0], &tx);
	ret = ret ? ret : th_commit(&C, S1 - 200);
	ret = ret ? ret : th_report(&C, gw[1], &C.user[1], 1, S1, 0, 900);
	ret = ret ? ret : th_commit(&C, S1 + 950);
	ret = ret ? ret : th_commit(&C, S1 + 1300);
	memcpy(tx.u.transfer.to, C.user[0].pk, 32);
	ret = ret ? ret : th_add(&C, &C.user[1], &tx);
	ret = ret ? ret : th_commit(&C, S1 + 1400);
	if (ret)
		fprintf(stderr, "# setup: %d\n", ret);
	return ret;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(gw[0]);
	EVP_PKEY_free(gw[1]);
	th_chain_free(&C);
	return 0;
}

static void sql(const char *q)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(C.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_replay_of_honest_chain_matches(void **state)
{
	struct ml_replay_result r;

	(void)state;
	assert_int_equal(ml_ledger_replay(C.path, scratch, &r), 0);
	assert_int_equal(r.height, 6);
	assert_int_equal(r.first_bad, 0);
	/* the scratch path must be new */
	assert_int_equal(ml_ledger_replay(C.path, scratch, &r), -EEXIST);
}

static void test_replay_names_first_tampered_block(void **state)
{
	struct ml_replay_result r;

	(void)state;
	/* flip a byte inside block 3's transfer amount: the header's
	 * transaction root no longer matches (nor would the signature)
	 */
	sql("UPDATE blocks SET data = substr(data, 1, 157 + 4 + 4 + 50 + 32 + 6)"
	    " || x'ff' || substr(data, 157 + 4 + 4 + 50 + 32 + 8)"
	    " WHERE height = 3");
	assert_int_equal(ml_ledger_replay(C.path, scratch, &r), -EBADMSG);
	assert_int_equal(r.first_bad, 3);
	assert_int_equal(r.height, 2);
	assert_int_equal(r.error, -EBADMSG);
}

static void test_replay_detects_edited_balance(void **state)
{
	struct ml_replay_result r;

	(void)state;
	sql("UPDATE accounts SET balance = balance + 1000000"
	    " WHERE balance = (SELECT max(balance) FROM accounts)");
	assert_int_equal(ml_ledger_replay(C.path, scratch, &r), -EBADMSG);
	assert_int_equal(r.live_differs, 1);
	assert_int_equal(r.height, 6);
	assert_int_equal(r.first_bad, 6);
}

static void test_replay_detects_missing_block(void **state)
{
	struct ml_replay_result r;

	(void)state;
	sql("DELETE FROM blocks WHERE height = 4");
	assert_int_equal(ml_ledger_replay(C.path, scratch, &r), -EUCLEAN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_replay_of_honest_chain_matches),
		T(test_replay_names_first_tampered_block),
		T(test_replay_detects_edited_balance),
		T(test_replay_detects_missing_block),
#undef T
	};

	return cmocka_run_group_tests_name("ledger replay", tests, NULL, NULL);
}
