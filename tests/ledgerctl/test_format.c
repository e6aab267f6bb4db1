// SPDX-License-Identifier: GPL-2.0
/* ledgerctl's value parsers and printers (tools/ledgerctl/format.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ledgerctl.h"

static void test_credits_parse_exact_micro_units(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(parse_credits("12", 1ULL << 53, &v), 0);
	assert_int_equal(v, 12000000);
	assert_int_equal(parse_credits("0.000001", 1ULL << 53, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(parse_credits("1.5", 1ULL << 53, &v), 0);
	assert_int_equal(v, 1500000);
	assert_int_equal(parse_credits("0.175", ML_MAX_PRICE, &v), 0);
	assert_int_equal(v, 175000);
}

static void test_credits_refuse_junk_precision_and_range(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(parse_credits("", 100, &v), -EINVAL);
	assert_int_equal(parse_credits("1.", 1ULL << 53, &v), -EINVAL);
	assert_int_equal(parse_credits(".5", 1ULL << 53, &v), -EINVAL);
	assert_int_equal(parse_credits("1.0000001", 1ULL << 53, &v), -EINVAL);
	assert_int_equal(parse_credits("-1", 1ULL << 53, &v), -EINVAL);
	assert_int_equal(parse_credits("1e3", 1ULL << 53, &v), -EINVAL);
	assert_int_equal(parse_credits("1.2x", 1ULL << 53, &v), -EINVAL);
	assert_int_equal(parse_credits("99999999999999999999999", 1ULL << 53, &v),
			 -EINVAL);
	assert_int_equal(parse_credits("2148", ML_MAX_PRICE, &v), -ERANGE);
	assert_int_equal(v, 7);
}

static void test_credits_print_sign_and_six_decimals(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(fmt_credits(0, b), "0.000000");
	assert_string_equal(fmt_credits(-40000, b), "-0.040000");
	assert_string_equal(fmt_credits(10310000, b), "10.310000");
	assert_string_equal(fmt_credits(INT64_MIN, b), "-9223372036854.775808");
}

static void test_hex_is_exact_length_and_digits(void **state)
{
	uint8_t k[2];
	char out[5];

	(void)state;
	assert_int_equal(parse_hex("a0Ff", k, 2), 0);
	assert_int_equal(k[0], 0xa0);
	assert_int_equal(k[1], 0xff);
	fmt_hex(out, k, 2);
	assert_string_equal(out, "a0ff");
	assert_int_equal(parse_hex("a0f", k, 2), -EINVAL);
	assert_int_equal(parse_hex("a0fff", k, 2), -EINVAL);
	assert_int_equal(parse_hex("a0fg", k, 2), -EINVAL);
}

static void test_meter_names_round_trip_and_ids_stay_hex(void **state)
{
	uint8_t id[ML_ID_LEN];
	char out[65], hex[65];

	(void)state;
	assert_int_equal(parse_meter("pv-home", id), 0);
	assert_string_equal(fmt_meter(id, out), "pv-home");
	memset(id, 0xab, sizeof(id));
	fmt_hex(hex, id, ML_ID_LEN);
	assert_string_equal(fmt_meter(id, out), hex);
	assert_int_equal(parse_meter(hex, id), 0);
	assert_int_equal(id[31], 0xab);
	/* a name followed by a non-zero byte is not a name */
	memset(id, 0, sizeof(id));
	memcpy(id, "meter", 5);
	id[31] = 1;
	assert_int_equal(strlen(fmt_meter(id, out)), 64);
	assert_int_equal(parse_meter("", id), -EINVAL);
	assert_int_equal(parse_meter("has space", id), -EINVAL);
	assert_int_equal(parse_meter("123456789012345678901234567890123", id),
			 -EINVAL);
}

static void test_times_unix_or_utc_iso(void **state)
{
	uint64_t t = 0;
	char b[32];

	(void)state;
	assert_int_equal(parse_time("1700001900", &t), 0);
	assert_int_equal(t, 1700001900);
	assert_int_equal(parse_time("2023-11-14T22:45", &t), 0);
	assert_int_equal(t, 1700001900);
	assert_int_equal(parse_time("2023-11-14T22:45:00Z", &t), 0);
	assert_int_equal(t, 1700001900);
	assert_string_equal(fmt_time(t, b), "2023-11-14T22:45:00Z");
	assert_int_equal(parse_time("2023-11-14", &t), -EINVAL);
	assert_int_equal(parse_time("2023-11-14T22:45:00+01", &t), -EINVAL);
	assert_int_equal(parse_time("soon", &t), -EINVAL);
	assert_int_equal(parse_day("2023-11-14", &t), 0);
	assert_int_equal(t, 1699920000);
	assert_int_equal(parse_day("2023-11-14T00:00", &t), -EINVAL);
	assert_int_equal(parse_day("2023-13-01", &t), -EINVAL);
}

static void test_u64_refuses_overflow_and_signs(void **state)
{
	uint64_t v = 3;

	(void)state;
	assert_int_equal(parse_u64("18446744073709551615", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("-1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("+1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse_u64("11", 10, &v), -ERANGE);
	assert_int_equal(v, 3);
	assert_int_equal(parse_u64("10", 10, &v), 0);
	assert_int_equal(v, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credits_parse_exact_micro_units),
		cmocka_unit_test(test_credits_refuse_junk_precision_and_range),
		cmocka_unit_test(test_credits_print_sign_and_six_decimals),
		cmocka_unit_test(test_hex_is_exact_length_and_digits),
		cmocka_unit_test(test_meter_names_round_trip_and_ids_stay_hex),
		cmocka_unit_test(test_times_unix_or_utc_iso),
		cmocka_unit_test(test_u64_refuses_overflow_and_signs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
