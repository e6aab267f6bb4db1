// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the record's encoding and the timestamp uncertainty bookkeeping.
 */
#include <kunit/test.h>
#include <linux/stddef.h>

#include "under_test.h"

static void layout_is_fixed(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct meterlink_reading), (size_t)240);
	KUNIT_EXPECT_EQ(test, sizeof(struct meterlink_phase), (size_t)64);
	KUNIT_EXPECT_EQ(test, offsetof(struct meterlink_reading, seq), (size_t)8);
	KUNIT_EXPECT_EQ(test, offsetof(struct meterlink_reading, realtime_ns),
			(size_t)16);
	KUNIT_EXPECT_EQ(test, offsetof(struct meterlink_reading, uncertainty_ns),
			(size_t)32);
	KUNIT_EXPECT_EQ(test, offsetof(struct meterlink_reading, phase),
			(size_t)48);
	KUNIT_EXPECT_EQ(test, sizeof(struct meterlink_info), (size_t)80);
	KUNIT_EXPECT_EQ(test, sizeof(struct meterlink_stats), (size_t)96);
}

static void init_sets_header_and_zeroes_rest(struct kunit *test)
{
	struct meterlink_reading r;
	unsigned int i;

	memset(&r, 0xa5, sizeof(r));
	meter_record_init(&r, 3, 1700000000123456789LL, 42);
	KUNIT_EXPECT_EQ(test, r.version, (u16)METERLINK_READING_VERSION);
	KUNIT_EXPECT_EQ(test, r.size, (u16)sizeof(r));
	KUNIT_EXPECT_EQ(test, r.nr_phases, 3U);
	KUNIT_EXPECT_EQ(test, r.realtime_ns, 1700000000123456789LL);
	KUNIT_EXPECT_EQ(test, r.boottime_ns, 42LL);
	KUNIT_EXPECT_EQ(test, r.flags, 0U);
	KUNIT_EXPECT_EQ(test, r.reserved[0] | r.reserved[1], 0U);
	for (i = 0; i < METERLINK_MAX_PHASES; i++)
		KUNIT_EXPECT_EQ(test, r.phase[i].reserved[0] |
				r.phase[i].reserved[1], 0U);
}

static void uncertainty_is_the_window(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, meter_uncertainty(1000, 251000), 250000U);
	KUNIT_EXPECT_EQ(test, meter_uncertainty(1000, 1000), 0U);
}

static void uncertainty_clamps(struct kunit *test)
{
	/* the clock stepped back between timestamp and read: no window */
	KUNIT_EXPECT_EQ(test, meter_uncertainty(5000, 1000), 0U);
	/* a window beyond 4.29 s saturates rather than wraps */
	KUNIT_EXPECT_EQ(test, meter_uncertainty(0, 10000000000LL), U32_MAX);
}

static void flags_are_disjoint_and_known(struct kunit *test)
{
	u32 f[] = { METERLINK_F_IRQ, METERLINK_F_SPI_ERROR,
		    METERLINK_F_CORRECTED, METERLINK_F_MISSED,
		    METERLINK_F_IRQ_FAULT, METERLINK_F_INVALID };
	u32 seen = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		KUNIT_EXPECT_EQ(test, seen & f[i], 0U);
		seen |= f[i];
	}
	KUNIT_EXPECT_EQ(test, seen, METERLINK_F_ALL);
}

static struct kunit_case record_cases[] = {
	KUNIT_CASE(layout_is_fixed),
	KUNIT_CASE(init_sets_header_and_zeroes_rest),
	KUNIT_CASE(uncertainty_is_the_window),
	KUNIT_CASE(uncertainty_clamps),
	KUNIT_CASE(flags_are_disjoint_and_known),
	{}
};

static struct kunit_suite record_suite = {
	.name = "meterlink-record",
	.test_cases = record_cases,
};

kunit_test_suite(record_suite);
