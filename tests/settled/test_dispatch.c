// SPDX-License-Identifier: GPL-2.0
/*
 * Dispatch executor: "most restrictive wins" for every kind, and real
 * executor programs (arguments, environment, exit status, timeout).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dispatch.h"
#include "ledger.h"

static struct config cfg;
static char dir[128];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	config_defaults(&cfg);
	cfg.max_import_w = 5000;
	cfg.max_export_w = 3000;
	cfg.max_charge_w = 2000;
	cfg.max_discharge_w = 2500;
	cfg.max_pv_export_w = 4000;
	cfg.executor_timeout_ms = 2000;
	snprintf(dir, sizeof(dir), "%s/dispatch-test-%d", tmp ? tmp : "/tmp", getpid());
	return mkdir(dir, 0700);
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static int64_t clamp(uint8_t kind, int64_t v, int want_clamped)
{
	int64_t out = 12345;

	assert_int_equal(dispatch_clamp(&cfg, kind, v, &out), want_clamped);
	return out;
}

static void test_most_restrictive_wins(void **state)
{
	(void)state;
	assert_int_equal(clamp(ML_DISPATCH_IMPORT_LIMIT, 4000, 0), 4000);
	assert_int_equal(clamp(ML_DISPATCH_IMPORT_LIMIT, 9000, 1), 5000);
	assert_int_equal(clamp(ML_DISPATCH_IMPORT_LIMIT, -1, 1), 0);
	assert_int_equal(clamp(ML_DISPATCH_EXPORT_LIMIT, 3000, 0), 3000);
	assert_int_equal(clamp(ML_DISPATCH_EXPORT_LIMIT, 3001, 1), 3000);
	assert_int_equal(clamp(ML_DISPATCH_CURTAIL, 100000, 1), 4000);
	assert_int_equal(clamp(ML_DISPATCH_BATTERY, 1500, 0), 1500);
	assert_int_equal(clamp(ML_DISPATCH_BATTERY, 2001, 1), 2000);
	assert_int_equal(clamp(ML_DISPATCH_BATTERY, -2500, 0), -2500);
	assert_int_equal(clamp(ML_DISPATCH_BATTERY, -9999, 1), -2500);
	assert_int_equal(clamp(ML_DISPATCH_BATTERY, INT64_MIN, 1), -2500);
	assert_int_equal(clamp(ML_DISPATCH_IMPORT_LIMIT, INT64_MAX, 1), 5000);
}

static void test_unknown_kind_is_refused(void **state)
{
	int64_t out = 7;

	(void)state;
	assert_int_equal(dispatch_clamp(&cfg, 0, 1, &out), -EINVAL);
	assert_int_equal(dispatch_clamp(&cfg, 99, 1, &out), -EINVAL);
	assert_int_equal(out, 7);
}

static void script(const char *name, const char *body)
{
	char path[200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	snprintf(cfg.executor, sizeof(cfg.executor), "%s", path);
}

static const struct dispatch_order order = {
	.id = { 0xaa }, .meter = { 0xbb }, .kind = ML_DISPATCH_BATTERY,
	.value = -9000, .start = 1800000000, .end = 1800000900,
};

static void test_executor_gets_clamped_value_and_environment(void **state)
{
	char out[300], line[512];
	FILE *f;

	(void)state;
	snprintf(out, sizeof(out), "%s/args", dir);
	snprintf(line, sizeof(line), "echo \"$@|$SETTLED_REQUESTED_W|$SETTLED_CLAMPED|"
		 "${SETTLED_METER%%%%????????????????????????????????????????????????????????????}|"
		 "${#SETTLED_DISPATCH_ID}\" > '%s'", out);
	script("ok.sh", line);
	assert_int_equal(dispatch_run(&cfg, &order), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "battery -2500 1800000000 1800000900|-9000|1|bb00|64\n");
}

static void test_exit_status_is_returned(void **state)
{
	(void)state;
	script("fail.sh", "exit 3");
	assert_int_equal(dispatch_run(&cfg, &order), 3);
}

static void test_hanging_executor_is_killed(void **state)
{
	(void)state;
	cfg.executor_timeout_ms = 200;
	script("hang.sh", "exec sleep 30");
	assert_int_equal(dispatch_run(&cfg, &order), -ETIMEDOUT);
	cfg.executor_timeout_ms = 2000;
}

static void test_missing_or_unset_executor(void **state)
{
	(void)state;
	snprintf(cfg.executor, sizeof(cfg.executor), "%s/none.sh", dir);
	assert_int_equal(dispatch_run(&cfg, &order), -ENOENT);
	cfg.executor[0] = 0;
	assert_int_equal(dispatch_run(&cfg, &order), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_most_restrictive_wins),
		cmocka_unit_test(test_unknown_kind_is_refused),
		cmocka_unit_test(test_executor_gets_clamped_value_and_environment),
		cmocka_unit_test(test_exit_status_is_returned),
		cmocka_unit_test(test_hanging_executor_is_killed),
		cmocka_unit_test(test_missing_or_unset_executor),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
