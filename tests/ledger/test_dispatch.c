// SPDX-License-Identifier: GPL-2.0
/* Dispatch: operator instructions, acknowledgements, measured compliance. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"

#define S1 (TH_T0 + 1800)

static struct th_chain C;
static EVP_PKEY *gw[2];

static int setup(void **state)
{
	struct th_opts o = { .nusers = 2, .user_balance = 1000 };

	(void)state;
	if (th_chain_init(&C, &o))
		return -1;
	gw[0] = th_register(&C, 0, C.user[0].pk, 1);
	gw[1] = th_register(&C, 1, C.user[1].pk, 1);
	return th_commit(&C, TH_T0 + 10);
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(gw[0]);
	EVP_PKEY_free(gw[1]);
	th_chain_free(&C);
	return 0;
}

static void dispatch(const struct th_key *from, int meter, int kind,
		     int64_t w, uint64_t start, uint64_t end, uint8_t id[32])
{
	struct ml_tx tx = { .kind = ML_TX_DISPATCH };

	th_meter_id(tx.u.dispatch.meter, meter);
	tx.u.dispatch.kind = (uint8_t)kind;
	tx.u.dispatch.value = w;
	tx.u.dispatch.start = start;
	tx.u.dispatch.end = end;
	assert_int_equal(th_add(&C, from, &tx), 0);
	ml_tx_id(&C.pend[C.npend - 1], id);
}

static void ack(const struct th_key *from, const uint8_t id[32], int status)
{
	struct ml_tx tx = { .kind = ML_TX_DISPATCH_ACK };

	memcpy(tx.u.ack.dispatch_id, id, 32);
	tx.u.ack.status = (uint8_t)status;
	assert_int_equal(th_add(&C, from, &tx), 0);
}

/* compliance rows of one dispatch, in interval order: status, deviation */
static int compliance(const uint8_t id[32], int *status, int64_t *dev, int max)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int n = 0;

	assert_int_equal(sqlite3_open(C.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT status, deviation FROM compliance WHERE dispatch = ?"
		" ORDER BY interval", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW && n < max) {
		status[n] = sqlite3_column_int(s, 0);
		dev[n++] = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void test_only_operator_dispatches_and_only_owner_acks(void **state)
{
	uint8_t id[32];

	(void)state;
	dispatch(&C.user[0], 0, ML_DISPATCH_EXPORT_LIMIT, 2000, S1, S1 + 900, id);
	assert_int_equal(th_commit(&C, TH_T0 + 20), -EPERM);
	dispatch(&C.op, 0, ML_DISPATCH_EXPORT_LIMIT, 2000, S1 + 1, S1 + 900, id);
	assert_int_equal(th_commit(&C, TH_T0 + 20), -EINVAL);	/* unaligned */
	dispatch(&C.op, 0, ML_DISPATCH_EXPORT_LIMIT, 2000, S1, S1 + 900, id);
	assert_int_equal(th_commit(&C, TH_T0 + 20), 0);
	ack(&C.user[1], id, ML_ACK_ACCEPT);
	assert_int_equal(th_commit(&C, TH_T0 + 30), -EPERM);
	ack(&C.user[0], id, ML_ACK_ACCEPT);
	assert_int_equal(th_commit(&C, TH_T0 + 30), 0);
	ack(&C.user[0], id, ML_ACK_REJECT);
	assert_int_equal(th_commit(&C, TH_T0 + 40), -EALREADY);
}

static void test_compliance_measured_from_reports(void **state)
{
	uint8_t lim[32], bat[32];
	int st[4];
	int64_t dev[4];

	(void)state;
	/* export at most 4 kW = 1000 Wh per 15 min, for two intervals */
	dispatch(&C.op, 0, ML_DISPATCH_EXPORT_LIMIT, 4000, S1, S1 + 1800, lim);
	/* charge a battery at 2 kW = 500 Wh per interval */
	dispatch(&C.op, 1, ML_DISPATCH_BATTERY, 2000, S1, S1 + 900, bat);
	assert_int_equal(th_commit(&C, TH_T0 + 20), 0);
	ack(&C.user[0], lim, ML_ACK_ACCEPT);
	ack(&C.user[1], bat, ML_ACK_ACCEPT);
	assert_int_equal(th_commit(&C, TH_T0 + 30), 0);
	assert_int_equal(th_report(&C, gw[0], &C.user[0], 0, S1, 0, 900), 0);
	assert_int_equal(th_report(&C, gw[1], &C.user[1], 1, S1, 510, 0), 0);
	assert_int_equal(th_commit(&C, S1 + 900), 0);
	assert_int_equal(th_report(&C, gw[0], &C.user[0], 0, S1 + 900, 0,
				   1250), 0);
	assert_int_equal(th_commit(&C, S1 + 1800), 0);
	assert_int_equal(th_commit(&C, S1 + 2100), 0);	/* both settled */
	assert_int_equal(compliance(lim, st, dev, 4), 2);
	assert_int_equal(st[0], 0);		/* 900 <= 1000: met */
	assert_int_equal(dev[0], 0);
	assert_int_equal(st[1], 1);		/* 1250 > 1000: missed by 250 */
	assert_int_equal(dev[1], 250);
	assert_int_equal(compliance(bat, st, dev, 4), 1);
	assert_int_equal(st[0], 0);		/* 510 vs 500: within 5 % */
	assert_int_equal(dev[0], 10);
}

static void test_missing_report_is_recorded_as_such(void **state)
{
	uint8_t id[32];
	int st[2];
	int64_t dev[2];

	(void)state;
	dispatch(&C.op, 0, ML_DISPATCH_IMPORT_LIMIT, 1000, S1, S1 + 900, id);
	assert_int_equal(th_commit(&C, TH_T0 + 20), 0);
	assert_int_equal(th_commit(&C, S1 + 1200), 0);
	assert_int_equal(compliance(id, st, dev, 2), 1);
	assert_int_equal(st[0], 2);
}

static void test_ack_after_window_is_refused(void **state)
{
	uint8_t id[32];

	(void)state;
	dispatch(&C.op, 0, ML_DISPATCH_CURTAIL, 0, S1, S1 + 900, id);
	assert_int_equal(th_commit(&C, TH_T0 + 20), 0);
	ack(&C.user[0], id, ML_ACK_ACCEPT);
	assert_int_equal(th_commit(&C, S1 + 900), -ETIME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_only_operator_dispatches_and_only_owner_acks),
		T(test_compliance_measured_from_reports),
		T(test_missing_report_is_recorded_as_such),
		T(test_ack_after_window_is_refused),
#undef T
	};

	return cmocka_run_group_tests_name("ledger dispatch", tests, NULL, NULL);
}
