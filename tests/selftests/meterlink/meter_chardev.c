// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: read() and poll() semantics of /dev/meterN.
 *
 * read() hands out whole records only (a buffer smaller than one record is
 * EINVAL), O_NONBLOCK without a record is EAGAIN, poll() reports POLLIN only
 * once a record exists, and a new file only sees records produced after it
 * was opened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sim.h"

#define SLOW_PERIOD	(2 * NSEC_PER_SEC)

FIXTURE(chardev) {
	struct meter m;
	int ctl;		/* O_RDWR, for SET_PERIOD */
	int fd;
};

FIXTURE_SETUP(chardev)
{
	self->ctl = self->fd = -1;
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create(&self->m, "ade7953", 0, false)) TH_LOG("%s", sim_err);
	self->ctl = meter_open(&self->m, O_RDWR);
	ASSERT_LE(0, self->ctl) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(chardev)
{
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	if (self->ctl >= 0)
		close(self->ctl);
	ret = meter_destroy(&self->m);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
}

/*
 * With a long polling period, wait for a record that was taken on a period
 * boundary less than a quarter period ago: the next one is then at least
 * 3/4 of the period (1.5 s) away. Returns its seq.
 */
static uint64_t sync_to_boundary(struct __test_metadata *_metadata, int fd, int64_t period)
{
	struct meterlink_reading r;
	int i;

	for (i = 0; i < 5; i++) {
		ssize_t n = meter_read(fd, &r, 1, (int)(period / NSEC_PER_MSEC) + 3000);

		ASSERT_EQ(1, n) TH_LOG("no record within a period: %s", sim_err);
		if (r.realtime_ns % period == 0 &&
		    now_ns(CLOCK_REALTIME) - r.realtime_ns < period / 4)
			return r.seq;
	}
	ASSERT_TRUE(0) TH_LOG("records are not on %lld ns boundaries (last at %lld)",
			      (long long)period, (long long)r.realtime_ns);
	return 0;
}

TEST_F(chardev, read_smaller_than_record_is_einval)
{
	struct meterlink_reading r[2];
	struct pollfd pfd;
	char *small;

	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);

	/* with a record waiting, so the error is about the size only */
	pfd = (struct pollfd){ .fd = self->fd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	ASSERT_TRUE(pfd.revents & POLLIN);

	small = malloc(REC_SIZE);
	ASSERT_NE(NULL, small);
	EXPECT_EQ(-1, read(self->fd, small, REC_SIZE - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->fd, small, 1));
	EXPECT_EQ(EINVAL, errno);
	free(small);

	/* the failed reads consumed nothing, a full-size read still works */
	ASSERT_EQ((ssize_t)REC_SIZE, read(self->fd, r, REC_SIZE));
	ASSERT_EQ(0, rec_check(&r[0], 2)) TH_LOG("%s", sim_err);
}

TEST_F(chardev, read_returns_whole_records_only)
{
	struct meterlink_reading r[4];
	ssize_t n;
	int k;

	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
	sleep_ms(450);		/* >= 3 records queued at 100 ms */

	/* 2.5 records of room: 1 or 2 whole records, never a partial one */
	n = read(self->fd, r, 2 * REC_SIZE + REC_SIZE / 2);
	ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
	EXPECT_EQ(0, n % (ssize_t)REC_SIZE);
	EXPECT_GE(2 * (ssize_t)REC_SIZE, n);
	for (k = 0; k < n / (ssize_t)REC_SIZE; k++) {
		ASSERT_EQ(0, rec_check(&r[k], 2)) TH_LOG("%s", sim_err);
	}
	if (n == 2 * (ssize_t)REC_SIZE) {
		EXPECT_EQ(r[0].seq + 1, r[1].seq);
	}

	/* room for exactly one more than available is fine too */
	n = read(self->fd, r, 4 * REC_SIZE);
	ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
	EXPECT_EQ(0, n % (ssize_t)REC_SIZE);
}

TEST_F(chardev, nonblocking_read_without_record_is_eagain)
{
	struct meterlink_reading r[4];
	uint64_t seq;
	ssize_t n;

	ASSERT_EQ(0, meter_set_period(self->ctl, SLOW_PERIOD)) TH_LOG("%s", sim_err);
	self->fd = meter_open(&self->m, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);

	/* the next record is >= 1.5 s away */
	seq = sync_to_boundary(_metadata, self->fd, SLOW_PERIOD);
	n = read(self->fd, r, REC_SIZE);
	EXPECT_EQ(-1, n) TH_LOG("got seq %llu after %llu", (unsigned long long)r[0].seq,
				(unsigned long long)seq);
	EXPECT_EQ(EAGAIN, errno);
	n = read(self->fd, r, sizeof(r));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(chardev, poll_waits_for_a_record)
{
	struct pollfd pfd;
	struct meterlink_reading r;
	int64_t t0, waited;
	uint64_t seq;
	int ret;

	ASSERT_EQ(0, meter_set_period(self->ctl, SLOW_PERIOD)) TH_LOG("%s", sim_err);
	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
	seq = sync_to_boundary(_metadata, self->fd, SLOW_PERIOD);

	/* no record yet: poll must time out */
	pfd = (struct pollfd){ .fd = self->fd, .events = POLLIN };
	ret = poll(&pfd, 1, 100);
	EXPECT_EQ(0, ret) TH_LOG("poll reported %#x before any record", pfd.revents);

	/* then wake up when the next record arrives */
	t0 = now_ns(CLOCK_MONOTONIC);
	pfd = (struct pollfd){ .fd = self->fd, .events = POLLIN };
	ret = poll(&pfd, 1, WAIT_MS);
	waited = now_ns(CLOCK_MONOTONIC) - t0;
	ASSERT_EQ(1, ret) TH_LOG("poll: %d, revents %#x", ret, pfd.revents);
	ASSERT_EQ(POLLIN, pfd.revents & (POLLIN | POLLERR | POLLHUP));
	TH_LOG("poll woke after %lld ms", (long long)(waited / NSEC_PER_MSEC));
	EXPECT_LT(SLOW_PERIOD / 2, waited);

	ASSERT_EQ((ssize_t)REC_SIZE, read(self->fd, &r, REC_SIZE));
	EXPECT_EQ(seq + 1, r.seq);
	EXPECT_EQ(0, r.realtime_ns % SLOW_PERIOD);

	/* consumed: not readable any more */
	pfd = (struct pollfd){ .fd = self->fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(chardev, new_reader_sees_only_newer_records)
{
	struct meterlink_reading r;
	uint64_t last = 0;
	int64_t opened;
	ssize_t n;
	int fd2;

	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
	sleep_ms(500);		/* some history in the ring */
	while ((n = meter_read(self->fd, &r, 1, 0)) == 1)
		last = r.seq;
	ASSERT_EQ(0, n) TH_LOG("%s", sim_err);
	ASSERT_LT(0, last);

	opened = now_ns(CLOCK_REALTIME);
	fd2 = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, fd2) TH_LOG("%s", sim_err);
	n = meter_read(fd2, &r, 1, 3000);
	close(fd2);
	ASSERT_EQ(1, n) TH_LOG("%s", sim_err);
	/* nothing the first reader already had, nothing stamped long before */
	EXPECT_LT(last, r.seq);
	EXPECT_LE(opened - 100 * NSEC_PER_MSEC - (int64_t)r.uncertainty_ns, r.realtime_ns);
}

TEST_F(chardev, each_file_has_its_own_position)
{
	struct meterlink_reading a[8], b[8];
	int fd2, i;

	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
	fd2 = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, fd2) TH_LOG("%s", sim_err);

	/* fd reads 4 records while fd2 reads nothing; then both read */
	ASSERT_EQ(4, meter_collect(self->fd, a, 4, 3000)) TH_LOG("%s", sim_err);
	ASSERT_EQ(4, meter_collect(fd2, b, 4, 3000)) TH_LOG("%s", sim_err);
	close(fd2);
	/* fd2 opened after fd, so it starts at or after fd's first record */
	ASSERT_LE(a[0].seq, b[0].seq);
	for (i = 1; i < 4; i++) {
		EXPECT_EQ(a[i - 1].seq + 1, a[i].seq);
		EXPECT_EQ(b[i - 1].seq + 1, b[i].seq);
	}
	/* the same record read by both files is the same */
	for (i = 0; i < 4; i++)
		if (b[i].seq <= a[3].seq) {
			EXPECT_EQ(0, memcmp(&a[b[i].seq - a[0].seq], &b[i], REC_SIZE));
		}
}

/*
 * debugfs shows the chip's named registers, read live from the chip, and
 * leaves out the read-to-clear ones: reading those would steal energy.
 */
TEST_F(chardev, debugfs_register_dump_shows_live_registers)
{
	const struct sim_phase model[2] = {
		{ .voltage_uv = 230000000, .current_ua = 5000000,
		  .angle_mdeg = 0, .freq_mhz = 50000 },
		{ .voltage_uv = 230000000, .current_ua = 0,
		  .angle_mdeg = 0, .freq_mhz = 50000 },
	};
	char path[160], buf[4096];
	unsigned int vrms = 0, irms = 0, reg;
	char *line;
	ssize_t n;

	ASSERT_EQ(0, sim_set_model(0, model, 2)) TH_LOG("%s", sim_err);
	snprintf(path, sizeof(path), "/sys/kernel/debug/meterlink/%s/registers",
		 self->m.name);
	n = sim_read_file(path, buf, sizeof(buf) - 1);
	ASSERT_LT(0, n) TH_LOG("%s: %s", path, sim_err);
	buf[n] = 0;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char name[32];
		unsigned int val;

		ASSERT_EQ(3, sscanf(line, "%31s %x %x", name, &reg, &val))
			TH_LOG("bad line '%s'", line);
		/* AENERGYA/B and the reset-on-read status must not be there */
		EXPECT_FALSE(reg == 0x21e || reg == 0x21f || reg == 0x22e)
			TH_LOG("read-to-clear register %#x dumped", reg);
		if (!strcmp(name, "VRMS"))
			vrms = val;
		if (!strcmp(name, "IRMSA"))
			irms = val;
	}
	/* VRMS = V * 26000, IRMS = I * 100000 (Shelly front end) */
	EXPECT_EQ(5980000U, vrms);
	EXPECT_EQ(500000U, irms);
}

TEST_HARNESS_MAIN
