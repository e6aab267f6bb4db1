// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the reader ring. Every reader has its own position; a slow one
 * loses the oldest records, sees the gap in seq and learns the count; the
 * others lose nothing.
 */
#include <kunit/test.h>

#include "under_test.h"

#define RING 16

static void push(struct meter_ring *r, unsigned int n)
{
	struct meterlink_reading rec;

	while (n--) {
		meter_record_init(&rec, 1, 0, 0);
		meter_ring_push(r, &rec);
	}
}

static void init_ring(struct kunit *test, struct meter_ring *r)
{
	KUNIT_ASSERT_EQ(test, meter_ring_init(r, RING), 0);
}

/* a ring's worth of records is too big for a kernel stack */
static struct meterlink_reading *out_buf(struct kunit *test)
{
	struct meterlink_reading *out;

	out = kunit_kcalloc(test, RING, sizeof(*out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, out);
	return out;
}

static void refuses_non_power_of_two(struct kunit *test)
{
	struct meter_ring r;

	KUNIT_EXPECT_EQ(test, meter_ring_init(&r, 12), -EINVAL);
}

static void reader_gets_every_record_in_order(struct kunit *test)
{
	struct meterlink_reading *out = out_buf(test);
	struct meter_ring r;
	u64 pos = 0, lost = 0;
	unsigned int n, i;

	init_ring(test, &r);
	push(&r, 10);
	n = meter_ring_copy(&r, &pos, &lost, out, RING);
	KUNIT_EXPECT_EQ(test, n, 10U);
	KUNIT_EXPECT_EQ(test, lost, 0ULL);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, out[i].seq, (u64)i);
	KUNIT_EXPECT_EQ(test, meter_ring_copy(&r, &pos, &lost, out, RING), 0U);
	meter_ring_free(&r);
}

static void slow_reader_overruns_and_sees_gap(struct kunit *test)
{
	struct meterlink_reading *out = out_buf(test);
	struct meter_ring r;
	u64 pos = 0, lost = 0;
	unsigned int n;

	init_ring(test, &r);
	push(&r, RING + 5);
	n = meter_ring_copy(&r, &pos, &lost, out, RING);
	KUNIT_EXPECT_EQ(test, n, (unsigned int)RING);
	KUNIT_EXPECT_EQ(test, lost, 5ULL);
	KUNIT_EXPECT_EQ(test, out[0].seq, 5ULL);	/* the gap: 0..4 gone */
	KUNIT_EXPECT_EQ(test, out[RING - 1].seq, (u64)RING + 4);
	meter_ring_free(&r);
}

static void readers_are_independent(struct kunit *test)
{
	struct meterlink_reading *out = out_buf(test);
	struct meter_ring r;
	u64 fast = 0, slow = 0, lost_fast = 0, lost_slow = 0, expect = 0;
	unsigned int round, n, i;

	init_ring(test, &r);
	for (round = 0; round < 10; round++) {
		push(&r, 7);
		n = meter_ring_copy(&r, &fast, &lost_fast, out, RING);
		KUNIT_EXPECT_EQ(test, n, 7U);
		for (i = 0; i < n; i++)
			KUNIT_EXPECT_EQ(test, out[i].seq, expect++);
	}
	KUNIT_EXPECT_EQ(test, lost_fast, 0ULL);
	n = meter_ring_copy(&r, &slow, &lost_slow, out, RING);
	KUNIT_EXPECT_EQ(test, lost_slow, 70ULL - RING);
	KUNIT_EXPECT_EQ(test, n, (unsigned int)RING);
	KUNIT_EXPECT_EQ(test, out[0].seq, 70ULL - RING);
	meter_ring_free(&r);
}

static void copy_respects_max(struct kunit *test)
{
	struct meterlink_reading out[4];
	struct meter_ring r;
	u64 pos = 0, lost = 0;

	init_ring(test, &r);
	push(&r, 9);
	KUNIT_EXPECT_EQ(test, meter_ring_copy(&r, &pos, &lost, out, 4), 4U);
	KUNIT_EXPECT_EQ(test, meter_ring_copy(&r, &pos, &lost, out, 4), 4U);
	KUNIT_EXPECT_EQ(test, meter_ring_copy(&r, &pos, &lost, out, 4), 1U);
	KUNIT_EXPECT_EQ(test, out[0].seq, 8ULL);
	KUNIT_EXPECT_EQ(test, meter_ring_head(&r), 9ULL);
	meter_ring_free(&r);
}

/* the readings dump: from a seq, up to an end, skipping what is gone */
static void peek_from_seq_to_end(struct kunit *test)
{
	struct meterlink_reading out;
	struct meter_ring r;
	u64 pos = 3;

	init_ring(test, &r);
	push(&r, 9);
	KUNIT_EXPECT_EQ(test, meter_ring_peek(&r, &pos, 6, &out), 1);
	KUNIT_EXPECT_EQ(test, out.seq, 3ULL);
	KUNIT_EXPECT_EQ(test, pos, 4ULL);
	KUNIT_EXPECT_EQ(test, meter_ring_peek(&r, &pos, 6, &out), 1);
	KUNIT_EXPECT_EQ(test, meter_ring_peek(&r, &pos, 6, &out), 1);
	KUNIT_EXPECT_EQ(test, out.seq, 5ULL);
	KUNIT_EXPECT_EQ(test, meter_ring_peek(&r, &pos, 6, &out), 0);	/* end */
	pos = 9;
	KUNIT_EXPECT_EQ(test, meter_ring_peek(&r, &pos, 100, &out), 0);	/* head */
	meter_ring_free(&r);
}

static void peek_skips_overwritten_records(struct kunit *test)
{
	struct meterlink_reading out;
	struct meter_ring r;
	u64 pos = 2;

	init_ring(test, &r);
	push(&r, RING + 5);
	KUNIT_EXPECT_EQ(test, meter_ring_peek(&r, &pos, RING + 5, &out), 1);
	KUNIT_EXPECT_EQ(test, out.seq, 5ULL);		/* the oldest held */
	KUNIT_EXPECT_EQ(test, pos, 6ULL);
	pos = 0;		/* everything below the end is gone */
	KUNIT_EXPECT_EQ(test, meter_ring_peek(&r, &pos, 4, &out), 0);
	meter_ring_free(&r);
}

static struct kunit_case ring_cases[] = {
	KUNIT_CASE(refuses_non_power_of_two),
	KUNIT_CASE(reader_gets_every_record_in_order),
	KUNIT_CASE(slow_reader_overruns_and_sees_gap),
	KUNIT_CASE(readers_are_independent),
	KUNIT_CASE(copy_respects_max),
	KUNIT_CASE(peek_from_seq_to_end),
	KUNIT_CASE(peek_skips_overwritten_records),
	{}
};

static struct kunit_suite ring_suite = {
	.name = "meterlink-ring",
	.test_cases = ring_cases,
};

kunit_test_suite(ring_suite);
