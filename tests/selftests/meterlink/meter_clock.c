// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: steps of the wall clock.
 *
 * A gateway's clock is stepped at boot (NTP after a fake-hwclock start) and
 * sometimes by hand. Sampling must go on through a step in either
 * direction: after a step back the next sample comes when it was due (not
 * after the step has been waited out), after a step forward no period is
 * counted missed (none was), and timestamps follow the new wall clock while
 * boot time runs on evenly. The fixture puts the clock back where it would
 * have been, whatever the test did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sim.h"

#define PERIOD		(100 * NSEC_PER_MSEC)
/* not a multiple of the period: the boundaries move too */
#define STEP		(3600 * NSEC_PER_SEC + 37 * NSEC_PER_MSEC)

FIXTURE(clock) {
	struct meter m;
	int fd;
	int64_t offset;		/* CLOCK_REALTIME - CLOCK_BOOTTIME before */
	bool stepped;
};

static int set_realtime(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC };

	return clock_settime(CLOCK_REALTIME, &ts);
}

FIXTURE_SETUP(clock)
{
	self->fd = -1;
	self->offset = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_BOOTTIME);
	self->stepped = false;
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create(&self->m, "ade7953", 0, false)) TH_LOG("%s", sim_err);
	self->fd = meter_open(&self->m, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_set_period(self->fd, PERIOD)) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(clock)
{
	int ret;

	if (self->stepped)
		TEARDOWN_CHECK(set_realtime(now_ns(CLOCK_BOOTTIME) + self->offset) == 0,
			       "cannot put the clock back: %s", strerror(errno));
	if (self->fd >= 0)
		close(self->fd);
	ret = meter_destroy(&self->m);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
}

/* Drops what is queued, then returns the next record (or fails). */
static void next_fresh(struct __test_metadata *_metadata, int fd, struct meterlink_reading *r)
{
	while (meter_read(fd, r, 1, 0) == 1)
		;
	ASSERT_EQ(1, meter_read(fd, r, 1, WAIT_MS))
		TH_LOG("no record within %d ms: %s", WAIT_MS, sim_err);
}

/*
 * Steps the clock by @step, then checks the records after it: they come
 * (within the usual deadline), in sequence, none flagged MISSED, stamped in
 * the new wall-clock time and back on period boundaries after the first.
 */
static void step_and_check(struct __test_metadata *_metadata, FIXTURE_DATA(clock) *self,
			   int64_t step)
{
	struct meterlink_reading before, r[6];
	struct meterlink_stats st0, st1;
	int64_t stepped_at, offset;
	int k;

	next_fresh(_metadata, self->fd, &before);
	ASSERT_EQ(0, meter_stats(self->fd, &st0)) TH_LOG("%s", sim_err);
	self->stepped = true;
	ASSERT_EQ(0, set_realtime(now_ns(CLOCK_REALTIME) + step))
		TH_LOG("clock_settime: %s", strerror(errno));
	stepped_at = now_ns(CLOCK_BOOTTIME);
	offset = now_ns(CLOCK_REALTIME) - stepped_at;

	for (k = 0; k < 6; k++)
		ASSERT_EQ(1, meter_read(self->fd, &r[k], 1, WAIT_MS))
			TH_LOG("record %d after a %+lld s step: none within %d ms: %s", k,
			       (long long)(step / NSEC_PER_SEC), WAIT_MS, sim_err);
	ASSERT_EQ(0, meter_stats(self->fd, &st1)) TH_LOG("%s", sim_err);

	for (k = 0; k < 6; k++) {
		/* the record that was being taken as the clock moved is old */
		if (r[k].boottime_ns < stepped_at)
			continue;
		EXPECT_EQ(0U, r[k].flags & METERLINK_F_MISSED)
			TH_LOG("seq %llu: %s", (unsigned long long)r[k].seq,
			       rec_flags(r[k].flags));
		/* in the new time: far from where the old clock would be */
		EXPECT_GT(llabs(step) / 2, llabs(r[k].realtime_ns - r[k].boottime_ns - offset))
			TH_LOG("seq %llu stamped %lld, wall clock moved by %lld",
			       (unsigned long long)r[k].seq, (long long)r[k].realtime_ns,
			       (long long)step);
	}
	for (k = 1; k < 6; k++)
		ASSERT_EQ(r[k - 1].seq + 1, r[k].seq);
	/* a step is no lost time: a few periods at most went by unsampled */
	EXPECT_GT(5U, st1.missed_periods - st0.missed_periods)
		TH_LOG("%llu missed periods counted across the step",
		       (unsigned long long)(st1.missed_periods - st0.missed_periods));
	/* re-aligned on boundaries of the new wall clock */
	EXPECT_EQ(0, r[5].realtime_ns % PERIOD)
		TH_LOG("seq %llu at %lld", (unsigned long long)r[5].seq,
		       (long long)r[5].realtime_ns);
	EXPECT_LT(before.boottime_ns, r[0].boottime_ns);
}

TEST_F_TIMEOUT(clock, step_back_does_not_stall_sampling, 120)
{
	step_and_check(_metadata, self, -STEP);
}

TEST_F_TIMEOUT(clock, step_forward_is_not_missed_periods, 120)
{
	step_and_check(_metadata, self, STEP);
}

TEST_F_TIMEOUT(clock, steps_back_and_forth_keep_the_sequence, 180)
{
	int i;

	for (i = 0; i < 3; i++) {
		step_and_check(_metadata, self, -STEP / 4);
		step_and_check(_metadata, self, STEP / 4);
	}
}

TEST_HARNESS_MAIN
