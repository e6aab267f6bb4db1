// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: calibration ioctls.
 *
 * SET_CALIB validates flags, nr_phases, reserved fields and the ppm range
 * (EINVAL), needs CAP_SYS_ADMIN (EPERM otherwise, while GET_CALIB keeps
 * working), and a good calibration changes the readings accordingly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "sim.h"

#define NR_PHASES	2	/* ADE7953 */

FIXTURE(calib) {
	struct meter m;
	int rw;
};

FIXTURE_SETUP(calib)
{
	static const struct sim_phase model[NR_PHASES] = {
		{ 230000000, 5000000, ANGLE_PF09, 50000 },
		{ 230000000, 2000000, 0, 50000 },
	};

	self->rw = -1;
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create(&self->m, "ade7953", 0, false)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_set_model(0, model, NR_PHASES)) TH_LOG("%s", sim_err);
	self->rw = meter_open(&self->m, O_RDWR);
	ASSERT_LE(0, self->rw) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(calib)
{
	int ret;

	if (self->rw >= 0)
		close(self->rw);
	ret = meter_destroy(&self->m);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
}

static struct meterlink_calibration good(void)
{
	struct meterlink_calibration c;

	memset(&c, 0, sizeof(c));
	c.nr_phases = NR_PHASES;
	return c;
}

TEST_F(calib, set_calib_invalid_is_einval)
{
	struct meterlink_calibration bad[16], c;
	const char *what[16];
	int n = 0, i;

#define BAD(desc, stmt) do { bad[n] = good(); { struct meterlink_calibration *p = &bad[n]; stmt; } \
			     what[n++] = desc; } while (0)
	BAD("flags 1", p->flags = 1);
	BAD("flags bit 31", p->flags = 0x80000000U);
	BAD("nr_phases 0", p->nr_phases = 0);
	BAD("nr_phases 1", p->nr_phases = 1);
	BAD("nr_phases 3", p->nr_phases = 3);
	BAD("nr_phases 4", p->nr_phases = METERLINK_MAX_PHASES + 1);
	BAD("phase 0 reserved", p->phase[0].reserved = 1);
	BAD("phase 1 reserved", p->phase[1].reserved = 0x80000000U);
	BAD("voltage +200001", p->phase[0].voltage_ppm = METERLINK_CALIB_MAX_PPM + 1);
	BAD("voltage -200001", p->phase[1].voltage_ppm = -METERLINK_CALIB_MAX_PPM - 1);
	BAD("current +200001", p->phase[0].current_ppm = METERLINK_CALIB_MAX_PPM + 1);
	BAD("current INT_MIN", p->phase[1].current_ppm = INT_MIN);
	BAD("power -200001", p->phase[0].power_ppm = -METERLINK_CALIB_MAX_PPM - 1);
	BAD("power INT_MAX", p->phase[1].power_ppm = INT_MAX);
#undef BAD

	/* something valid in place first, to see that it stays */
	c = good();
	c.phase[0].voltage_ppm = 1000;
	ASSERT_EQ(0, ioctl(self->rw, METER_IOC_SET_CALIB, &c)) TH_LOG("%s", strerror(errno));

	for (i = 0; i < n; i++) {
		EXPECT_EQ(-1, ioctl(self->rw, METER_IOC_SET_CALIB, &bad[i]))
			TH_LOG("%s accepted", what[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s: %s", what[i], strerror(errno));
	}
	memset(&c, 0xa5, sizeof(c));
	ASSERT_EQ(0, ioctl(self->rw, METER_IOC_GET_CALIB, &c)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(1000, c.phase[0].voltage_ppm);
	EXPECT_EQ(0, c.phase[0].current_ppm);
	EXPECT_EQ(0, c.phase[1].voltage_ppm);
	EXPECT_EQ((uint32_t)NR_PHASES, c.nr_phases);

	/* the ends of the range are fine */
	for (i = 0; i < NR_PHASES; i++) {
		c = good();
		c.phase[i].voltage_ppm = METERLINK_CALIB_MAX_PPM;
		c.phase[i].current_ppm = -METERLINK_CALIB_MAX_PPM;
		c.phase[i].power_ppm = METERLINK_CALIB_MAX_PPM;
		EXPECT_EQ(0, ioctl(self->rw, METER_IOC_SET_CALIB, &c)) TH_LOG("%s", strerror(errno));
	}
}

enum { DROP_CAPS, BECOME_NOBODY };

/*
 * In a child: open as root, give up the privilege, then try. Exit codes:
 * 0 ok, 1x could not set up, 2x SET_CALIB not refused with EPERM, 3x GET_CALIB.
 */
static int unprivileged_child(const char *dev, int how)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	struct meterlink_calibration c;
	struct meterlink_info info;
	int fd;

	fd = open(dev, O_RDWR);
	if (fd < 0)
		return 10;
	if (how == DROP_CAPS) {
		memset(data, 0, sizeof(data));
		if (syscall(SYS_capset, &hdr, data))
			return 11;
	} else {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			return 12;
	}
	if (syscall(SYS_capget, &hdr, data))
		return 13;
	if (data[0].effective & (1U << CAP_SYS_ADMIN))
		return 14;

	c = good();
	c.phase[0].voltage_ppm = -3000;
	if (!ioctl(fd, METER_IOC_SET_CALIB, &c))
		return 20;
	if (errno != EPERM)
		return 21;

	memset(&c, 0xa5, sizeof(c));
	if (ioctl(fd, METER_IOC_GET_CALIB, &c))
		return 30;
	if (c.phase[0].voltage_ppm != 5000 || c.nr_phases != NR_PHASES)
		return 31;
	if (ioctl(fd, METER_IOC_GET_INFO, &info))
		return 32;
	close(fd);
	return 0;
}

static void check_unprivileged(struct __test_metadata *_metadata, FIXTURE_DATA(calib) *self,
			       int how)
{
	struct meterlink_calibration c = good();
	int status = 0;
	pid_t pid;

	c.phase[0].voltage_ppm = 5000;
	ASSERT_EQ(0, ioctl(self->rw, METER_IOC_SET_CALIB, &c)) TH_LOG("%s", strerror(errno));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged_child(self->m.dev, how));
	ASSERT_EQ(0, wait_child(pid, &status, WAIT_MS)) TH_LOG("%s", sim_err);
	ASSERT_TRUE(WIFEXITED(status));
	/* 20: SET_CALIB worked, 21: it failed otherwise, 3x: GET_CALIB/GET_INFO */
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("unprivileged child failed at step %d",
						 WEXITSTATUS(status));

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(0, ioctl(self->rw, METER_IOC_GET_CALIB, &c)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(5000, c.phase[0].voltage_ppm);
}

TEST_F(calib, set_calib_without_cap_sys_admin_is_eperm)
{
	check_unprivileged(_metadata, self, DROP_CAPS);
}

TEST_F(calib, set_calib_as_nobody_is_eperm)
{
	check_unprivileged(_metadata, self, BECOME_NOBODY);
}

/* average voltage and current of 6 fresh records, per phase */
static void average(struct __test_metadata *_metadata, const struct meter *m,
		    double *v, double *i)
{
	struct meterlink_reading r[8];
	int fd, k, p;

	fd = meter_open(m, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("%s", sim_err);
	ASSERT_EQ(8, meter_collect(fd, r, 8, 10000)) TH_LOG("%s", sim_err);
	close(fd);
	for (p = 0; p < NR_PHASES; p++) {
		v[p] = i[p] = 0;
		for (k = 2; k < 8; k++) {	/* the first two may predate a change */
			ASSERT_EQ(0U, r[k].flags & (METERLINK_F_SPI_ERROR | METERLINK_F_INVALID));
			v[p] += r[k].phase[p].voltage_uv / 6.0;
			i[p] += r[k].phase[p].current_ua / 6.0;
		}
	}
}

TEST_F_TIMEOUT(calib, voltage_gain_scales_voltage, 60)
{
	double v0[NR_PHASES], i0[NR_PHASES], v1[NR_PHASES], i1[NR_PHASES];
	struct meterlink_calibration c = good(), g;
	int p;

	sleep_ms(300);
	average(_metadata, &self->m, v0, i0);

	for (p = 0; p < NR_PHASES; p++)
		c.phase[p].voltage_ppm = 10000;		/* +1 % */
	ASSERT_EQ(0, ioctl(self->rw, METER_IOC_SET_CALIB, &c)) TH_LOG("%s", strerror(errno));
	memset(&g, 0xa5, sizeof(g));
	ASSERT_EQ(0, ioctl(self->rw, METER_IOC_GET_CALIB, &g)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(&c, &g, sizeof(c)));

	average(_metadata, &self->m, v1, i1);
	for (p = 0; p < NR_PHASES; p++) {
		TH_LOG("phase %d: %.0f uV -> %.0f uV (%+.3f %%)", p, v0[p], v1[p],
		       (v1[p] / v0[p] - 1) * 100);
		EXPECT_TRUE(within(v0[p] * 1.01, v1[p], res_ade7953.voltage_uv))
			TH_LOG("phase %d: voltage %.0f, expected %.0f", p, v1[p], v0[p] * 1.01);
		EXPECT_TRUE(within(i0[p], i1[p], res_ade7953.current_ua))
			TH_LOG("phase %d: current changed %.0f -> %.0f", p, i0[p], i1[p]);
	}

	/* and back */
	c = good();
	ASSERT_EQ(0, ioctl(self->rw, METER_IOC_SET_CALIB, &c)) TH_LOG("%s", strerror(errno));
	average(_metadata, &self->m, v1, i1);
	for (p = 0; p < NR_PHASES; p++) {
		EXPECT_TRUE(within(v0[p], v1[p], res_ade7953.voltage_uv))
			TH_LOG("phase %d: voltage %.0f after reset, expected %.0f", p, v1[p], v0[p]);
	}
}

TEST_HARNESS_MAIN
