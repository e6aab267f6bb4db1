// SPDX-License-Identifier: GPL-2.0
/*
 * dt_reading: read records from a meter and check them against the physical
 * model the simulator was given. Built static for the arm64 guest of
 * "make check-arm64" (tests/arm64/guest-init), which has no libc of its own.
 *
 *   dt_reading DEVICE irq|poll RECORDS PHASE:V_UV:I_UA:ANGLE_MDEG:F_MHZ...
 *
 * Reads RECORDS records from a fresh open and checks that each is well formed
 * (version, size, consecutive seq, no error flag, the IRQ flag as the mode
 * says), that its values agree with the model within 2 LSB of the chip plus
 * 0.1 % (the rule of tests/selftests/meterlink/meter_values.c), and that the
 * import energy grew by the model's power over the time the records span
 * (within 0.5 % plus 2 LSB of energy plus the energy of the first and last
 * records' read windows, which under TCG can be long). One line per problem;
 * exit 1 on any.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/meterlink.h>

/* LSBs of the ADE7953 as the driver scales it (tests/selftests/meterlink/util.c) */
struct res {
	const char *chip;
	double v_uv, i_ua, p_mw, pf, f_mhz, e_uwh;
};

static const struct res resolutions[] = {
	{ "ade7953", 1e6 / 26000, 10, 1000.0 / 154, 1e6 / 32767, 11.2, 115.5 },
	{ "atm90e32", 10000, 1000, 0.32, 1000, 10, 3125 },
};

struct model {
	double v_uv, i_ua, angle, f_mhz;
	int set;
};

static int problems;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	problems++;
}

static void near(const char *what, unsigned int p, double want, double got,
		 double lsb, double rel)
{
	if (fabs(got - want) > 2 * lsb + rel * fabs(want))
		fail("phase %u %s: got %.1f, model %.1f", p, what, got, want);
}

static int read_one(int fd, struct meterlink_reading *r)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, 5000) != 1) {
		fail("no record within 5 s");
		return -1;
	}
	n = read(fd, r, sizeof(*r));
	if (n != (ssize_t)sizeof(*r)) {
		fail("read returned %zd (%s), want %zu", n,
		     n < 0 ? strerror(errno) : "short", sizeof(*r));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct model m[METERLINK_MAX_PHASES] = { 0 };
	struct meterlink_reading first = { 0 }, r;
	const struct res *res = NULL;
	struct meterlink_info info;
	long want_n, k;
	unsigned int p;
	int irq, fd, i;

	if (argc < 5 || (strcmp(argv[2], "irq") && strcmp(argv[2], "poll"))) {
		fprintf(stderr, "usage: dt_reading DEVICE irq|poll RECORDS PHASE:V:I:ANGLE:F...\n");
		return 2;
	}
	irq = !strcmp(argv[2], "irq");
	want_n = strtol(argv[3], NULL, 10);
	if (want_n < 2) {
		fprintf(stderr, "dt_reading: RECORDS must be at least 2\n");
		return 2;
	}
	for (i = 4; i < argc; i++) {
		double v, c, a, f;

		if (sscanf(argv[i], "%u:%lf:%lf:%lf:%lf", &p, &v, &c, &a, &f) != 5 ||
		    p >= METERLINK_MAX_PHASES) {
			fprintf(stderr, "dt_reading: bad model '%s'\n", argv[i]);
			return 2;
		}
		m[p] = (struct model){ v, c, a / 1000 * M_PI / 180, f, 1 };
	}

	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		printf("# open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (ioctl(fd, METER_IOC_GET_INFO, &info)) {
		printf("# METER_IOC_GET_INFO: %s\n", strerror(errno));
		return 1;
	}
	for (p = 0; p < sizeof(resolutions) / sizeof(resolutions[0]); p++)
		if (!strcmp(info.name, resolutions[p].chip))
			res = &resolutions[p];
	if (!res) {
		printf("# no resolution known for chip '%s'\n", info.name);
		return 1;
	}
	if (info.mode != (irq ? METERLINK_MODE_IRQ : METERLINK_MODE_POLL))
		fail("mode %u, want %s", info.mode, argv[2]);

	for (k = 0; k < want_n && read_one(fd, &r) == 0; k++) {
		uint32_t bad = METERLINK_F_SPI_ERROR | METERLINK_F_INVALID |
			       METERLINK_F_IRQ_FAULT | METERLINK_F_CORRECTED;

		if (r.version != METERLINK_READING_VERSION || r.size != sizeof(r))
			fail("seq %" PRIu64 ": version %u size %u", (uint64_t)r.seq,
			     r.version, r.size);
		if (k && r.seq != first.seq + k)
			fail("seq %" PRIu64 " after %" PRIu64 ": records lost",
			     (uint64_t)r.seq, (uint64_t)first.seq + k - 1);
		if (r.flags & bad)
			fail("seq %" PRIu64 ": flags 0x%x", (uint64_t)r.seq, r.flags);
		if (!!(r.flags & METERLINK_F_IRQ) != irq)
			fail("seq %" PRIu64 ": IRQ flag %s in %s mode", (uint64_t)r.seq,
			     r.flags & METERLINK_F_IRQ ? "set" : "clear", argv[2]);
		if (r.nr_phases != info.nr_phases)
			fail("seq %" PRIu64 ": %u phases", (uint64_t)r.seq, r.nr_phases);
		for (p = 0; p < r.nr_phases && p < METERLINK_MAX_PHASES; p++) {
			const struct meterlink_phase *ph = &r.phase[p];
			double s = m[p].v_uv * m[p].i_ua / 1e9;

			if (!m[p].set)
				continue;
			near("voltage uV", p, m[p].v_uv, ph->voltage_uv, res->v_uv, 0.001);
			near("current uA", p, m[p].i_ua, ph->current_ua, res->i_ua, 0.001);
			near("active mW", p, s * cos(m[p].angle), ph->active_mw, res->p_mw, 0.001);
			near("reactive mvar", p, s * sin(m[p].angle), ph->reactive_mvar,
			     res->p_mw, 0.001);
			near("apparent mVA", p, s, ph->apparent_mva, res->p_mw, 0.001);
			near("power factor", p, cos(m[p].angle) * 1e6, ph->power_factor,
			     res->pf, 0.001);
			near("frequency mHz", p, m[p].f_mhz, ph->frequency_mhz, res->f_mhz, 0.001);
		}
		if (!k)
			first = r;
	}
	if (k < want_n)
		fail("%ld of %ld records read", k, want_n);
	else
		for (p = 0; p < r.nr_phases && p < METERLINK_MAX_PHASES; p++) {
			double t_s = (r.boottime_ns - first.boottime_ns) / 1e9;
			double s = m[p].v_uv * m[p].i_ua / 1e9;
			double got = (double)r.phase[p].energy_import_uwh -
				     first.phase[p].energy_import_uwh;
			/* the registers were read somewhere in each record's window */
			double win_s = ((double)first.uncertainty_ns + r.uncertainty_ns) / 1e9;
			double want = s * cos(m[p].angle) * t_s / 3.6;
			double slack = 2 * res->e_uwh + 0.005 * want +
				       s * cos(m[p].angle) * win_s / 3.6;

			if (!m[p].set || cos(m[p].angle) <= 0)
				continue;
			printf("# phase %u import energy: %.0f uWh, model %.0f +- %.0f\n",
			       p, got, want, slack);
			if (fabs(got - want) > slack)
				fail("phase %u import energy: got %.0f uWh over %.3f s, model %.0f "
				     "(read windows %u + %u ns)", p, got, t_s, want,
				     first.uncertainty_ns, r.uncertainty_ns);
		}
	printf("# %ld records from %s (%s, %s mode), %d problems\n", k, argv[1],
	       info.name, argv[2], problems);
	close(fd);
	return problems ? 1 : 0;
}
