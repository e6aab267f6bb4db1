// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: ioctls and sysfs attributes.
 *
 * GET_INFO and sysfs describe the device; SET_PERIOD and SET_MODE validate
 * their argument and need a writable file; every ioctl rejects a bad pointer
 * (EFAULT), a wrong size or unknown number (ENOTTY). Calibration lives in
 * meter_calib.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sim.h"

static const unsigned long all_cmds[] = {
	METER_IOC_GET_INFO, METER_IOC_SET_PERIOD, METER_IOC_SET_MODE,
	METER_IOC_GET_CALIB, METER_IOC_SET_CALIB, METER_IOC_GET_STATS,
};

/* ---- what a fresh device looks like, per chip ---- */

FIXTURE(info) {
	struct meter m;
	int fd;
};

FIXTURE_VARIANT(info) {
	const char *chip;
	uint32_t chip_id;
	bool irq;
	uint32_t nr_phases;
	int64_t max_period_s;	/* before the chip's energy register can wrap */
};

FIXTURE_VARIANT_ADD(info, ade7953_irq) {
	.chip = "ade7953", .chip_id = METERLINK_CHIP_ADE7953, .irq = true, .nr_phases = 2,
	.max_period_s = 30,
};

FIXTURE_VARIANT_ADD(info, ade7953) {
	.chip = "ade7953", .chip_id = METERLINK_CHIP_ADE7953, .irq = false, .nr_phases = 2,
	.max_period_s = 30,
};

FIXTURE_VARIANT_ADD(info, atm90e32) {
	.chip = "atm90e32", .chip_id = METERLINK_CHIP_ATM90E32, .irq = false, .nr_phases = 3,
	.max_period_s = 10,
};

FIXTURE_VARIANT_ADD(info, ade9000_irq) {
	.chip = "ade9000", .chip_id = METERLINK_CHIP_ADE9000, .irq = true, .nr_phases = 3,
	.max_period_s = 30,
};

FIXTURE_VARIANT_ADD(info, ade9000) {
	.chip = "ade9000", .chip_id = METERLINK_CHIP_ADE9000, .irq = false, .nr_phases = 3,
	.max_period_s = 30,
};

FIXTURE_SETUP(info)
{
	self->fd = -1;
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create(&self->m, variant->chip, 0, variant->irq)) TH_LOG("%s", sim_err);
	self->fd = meter_open(&self->m, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(info)
{
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	ret = meter_destroy(&self->m);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
}

TEST_F(info, get_info_and_sysfs_describe_device)
{
	static const char *const counters[] = {
		"samples", "spi_errors", "corrected", "invalid", "irqs", "spurious_irqs",
		"missed_periods", "irq_faults", "nl_drops", "acq_ns",
	};
	struct meterlink_calibration cal;
	struct meterlink_info info;
	struct meterlink_stats st;
	char buf[64];
	uint64_t v;
	unsigned int i;

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, meter_info(self->fd, &info)) TH_LOG("%s", sim_err);
	EXPECT_EQ(variant->chip_id, info.chip);
	EXPECT_EQ(variant->nr_phases, info.nr_phases);
	EXPECT_STREQ(variant->chip, info.name);
	EXPECT_EQ(variant->irq ? METERLINK_CAP_IRQ : 0U, info.caps);
	EXPECT_EQ(variant->irq ? (uint32_t)METERLINK_MODE_IRQ : (uint32_t)METERLINK_MODE_POLL,
		  info.mode);
	EXPECT_EQ(100 * NSEC_PER_MSEC, (int64_t)info.period_ns);
	EXPECT_EQ(NSEC_PER_MSEC, (int64_t)info.min_period_ns);
	EXPECT_EQ(variant->max_period_s * NSEC_PER_SEC, (int64_t)info.max_period_ns);
	EXPECT_EQ(1024U, info.ring_records);
	EXPECT_EQ(REC_SIZE, info.record_size);
	EXPECT_EQ(240U, info.record_size);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0U, info.reserved[i]);
	}

	ASSERT_EQ(0, meter_attr(&self->m, "chip", buf, sizeof(buf))) TH_LOG("%s", sim_err);
	EXPECT_STREQ(variant->chip, buf);
	ASSERT_EQ(0, meter_attr_u64(&self->m, "nr_phases", &v)) TH_LOG("%s", sim_err);
	EXPECT_EQ(variant->nr_phases, v);
	ASSERT_EQ(0, meter_attr_u64(&self->m, "period_ns", &v)) TH_LOG("%s", sim_err);
	EXPECT_EQ(info.period_ns, v);
	ASSERT_EQ(0, meter_attr(&self->m, "mode", buf, sizeof(buf))) TH_LOG("%s", sim_err);
	EXPECT_STREQ(variant->irq ? "irq" : "poll", buf);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		EXPECT_EQ(0, meter_attr_u64(&self->m, counters[i], &v)) TH_LOG("%s", sim_err);
	}

	/* counters run */
	sleep_ms(350);
	memset(&st, 0xa5, sizeof(st));
	ASSERT_EQ(0, meter_stats(self->fd, &st)) TH_LOG("%s", sim_err);
	EXPECT_LE(2U, st.samples);
	EXPECT_EQ(0U, st.overruns);
	EXPECT_EQ(0U, st.spi_errors);
	EXPECT_EQ(0U, st.irq_faults);
	EXPECT_EQ(0U, st.nl_drops);
	EXPECT_LT(0U, st.acq_ns);	/* reading the samples took time */
	for (i = 0; i < (int)(sizeof(st.reserved) / sizeof(st.reserved[0])); i++) {
		EXPECT_EQ(0U, st.reserved[i]);
	}
	ASSERT_EQ(0, meter_attr_u64(&self->m, "samples", &v)) TH_LOG("%s", sim_err);
	EXPECT_LE(st.samples, v);
	if (variant->irq) {
		ASSERT_EQ(0, meter_attr_u64(&self->m, "irqs", &v)) TH_LOG("%s", sim_err);
		EXPECT_LE(2U, v);
	}

	/* no calibration yet */
	memset(&cal, 0xa5, sizeof(cal));
	ASSERT_EQ(0, ioctl(self->fd, METER_IOC_GET_CALIB, &cal)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0U, cal.flags);
	EXPECT_EQ(variant->nr_phases, cal.nr_phases);
	for (i = 0; i < variant->nr_phases; i++) {
		EXPECT_EQ(0, cal.phase[i].voltage_ppm);
		EXPECT_EQ(0, cal.phase[i].current_ppm);
		EXPECT_EQ(0, cal.phase[i].power_ppm);
		EXPECT_EQ(0U, cal.phase[i].reserved);
	}
}

TEST_F(info, irq_mode_needs_irq_capability)
{
	struct meterlink_reading r[3];
	struct meterlink_info info;
	char buf[16];
	int i;

	if (!variant->irq) {
		EXPECT_EQ(-1, ioctl(self->fd, METER_IOC_SET_MODE, &(__u32){ METERLINK_MODE_IRQ }));
		EXPECT_EQ(EOPNOTSUPP, errno);
		ASSERT_EQ(0, meter_info(self->fd, &info)) TH_LOG("%s", sim_err);
		EXPECT_EQ((uint32_t)METERLINK_MODE_POLL, info.mode);
		/* setting the mode it already has is fine */
		EXPECT_EQ(0, meter_set_mode(self->fd, METERLINK_MODE_POLL)) TH_LOG("%s", sim_err);
		return;
	}
	/* IRQ -> poll -> IRQ, each visible in info, sysfs and the records */
	for (i = 0; i < 3; i++) {
		uint32_t mode = i == 1 ? METERLINK_MODE_POLL : METERLINK_MODE_IRQ;
		int fd;

		ASSERT_EQ(0, meter_set_mode(self->fd, mode)) TH_LOG("%s", sim_err);
		ASSERT_EQ(0, meter_info(self->fd, &info)) TH_LOG("%s", sim_err);
		EXPECT_EQ(mode, info.mode);
		ASSERT_EQ(0, meter_attr(&self->m, "mode", buf, sizeof(buf))) TH_LOG("%s", sim_err);
		EXPECT_STREQ(mode == METERLINK_MODE_IRQ ? "irq" : "poll", buf);
		sleep_ms(150);
		fd = meter_open(&self->m, O_RDONLY);
		ASSERT_LE(0, fd) TH_LOG("%s", sim_err);
		ASSERT_EQ(3, meter_collect(fd, r, 3, 5000)) TH_LOG("%s", sim_err);
		close(fd);
		EXPECT_EQ(mode == METERLINK_MODE_IRQ ? METERLINK_F_IRQ : 0U,
			  r[2].flags & METERLINK_F_IRQ)
			TH_LOG("mode %u: flags %s", mode, rec_flags(r[2].flags));
	}
}

/* ---- argument checking, on an ADE7953 with IRQ ---- */

FIXTURE(ioctl) {
	struct meter m;
	int rw, ro;
};

FIXTURE_SETUP(ioctl)
{
	self->rw = self->ro = -1;
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create(&self->m, "ade7953", 0, true)) TH_LOG("%s", sim_err);
	self->rw = meter_open(&self->m, O_RDWR);
	ASSERT_LE(0, self->rw) TH_LOG("%s", sim_err);
	self->ro = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->ro) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(ioctl)
{
	int ret;

	if (self->ro >= 0)
		close(self->ro);
	if (self->rw >= 0)
		close(self->rw);
	ret = meter_destroy(&self->m);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
}

static const char *cmd_name(unsigned long cmd)
{
	static char buf[48];

	snprintf(buf, sizeof(buf), "dir %lu type %#lx nr %#lx size %lu",
		 (unsigned long)_IOC_DIR(cmd), (unsigned long)_IOC_TYPE(cmd),
		 (unsigned long)_IOC_NR(cmd), (unsigned long)_IOC_SIZE(cmd));
	return buf;
}

TEST_F(ioctl, bad_pointer_is_efault)
{
	void *hole;
	unsigned int i;

	/* a page that is certainly not mapped */
	hole = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, 4096));

	for (i = 0; i < sizeof(all_cmds) / sizeof(all_cmds[0]); i++) {
		EXPECT_EQ(-1, ioctl(self->rw, all_cmds[i], NULL)) TH_LOG("%s", cmd_name(all_cmds[i]));
		EXPECT_EQ(EFAULT, errno) TH_LOG("%s: %s", cmd_name(all_cmds[i]), strerror(errno));
		EXPECT_EQ(-1, ioctl(self->rw, all_cmds[i], hole)) TH_LOG("%s", cmd_name(all_cmds[i]));
		EXPECT_EQ(EFAULT, errno) TH_LOG("%s: %s", cmd_name(all_cmds[i]), strerror(errno));
	}
}

TEST_F(ioctl, wrong_size_or_unknown_ioctl_is_enotty)
{
	unsigned long bad[32];
	struct termios tio;
	unsigned int i, n = 0;
	void *arg;

	arg = calloc(1, 4096);
	ASSERT_NE(NULL, arg);
	for (i = 0; i < sizeof(all_cmds) / sizeof(all_cmds[0]); i++) {
		unsigned long c = all_cmds[i];

		bad[n++] = _IOC(_IOC_DIR(c), _IOC_TYPE(c), _IOC_NR(c), _IOC_SIZE(c) + 8);
		bad[n++] = _IOC(_IOC_DIR(c), _IOC_TYPE(c), _IOC_NR(c), _IOC_SIZE(c) - 4);
		bad[n++] = _IOC(_IOC_NONE, _IOC_TYPE(c), _IOC_NR(c), 0);
	}
	bad[n++] = _IOR(METER_IOC_MAGIC, 0x00, __u64);
	bad[n++] = _IOR(METER_IOC_MAGIC, 0x07, struct meterlink_stats);
	bad[n++] = _IOWR(METER_IOC_MAGIC, 0x7f, __u64);
	bad[n++] = _IOR('M', 0x01, struct meterlink_info);

	for (i = 0; i < n; i++) {
		EXPECT_EQ(-1, ioctl(self->rw, bad[i], arg)) TH_LOG("%s", cmd_name(bad[i]));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("%s: %s", cmd_name(bad[i]), strerror(errno));
	}
	/* not a terminal either */
	EXPECT_EQ(-1, tcgetattr(self->ro, &tio));
	EXPECT_EQ(ENOTTY, errno);
	free(arg);
}

TEST_F(ioctl, setters_need_write_access)
{
	struct meterlink_calibration cal;
	struct meterlink_info info;
	struct meterlink_stats st;

	EXPECT_EQ(-1, ioctl(self->ro, METER_IOC_SET_PERIOD, &(__u64){ 50 * NSEC_PER_MSEC }));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, ioctl(self->ro, METER_IOC_SET_MODE, &(__u32){ METERLINK_MODE_POLL }));
	EXPECT_EQ(EBADF, errno);
	/* nothing changed; the getters work read-only */
	ASSERT_EQ(0, meter_info(self->ro, &info)) TH_LOG("%s", sim_err);
	EXPECT_EQ(100 * NSEC_PER_MSEC, (int64_t)info.period_ns);
	EXPECT_EQ((uint32_t)METERLINK_MODE_IRQ, info.mode);
	EXPECT_EQ(0, meter_stats(self->ro, &st)) TH_LOG("%s", sim_err);
	EXPECT_EQ(0, ioctl(self->ro, METER_IOC_GET_CALIB, &cal));
	/* and the same setters work on the writable file */
	EXPECT_EQ(0, meter_set_period(self->rw, 50 * NSEC_PER_MSEC)) TH_LOG("%s", sim_err);
	EXPECT_EQ(0, meter_set_mode(self->rw, METERLINK_MODE_POLL)) TH_LOG("%s", sim_err);
}

TEST_F(ioctl, period_out_of_range_is_einval)
{
	struct meterlink_info info;
	uint64_t bad[5];
	unsigned int i;

	ASSERT_EQ(0, meter_set_mode(self->rw, METERLINK_MODE_POLL)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_info(self->rw, &info)) TH_LOG("%s", sim_err);
	bad[0] = 0;
	bad[1] = info.min_period_ns - 1;
	bad[2] = info.max_period_ns + 1;
	bad[3] = UINT64_MAX;
	bad[4] = 1ULL << 63;
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(-1, ioctl(self->rw, METER_IOC_SET_PERIOD, &(__u64){ bad[i] }))
			TH_LOG("period %llu accepted", (unsigned long long)bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("period %llu: %s", (unsigned long long)bad[i],
						strerror(errno));
	}
	ASSERT_EQ(0, meter_info(self->rw, &info)) TH_LOG("%s", sim_err);
	EXPECT_EQ(100 * NSEC_PER_MSEC, (int64_t)info.period_ns);

	/* both ends of the range are fine */
	EXPECT_EQ(0, meter_set_period(self->rw, info.min_period_ns)) TH_LOG("%s", sim_err);
	EXPECT_EQ(0, meter_set_period(self->rw, info.max_period_ns)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_info(self->rw, &info)) TH_LOG("%s", sim_err);
	EXPECT_EQ(info.max_period_ns, info.period_ns);
}

TEST_F(ioctl, unknown_mode_is_einval)
{
	static const uint32_t bad[] = { __METERLINK_MODE_MAX, 7, 0x80000000, UINT32_MAX };
	struct meterlink_info info;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, ioctl(self->rw, METER_IOC_SET_MODE, &(__u32){ bad[i] }))
			TH_LOG("mode %u accepted", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("mode %u: %s", bad[i], strerror(errno));
	}
	ASSERT_EQ(0, meter_info(self->rw, &info)) TH_LOG("%s", sim_err);
	EXPECT_EQ((uint32_t)METERLINK_MODE_IRQ, info.mode);
}

/*
 * Records after a period change: in polling mode spaced by it exactly, on
 * period boundaries; in IRQ mode flagged IRQ, none MISSED, in order (when
 * the interrupts come is the host's: logged, measured by `make bench`).
 */
static void check_spacing(struct __test_metadata *_metadata, const struct meter *m,
			  int64_t period, bool poll_mode)
{
	struct meterlink_reading r[13];
	int64_t d;
	int fd, k;

	sleep_ms(100);
	fd = meter_open(m, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("%s", sim_err);
	ASSERT_EQ(13, meter_collect(fd, r, 13, (int)(15 * period / NSEC_PER_MSEC) + 5000))
		TH_LOG("%s", sim_err);
	close(fd);
	/* the first ones may still be on the old schedule */
	for (k = 3; k < 13; k++) {
		ASSERT_EQ(r[k - 1].seq + 1, r[k].seq);
		ASSERT_EQ(0U, r[k].flags & METERLINK_F_MISSED)
			TH_LOG("seq %llu: %s", (unsigned long long)r[k].seq, rec_flags(r[k].flags));
		if (!poll_mode)
			continue;
		d = r[k].realtime_ns - r[k - 1].realtime_ns;
		EXPECT_EQ(period, d) TH_LOG("seq %llu", (unsigned long long)r[k].seq);
		EXPECT_EQ(0, r[k].realtime_ns % period);
	}
	if (poll_mode)
		return;
	/* interrupt mode: the chip paces the records; when they came is the host's */
	for (k = 3; k < 13; k++) {
		EXPECT_TRUE(r[k].flags & METERLINK_F_IRQ)
			TH_LOG("seq %llu: %s", (unsigned long long)r[k].seq, rec_flags(r[k].flags));
		EXPECT_LT(r[k - 1].realtime_ns, r[k].realtime_ns);
	}
	d = r[12].realtime_ns - r[2].realtime_ns;
	TH_LOG("10 intervals: %lld ns, period %lld (not checked)", (long long)d,
	       (long long)period);
}

TEST_F(ioctl, period_change_applies)
{
	struct meterlink_info info;
	uint64_t v;

	ASSERT_EQ(0, meter_set_mode(self->rw, METERLINK_MODE_POLL)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_set_period(self->rw, 50 * NSEC_PER_MSEC)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_info(self->ro, &info)) TH_LOG("%s", sim_err);
	EXPECT_EQ(50 * NSEC_PER_MSEC, (int64_t)info.period_ns);
	ASSERT_EQ(0, meter_attr_u64(&self->m, "period_ns", &v)) TH_LOG("%s", sim_err);
	EXPECT_EQ(50 * NSEC_PER_MSEC, (int64_t)v);
	check_spacing(_metadata, &self->m, 50 * NSEC_PER_MSEC, true);
}

/*
 * In interrupt mode the ADE7953 paces records by LINECYC half line cycles.
 * The period the driver reports must be the nearest whole number of half
 * cycles, and LINECYC (read back through debugfs) must hold that number.
 * At 50.000 Hz the simulated PERIOD register is 223750 / 50 - 1 = 4474
 * (f = 223.75 kHz / (PERIOD + 1), ADE7953 datasheet): a half cycle is 10 ms
 * exactly.
 */
TEST_F(ioctl, irq_period_rounded_to_half_cycles)
{
	static const int64_t half = 10 * NSEC_PER_MSEC;	/* at 50 Hz */
	static const int64_t want[] = { 25 * NSEC_PER_MSEC, 37 * NSEC_PER_MSEC };
	static const int64_t got[] = { 30 * NSEC_PER_MSEC, 40 * NSEC_PER_MSEC };
	static const struct sim_phase model[2] = {
		{ 230000000, 5000000, ANGLE_PF09, 50000 },
		{ 230000000, 5000000, ANGLE_PF09, 50000 },
	};
	struct meterlink_info info;
	uint32_t per, linecyc;
	unsigned int i;

	ASSERT_EQ(0, sim_set_model(0, model, 2)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_register(&self->m, "PERIOD", &per)) TH_LOG("%s", sim_err);
	ASSERT_EQ(4474U, per);
	for (i = 0; i < 2; i++) {
		int64_t p;

		ASSERT_EQ(0, meter_set_period(self->rw, want[i])) TH_LOG("%s", sim_err);
		ASSERT_EQ(0, meter_info(self->rw, &info)) TH_LOG("%s", sim_err);
		ASSERT_EQ((uint32_t)METERLINK_MODE_IRQ, info.mode);
		p = info.period_ns;
		ASSERT_EQ(0, meter_register(&self->m, "LINECYC", &linecyc)) TH_LOG("%s", sim_err);
		TH_LOG("asked %lld ns, got %lld ns, LINECYC %u", (long long)want[i], (long long)p,
		       linecyc);
		/* the nearest whole number of half cycles (25 ms: a tie, rounded up) */
		EXPECT_EQ(got[i], p);
		EXPECT_EQ(p / half, (int64_t)linecyc);
		check_spacing(_metadata, &self->m, p, false);
	}
}

TEST_HARNESS_MAIN
