// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: device and module lifecycle.
 *
 * Removing a device (orderly or by surprise) wakes readers blocked in read()
 * or poll() with ENODEV, later calls on their files fail with ENODEV, close
 * works and the kernel log stays clean; a chip that answers as another chip
 * is refused at probe; both modules survive 50 unload/load cycles with
 * readers attached. This binary runs last: it unloads and reloads the modules
 * (from $METERLINK_KO_DIR) and leaves both loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sim.h"

#define NR_CYCLES	50

/*
 * A reader in a child process: signals on @sig_fd once its file is open,
 * then reads (after poll() if @use_poll) until an error. Exit codes:
 * 0 ENODEV, 1 open failed, 2 read returned 0, 3 another errno, 4 poll failed.
 */
static void reader_child(const char *dev, int fd, int sig_fd, bool use_poll)
{
	struct meterlink_reading r[4];
	ssize_t n;

	if (fd < 0)
		fd = open(dev, O_RDONLY);
	if (fd < 0)
		_exit(1);
	if (write(sig_fd, "x", 1) != 1)
		_exit(5);
	for (;;) {
		if (use_poll) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, -1) < 0)
				_exit(4);
		}
		n = read(fd, r, sizeof(r));
		if (n > 0)
			continue;
		_exit(n == 0 ? 2 : errno == ENODEV ? 0 : 3);
	}
}

static const char *reader_status(int status)
{
	static const char *const what[] = {
		"got ENODEV", "open failed", "read returned 0", "read failed with another errno",
		"poll failed", "could not signal",
	};
	static char buf[64];

	if (WIFEXITED(status) && WEXITSTATUS(status) < 6)
		return what[WEXITSTATUS(status)];
	snprintf(buf, sizeof(buf), "status %#x", status);
	return buf;
}

/* Forks a reader; waits until its file is open. */
static pid_t start_reader(struct __test_metadata *_metadata, const char *dev, int fd,
			  bool use_poll)
{
	struct pollfd p;
	int pfd[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pfd[0]);
		reader_child(dev, fd, pfd[1], use_poll);
	}
	close(pfd[1]);
	p = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
	if (poll(&p, 1, WAIT_MS) != 1 || read(pfd[0], &c, 1) != 1) {
		kill(pid, SIGKILL);
		close(pfd[0]);
		ASSERT_TRUE(0) TH_LOG("reader %d did not open %s", pid, dev);
	}
	close(pfd[0]);
	return pid;
}

static void expect_enodev_exit(struct __test_metadata *_metadata, pid_t pid, const char *who)
{
	int status = 0;

	if (wait_child(pid, &status, WAIT_MS)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ASSERT_TRUE(0) TH_LOG("%s reader still blocked 5 s after the removal", who);
	}
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("%s reader: %s", who, reader_status(status));
}

/* ---- removal with readers blocked ---- */

FIXTURE(removal) {
	struct meter m;
	struct kmsg k;
	int fd, ctl;
};

FIXTURE_VARIANT(removal) {
	const char *chip;
	bool irq;
	bool surprise;	/* fault "remove" rather than delete_device */
};

FIXTURE_VARIANT_ADD(removal, ade7953_irq_delete) {
	.chip = "ade7953", .irq = true, .surprise = false,
};

FIXTURE_VARIANT_ADD(removal, atm90e32_delete) {
	.chip = "atm90e32", .irq = false, .surprise = false,
};

FIXTURE_VARIANT_ADD(removal, ade7953_irq_surprise) {
	.chip = "ade7953", .irq = true, .surprise = true,
};

FIXTURE_VARIANT_ADD(removal, atm90e32_surprise) {
	.chip = "atm90e32", .irq = false, .surprise = true,
};

FIXTURE_VARIANT_ADD(removal, ade9000_irq_delete) {
	.chip = "ade9000", .irq = true, .surprise = false,
};

FIXTURE_VARIANT_ADD(removal, ade9000_irq_surprise) {
	.chip = "ade9000", .irq = true, .surprise = true,
};

FIXTURE_SETUP(removal)
{
	self->fd = self->ctl = -1;
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, kmsg_begin(&self->k)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create(&self->m, variant->chip, 0, variant->irq)) TH_LOG("%s", sim_err);
	self->ctl = meter_open(&self->m, O_RDWR);
	ASSERT_LE(0, self->ctl) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(removal)
{
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	if (self->ctl >= 0)
		close(self->ctl);
	ret = meter_destroy(&self->m);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
	kmsg_end(&self->k);
}

TEST_F_TIMEOUT(removal, blocked_readers_get_enodev, 60)
{
	struct meterlink_reading r;
	struct meterlink_info info;
	struct pollfd p;
	pid_t reader, poller;
	const char *bad;
	struct stat st;
	int64_t end;

	/* a long period: the readers really block */
	ASSERT_EQ(0, meter_set_period(self->ctl, 10 * NSEC_PER_SEC)) TH_LOG("%s", sim_err);
	ASSERT_LE(0, meter_drain(self->ctl)) TH_LOG("%s", sim_err);
	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
	reader = start_reader(_metadata, self->m.dev, self->fd, false);
	poller = start_reader(_metadata, self->m.dev, -1, true);
	sleep_ms(300);
	/* asleep in read() / poll(), not running or gone */
	EXPECT_TRUE(strchr("SD", proc_state(reader)) && proc_state(reader));
	EXPECT_TRUE(strchr("SD", proc_state(poller)) && proc_state(poller));

	if (variant->surprise) {
		ASSERT_EQ(0, sim_fault(self->m.cs, "remove")) TH_LOG("%s", sim_err);
	} else {
		ASSERT_EQ(0, sim_delete_device(self->m.cs)) TH_LOG("%s", sim_err);
	}
	expect_enodev_exit(_metadata, reader, "read()");
	expect_enodev_exit(_metadata, poller, "poll()");

	/* the files stay, dead */
	EXPECT_EQ(-1, read(self->fd, &r, sizeof(r)));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, read(self->ctl, &r, sizeof(r)));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, ioctl(self->ctl, METER_IOC_GET_INFO, &info));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, ioctl(self->ctl, METER_IOC_SET_PERIOD, &(__u64){ NSEC_PER_SEC }));
	EXPECT_EQ(ENODEV, errno);
	p = (struct pollfd){ .fd = self->fd, .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_NE(0, p.revents & (POLLERR | POLLHUP | POLLIN));

	/* the class device and the node go away */
	EXPECT_EQ(0, meter_wait_absent(self->m.bus, self->m.cs, WAIT_MS)) TH_LOG("%s", sim_err);
	end = now_ns(CLOCK_MONOTONIC) + WAIT_MS * NSEC_PER_MSEC;
	while (!stat(self->m.dev, &st) && now_ns(CLOCK_MONOTONIC) < end)
		sleep_ms(20);
	EXPECT_NE(0, stat(self->m.dev, &st)) TH_LOG("%s still exists", self->m.dev);

	EXPECT_EQ(0, close(self->fd));
	EXPECT_EQ(0, close(self->ctl));
	self->fd = self->ctl = -1;

	/* the chip select can be used again */
	ASSERT_EQ(0, meter_create(&self->m, variant->chip, 0, variant->irq)) TH_LOG("%s", sim_err);
	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
	ASSERT_EQ(1, meter_read(self->fd, &r, 1, 5000)) TH_LOG("%s", sim_err);

	bad = kmsg_problem(&self->k);
	EXPECT_EQ(NULL, bad) TH_LOG("kernel log: %s", bad);
}

/* ---- a chip that answers as another one ---- */

#define WRONG_CS	2

FIXTURE(wrongchip) {
	struct kmsg k;
};

FIXTURE_VARIANT(wrongchip) {
	const char *chip, *as;
};

FIXTURE_VARIANT_ADD(wrongchip, ade7953_answering_as_atm90e32) {
	.chip = "ade7953", .as = "atm90e32",
};

FIXTURE_VARIANT_ADD(wrongchip, atm90e32_answering_as_ade7953) {
	.chip = "atm90e32", .as = "ade7953",
};

FIXTURE_VARIANT_ADD(wrongchip, ade9000_answering_as_ade7953) {
	.chip = "ade9000", .as = "ade7953",
};

FIXTURE_VARIANT_ADD(wrongchip, ade9000_answering_as_atm90e32) {
	.chip = "ade9000", .as = "atm90e32",
};

FIXTURE_VARIANT_ADD(wrongchip, ade7953_answering_as_ade9000) {
	.chip = "ade7953", .as = "ade9000",
};

FIXTURE_VARIANT_ADD(wrongchip, atm90e32_answering_as_ade9000) {
	.chip = "atm90e32", .as = "ade9000",
};

FIXTURE_SETUP(wrongchip)
{
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	sim_delete_device(WRONG_CS);	/* left over */
	ASSERT_EQ(0, kmsg_begin(&self->k)) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(wrongchip)
{
	int ret = sim_delete_device(WRONG_CS);

	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
	kmsg_end(&self->k);
}

TEST_F(wrongchip, refused_at_probe)
{
	const char *line, *bad;
	char name[32];
	int bus, ret;

	bus = sim_bus_num();
	ASSERT_LE(0, bus) TH_LOG("%s", sim_err);
	ret = sim_new_device(variant->chip, WRONG_CS, false, variant->as);
	/* the SPI device registers; only the driver's probe refuses it */
	EXPECT_EQ(0, ret) TH_LOG("%s", sim_err);

	line = kmsg_find(&self->k, "meterlink", "does not answer as", WAIT_MS);
	ASSERT_NE(NULL, line) TH_LOG("no 'meterlink ... does not answer as' in the kernel log");
	TH_LOG("kernel: %s", line);
	sleep_ms(200);
	EXPECT_NE(0, meter_find(bus, WRONG_CS, name, sizeof(name)))
		TH_LOG("%s was created for spi%d.%d", name, bus, WRONG_CS);
	bad = kmsg_problem(&self->k);
	EXPECT_EQ(NULL, bad) TH_LOG("kernel log: %s", bad);
}

/* ---- module unload/load cycles ---- */

FIXTURE(modules) {
	char ko_sim[512], ko_meter[512];
	struct kmsg k;
	pid_t pids[2];
};

FIXTURE_SETUP(modules)
{
	const char *dir = getenv("METERLINK_KO_DIR");

	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_NE(NULL, dir) TH_LOG("METERLINK_KO_DIR (directory of meterlink.ko and "
				    "meterlink_sim.ko) is not set");
	snprintf(self->ko_sim, sizeof(self->ko_sim), "%s/meterlink_sim.ko", dir);
	snprintf(self->ko_meter, sizeof(self->ko_meter), "%s/meterlink.ko", dir);
	ASSERT_EQ(0, access(self->ko_sim, R_OK)) TH_LOG("%s: %s", self->ko_sim, strerror(errno));
	ASSERT_EQ(0, access(self->ko_meter, R_OK)) TH_LOG("%s: %s", self->ko_meter, strerror(errno));
	ASSERT_TRUE(mod_loaded("meterlink"));
	ASSERT_TRUE(mod_loaded("meterlink_sim"));
	ASSERT_EQ(0, kmsg_begin(&self->k)) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(modules)
{
	int i, ret;

	for (i = 0; i < 2; i++) {
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	}
	/* whatever happened, leave both loaded */
	if (!mod_loaded("meterlink_sim")) {
		ret = mod_load(self->ko_sim);
		TEARDOWN_CHECK(ret == 0, "%s", sim_err);
	}
	if (!mod_loaded("meterlink")) {
		ret = mod_load(self->ko_meter);
		TEARDOWN_CHECK(ret == 0, "%s", sim_err);
	}
	if (!sim_present())
		sim_delete_device(0);
	kmsg_end(&self->k);
}

TEST_F_TIMEOUT(modules, reload_50_times_with_readers, 600)
{
	struct meter m;
	const char *bad;
	int cycle, i, ret;
	int64_t t0 = now_ns(CLOCK_MONOTONIC);

	for (cycle = 0; cycle < NR_CYCLES; cycle++) {
		bool odd = cycle & 1;

		ret = meter_create(&m, odd ? "atm90e32" : "ade7953", 0, !odd);
		ASSERT_EQ(0, ret) TH_LOG("cycle %d: %s", cycle, sim_err);
		self->pids[0] = start_reader(_metadata, m.dev, -1, false);
		self->pids[1] = start_reader(_metadata, m.dev, -1, true);
		sleep_ms(50);

		/* the bus goes away under the readers */
		ASSERT_EQ(0, mod_unload("meterlink_sim", WAIT_MS)) TH_LOG("cycle %d: %s", cycle, sim_err);
		for (i = 0; i < 2; i++) {
			expect_enodev_exit(_metadata, self->pids[i], i ? "poll()" : "read()");
			self->pids[i] = 0;
		}
		ASSERT_EQ(0, meter_wait_absent(m.bus, 0, WAIT_MS)) TH_LOG("cycle %d: %s", cycle, sim_err);
		/* all files closed: the driver can go too */
		ASSERT_EQ(0, mod_unload("meterlink", WAIT_MS)) TH_LOG("cycle %d: %s", cycle, sim_err);
		ASSERT_FALSE(mod_loaded("meterlink"));
		ASSERT_FALSE(mod_loaded("meterlink_sim"));

		/* back, in either order */
		ASSERT_EQ(0, mod_load(odd ? self->ko_meter : self->ko_sim))
			TH_LOG("cycle %d: %s", cycle, sim_err);
		ASSERT_EQ(0, mod_load(odd ? self->ko_sim : self->ko_meter))
			TH_LOG("cycle %d: %s", cycle, sim_err);
		ASSERT_EQ(0, sim_present()) TH_LOG("cycle %d: %s", cycle, sim_err);
		if (_metadata->passed == 0)
			break;
	}
	TH_LOG("%d cycles in %lld ms", cycle, (long long)((now_ns(CLOCK_MONOTONIC) - t0) /
							     NSEC_PER_MSEC));

	/* and it still works */
	ASSERT_EQ(0, meter_create(&m, "ade7953", 0, true)) TH_LOG("%s", sim_err);
	i = meter_open(&m, O_RDONLY);
	ASSERT_LE(0, i) TH_LOG("%s", sim_err);
	{
		struct meterlink_reading r;

		EXPECT_EQ(1, meter_read(i, &r, 1, 5000)) TH_LOG("%s", sim_err);
	}
	close(i);
	EXPECT_EQ(0, meter_destroy(&m)) TH_LOG("%s", sim_err);

	bad = kmsg_problem(&self->k);
	EXPECT_EQ(NULL, bad) TH_LOG("kernel log: %s", bad);
}

TEST_HARNESS_MAIN
