// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: board scaling. Exact 128-bit products, gains from the properties,
 * conversions through a board, refusals, exact energy on any board.
 */
#include <kunit/test.h>
#include <linux/property.h>

#include "under_test.h"

static void mul_div_is_exact_past_64_bits(struct kunit *test)
{
	u64 q, r;

	KUNIT_ASSERT_EQ(test, meter_mul_div(U64_MAX, U64_MAX, 0, U64_MAX, &q, &r), 0);
	KUNIT_EXPECT_EQ(test, q, U64_MAX);
	KUNIT_EXPECT_EQ(test, r, 0ULL);
	/* 2^63 * 3 / 2^62 = 6 */
	KUNIT_ASSERT_EQ(test, meter_mul_div(1ULL << 63, 3, 0, 1ULL << 62, &q, &r), 0);
	KUNIT_EXPECT_EQ(test, q, 6ULL);
	/* (2^40 + 1) * 2^40 + 5, over 2^41: 2^39 + 0.5, remainder 2^40 + 5 */
	KUNIT_ASSERT_EQ(test, meter_mul_div((1ULL << 40) + 1, 1ULL << 40, 5,
					    1ULL << 41, &q, &r), 0);
	KUNIT_EXPECT_EQ(test, q, 1ULL << 39);
	KUNIT_EXPECT_EQ(test, r, (1ULL << 40) + 5);
	/* the addend carries into the high word */
	KUNIT_ASSERT_EQ(test, meter_mul_div(U64_MAX, 1, U64_MAX, 3, &q, &r), 0);
	KUNIT_EXPECT_EQ(test, q, 12297829382473034410ULL);	/* (2^65-2)/3 */
	KUNIT_EXPECT_EQ(test, r, 0ULL);
	KUNIT_EXPECT_EQ(test, meter_mul_div(10, 10, 5, 7, &q, &r), 0);
	KUNIT_EXPECT_EQ(test, q, 15ULL);
	KUNIT_EXPECT_EQ(test, r, 0ULL);
}

static void mul_div_refuses_a_quotient_past_64_bits(struct kunit *test)
{
	u64 q = 7, r = 7;

	KUNIT_EXPECT_EQ(test, meter_mul_div(1ULL << 40, 1ULL << 40, 0, 1 << 10,
					    &q, &r), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, meter_mul_div(1, 1, 0, 0, &q, &r), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, q, 7ULL);		/* untouched */
}

static void ratio_scale_rounds_half_away_from_zero(struct kunit *test)
{
	struct meter_ratio half = { 1, 2 }, third = { 1, 3 };
	struct meter_ratio big = { (1ULL << 40) + 1, 1ULL << 20 };

	KUNIT_EXPECT_EQ(test, meter_ratio_scale(1, &half), 1LL);
	KUNIT_EXPECT_EQ(test, meter_ratio_scale(-1, &half), -1LL);
	KUNIT_EXPECT_EQ(test, meter_ratio_scale(1, &third), 0LL);
	KUNIT_EXPECT_EQ(test, meter_ratio_scale(2, &third), 1LL);
	KUNIT_EXPECT_EQ(test, meter_ratio_scale(-2, &third), -1LL);
	KUNIT_EXPECT_EQ(test, meter_ratio_scale(1LL << 40, &big),
			(1LL << 60) + (1LL << 20));
	KUNIT_EXPECT_EQ(test, meter_ratio_scale(S64_MIN, &big), -S64_MAX);
}

static void ratio_mul_reduces_and_refuses_overflow(struct kunit *test)
{
	struct meter_ratio a = { 6, 35 }, b = { 14, 9 }, out;
	struct meter_ratio x = { 1ULL << 40, 1 }, y = { 1ULL << 30, 3 };

	KUNIT_ASSERT_EQ(test, meter_ratio_mul(&out, &a, &b), 0);
	KUNIT_EXPECT_EQ(test, out.num, 4ULL);
	KUNIT_EXPECT_EQ(test, out.den, 15ULL);
	KUNIT_EXPECT_EQ(test, meter_ratio_mul(&out, &x, &y), -EOVERFLOW);
}

static int derive(const struct meter_chip *c, const struct property_entry *p,
		  struct meter_scaling *s)
{
	struct fwnode_handle *fw = NULL;
	struct meter_board b;
	int ret;

	if (p) {
		fw = fwnode_create_software_node(p, NULL);
		if (IS_ERR(fw))
			return PTR_ERR(fw);
	}
	ret = meter_board_read(NULL, fw, c, &b);
	if (!ret)
		ret = meter_scaling_derive(NULL, c, &b, s);
	fwnode_remove_software_node(fw);
	return ret;
}

static void reference_board_gains_are_one(struct kunit *test)
{
	const struct meter_chip *chips[] = { &meter_ade7953, &meter_atm90e32 };
	struct meter_scaling *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned int i, p;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < ARRAY_SIZE(chips); i++) {
		const struct meter_chip *c = chips[i];

		KUNIT_ASSERT_EQ(test, derive(c, NULL, s), 0);
		KUNIT_EXPECT_FALSE(test, s->board.from_firmware);
		for (p = 0; p < c->nr_phases; p++) {
			KUNIT_EXPECT_EQ(test, s->gain_v[p].num, 1ULL);
			KUNIT_EXPECT_EQ(test, s->gain_v[p].den, 1ULL);
			KUNIT_EXPECT_EQ(test, s->gain_i[p].num, 1ULL);
			KUNIT_EXPECT_EQ(test, s->gain_i[p].den, 1ULL);
			KUNIT_EXPECT_EQ(test, s->gain_p[p].num, 1ULL);
			KUNIT_EXPECT_EQ(test, s->gain_p[p].den, 1ULL);
		}
	}
	/* the chip constants, energy in nWh */
	KUNIT_ASSERT_EQ(test, derive(&meter_ade7953, NULL, s), 0);
	KUNIT_EXPECT_EQ(test, s->conv[1][METER_Q_VOLTAGE].num, 500ULL);
	KUNIT_EXPECT_EQ(test, s->conv[1][METER_Q_VOLTAGE].den, 13ULL);
	KUNIT_EXPECT_EQ(test, s->conv[0][METER_Q_E_IMPORT].num, 80000000ULL);
	KUNIT_EXPECT_EQ(test, s->conv[0][METER_Q_E_IMPORT].den, 693ULL);
	KUNIT_EXPECT_EQ(test, s->board.shunt_uohm[1], 3915U);
}

/* the ADE7953 binding's example: shunt on A, CT on B */
static const u32 mixed_shunt[] = { 250, 0 }, mixed_ct[] = { 0, 2000 };
static const u32 mixed_burden[] = { 0, 10000000 };
static const struct property_entry ade_mixed[] = {
	PROPERTY_ENTRY_U32("meterlink,voltage-divider-ratio", 1001),
	PROPERTY_ENTRY_U32_ARRAY("meterlink,shunt-micro-ohms", mixed_shunt),
	PROPERTY_ENTRY_U32_ARRAY("meterlink,ct-ratio", mixed_ct),
	PROPERTY_ENTRY_U32_ARRAY("meterlink,burden-micro-ohms", mixed_burden),
	{ }
};

static void gains_follow_the_board(struct kunit *test)
{
	struct meter_scaling *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, derive(&meter_ade7953, ade_mixed, s), 0);
	KUNIT_EXPECT_TRUE(test, s->board.from_firmware);
	/* 1001 / 983 */
	KUNIT_EXPECT_EQ(test, s->gain_v[1].num, 1001ULL);
	KUNIT_EXPECT_EQ(test, s->gain_v[1].den, 983ULL);
	/* 3915 uOhm / 250 uOhm = 783/50; 3915 / (10 Ohm / 2000) = 783/1000 */
	KUNIT_EXPECT_EQ(test, s->gain_i[0].num, 783ULL);
	KUNIT_EXPECT_EQ(test, s->gain_i[0].den, 50ULL);
	KUNIT_EXPECT_EQ(test, s->gain_i[1].num, 783ULL);
	KUNIT_EXPECT_EQ(test, s->gain_i[1].den, 1000ULL);
	KUNIT_EXPECT_EQ(test, s->gain_p[1].num, 783783ULL);
	KUNIT_EXPECT_EQ(test, s->gain_p[1].den, 983000ULL);
	/* WATT 500/77 mW per code, times 783783/983000 = 3919/7568 ... */
	KUNIT_EXPECT_EQ(test, s->conv[1][METER_Q_ACTIVE].num * 77 * 983000,
			s->conv[1][METER_Q_ACTIVE].den * 500 * 783783);
}

/* a 230 V line on the board: the code the chip shows, back to volts */
static void conversion_through_a_board_recovers_the_line(struct kunit *test)
{
	struct meter_scaling *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	const struct meter_ratio *v;
	s64 code, uv, lsb;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, derive(&meter_ade7953, ade_mixed, s), 0);
	v = &s->conv[0][METER_Q_VOLTAGE];
	/* pin: 230 V / 1001; the chip: 26000 * 983 codes per pin volt */
	code = DIV_ROUND_CLOSEST_ULL(230ULL * 26000 * 983, 1001);
	uv = meter_ratio_convert(v, code, 0);
	lsb = div64_u64(v->num, v->den) + 1;
	KUNIT_EXPECT_LE(test, abs(uv - 230000000LL), lsb);
	/* and with a +1 % calibration on top */
	KUNIT_EXPECT_LE(test, abs(meter_ratio_convert(v, code, 10000) -
				  232300000LL), lsb + 3);
}

static void absurd_or_inexact_boards_are_refused(struct kunit *test)
{
	static const struct property_entry huge_current[] = {
		PROPERTY_ENTRY_U32("meterlink,ct-ratio", 100000),
		PROPERTY_ENTRY_U32("meterlink,burden-micro-ohms", 1),
		{ }
	};
	static const struct property_entry primes[] = {
		PROPERTY_ENTRY_U32("meterlink,voltage-divider-ratio", 999983),
		PROPERTY_ENTRY_U32("meterlink,ct-ratio", 99991),
		PROPERTY_ENTRY_U32("meterlink,burden-micro-ohms", 999999937),
		{ }
	};
	static const u32 three[] = { 1000, 2000, 3000 };
	static const struct property_entry too_long[] = {
		PROPERTY_ENTRY_U32_ARRAY("meterlink,shunt-micro-ohms", three),
		{ }
	};
	static const struct property_entry zero[] = {
		PROPERTY_ENTRY_U32("meterlink,voltage-divider-ratio", 0),
		{ }
	};
	static const struct property_entry both[] = {
		PROPERTY_ENTRY_U32("meterlink,shunt-micro-ohms", 250),
		PROPERTY_ENTRY_U32("meterlink,ct-ratio", 2000),
		PROPERTY_ENTRY_U32("meterlink,burden-micro-ohms", 10000000),
		{ }
	};
	struct meter_scaling *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, derive(&meter_ade7953, huge_current, s), -ERANGE);
	KUNIT_EXPECT_EQ(test, derive(&meter_atm90e32, huge_current, s), -ERANGE);
	KUNIT_EXPECT_EQ(test, derive(&meter_ade7953, primes, s), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, derive(&meter_atm90e32, primes, s), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, derive(&meter_ade7953, too_long, s), -EINVAL);
	KUNIT_EXPECT_EQ(test, derive(&meter_atm90e32, too_long, s), 0);
	KUNIT_EXPECT_EQ(test, derive(&meter_ade7953, zero, s), -EINVAL);
	KUNIT_EXPECT_EQ(test, derive(&meter_atm90e32, both, s), -EINVAL);
}

/*
 * An awkward but valid board: read often or once, with or without
 * calibration, the energy is exactly counts * num / den.
 */
static void energy_stays_exact_on_any_board(struct kunit *test)
{
	static const struct property_entry odd[] = {
		PROPERTY_ENTRY_U32("meterlink,voltage-divider-ratio", 1003),
		PROPERTY_ENTRY_U32("meterlink,ct-ratio", 2000),
		PROPERTY_ENTRY_U32("meterlink,burden-micro-ohms", 9999999),
		{ }
	};
	struct meter_scaling *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct meter_energy many = {}, one = {}, cal_many = {}, cal_one = {};
	const struct meter_ratio *r;
	u64 total = 0, q, rem;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, derive(&meter_atm90e32, odd, s), 0);
	r = &s->conv[2][METER_Q_E_IMPORT];
	KUNIT_EXPECT_GT(test, r->den, 1000000ULL);	/* not a round ratio */
	for (i = 0; i < 3000; i++) {
		u64 d = (i * 7919) % 0x10000;

		meter_energy_add(&many, r, d, 0);
		meter_energy_add(&cal_many, r, d, -123457);
		total += d;
	}
	meter_energy_add(&one, r, total, 0);
	meter_energy_add(&cal_one, r, total, -123457);
	KUNIT_EXPECT_EQ(test, many.nwh, one.nwh);
	KUNIT_EXPECT_EQ(test, many.rem, one.rem);
	KUNIT_EXPECT_EQ(test, cal_many.nwh, cal_one.nwh);
	KUNIT_EXPECT_EQ(test, cal_many.rem, cal_one.rem);
	KUNIT_ASSERT_EQ(test, meter_mul_div(total * 1000000, r->num, 0,
					    r->den * 1000000, &q, &rem), 0);
	KUNIT_EXPECT_EQ(test, many.nwh, q);
	KUNIT_EXPECT_EQ(test, many.rem, rem);
}

static struct kunit_case scaling_cases[] = {
	KUNIT_CASE(mul_div_is_exact_past_64_bits),
	KUNIT_CASE(mul_div_refuses_a_quotient_past_64_bits),
	KUNIT_CASE(ratio_scale_rounds_half_away_from_zero),
	KUNIT_CASE(ratio_mul_reduces_and_refuses_overflow),
	KUNIT_CASE(reference_board_gains_are_one),
	KUNIT_CASE(gains_follow_the_board),
	KUNIT_CASE(conversion_through_a_board_recovers_the_line),
	KUNIT_CASE(absurd_or_inexact_boards_are_refused),
	KUNIT_CASE(energy_stays_exact_on_any_board),
	{}
};

static struct kunit_suite scaling_suite = {
	.name = "meterlink-scaling",
	.test_cases = scaling_cases,
};

kunit_test_suite(scaling_suite);
