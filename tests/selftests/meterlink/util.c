// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the meterlink selftests (see sim.h): values, time, the
 * kernel log, modules and child processes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim.h"

#define fail(err, ...) ({ snprintf(sim_err, sizeof(sim_err), __VA_ARGS__); (err); })

const struct chip_res res_ade7953 = {
	.voltage_uv = 1e6 / 26000,	/* 1/26000 V */
	.current_ua = 10,
	.power_mw = 1000.0 / 154,	/* 1/154 W */
	.pf = 1e6 / 32767,
	.freq_mhz = 11.2,		/* 223750/(PERIOD+1) near 50 Hz */
	.energy_uwh = 115.5,	/* 64 WATT-LSB seconds: 64e6/(154*3600) */
};

/* the reference board of kernel/ade9000.c */
const struct chip_res res_ade9000 = {
	.voltage_uv = 566392532.0 / 52702092,	/* 10.75 uV */
	.current_ua = 173310486.0 / 52702092,	/* 3.29 uA */
	.power_mw = 98161765.0 / 20694066,	/* 4.74 mW */
	.pf = 1e6 / 134217728,			/* 2^27 is 1.0 */
	.freq_mhz = 1,				/* 524288000/(PERIOD+1) */
	.energy_uwh = 11045.0 / 8186,		/* 1.35 uWh */
};

const struct chip_res res_atm90e32 = {
	.voltage_uv = 10000,
	.current_ua = 1000,
	.power_mw = 0.32,
	.pf = 1000,
	.freq_mhz = 10,
	.energy_uwh = 3125,
};

int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- values ---- */

bool within(double expected, double seen, double lsb)
{
	return fabs(seen - expected) <= 2 * lsb + 0.001 * fabs(expected);
}

static double angle_rad(const struct sim_phase *p)
{
	return p->angle_mdeg / 1000.0 * M_PI / 180.0;
}

double model_active_mw(const struct sim_phase *p)
{
	return (double)p->voltage_uv * p->current_ua * cos(angle_rad(p)) / 1e9;
}

double model_reactive_mvar(const struct sim_phase *p)
{
	return (double)p->voltage_uv * p->current_ua * sin(angle_rad(p)) / 1e9;
}

double model_apparent_mva(const struct sim_phase *p)
{
	return (double)p->voltage_uv * p->current_ua / 1e9;
}

double model_pf(const struct sim_phase *p)
{
	return cos(angle_rad(p)) * 1e6;
}

double model_energy_uwh(const struct sim_phase *p, int64_t t_ns)
{
	/* mW * s = mJ, and 1 uWh = 3.6 mJ */
	return model_active_mw(p) * (t_ns / 1e9) / 3.6;
}

/* ---- kernel log ---- */

static unsigned long read_taint(void)
{
	char buf[32];

	if (sim_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) < 0)
		return 0;
	return strtoul(buf, NULL, 10);
}

int kmsg_begin(struct kmsg *k)
{
	memset(k, 0, sizeof(*k));
	k->taint = read_taint();
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return fail(-errno, "open /dev/kmsg: %s", strerror(errno));
	if (lseek(k->fd, 0, SEEK_END) < 0)
		return fail(-errno, "seek /dev/kmsg: %s", strerror(errno));
	return 0;
}

static void kmsg_update(struct kmsg *k)
{
	char rec[8192];

	for (;;) {
		ssize_t n = read(k->fd, rec, sizeof(rec) - 1);
		char *msg, *end;
		size_t len;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		end = strchr(msg, '\n');
		len = end ? (size_t)(end - msg) : strlen(msg);
		if (k->len + len + 2 > k->cap) {
			size_t cap = (k->cap + len + 2) * 2;
			char *b = realloc(k->buf, cap);

			if (!b)
				break;
			k->buf = b;
			k->cap = cap;
		}
		memcpy(k->buf + k->len, msg, len);
		k->len += len;
		k->buf[k->len++] = '\n';
		k->buf[k->len] = 0;
	}
}

static const char *kmsg_line(const struct kmsg *k, const char *a, const char *b)
{
	static char line[512];
	const char *p = k->buf, *e;

	while (p && p < k->buf + k->len) {
		e = strchr(p, '\n');
		snprintf(line, sizeof(line), "%.*s", (int)(e - p), p);
		if (strstr(line, a) && (!b || strstr(line, b)))
			return line;
		p = e + 1;
	}
	return NULL;
}

const char *kmsg_find(struct kmsg *k, const char *a, const char *b, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	const char *l;

	for (;;) {
		kmsg_update(k);
		l = kmsg_line(k, a, b);
		if (l || now_ns(CLOCK_MONOTONIC) > end)
			return l;
		sleep_ms(50);
	}
}

const char *kmsg_problem(struct kmsg *k)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "general protection fault", "Call Trace",
		"KASAN", "UBSAN", "refcount_t", "list_add corruption", "list_del corruption",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "suspicious RCU usage", "soft lockup",
		"hard LOCKUP", "blocked for more than", "self-detected stall",
	};
	/* M (machine check), B (bad page), D (died), W (warning), L (soft lockup) */
	const unsigned long taint_bad = 1UL << 4 | 1UL << 5 | 1UL << 7 | 1UL << 9 | 1UL << 14;
	static char msg[600];
	unsigned long taint;
	const char *l;
	size_t i;

	kmsg_update(k);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = kmsg_line(k, bad[i], NULL);
		if (l)
			return l;
	}
	taint = read_taint();
	if ((taint & ~k->taint) & taint_bad) {
		snprintf(msg, sizeof(msg), "kernel taint went from %#lx to %#lx", k->taint, taint);
		return msg;
	}
	return NULL;
}

void kmsg_end(struct kmsg *k)
{
	if (k->fd > 0)
		close(k->fd);
	free(k->buf);
	memset(k, 0, sizeof(*k));
}

/* ---- modules ---- */

bool mod_loaded(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return !stat(path, &st);
}

int mod_load(const char *path)
{
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(-errno, "open %s: %s", path, strerror(errno));
	if (syscall(SYS_finit_module, fd, "", 0))
		ret = fail(-errno, "finit_module %s: %s", path, strerror(errno));
	close(fd);
	return ret;
}

int mod_unload(const char *name, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;

	for (;;) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if ((errno != EAGAIN && errno != EWOULDBLOCK && errno != EBUSY) ||
		    now_ns(CLOCK_MONOTONIC) > end)
			return fail(-errno, "delete_module %s: %s", name, strerror(errno));
		sleep_ms(20);
	}
}

/* ---- children ---- */

int wait_child(pid_t pid, int *status, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return fail(-errno, "waitpid %d: %s", pid, strerror(errno));
		if (now_ns(CLOCK_MONOTONIC) > end)
			return fail(-ETIMEDOUT, "child %d still running after %d ms", pid,
				    timeout_ms);
		sleep_ms(10);
	}
}

char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (sim_read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}
