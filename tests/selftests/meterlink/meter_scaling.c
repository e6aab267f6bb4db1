// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: board scaling (Documentation/scaling.rst).
 *
 * boards: two simulated chips of the same kind measure the same physical
 * signal, one on the chip's reference board (no properties), one on another
 * board (divider, shunt or CT and burden, given to the simulator's software
 * node). Both must report the model's volts, amperes and watts within the
 * chip's resolution on their board, and hold the energy the simulator gave
 * their pins times the board's power gain, while their raw register codes
 * differ by the board's gain; scaling/ in sysfs shows the gains, computed
 * here independently from the reference boards in the documentation.
 *
 * refused: a board property that is zero, out of range, of the wrong length,
 * inconsistent (shunt and CT on one channel, CT without burden, ...) or that
 * cannot be converted exactly makes probe fail with a message naming it,
 * and leaves no class device, char device or debugfs directory behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sim.h"

#define V230	230000000U
#define HZ50	50000U
#define MAXREC	256

FIXTURE(boards) {
	struct meter a, b;
	int fda, fdb;
	struct meterlink_reading *ra, *rb;
};

FIXTURE_VARIANT(boards) {
	const char *chip;
	unsigned int nr_phases;
	const struct chip_res *res;
	const char *board;			/* for device b */
	/* scaling/ of device a, then b: divider, shunt, ct, burden */
	const char *attrs[2][4];
	double gv[METERLINK_MAX_PHASES];	/* expected gains of b */
	double gi[METERLINK_MAX_PHASES];
	const char *vreg[METERLINK_MAX_PHASES];	/* registers to compare */
	const char *ireg[METERLINK_MAX_PHASES];
	struct sim_phase model[METERLINK_MAX_PHASES];
};

/*
 * ADE7953 reference board: divider 983, 3915 uOhm shunt on both channels.
 * Board b: divider 1001, channel A a 250 uOhm shunt, channel B a 2000:1 CT
 * on 10 Ohm (the binding's example).
 */
FIXTURE_VARIANT_ADD(boards, ade7953) {
	.chip = "ade7953",
	.nr_phases = 2,
	.res = &res_ade7953,
	.board = "divider=1001 shunt=250,0 ct=0,2000 burden=0,10000000",
	.attrs = { { "983", "3915 3915", "0 0", "0 0" },
		   { "1001", "250 0", "0 2000", "0 10000000" } },
	.gv = { 1001.0 / 983, 1001.0 / 983 },
	.gi = { 3915.0 / 250, 3915.0 / (10000000.0 / 2000) },
	.vreg = { "VRMS", "VRMS" },
	.ireg = { "IRMSA", "IRMSB" },
	.model = {
		{ V230, 5000000, ANGLE_PF09, HZ50 },
		{ V230, 3200000, 330000, HZ50 },
	},
};

/*
 * ATM90E32 reference board: divider 1001, 2000:1 CTs on 22 Ohm. Board b:
 * divider 991 and a different CT and burden on each phase.
 */
FIXTURE_VARIANT_ADD(boards, atm90e32) {
	.chip = "atm90e32",
	.nr_phases = 3,
	.res = &res_atm90e32,
	.board = "divider=991 ct=2500,2000,3000 burden=12000000,22000000,18000000",
	.attrs = { { "1001 1001 1001", "0 0 0", "2000 2000 2000", "22000000 22000000 22000000" },
		   { "991 991 991", "0 0 0", "2500 2000 3000", "12000000 22000000 18000000" } },
	.gv = { 991.0 / 1001, 991.0 / 1001, 991.0 / 1001 },
	.gi = { (22.0 / 2000) / (12.0 / 2500), 1.0, (22.0 / 2000) / (18.0 / 3000) },
	.vreg = { "UrmsA", "UrmsB", "UrmsC" },
	.ireg = { "IrmsA", "IrmsB", "IrmsC" },
	.model = {
		{ V230, 5000000, ANGLE_PF09, HZ50 },
		{ 231500000, 3200000, 0, HZ50 },
		{ 228000000, 7500000, 330000, HZ50 },
	},
};

FIXTURE_SETUP(boards)
{
	self->fda = self->fdb = -1;
	self->ra = calloc(MAXREC, REC_SIZE);
	self->rb = calloc(MAXREC, REC_SIZE);
	ASSERT_TRUE(self->ra && self->rb);
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create(&self->a, variant->chip, 0, false)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create_board(&self->b, variant->chip, 1, false, variant->board))
		TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_set_model(0, variant->model, variant->nr_phases)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_set_model(1, variant->model, variant->nr_phases)) TH_LOG("%s", sim_err);
	sleep_ms(400);
	self->fda = meter_open(&self->a, O_RDONLY);
	ASSERT_LE(0, self->fda) TH_LOG("%s", sim_err);
	self->fdb = meter_open(&self->b, O_RDONLY);
	ASSERT_LE(0, self->fdb) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(boards)
{
	int ret;

	if (self->fda >= 0)
		close(self->fda);
	if (self->fdb >= 0)
		close(self->fdb);
	ret = meter_destroy(&self->a);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
	ret = meter_destroy(&self->b);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
	free(self->ra);
	free(self->rb);
}

/* "n/d n/d ..." of scaling/<attr> into @g */
static int read_gains(const struct meter *m, const char *attr, double *g, unsigned int n)
{
	char path[64], buf[256], *p;
	unsigned long long num, den;
	unsigned int i;
	int len;

	snprintf(path, sizeof(path), "scaling/%s", attr);
	if (meter_attr(m, path, buf, sizeof(buf)))
		return -1;
	for (i = 0, p = buf; i < n; i++, p += len) {
		if (sscanf(p, " %llu/%llu%n", &num, &den, &len) != 2 || !den)
			return -1;
		g[i] = (double)num / den;
	}
	return *p ? -1 : 0;
}

static bool close_to(double want, double got)
{
	return fabs(got - want) <= 1e-12 * fabs(want);
}

static void check_phase(struct __test_metadata *_metadata, const char *who,
			const struct meterlink_phase *ph, unsigned int i,
			const struct sim_phase *p, const struct chip_res *res,
			double gv, double gi)
{
	EXPECT_TRUE(within(p->voltage_uv, ph->voltage_uv, res->voltage_uv * gv))
		TH_LOG("%s phase %u: voltage %u uV, model %u", who, i, ph->voltage_uv,
		       p->voltage_uv);
	EXPECT_TRUE(within(p->current_ua, ph->current_ua, res->current_ua * gi))
		TH_LOG("%s phase %u: current %u uA, model %u", who, i, ph->current_ua,
		       p->current_ua);
	EXPECT_TRUE(within(model_active_mw(p), ph->active_mw, res->power_mw * gv * gi))
		TH_LOG("%s phase %u: active %lld mW, model %.1f", who, i,
		       (long long)ph->active_mw, model_active_mw(p));
	EXPECT_TRUE(within(model_apparent_mva(p), ph->apparent_mva, res->power_mw * gv * gi))
		TH_LOG("%s phase %u: apparent %lld mVA, model %.1f", who, i,
		       (long long)ph->apparent_mva, model_apparent_mva(p));
	EXPECT_TRUE(within(model_pf(p), ph->power_factor, res->pf))
		TH_LOG("%s phase %u: power factor %d, model %.0f", who, i, ph->power_factor,
		       model_pf(p));
}

/* records from both devices until both span @span_ns */
static int collect_both(int fda, struct meterlink_reading *ra, size_t *na,
			int fdb, struct meterlink_reading *rb, size_t *nb, int64_t span_ns)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + 60 * NSEC_PER_SEC;

	*na = *nb = 0;
	while (now_ns(CLOCK_MONOTONIC) < end) {
		ssize_t k;

		if (*na < MAXREC) {
			k = meter_read(fda, ra + *na, MAXREC - *na, 50);
			if (k < 0)
				return k;
			*na += k;
		}
		if (*nb < MAXREC) {
			k = meter_read(fdb, rb + *nb, MAXREC - *nb, 50);
			if (k < 0)
				return k;
			*nb += k;
		}
		if (*na > 3 && *nb > 3 &&
		    ra[*na - 1].boottime_ns - ra[2].boottime_ns >= span_ns &&
		    rb[*nb - 1].boottime_ns - rb[2].boottime_ns >= span_ns)
			return 0;
	}
	return -ETIMEDOUT;
}

/* P*t over the run: logged only, it moves with scheduling */
static void log_energy(struct __test_metadata *_metadata, const char *who,
		       const struct meterlink_reading *r, size_t n, unsigned int i,
		       const struct sim_phase *p)
{
	const struct meterlink_reading *a = &r[2], *b = &r[n - 1];
	int64_t t = b->boottime_ns - a->boottime_ns;
	double want = model_energy_uwh(p, t);
	double imp = (double)(b->phase[i].energy_import_uwh - a->phase[i].energy_import_uwh);
	double ex = (double)(b->phase[i].energy_export_uwh - a->phase[i].energy_export_uwh);
	double got = want >= 0 ? imp : ex;

	TH_LOG("%s phase %u: %.0f uWh in %.3f s, P*t %.0f (%+.3f %%, not checked)", who, i,
	       got, t / 1e9, fabs(want), (got - fabs(want)) / fabs(want) * 100);
}

/*
 * The energy stops flowing on the chip at @cs; then its driver must hold, in
 * SI units, what the simulated chip integrated at its pins (reference units)
 * times the board's power gain, within the energy LSB on that board.
 */
static void check_energy(struct __test_metadata *_metadata, const char *who, int cs, int fd,
			 const struct sim_phase *model, unsigned int np, double lsb,
			 const double *gv, const double *gi)
{
	struct meterlink_reading last;
	struct energy_cmp e;
	unsigned int i;

	ASSERT_EQ(0, energy_stop(cs, fd, model, np, &last)) TH_LOG("%s", sim_err);
	for (i = 0; i < np; i++) {
		EXPECT_EQ(0, energy_conserved(cs, &last, i, lsb * gv[i] * gi[i], gv[i] * gi[i], &e))
			TH_LOG("%s: %s", who, sim_err);
		TH_LOG("%s phase %u: driver import %.0f export %.0f uWh, simulator %.3f %.3f uWh "
		       "(x %.9g at the pins)", who, i, e.got_import, e.got_export, e.want_import,
		       e.want_export, gv[i] * gi[i]);
	}
}

TEST_F_TIMEOUT(boards, same_signal_same_si_different_codes, 120)
{
	double gv[METERLINK_MAX_PHASES], gi[METERLINK_MAX_PHASES], gp[METERLINK_MAX_PHASES];
	static const double ones[METERLINK_MAX_PHASES] = { 1, 1, 1 };
	const unsigned int np = variant->nr_phases;
	char buf[64];
	size_t na, nb, k;
	unsigned int i;

	/* what the driver says it applies */
	static const char *const names[4] = {
		"scaling/voltage_divider_ratio", "scaling/shunt_micro_ohms",
		"scaling/ct_ratio", "scaling/burden_micro_ohms",
	};
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, meter_attr(&self->a, names[i], buf, sizeof(buf))) TH_LOG("%s", sim_err);
		EXPECT_STREQ(variant->attrs[0][i], buf);
		ASSERT_EQ(0, meter_attr(&self->b, names[i], buf, sizeof(buf))) TH_LOG("%s", sim_err);
		EXPECT_STREQ(variant->attrs[1][i], buf);
	}
	ASSERT_EQ(0, meter_attr(&self->a, "scaling/source", buf, sizeof(buf))) TH_LOG("%s", sim_err);
	ASSERT_STREQ("reference", buf);
	ASSERT_EQ(0, meter_attr(&self->b, "scaling/source", buf, sizeof(buf))) TH_LOG("%s", sim_err);
	ASSERT_STREQ("firmware", buf);
	ASSERT_EQ(0, read_gains(&self->a, "voltage_gain", gv, np));
	ASSERT_EQ(0, read_gains(&self->a, "current_gain", gi, np));
	for (i = 0; i < np; i++)
		ASSERT_TRUE(gv[i] == 1.0 && gi[i] == 1.0) TH_LOG("reference board gains not 1");
	ASSERT_EQ(0, read_gains(&self->b, "voltage_gain", gv, np));
	ASSERT_EQ(0, read_gains(&self->b, "current_gain", gi, np));
	ASSERT_EQ(0, read_gains(&self->b, "power_gain", gp, np));
	for (i = 0; i < np; i++) {
		EXPECT_TRUE(close_to(variant->gv[i], gv[i]))
			TH_LOG("phase %u: voltage gain %.12g, expected %.12g", i, gv[i], variant->gv[i]);
		EXPECT_TRUE(close_to(variant->gi[i], gi[i]))
			TH_LOG("phase %u: current gain %.12g, expected %.12g", i, gi[i], variant->gi[i]);
		EXPECT_TRUE(close_to(variant->gv[i] * variant->gi[i], gp[i]))
			TH_LOG("phase %u: power gain %.12g", i, gp[i]);
	}

	/* the same signal in SI units, on both boards, energy included */
	ASSERT_EQ(0, collect_both(self->fda, self->ra, &na, self->fdb, self->rb, &nb,
				  5 * NSEC_PER_SEC)) TH_LOG("%s", sim_err);
	for (k = 1; k < na; k++)
		for (i = 0; i < np; i++)
			check_phase(_metadata, "reference", &self->ra[k].phase[i], i,
				    &variant->model[i], variant->res, 1, 1);
	for (k = 1; k < nb; k++)
		for (i = 0; i < np; i++)
			check_phase(_metadata, "board", &self->rb[k].phase[i], i,
				    &variant->model[i], variant->res, variant->gv[i],
				    variant->gi[i]);
	for (i = 0; i < np; i++) {
		log_energy(_metadata, "reference", self->ra, na, i, &variant->model[i]);
		log_energy(_metadata, "board", self->rb, nb, i, &variant->model[i]);
	}

	/* ... from different register codes, in the ratio of the boards */
	for (i = 0; i < np; i++) {
		uint32_t va, vb, ia, ib;

		ASSERT_EQ(0, meter_register(&self->a, variant->vreg[i], &va)) TH_LOG("%s", sim_err);
		ASSERT_EQ(0, meter_register(&self->b, variant->vreg[i], &vb)) TH_LOG("%s", sim_err);
		ASSERT_EQ(0, meter_register(&self->a, variant->ireg[i], &ia)) TH_LOG("%s", sim_err);
		ASSERT_EQ(0, meter_register(&self->b, variant->ireg[i], &ib)) TH_LOG("%s", sim_err);
		TH_LOG("phase %u: %s %u vs %u, %s %u vs %u", i, variant->vreg[i], va, vb,
		       variant->ireg[i], ia, ib);
		EXPECT_TRUE(within(va / variant->gv[i], vb, 1))
			TH_LOG("phase %u: %s %u on the board, expected %.1f", i, variant->vreg[i],
			       vb, va / variant->gv[i]);
		EXPECT_TRUE(within(ia / variant->gi[i], ib, 1))
			TH_LOG("phase %u: %s %u on the board, expected %.1f", i, variant->ireg[i],
			       ib, ia / variant->gi[i]);
		if (variant->gv[i] != 1.0)
			EXPECT_NE(va, vb);
		if (variant->gi[i] != 1.0)
			EXPECT_NE(ia, ib);
	}

	/* last, as it stops the current: no energy lost or made up on either board */
	check_energy(_metadata, "reference", 0, self->fda, variant->model, np,
		     variant->res->energy_uwh, ones, ones);
	check_energy(_metadata, "board", 1, self->fdb, variant->model, np,
		     variant->res->energy_uwh, variant->gv, variant->gi);
}

/* ---- refused boards ---- */

FIXTURE(refused) {
	struct kmsg k;
	int bus;
};

FIXTURE_VARIANT(refused) {
	const char *chip;
	const char *board;
	const char *msg;
};

#define REFUSED(name_, chip_, board_, msg_)				\
	FIXTURE_VARIANT_ADD(refused, name_) {				\
		.chip = chip_, .board = board_, .msg = msg_,		\
	}

REFUSED(ade7953_divider_zero, "ade7953", "divider=0",
	"meterlink,voltage-divider-ratio: entry 0 is 0, expected 1..1000000");
REFUSED(ade7953_divider_too_big, "ade7953", "divider=1000001",
	"meterlink,voltage-divider-ratio: entry 0 is 1000001, expected 1..1000000");
REFUSED(ade7953_divider_per_channel, "ade7953", "divider=1001,1001",
	"meterlink,voltage-divider-ratio: 2 entries, expected 1 (one per channel)");
REFUSED(ade7953_ct_without_burden, "ade7953", "ct=2000",
	"current channel A: meterlink,ct-ratio 2000 needs a non-zero meterlink,burden-micro-ohms");
REFUSED(ade7953_burden_without_ct, "ade7953", "ct=2000,0 burden=10000000",
	"current channel B: meterlink,burden-micro-ohms 10000000 without a transformer");
REFUSED(ade7953_shunt_and_ct, "ade7953", "shunt=250 ct=0,2000 burden=0,10000000",
	"current channel B: both a shunt (meterlink,shunt-micro-ohms 250) and a transformer (meterlink,ct-ratio 2000)");
REFUSED(ade7953_no_sensor, "ade7953", "shunt=250,0",
	"current channel B: no current sensor");
REFUSED(ade7953_ct_too_big, "ade7953", "ct=100001 burden=10000000",
	"meterlink,ct-ratio: entry 0 is 100001, expected 0..100000");
REFUSED(ade7953_burden_too_big, "ade7953", "ct=2000 burden=1000000001",
	"meterlink,burden-micro-ohms: entry 0 is 1000000001, expected 0..1000000000");
REFUSED(ade7953_shunt_too_many, "ade7953", "shunt=250,250,250",
	"meterlink,shunt-micro-ohms: 3 entries, expected 1 or 2");
REFUSED(ade7953_full_scale_too_big, "ade7953", "ct=100000 burden=1",
	"board scaling: the current of phase 0 would be");
REFUSED(ade7953_not_exact_in_64_bits, "ade7953", "divider=999983 ct=99991 burden=999999937",
	"board scaling: phase 0 needs ratios beyond 64 bits");
REFUSED(atm90e32_divider_zero, "atm90e32", "divider=1001,0,1001",
	"meterlink,voltage-divider-ratio: entry 1 is 0, expected 1..1000000");
REFUSED(atm90e32_divider_two, "atm90e32", "divider=1001,1001",
	"meterlink,voltage-divider-ratio: 2 entries, expected 1 or 3");
REFUSED(atm90e32_ct_without_burden, "atm90e32", "ct=2000 burden=22000000,0,22000000",
	"current channel B: meterlink,ct-ratio 2000 needs a non-zero meterlink,burden-micro-ohms");
REFUSED(atm90e32_shunt_with_burden, "atm90e32", "shunt=500 burden=22000000",
	"current channel A: meterlink,burden-micro-ohms 22000000 without a transformer");
REFUSED(atm90e32_burden_only, "atm90e32", "burden=22000000",
	"current channel A: meterlink,burden-micro-ohms 22000000 without a transformer");
REFUSED(atm90e32_shunt_and_ct, "atm90e32", "shunt=0,0,500 ct=2000 burden=22000000",
	"current channel C: both a shunt (meterlink,shunt-micro-ohms 500) and a transformer (meterlink,ct-ratio 2000)");
REFUSED(atm90e32_no_sensor, "atm90e32", "ct=2000,2000,0 burden=22000000,22000000,0",
	"current channel C: no current sensor");
REFUSED(atm90e32_ct_too_many, "atm90e32", "ct=2000,2000,2000,2000 burden=22000000",
	"meterlink,ct-ratio: 4 entries, expected 1 or 3");
REFUSED(atm90e32_full_scale_too_big, "atm90e32", "divider=1000000 shunt=1",
	"board scaling: the active power of phase 0 would be");
REFUSED(atm90e32_not_exact_in_64_bits, "atm90e32", "divider=999983 ct=99991 burden=999999937",
	"board scaling: phase 0 needs ratios beyond 64 bits");

FIXTURE_SETUP(refused)
{
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	self->bus = sim_bus_num();
	ASSERT_LE(0, self->bus) TH_LOG("%s", sim_err);
	if (!sim_delete_device(0))
		meter_wait_absent(self->bus, 0, WAIT_MS);
	ASSERT_EQ(0, kmsg_begin(&self->k));
}

FIXTURE_TEARDOWN(refused)
{
	kmsg_end(&self->k);
	sim_delete_device(0);
}

static int count_entries(const char *dir, const char *prefix)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

TEST_F_TIMEOUT(refused, probe_fails_with_message_and_leaves_nothing, 30)
{
	int cls = count_entries(METER_CLASS, "meter");
	int devs = count_entries("/dev", "meter");
	int dbg = count_entries("/sys/kernel/debug/meterlink", "meter");
	char spi[32], name[32];
	struct meter m;
	const char *l;

	snprintf(spi, sizeof(spi), "spi%d.0", self->bus);
	/* the SPI device is registered; the driver refuses to bind to it */
	ASSERT_EQ(0, sim_new_device_board(variant->chip, 0, false, NULL, variant->board))
		TH_LOG("%s", sim_err);
	l = kmsg_find(&self->k, variant->msg, spi, WAIT_MS);
	ASSERT_NE(NULL, l) TH_LOG("no kernel message '%s' for %s", variant->msg, spi);
	TH_LOG("%s", l);
	EXPECT_EQ(-ENOENT, meter_find(self->bus, 0, name, sizeof(name)));
	EXPECT_EQ(cls, count_entries(METER_CLASS, "meter"));
	EXPECT_EQ(devs, count_entries("/dev", "meter"));
	EXPECT_EQ(dbg, count_entries("/sys/kernel/debug/meterlink", "meter"));
	EXPECT_EQ(NULL, kmsg_problem(&self->k));
	ASSERT_EQ(0, sim_delete_device(0)) TH_LOG("%s", sim_err);

	/* the chip select is free again, and a good board probes there */
	ASSERT_EQ(0, meter_create_board(&m, variant->chip, 0, false, "divider=1001"))
		TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_destroy(&m)) TH_LOG("%s", sim_err);
}

/* the simulator's own syntax: a malformed board word creates nothing */
TEST(sim_refuses_malformed_board_words)
{
	static const char *const bad[] = {
		"ade7953 0 foo=1\n", "ade7953 0 ct=abc\n", "ade7953 0 ct=1,2,3,4,5\n",
		"ade7953 0 ct=1 ct=2\n", "ade7953 0 ct=\n", "ade7953 0 ct=-1\n",
		"ade7953 0 divider\n", "ade7953 0 shunt=4294967296\n",
	};
	char name[32];
	size_t i;
	int bus;

	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	bus = sim_bus_num();
	ASSERT_LE(0, bus);
	if (!sim_delete_device(0))
		meter_wait_absent(bus, 0, WAIT_MS);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, sim_write_new_device(bad[i])) TH_LOG("'%s' accepted", bad[i]);
		EXPECT_EQ(-ENODEV, sim_delete_device(0)) TH_LOG("'%s' created a device", bad[i]);
	}
	EXPECT_EQ(-ENOENT, meter_find(bus, 0, name, sizeof(name)));
}

TEST_HARNESS_MAIN
