// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the meterlink selftests (see sim.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"

__thread char sim_err[512];

#define fail(err, ...) ({ snprintf(sim_err, sizeof(sim_err), __VA_ARGS__); (err); })

static int write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(-errno, "open %s: %s", path, strerror(errno));
	n = write(fd, s, len);
	if (n < 0)
		err = fail(-errno, "write '%.*s' to %s: %s", (int)strcspn(s, "\n"), s,
			   path, strerror(errno));
	else if ((size_t)n != len)
		err = fail(-EIO, "short write to %s (%zd of %zu)", path, n, len);
	close(fd);
	return err;
}

ssize_t sim_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(-errno, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = fail(-errno, "read %s: %s", path, strerror(errno));
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return n;
}

static int parse_u64(const char *path, const char *s, uint64_t *val)
{
	char *end;

	errno = 0;
	*val = strtoull(s, &end, 0);
	if (errno || end == s || (*end && *end != '\n' && *end != ' '))
		return fail(-EINVAL, "%s: '%s' is not a number", path, s);
	return 0;
}

/* ---- simulator ---- */

int sim_present(void)
{
	struct stat st;

	if (stat(SIM_DIR, &st) || !S_ISDIR(st.st_mode))
		return fail(-ENOENT, "%s missing: debugfs not mounted or meterlink_sim not loaded",
			    SIM_DIR);
	return 0;
}

int sim_bus_num(void)
{
	char buf[32];
	uint64_t v;
	int ret;

	ret = sim_read_file(SIM_DIR "/bus_num", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	ret = parse_u64(SIM_DIR "/bus_num", buf, &v);
	return ret ? ret : (int)v;
}

int sim_new_device(const char *chip, int cs, bool irq, const char *as)
{
	return sim_new_device_board(chip, cs, irq, as, NULL);
}

int sim_new_device_board(const char *chip, int cs, bool irq, const char *as,
			 const char *board)
{
	char line[192];

	snprintf(line, sizeof(line), "%s %d%s%s%s%s%s\n", chip, cs, irq ? " irq" : "",
		 as ? " as=" : "", as ? as : "", board ? " " : "", board ? board : "");
	return write_str(SIM_DIR "/new_device", line);
}

int sim_write_new_device(const char *line)
{
	return write_str(SIM_DIR "/new_device", line);
}

int sim_delete_device(int cs)
{
	char line[16];

	snprintf(line, sizeof(line), "%d\n", cs);
	return write_str(SIM_DIR "/delete_device", line);
}

int sim_set_model(int cs, const struct sim_phase *ph, int nr)
{
	char path[96], line[128];
	int i, ret;

	snprintf(path, sizeof(path), SIM_DIR "/cs%d/model", cs);
	for (i = 0; i < nr; i++) {
		snprintf(line, sizeof(line), "%d %u %u %u %u\n", i, ph[i].voltage_uv,
			 ph[i].current_ua, ph[i].angle_mdeg, ph[i].freq_mhz);
		ret = write_str(path, line);
		if (ret)
			return ret;
	}
	return 0;
}

int sim_fault(int cs, const char *fmt, ...)
{
	char path[96], line[96];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n] = '\n';
	line[n + 1] = 0;
	snprintf(path, sizeof(path), SIM_DIR "/cs%d/fault", cs);
	return write_str(path, line);
}

int sim_stat(int cs, const char *name, uint64_t *val)
{
	char path[96], buf[1024], *line, *save = NULL;
	size_t nl = strlen(name);
	ssize_t n;

	snprintf(path, sizeof(path), SIM_DIR "/cs%d/stats", cs);
	n = sim_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, name, nl) && (line[nl] == ' ' || line[nl] == '\t'))
			return parse_u64(path, line + nl + 1 + strspn(line + nl + 1, " \t"), val);
	}
	return fail(-ENOENT, "no '%s' in %s", name, path);
}

/* ---- meter devices ---- */

int meter_find(int bus, int cs, char *name, size_t len)
{
	char want[32], link[320], target[512];
	struct dirent *de;
	const char *base;
	DIR *d;
	ssize_t n;

	snprintf(want, sizeof(want), "spi%d.%d", bus, cs);
	d = opendir(METER_CLASS);
	if (!d)
		return fail(-errno, "opendir %s: %s", METER_CLASS, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), METER_CLASS "/%s/device", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
		if (!strcmp(base, want)) {
			snprintf(name, len, "%s", de->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return fail(-ENOENT, "no %s/meter* whose device is %s", METER_CLASS, want);
}

int meter_wait_present(int bus, int cs, char *name, size_t len, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;

	for (;;) {
		if (!meter_find(bus, cs, name, len))
			return 0;
		if (now_ns(CLOCK_MONOTONIC) > end)
			return fail(-ENOENT, "no %s/meter* for spi%d.%d after %d ms",
				    METER_CLASS, bus, cs, timeout_ms);
		sleep_ms(10);
	}
}

int meter_wait_absent(int bus, int cs, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	char name[32];

	for (;;) {
		if (meter_find(bus, cs, name, sizeof(name)))
			return 0;
		if (now_ns(CLOCK_MONOTONIC) > end)
			return fail(-EEXIST, "%s/%s (spi%d.%d) still there after %d ms",
				    METER_CLASS, name, bus, cs, timeout_ms);
		sleep_ms(10);
	}
}

static int wait_chrdev(const char *path, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	struct stat st;

	for (;;) {
		if (!stat(path, &st) && S_ISCHR(st.st_mode))
			return 0;
		if (now_ns(CLOCK_MONOTONIC) > end)
			return fail(-ENOENT, "%s did not appear as a char device in %d ms",
				    path, timeout_ms);
		sleep_ms(10);
	}
}

int meter_create(struct meter *m, const char *chip, int cs, bool irq)
{
	return meter_create_board(m, chip, cs, irq, NULL);
}

int meter_create_board(struct meter *m, const char *chip, int cs, bool irq,
		       const char *board)
{
	int64_t end;
	int ret;

	memset(m, 0, sizeof(*m));
	m->cs = cs;
	m->bus = -1;
	ret = sim_present();
	if (ret)
		return ret;
	ret = sim_bus_num();
	if (ret < 0)
		return ret;
	m->bus = ret;
	/* left over by an earlier test that was killed before its teardown */
	if (!sim_delete_device(cs))
		meter_wait_absent(m->bus, cs, WAIT_MS);
	/*
	 * After a surprise removal the chip select stays busy until the
	 * simulator's asynchronous unregistration is through, which may be a
	 * little after the class device went away.
	 */
	end = now_ns(CLOCK_MONOTONIC) + WAIT_MS * NSEC_PER_MSEC;
	for (;;) {
		ret = sim_new_device_board(chip, cs, irq, NULL, board);
		if (ret != -EBUSY || now_ns(CLOCK_MONOTONIC) > end)
			break;
		sleep_ms(20);
	}
	if (ret)
		return ret;
	ret = meter_wait_present(m->bus, cs, m->name, sizeof(m->name), WAIT_MS);
	if (ret)
		return ret;
	snprintf(m->dev, sizeof(m->dev), "/dev/%s", m->name);
	snprintf(m->sysfs, sizeof(m->sysfs), METER_CLASS "/%s", m->name);
	return wait_chrdev(m->dev, WAIT_MS);
}

int meter_destroy(struct meter *m)
{
	int ret;

	if (m->bus < 0 || sim_present())
		return -ENODEV;
	ret = sim_delete_device(m->cs);
	if (!ret || ret == -ENODEV) {
		int r = meter_wait_absent(m->bus, m->cs, WAIT_MS);

		if (r)
			return r;
	}
	return ret;
}

int meter_register(const struct meter *m, const char *reg, uint32_t *val)
{
	char path[128], buf[4096], *line, *save = NULL;
	size_t nl = strlen(reg);
	unsigned int addr, v;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/kernel/debug/meterlink/%s/registers", m->name);
	n = sim_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, reg, nl) || line[nl] != ' ')
			continue;
		if (sscanf(line + nl, " 0x%x 0x%x", &addr, &v) != 2)
			return fail(-EIO, "%s: cannot parse '%s'", path, line);
		*val = v;
		return 0;
	}
	return fail(-ENOENT, "no register %s in %s", reg, path);
}

int meter_open(const struct meter *m, int flags)
{
	int fd = open(m->dev, flags | O_CLOEXEC);

	if (fd < 0)
		return fail(-errno, "open %s: %s", m->dev, strerror(errno));
	return fd;
}

int meter_attr(const struct meter *m, const char *attr, char *buf, size_t len)
{
	char path[160];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", m->sysfs, attr);
	n = sim_read_file(path, buf, len);
	return n < 0 ? (int)n : 0;
}

int meter_attr_u64(const struct meter *m, const char *attr, uint64_t *val)
{
	char buf[64];
	int ret = meter_attr(m, attr, buf, sizeof(buf));

	return ret ? ret : parse_u64(attr, buf, val);
}

/* ---- ioctls ---- */

static int do_ioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg) < 0)
		return fail(-errno, "ioctl %s: %s", what, strerror(errno));
	return 0;
}

int meter_info(int fd, struct meterlink_info *info)
{
	return do_ioctl(fd, METER_IOC_GET_INFO, info, "GET_INFO");
}

int meter_stats(int fd, struct meterlink_stats *st)
{
	return do_ioctl(fd, METER_IOC_GET_STATS, st, "GET_STATS");
}

int meter_set_period(int fd, uint64_t period_ns)
{
	__u64 p = period_ns;

	return do_ioctl(fd, METER_IOC_SET_PERIOD, &p, "SET_PERIOD");
}

int meter_set_mode(int fd, uint32_t mode)
{
	__u32 v = mode;

	return do_ioctl(fd, METER_IOC_SET_MODE, &v, "SET_MODE");
}

/* ---- records ---- */

ssize_t meter_read(int fd, struct meterlink_reading *r, size_t max, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	do
		ret = poll(&pfd, 1, timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return fail(-errno, "poll: %s", strerror(errno));
	if (!ret)
		return 0;
	do
		n = read(fd, r, max * REC_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		return fail(-errno, "read: %s", strerror(errno));
	}
	if (n == 0)
		return fail(-ENODATA, "read returned 0 (EOF)");
	if (n % REC_SIZE || (size_t)n > max * REC_SIZE)
		return fail(-EPROTO, "read returned %zd bytes, not whole records of %zu (max %zu)",
			    n, REC_SIZE, max);
	return n / REC_SIZE;
}

ssize_t meter_collect(int fd, struct meterlink_reading *r, size_t n, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	size_t got = 0;

	while (got < n) {
		int64_t left = (end - now_ns(CLOCK_MONOTONIC)) / NSEC_PER_MSEC;
		ssize_t k;

		if (left <= 0)
			return fail(-ETIMEDOUT, "only %zu of %zu records in %d ms", got, n,
				    timeout_ms);
		k = meter_read(fd, r + got, n - got, (int)left);
		if (k < 0)
			return k;
		got += k;
	}
	return got;
}

ssize_t meter_collect_span(int fd, struct meterlink_reading *r, size_t max,
			   int64_t span_ns, int timeout_ms)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	size_t got = 0;

	while (got < max) {
		int64_t left = (end - now_ns(CLOCK_MONOTONIC)) / NSEC_PER_MSEC;
		ssize_t k;

		if (got && r[got - 1].boottime_ns - r[0].boottime_ns >= span_ns)
			return got;
		if (left <= 0)
			return fail(-ETIMEDOUT, "%zu records span only %lld ns after %d ms",
				    got, got ? (long long)(r[got - 1].boottime_ns -
							   r[0].boottime_ns) : 0LL,
				    timeout_ms);
		k = meter_read(fd, r + got, max - got, (int)left);
		if (k < 0)
			return k;
		got += k;
	}
	if (r[got - 1].boottime_ns - r[0].boottime_ns >= span_ns)
		return got;
	return fail(-ENOSPC, "%zu records span only %lld ns", got,
		    (long long)(r[got - 1].boottime_ns - r[0].boottime_ns));
}

ssize_t meter_drain(int fd)
{
	struct meterlink_reading r[32];
	ssize_t total = 0, k;

	while ((k = meter_read(fd, r, 32, 0)) > 0)
		total += k;
	return k < 0 ? k : total;
}

int rec_check(const struct meterlink_reading *r, unsigned int nr_phases)
{
	unsigned int i;

	if (r->version != METERLINK_READING_VERSION || r->size != REC_SIZE)
		return fail(-EPROTO, "seq %llu: version %u size %u, want %u %zu",
			    (unsigned long long)r->seq, r->version, r->size,
			    METERLINK_READING_VERSION, REC_SIZE);
	if (r->nr_phases != nr_phases)
		return fail(-EPROTO, "seq %llu: nr_phases %u, want %u",
			    (unsigned long long)r->seq, r->nr_phases, nr_phases);
	if (r->flags & ~METERLINK_F_ALL)
		return fail(-EPROTO, "seq %llu: unknown flags %#x",
			    (unsigned long long)r->seq, r->flags);
	if (r->reserved[0] || r->reserved[1])
		return fail(-EPROTO, "seq %llu: reserved not zero", (unsigned long long)r->seq);
	for (i = 0; i < METERLINK_MAX_PHASES; i++)
		if (r->phase[i].reserved[0] || r->phase[i].reserved[1])
			return fail(-EPROTO, "seq %llu: phase %u reserved not zero",
				    (unsigned long long)r->seq, i);
	return 0;
}

const char *rec_flags(uint32_t flags)
{
	static const char *const names[] = {
		"IRQ", "SPI_ERROR", "CORRECTED", "MISSED", "IRQ_FAULT", "INVALID",
	};
	static char buf[96];
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < 32; i++) {
		if (!(flags & (1U << i)))
			continue;
		if (buf[0])
			strcat(buf, "|");
		if (i < sizeof(names) / sizeof(names[0]))
			strcat(buf, names[i]);
		else
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "bit%u", i);
	}
	return buf[0] ? buf : "0";
}

/* ---- energy conservation ---- */

int sim_energy_nj(int cs, unsigned int phase, bool export, uint64_t *nj)
{
	char name[32];

	snprintf(name, sizeof(name), "energy_%s_nj_p%u", export ? "export" : "import", phase);
	return sim_stat(cs, name, nj);
}

int energy_stop(int cs, int fd, const struct sim_phase *model, int nr,
		struct meterlink_reading *last)
{
	struct sim_phase off[METERLINK_MAX_PHASES];
	struct meterlink_reading r[3];
	ssize_t n;
	int i, ret;

	if (nr > METERLINK_MAX_PHASES)
		return fail(-EINVAL, "%d phases", nr);
	for (i = 0; i < nr; i++) {
		off[i] = model[i];
		off[i].current_ua = 0;
	}
	ret = sim_set_model(cs, off, nr);
	if (ret)
		return ret;
	n = meter_drain(fd);
	if (n < 0)
		return n;
	/* the first may have been read before the change: two more after it */
	n = meter_collect(fd, r, 3, 30000);
	if (n < 0)
		return n;
	if (n != 3)
		return fail(-ETIMEDOUT, "%zd of 3 records after the energy stopped", n);
	*last = r[2];
	return 0;
}

int energy_conserved(int cs, const struct meterlink_reading *r, unsigned int phase,
		     double lsb_uwh, double gain, struct energy_cmp *e)
{
	const struct meterlink_phase *ph = &r->phase[phase];
	uint64_t imp, exp;
	double net;
	int ret;

	ret = sim_energy_nj(cs, phase, false, &imp);
	if (!ret)
		ret = sim_energy_nj(cs, phase, true, &exp);
	if (ret)
		return ret;
	e->want_import = imp / 3.6e6 * gain;
	e->want_export = exp / 3.6e6 * gain;
	e->got_import = ph->energy_import_uwh;
	e->got_export = ph->energy_export_uwh;
	net = (e->got_import - e->got_export) - (e->want_import - e->want_export);
	if (e->got_import > e->want_import + 1 || e->got_export > e->want_export + 1 ||
	    fabs(net) > 2 * lsb_uwh + 2)
		return fail(-EPROTO, "phase %u: driver import %.0f export %.0f uWh, simulator "
			    "import %.3f export %.3f uWh: net off by %+.3f LSB of %.3f uWh",
			    phase, e->got_import, e->got_export, e->want_import,
			    e->want_export, net / lsb_uwh, lsb_uwh);
	return 0;
}
