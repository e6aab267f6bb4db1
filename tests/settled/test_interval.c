// SPDX-License-Identifier: GPL-2.0
/* Interval aggregation: energy from accumulators, gaps, resets, carry. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/timex.h>

#include "interval.h"
#include "merkle.h"
#include "reading.h"

static const uint8_t meter[32] = { 9 };
static const struct clk synced = { TIME_OK, 0, 100, 10 };

static struct ival_sum run(const struct meterlink_reading *r, size_t n,
			   struct ival_prev *prev, const struct clk *c)
{
	struct ival_acc a;
	struct ival_sum s;
	struct ival_prev next;
	size_t i;

	ival_begin(&a, meter, 0, 900, prev);
	for (i = 0; i < n; i++)
		assert_int_equal(ival_add(&a, &r[i], c ? &c[i] : &synced), 0);
	assert_int_equal(ival_end(&a, &s, &next), 0);
	ival_free(&a);
	*prev = next;
	return s;
}

static void test_first_reading_is_the_baseline(void **state)
{
	struct meterlink_reading r[] = {
		mk(10, 1, 5000000, 7, 100, 0),
		mk(11, 2, 6500000, 7, 300, 0),
		mk(12, 3, 7000000, 9, -50, 0),
	};
	struct ival_prev p = { 0 };
	struct ival_sum s = run(r, 3, &p, NULL);

	(void)state;
	assert_int_equal(s.count, 3);
	assert_int_equal(s.gaps, 0);
	assert_int_equal(s.import_uwh, 2000000);
	assert_int_equal(s.export_uwh, 2);
	assert_int_equal(s.import_wh, 2);
	assert_int_equal(s.min_mw, -50);
	assert_int_equal(s.max_mw, 300);
	assert_int_equal(p.seq, 12);
	assert_int_equal(p.import_uwh, 7000000);
}

static void test_gaps_lose_no_energy(void **state)
{
	struct meterlink_reading r[] = {
		mk(1, 1, 1000, 0, 0, 0),
		mk(5, 2, 9000, 0, 0, 0),	/* 2, 3, 4 missing */
		mk(6, 3, 9500, 0, 0, 0),
	};
	struct ival_prev p = { .valid = 1, .seq = 0, .import_uwh = 500 };
	struct ival_sum s = run(r, 3, &p, NULL);

	(void)state;
	assert_int_equal(s.gaps, 3);
	assert_int_equal(s.import_uwh, 9000);	/* 9500 - 500 */
}

static void test_reset_counts_energy_since_reset(void **state)
{
	struct meterlink_reading r[] = {
		mk(100, 1, 50000, 10, 0, 0),
		mk(0, 2, 300, 1, 0, 0),		/* driver reloaded */
		mk(1, 3, 800, 1, 0, 0),
	};
	struct ival_prev p = { .valid = 1, .seq = 99, .import_uwh = 40000, .export_uwh = 10 };
	struct ival_sum s = run(r, 3, &p, NULL);

	(void)state;
	assert_int_equal(s.resets, 1);
	assert_int_equal(s.gaps, 0);
	assert_int_equal(s.import_uwh, 10000 + 300 + 500);
	assert_int_equal(s.export_uwh, 0 + 1 + 0);
}

static void test_accumulator_going_back_is_a_reset(void **state)
{
	struct meterlink_reading r[] = { mk(8, 1, 100, 0, 0, 0) };
	struct ival_prev p = { .valid = 1, .seq = 7, .import_uwh = 5000 };
	struct ival_sum s = run(r, 1, &p, NULL);

	(void)state;
	assert_int_equal(s.resets, 1);
	assert_int_equal(s.import_uwh, 100);
}

static void test_carry_keeps_sub_wh_energy(void **state)
{
	struct ival_prev p = { .valid = 1, .seq = 0, .import_uwh = 0 };
	uint64_t total_wh = 0, acc = 0, i;

	(void)state;
	for (i = 1; i <= 50; i++) {
		struct meterlink_reading r;

		acc += 333333 * i;
		r = mk(i, (int64_t)i, acc, 0, 0, 0);
		total_wh += run(&r, 1, &p, NULL).import_wh;
	}
	assert_int_equal(total_wh * 1000000 + p.carry_import_uwh, acc);
	assert_true(p.carry_import_uwh < 1000000);
}

static void test_invalid_readings_do_not_set_power(void **state)
{
	struct meterlink_reading r[] = {
		mk(1, 1, 0, 0, 999999, METERLINK_F_SPI_ERROR),
		mk(2, 2, 0, 0, 10, 0),
		mk(3, 3, 0, 0, -999999, METERLINK_F_INVALID),
	};
	struct ival_prev p = { 0 };
	struct ival_sum s = run(r, 3, &p, NULL);

	(void)state;
	assert_int_equal(s.invalid, 2);
	assert_int_equal(s.min_mw, 10);
	assert_int_equal(s.max_mw, 10);
}

static void test_clock_quality_is_the_worst_seen(void **state)
{
	struct meterlink_reading r[] = { mk(1, 1, 0, 0, 0, 0), mk(2, 2, 0, 0, 0, 0),
					 mk(3, 3, 0, 0, 0, 0) };
	struct clk c[] = {
		{ TIME_OK, 0, 500, 20 },
		{ TIME_ERROR, STA_UNSYNC, 16000000, 16000000 },
		{ TIME_OK, STA_UNSYNC, 10, 1 },
	};
	struct ival_prev p = { 0 };
	struct ival_sum s = run(r, 3, &p, c);

	(void)state;
	assert_int_equal(s.unsynced, 2);
	assert_int_equal(s.maxerror_us, 16000000);
	assert_int_equal(s.esterror_us, 16000000);
}

static void test_root_is_the_merkle_root_of_the_readings(void **state)
{
	struct meterlink_reading r[] = { mk(1, 1, 0, 0, 0, 0), mk(2, 2, 0, 0, 0, 0),
					 mk(3, 3, 0, 0, 0, 0) };
	uint8_t l[3][32], root[32];
	struct ival_prev p = { 0 };
	struct ival_sum s = run(r, 3, &p, NULL);
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		merkle_leaf(meter, &r[i], sizeof(r[i]), l[i]);
	merkle_root((const uint8_t (*)[32])l, 3, root);
	assert_memory_equal(s.root, root, 32);
}

static void test_empty_interval_has_no_summary(void **state)
{
	struct ival_acc a;
	struct ival_sum s;
	struct ival_prev p;

	(void)state;
	ival_begin(&a, meter, 0, 900, NULL);
	assert_int_equal(ival_end(&a, &s, &p), -ENODATA);
	ival_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_reading_is_the_baseline),
		cmocka_unit_test(test_gaps_lose_no_energy),
		cmocka_unit_test(test_reset_counts_energy_since_reset),
		cmocka_unit_test(test_accumulator_going_back_is_a_reset),
		cmocka_unit_test(test_carry_keeps_sub_wh_energy),
		cmocka_unit_test(test_invalid_readings_do_not_set_power),
		cmocka_unit_test(test_clock_quality_is_the_worst_seen),
		cmocka_unit_test(test_root_is_the_merkle_root_of_the_readings),
		cmocka_unit_test(test_empty_interval_has_no_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
