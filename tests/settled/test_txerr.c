// SPDX-License-Identifier: GPL-2.0
/*
 * The words a user sees when the chain refuses a transaction: the same
 * ledger error means different things for different kinds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ledger.h"
#include "txerr.h"

static void has(int kind, int err, const char *words)
{
	const char *t = txerr_text(kind, err);

	if (!strstr(t, words))
		fail_msg("kind %d err %d: '%s' lacks '%s'", kind, err, t, words);
}

static void test_same_error_by_kind(void **state)
{
	(void)state;
	has(ML_TX_ORDER, -EPERM, "meter belongs to another account");
	has(ML_TX_DISPATCH, -EPERM, "only an operator");
	has(ML_TX_DISPATCH_ACK, -EPERM, "only the meter's owner");
	has(ML_TX_VALIDATOR_VOTE, -EPERM, "only a validator may vote");
	has(ML_TX_CANCEL, -EALREADY, "not open any more");
	has(ML_TX_DISPATCH_ACK, -EALREADY, "acknowledged already");
	has(ML_TX_ORDER, -ETIME, "gate has closed");
	has(ML_TX_DISPATCH_ACK, -ETIME, "window is over");
	has(ML_TX_DISPATCH_ACK, -ENOENT, "no such dispatch");
	has(ML_TX_REGISTER_METER, -EEXIST, "registered already");
	has(ML_TX_DISPATCH, -EINVAL, "interval boundaries");
}

static void test_settleds_own_errors(void **state)
{
	(void)state;
	has(ML_TX_TRANSFER, TXERR_NO_ACCOUNT, "account is not on the chain");
	has(ML_TX_ORDER, TXERR_NONCE, "out of sequence");
	has(ML_TX_TRANSFER, -ENOSPC, "not enough credits");
}

static void test_anything_else_is_named(void **state)
{
	(void)state;
	assert_string_equal(txerr_text(ML_TX_TRANSFER, -EIO), strerror(EIO));
	has(0, -EPERM, "may not");	/* an unknown kind still gets words */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_error_by_kind),
		cmocka_unit_test(test_settleds_own_errors),
		cmocka_unit_test(test_anything_else_is_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
