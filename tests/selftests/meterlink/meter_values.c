// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: the values in the records match the simulated signal.
 *
 * The simulator is set to 230.00 V, 5.000 A, PF 0.9, 50.00 Hz on phase 0 and
 * to other values on the other phases (ADE7953 channel B, ATM90E32 and
 * ADE9000 phases 1 and 2; the ADE9000 also in interrupt mode, where its
 * energy-ready interrupt paces the records). Readings must agree within 2 LSB
 * of the chip plus 0.1 %; the driver's energy must be what the simulator
 * integrated (within the chip's energy LSB, whatever the scheduling), and
 * exported power must count on the export counter only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sim.h"

#define V230	230000000U	/* uV */
#define HZ50	50000U		/* mHz */
#define MAXREC	512

FIXTURE(values) {
	struct meter m;
	int fd;
	struct meterlink_reading *r;
};

FIXTURE_VARIANT(values) {
	const char *chip;
	bool irq;
	unsigned int nr_phases;
	const struct chip_res *res;
	struct sim_phase model[METERLINK_MAX_PHASES];
};

FIXTURE_VARIANT_ADD(values, ade7953) {
	.chip = "ade7953",
	.nr_phases = 2,
	.res = &res_ade7953,
	.model = {
		{ V230, 5000000, ANGLE_PF09, HZ50 },	/* channel A */
		{ V230, 3200000, 330000, HZ50 },	/* channel B: own current, leading */
	},
};

FIXTURE_VARIANT_ADD(values, atm90e32) {
	.chip = "atm90e32",
	.nr_phases = 3,
	.res = &res_atm90e32,
	.model = {
		{ V230, 5000000, ANGLE_PF09, HZ50 },
		{ 231500000, 3200000, 0, HZ50 },	/* PF 1 */
		{ 228000000, 7500000, 330000, HZ50 },	/* PF 0.866, leading */
	},
};

#define ADE9000_MODEL {						\
		{ V230, 5000000, ANGLE_PF09, HZ50 },			\
		{ 231500000, 3200000, 0, HZ50 },			\
		{ 228000000, 7500000, 330000, HZ50 },			\
	}

FIXTURE_VARIANT_ADD(values, ade9000) {
	.chip = "ade9000",
	.nr_phases = 3,
	.res = &res_ade9000,
	.model = ADE9000_MODEL,
};

FIXTURE_VARIANT_ADD(values, ade9000_irq) {
	.chip = "ade9000",
	.irq = true,
	.nr_phases = 3,
	.res = &res_ade9000,
	.model = ADE9000_MODEL,
};

FIXTURE_SETUP(values)
{
	char buf[32];
	int ret;

	self->fd = -1;
	self->r = calloc(MAXREC, REC_SIZE);
	ASSERT_NE(NULL, self->r);
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ret = meter_create(&self->m, variant->chip, 0, variant->irq);
	ASSERT_EQ(0, ret) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_set_model(0, variant->model, variant->nr_phases)) TH_LOG("%s", sim_err);

	ASSERT_EQ(0, meter_attr(&self->m, "chip", buf, sizeof(buf))) TH_LOG("%s", sim_err);
	ASSERT_STREQ(variant->chip, buf);
	ASSERT_EQ(0, meter_attr(&self->m, "mode", buf, sizeof(buf))) TH_LOG("%s", sim_err);
	ASSERT_STREQ(variant->irq ? "irq" : "poll", buf);

	/* let the new model settle for a few periods, then only see newer records */
	sleep_ms(400);
	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(values)
{
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	ret = meter_destroy(&self->m);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
	free(self->r);
}

static void check_phase(struct __test_metadata *_metadata,
			const struct meterlink_reading *r, unsigned int i,
			const struct sim_phase *p, const struct chip_res *res)
{
	const struct meterlink_phase *ph = &r->phase[i];
	unsigned long long seq = r->seq;

	EXPECT_TRUE(within(p->voltage_uv, ph->voltage_uv, res->voltage_uv))
		TH_LOG("seq %llu phase %u: voltage %u uV, model %u", seq, i,
		       ph->voltage_uv, p->voltage_uv);
	EXPECT_TRUE(within(p->current_ua, ph->current_ua, res->current_ua))
		TH_LOG("seq %llu phase %u: current %u uA, model %u", seq, i,
		       ph->current_ua, p->current_ua);
	EXPECT_TRUE(within(model_active_mw(p), ph->active_mw, res->power_mw))
		TH_LOG("seq %llu phase %u: active %lld mW, model %.1f", seq, i,
		       (long long)ph->active_mw, model_active_mw(p));
	EXPECT_TRUE(within(model_reactive_mvar(p), ph->reactive_mvar, res->power_mw))
		TH_LOG("seq %llu phase %u: reactive %lld mvar, model %.1f", seq, i,
		       (long long)ph->reactive_mvar, model_reactive_mvar(p));
	EXPECT_TRUE(within(model_apparent_mva(p), ph->apparent_mva, res->power_mw))
		TH_LOG("seq %llu phase %u: apparent %lld mVA, model %.1f", seq, i,
		       (long long)ph->apparent_mva, model_apparent_mva(p));
	EXPECT_TRUE(within(model_pf(p), ph->power_factor, res->pf))
		TH_LOG("seq %llu phase %u: power factor %d ppm, model %.0f", seq, i,
		       ph->power_factor, model_pf(p));
	EXPECT_TRUE(within(p->freq_mhz, ph->frequency_mhz, res->freq_mhz))
		TH_LOG("seq %llu phase %u: frequency %u mHz, model %u", seq, i,
		       ph->frequency_mhz, p->freq_mhz);
}

/* a record of an interrupt-mode device has IRQ set, one of a polled one not */
static void check_records(struct __test_metadata *_metadata,
			  const struct meterlink_reading *r, size_t n,
			  const struct sim_phase *model, unsigned int nr_phases,
			  const struct chip_res *res, bool irq)
{
	const uint32_t bad = METERLINK_F_SPI_ERROR | METERLINK_F_CORRECTED |
			     METERLINK_F_INVALID | METERLINK_F_IRQ_FAULT | METERLINK_F_IRQ;
	const uint32_t want = irq ? METERLINK_F_IRQ : 0;
	size_t k;
	unsigned int i;

	for (k = 0; k < n; k++) {
		ASSERT_EQ(0, rec_check(&r[k], nr_phases)) TH_LOG("%s", sim_err);
		EXPECT_EQ(want, r[k].flags & bad)
			TH_LOG("seq %llu: flags %s", (unsigned long long)r[k].seq,
			       rec_flags(r[k].flags));
		for (i = 0; i < nr_phases; i++)
			check_phase(_metadata, &r[k], i, &model[i], res);
	}
}

/*
 * Energy: the counters never go down, the counter of the other direction
 * stays put over the run, and no energy is lost or made up. For the last,
 * the energy stops flowing (current 0) and, once the driver has read the
 * chip twice more, its cumulative counters must hold what the simulator
 * integrated since the chip was created, less what stays in the chip (under
 * one count). That does not depend on when the records were taken. V*I*PF*t
 * over the run's boottime stamps is logged only: it moves with scheduling.
 */
static void check_energy(struct __test_metadata *_metadata, FIXTURE_DATA(values) *self,
			 const struct meterlink_reading *r, size_t n,
			 const struct sim_phase *model, unsigned int nr_phases,
			 const struct chip_res *res)
{
	int64_t t = r[n - 1].boottime_ns - r[0].boottime_ns;
	struct meterlink_reading last, next;
	struct energy_cmp e;
	unsigned int i;
	size_t k;

	for (i = 0; i < nr_phases; i++) {
		const struct meterlink_phase *a = &r[0].phase[i], *b = &r[n - 1].phase[i];
		double pt = model_energy_uwh(&model[i], t);
		double imp = (double)(b->energy_import_uwh - a->energy_import_uwh);
		double ex = (double)(b->energy_export_uwh - a->energy_export_uwh);
		double run = pt >= 0 ? imp : ex;
		double other = pt >= 0 ? ex : imp;

		for (k = 1; k < n; k++) {
			ASSERT_LE(r[k - 1].phase[i].energy_import_uwh, r[k].phase[i].energy_import_uwh)
				TH_LOG("phase %u: import energy went down at seq %llu", i,
				       (unsigned long long)r[k].seq);
			ASSERT_LE(r[k - 1].phase[i].energy_export_uwh, r[k].phase[i].energy_export_uwh)
				TH_LOG("phase %u: export energy went down at seq %llu", i,
				       (unsigned long long)r[k].seq);
		}
		TH_LOG("phase %u: %s %.0f uWh in %.3f s, P*t %.0f (%+.3f %%, not checked)", i,
		       pt >= 0 ? "import" : "export", run, t / 1e9, fabs(pt),
		       (run - fabs(pt)) / fabs(pt) * 100);
		EXPECT_EQ(0, other)
			TH_LOG("phase %u: the %s counter moved by %.0f uWh", i,
			       pt >= 0 ? "export" : "import", other);
	}

	ASSERT_EQ(0, energy_stop(0, self->fd, model, nr_phases, &last)) TH_LOG("%s", sim_err);
	for (i = 0; i < nr_phases; i++) {
		EXPECT_EQ(0, energy_conserved(0, &last, i, res->energy_uwh, 1.0, &e))
			TH_LOG("%s", sim_err);
		TH_LOG("phase %u: driver import %.0f export %.0f uWh, simulator %.3f %.3f uWh",
		       i, e.got_import, e.got_export, e.want_import, e.want_export);
	}
	/* drained: a later record has nothing more */
	ASSERT_EQ(1, meter_collect(self->fd, &next, 1, 30000)) TH_LOG("%s", sim_err);
	for (i = 0; i < nr_phases; i++) {
		EXPECT_EQ(last.phase[i].energy_import_uwh, next.phase[i].energy_import_uwh);
		EXPECT_EQ(last.phase[i].energy_export_uwh, next.phase[i].energy_export_uwh);
	}
}

TEST_F_TIMEOUT(values, readings_match_model, 60)
{
	struct meterlink_info info;
	ssize_t n;

	ASSERT_EQ(0, meter_info(self->fd, &info)) TH_LOG("%s", sim_err);
	ASSERT_EQ(variant->nr_phases, info.nr_phases);
	ASSERT_STREQ(variant->chip, info.name);

	n = meter_collect(self->fd, self->r, 8, 10000);
	ASSERT_EQ(8, n) TH_LOG("%s", sim_err);
	/* the first two may still have been latched while the model changed */
	check_records(_metadata, self->r + 2, 6, variant->model, variant->nr_phases,
		      variant->res, variant->irq);
}

TEST_F_TIMEOUT(values, energy_conserved_over_10s, 90)
{
	ssize_t n;

	/* settle: skip the first records after open */
	ASSERT_EQ(2, meter_collect(self->fd, self->r, 2, 10000)) TH_LOG("%s", sim_err);
	n = meter_collect_span(self->fd, self->r, MAXREC, 10 * NSEC_PER_SEC, 60000);
	ASSERT_LT(10, n) TH_LOG("%s", sim_err);
	check_records(_metadata, self->r, n, variant->model, variant->nr_phases, variant->res,
		      variant->irq);
	check_energy(_metadata, self, self->r, n, variant->model, variant->nr_phases,
		     variant->res);
}

TEST_F_TIMEOUT(values, export_goes_to_export_counter, 60)
{
	struct sim_phase model[METERLINK_MAX_PHASES];
	unsigned int i;
	ssize_t n, k;

	for (i = 0; i < variant->nr_phases; i++) {
		model[i] = variant->model[i];
		model[i].angle_mdeg = (model[i].angle_mdeg + ANGLE_EXPORT) % 360000;
	}
	ASSERT_EQ(0, sim_set_model(0, model, variant->nr_phases)) TH_LOG("%s", sim_err);
	sleep_ms(400);
	ASSERT_LE(0, meter_drain(self->fd)) TH_LOG("%s", sim_err);
	ASSERT_EQ(2, meter_collect(self->fd, self->r, 2, 10000)) TH_LOG("%s", sim_err);

	n = meter_collect_span(self->fd, self->r, MAXREC, 5 * NSEC_PER_SEC, 60000);
	ASSERT_LT(10, n) TH_LOG("%s", sim_err);
	check_records(_metadata, self->r, n, model, variant->nr_phases, variant->res,
		      variant->irq);
	for (k = 0; k < n; k++)
		for (i = 0; i < variant->nr_phases; i++) {
			EXPECT_GT(0, self->r[k].phase[i].active_mw);
			EXPECT_GT(0, self->r[k].phase[i].power_factor);
		}
	check_energy(_metadata, self, self->r, n, model, variant->nr_phases, variant->res);
}

TEST_HARNESS_MAIN
