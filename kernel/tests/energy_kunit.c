// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: 64-bit energy accumulation across the chips' read-to-clear
 * registers: no count lost, no rounding drift, no wrap.
 */
#include <kunit/test.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/random.h>

#include "under_test.h"

/* nWh per count on the chip's reference board */
static const struct meter_ratio *e_conv(const struct meter_chip *c)
{
	static struct meter_scaling s;
	struct meter_board b;

	if (meter_board_read(NULL, NULL, c, &b) ||
	    meter_scaling_derive(NULL, c, &b, &s))
		return NULL;
	return &s.conv[0][METER_Q_E_IMPORT];
}

/* reading a register often or once must give the same energy */
static void many_small_reads_equal_one_large(struct kunit *test)
{
	const struct meter_ratio *ec = e_conv(&meter_ade7953);
	struct meter_energy many = {}, one = {};
	u64 total = 0;
	int i;

	for (i = 0; i < 10000; i++) {
		u64 d = i % 7;	/* counts between two read-to-clear reads */

		meter_energy_add(&many, ec, d, 0);
		total += d;
	}
	meter_energy_add(&one, ec, total, 0);
	KUNIT_EXPECT_EQ(test, many.nwh, one.nwh);
	KUNIT_EXPECT_EQ(test, many.rem, one.rem);
	/* 29994 counts of 64e6/(154*3600) uWh: 3462510.8 uWh */
	KUNIT_EXPECT_EQ(test, meter_energy_uwh(&many), 3462510ULL);
}

static void remainder_stays_below_one_nwh(struct kunit *test)
{
	const struct meter_ratio *ec = e_conv(&meter_ade7953);
	struct meter_energy e = {};
	int i;

	for (i = 0; i < 1000; i++) {
		meter_energy_add(&e, ec, 1, 0);
		KUNIT_EXPECT_LT(test, e.rem, ec->den * 1000000);
	}
	/* 1000 counts, 115440115.44 nWh */
	KUNIT_EXPECT_EQ(test, e.nwh, 115440115ULL);
}

static void atm90e32_counts_exactly(struct kunit *test)
{
	struct meter_energy e = {};

	meter_energy_add(&e, e_conv(&meter_atm90e32), 0xffff, 0);
	KUNIT_EXPECT_EQ(test, meter_energy_uwh(&e), 65535ULL * 3125);
	KUNIT_EXPECT_EQ(test, e.rem, 0ULL);
}

/* a full 32-bit xWATTHR_HI read (106 s at full scale) fits in 64 bits */
static void ade9000_full_register_exact(struct kunit *test)
{
	const struct meter_ratio *ec = e_conv(&meter_ade9000);
	struct meter_energy e = {};
	u64 x, rem;

	KUNIT_ASSERT_NOT_NULL(test, ec);
	/* 11045/8186 uWh a count, reduced */
	KUNIT_EXPECT_EQ(test, ec->num * 8186, ec->den * 11045 * 1000);
	meter_energy_add(&e, ec, (u64)S32_MAX, 0);
	meter_energy_add(&e, ec, 8186, 0);
	/* the sum exactly: whole nWh, and the rest in 1 / (den * 1e6) nWh */
	x = ((u64)S32_MAX + 8186) * ec->num;
	KUNIT_EXPECT_EQ(test, e.nwh, div64_u64_rem(x, ec->den, &rem));
	KUNIT_EXPECT_EQ(test, e.rem, rem * 1000000);
	/* 2^31 - 1 + 8186 counts of 1.34925484 uWh: 2897.5 kWh */
	KUNIT_EXPECT_EQ(test, meter_energy_uwh(&e), 2897513717ULL);
}

static void calibration_applies_to_new_energy_only(struct kunit *test)
{
	const struct meter_ratio *ec = e_conv(&meter_atm90e32);
	struct meter_energy e = {};

	meter_energy_add(&e, ec, 1000, 0);
	meter_energy_add(&e, ec, 1000, 100000);	/* +10 % from here on */
	KUNIT_EXPECT_EQ(test, meter_energy_uwh(&e), 3125000ULL + 3437500ULL);
}

/* decades of a large home at full register rate stay exact in 64 bits */
static void accumulator_does_not_wrap(struct kunit *test)
{
	const struct meter_ratio *ec = e_conv(&meter_atm90e32);
	struct meter_energy e = { .nwh = 1ULL << 62 };
	u64 before = e.nwh;

	meter_energy_add(&e, ec, 0xffff, 0);
	KUNIT_EXPECT_EQ(test, e.nwh - before, 65535ULL * 3125 * 1000);
}

static void random_deltas_sum_exactly(struct kunit *test)
{
	const struct meter_ratio *ec = e_conv(&meter_ade7953);
	struct meter_energy e = {};
	u64 total = 0, q, rem;
	int i;

	for (i = 0; i < 5000; i++) {
		u32 d = get_random_u32() & 0x7fffff;	/* any 24-bit delta */

		meter_energy_add(&e, ec, d, 0);
		total += d;
	}
	/* nwh * den * 1e6 + rem is exactly total * num * 1e6 */
	KUNIT_ASSERT_EQ(test, meter_mul_div(total * 1000000, ec->num, 0,
					    ec->den * 1000000, &q, &rem), 0);
	KUNIT_EXPECT_EQ(test, e.nwh, q);
	KUNIT_EXPECT_EQ(test, e.rem, rem);
}

static struct kunit_case energy_cases[] = {
	KUNIT_CASE(many_small_reads_equal_one_large),
	KUNIT_CASE(remainder_stays_below_one_nwh),
	KUNIT_CASE(atm90e32_counts_exactly),
	KUNIT_CASE(ade9000_full_register_exact),
	KUNIT_CASE(calibration_applies_to_new_energy_only),
	KUNIT_CASE(accumulator_does_not_wrap),
	KUNIT_CASE(random_deltas_sum_exactly),
	{}
};

static struct kunit_suite energy_suite = {
	.name = "meterlink-energy",
	.test_cases = energy_cases,
};

kunit_test_suite(energy_suite);
