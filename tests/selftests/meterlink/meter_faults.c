// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: injected faults.
 *
 * SPI errors and corrupted words are counted and flagged in the records and
 * never turn into wrong energy (the driver ends with all the energy the
 * simulator gave); an IRQ storm or a stuck IRQ line makes the driver fall
 * back to polling, records keep coming and userspace keeps running. How long
 * that takes is logged, never checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sim.h"

#define MAXREC		1024
#define NR_FAULTS	20
#define AFTER_FALLBACK	10	/* polled records to see after an IRQ fault */
#define STUCK_NS	(30 * NSEC_PER_SEC)	/* only a stuck run takes this long */

static const struct sim_phase model[METERLINK_MAX_PHASES] = {
	{ 230000000, 5000000, ANGLE_PF09, 50000 },
	{ 230000000, 5000000, ANGLE_PF09, 50000 },
	{ 230000000, 5000000, ANGLE_PF09, 50000 },
};

/* ---- SPI errors and corruption, every chip, polling ---- */

FIXTURE(faults) {
	struct meter m;
	int fd;
	struct meterlink_reading *r;
};

FIXTURE_VARIANT(faults) {
	const char *chip;
	unsigned int nr_phases;
	const struct chip_res *res;
};

FIXTURE_VARIANT_ADD(faults, ade7953) {
	.chip = "ade7953", .nr_phases = 2, .res = &res_ade7953,
};

FIXTURE_VARIANT_ADD(faults, atm90e32) {
	.chip = "atm90e32", .nr_phases = 3, .res = &res_atm90e32,
};

FIXTURE_VARIANT_ADD(faults, ade9000) {
	.chip = "ade9000", .nr_phases = 3, .res = &res_ade9000,
};

FIXTURE_SETUP(faults)
{
	self->fd = -1;
	self->r = calloc(MAXREC, REC_SIZE);
	ASSERT_NE(NULL, self->r);
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create(&self->m, variant->chip, 0, false)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_set_model(0, model, variant->nr_phases)) TH_LOG("%s", sim_err);
	sleep_ms(400);
	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
	/* skip the records around the model change */
	ASSERT_EQ(2, meter_collect(self->fd, self->r, 2, 5000)) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(faults)
{
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	ret = meter_destroy(&self->m);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
	free(self->r);
}

static void check_values(struct __test_metadata *_metadata, const struct meterlink_reading *r,
			 unsigned int nr_phases, const struct chip_res *res)
{
	unsigned int i;

	for (i = 0; i < nr_phases; i++) {
		EXPECT_TRUE(within(model[i].voltage_uv, r->phase[i].voltage_uv, res->voltage_uv))
			TH_LOG("seq %llu (%s) phase %u: voltage %u", (unsigned long long)r->seq,
			       rec_flags(r->flags), i, r->phase[i].voltage_uv);
		EXPECT_TRUE(within(model[i].current_ua, r->phase[i].current_ua, res->current_ua))
			TH_LOG("seq %llu (%s) phase %u: current %u", (unsigned long long)r->seq,
			       rec_flags(r->flags), i, r->phase[i].current_ua);
		EXPECT_TRUE(within(model_active_mw(&model[i]), r->phase[i].active_mw, res->power_mw))
			TH_LOG("seq %llu (%s) phase %u: active %lld", (unsigned long long)r->seq,
			       rec_flags(r->flags), i, (long long)r->phase[i].active_mw);
	}
}

/*
 * Injects one fault and reads until a record carries @flag. Returns that
 * record's index in self->r, the one before it is at index - 1.
 */
static int fault_until_flag(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			    const char *fault, uint32_t flag)
{
	int64_t end;
	ssize_t n = 0, k;

	ASSERT_EQ(1, meter_collect(self->fd, self->r, 1, 5000)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_fault(self->m.cs, "%s", fault)) TH_LOG("%s", sim_err);
	n = 1;
	end = now_ns(CLOCK_MONOTONIC) + 5 * NSEC_PER_SEC;
	while (now_ns(CLOCK_MONOTONIC) < end && n < MAXREC) {
		k = meter_read(self->fd, self->r + n, MAXREC - n, 1000);
		ASSERT_LE(0, k) TH_LOG("%s", sim_err);
		for (; k > 0; k--, n++) {
			if (self->r[n].flags & flag)
				return n;
		}
	}
	ASSERT_TRUE(0) TH_LOG("no record flagged %s within 5 s of '%s' (%zd records)",
			      rec_flags(flag), fault, n);
	return 0;
}

TEST_F(faults, spi_error_is_counted_and_flagged)
{
	struct meterlink_stats st0, st1;
	uint64_t inj0, inj1, v;
	unsigned int i;
	int k;

	ASSERT_EQ(0, meter_stats(self->fd, &st0)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "injected_errors", &inj0)) TH_LOG("%s", sim_err);
	k = fault_until_flag(_metadata, self, "spi_error 1", METERLINK_F_SPI_ERROR);
	/* and the next good one */
	ASSERT_EQ(1, meter_collect(self->fd, self->r + k + 1, 1, 5000)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0U, self->r[k + 1].flags & METERLINK_F_SPI_ERROR);

	ASSERT_EQ(0, meter_stats(self->fd, &st1)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "injected_errors", &inj1)) TH_LOG("%s", sim_err);
	EXPECT_EQ(inj0 + 1, inj1);
	EXPECT_EQ(st0.spi_errors + (inj1 - inj0), st1.spi_errors);
	ASSERT_EQ(0, meter_attr_u64(&self->m, "spi_errors", &v)) TH_LOG("%s", sim_err);
	EXPECT_LE(st1.spi_errors, v);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(self->r[k + i - 1].seq + 1, self->r[k + i].seq);
	}
	/* energy never goes back; the error record carries it, the next has it all */
	for (i = 0; i < variant->nr_phases; i++) {
		EXPECT_LE(self->r[k - 1].phase[i].energy_import_uwh,
			  self->r[k].phase[i].energy_import_uwh);
		EXPECT_LE(self->r[k].phase[i].energy_import_uwh,
			  self->r[k + 1].phase[i].energy_import_uwh);
	}
	check_values(_metadata, &self->r[k + 1], variant->nr_phases, variant->res);
}

TEST_F(faults, corrupted_word_is_corrected_and_flagged)
{
	struct meterlink_stats st0, st1;
	uint64_t inj0, inj1, v;
	int k;

	ASSERT_EQ(0, meter_stats(self->fd, &st0)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "injected_corruptions", &inj0)) TH_LOG("%s", sim_err);
	k = fault_until_flag(_metadata, self, "corrupt 1", METERLINK_F_CORRECTED);
	EXPECT_EQ(0U, self->r[k].flags & (METERLINK_F_SPI_ERROR | METERLINK_F_INVALID))
		TH_LOG("flags %s", rec_flags(self->r[k].flags));
	/* corrected: the values of that very record are right */
	check_values(_metadata, &self->r[k], variant->nr_phases, variant->res);

	ASSERT_EQ(0, meter_stats(self->fd, &st1)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "injected_corruptions", &inj1)) TH_LOG("%s", sim_err);
	EXPECT_EQ(inj0 + 1, inj1);
	EXPECT_EQ(st0.corrected + 1, st1.corrected);
	ASSERT_EQ(0, meter_attr_u64(&self->m, "corrected", &v)) TH_LOG("%s", sim_err);
	EXPECT_LE(st1.corrected, v);
}

static uint64_t injected(struct __test_metadata *_metadata, int cs)
{
	uint64_t e, c;

	ASSERT_EQ(0, sim_stat(cs, "injected_errors", &e)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(cs, "injected_corruptions", &c)) TH_LOG("%s", sim_err);
	return e + c;
}

TEST_F_TIMEOUT(faults, faults_never_corrupt_energy, 120)
{
	struct meterlink_reading *r = self->r;
	struct meterlink_reading end_rec;
	struct meterlink_stats st0, st1;
	uint64_t inj0, err0, err1, cor0, cor1;
	int64_t end, last_inject = 0, t;
	unsigned int i, nr_err = 0, nr_cor = 0;
	int injected_nr = 0, first = -1, last = -1;
	bool pending = false;
	ssize_t n = 0, k;

	ASSERT_EQ(0, meter_stats(self->fd, &st0)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "injected_errors", &err0)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "injected_corruptions", &cor0)) TH_LOG("%s", sim_err);
	inj0 = err0 + cor0;

	/* 20 faults, one at a time, >= 300 ms apart, over a run of >= 10 s */
	end = now_ns(CLOCK_MONOTONIC) + 90 * NSEC_PER_SEC;
	while (injected_nr < NR_FAULTS || pending || !n ||
	       r[n - 1].boottime_ns - r[0].boottime_ns < 10 * NSEC_PER_SEC) {
		ASSERT_GT(end, now_ns(CLOCK_MONOTONIC))
			TH_LOG("%zd records, %d faults injected, pending %d", n, injected_nr, pending);
		ASSERT_GT(MAXREC, n);
		k = meter_read(self->fd, r + n, MAXREC - n, 20);
		ASSERT_LE(0, k) TH_LOG("%s", sim_err);
		n += k;
		t = now_ns(CLOCK_MONOTONIC);
		if (pending && injected(_metadata, 0) == inj0 + injected_nr)
			pending = false;
		if (!pending && injected_nr < NR_FAULTS && t - last_inject > 300 * NSEC_PER_MSEC) {
			ASSERT_EQ(0, sim_fault(0, "%s %d", injected_nr % 2 ? "corrupt" : "spi_error",
					       1 + injected_nr % 5)) TH_LOG("%s", sim_err);
			injected_nr++;
			pending = true;
			last_inject = t;
		}
	}
	/* a few more so the last fault's effects are in */
	k = meter_collect(self->fd, r + n, 3, 5000);
	ASSERT_EQ(3, k) TH_LOG("%s", sim_err);
	n += k;

	for (k = 0; k < n; k++) {
		ASSERT_EQ(0, rec_check(&r[k], variant->nr_phases)) TH_LOG("%s", sim_err);
		if (k) {
			ASSERT_EQ(r[k - 1].seq + 1, r[k].seq);
			for (i = 0; i < variant->nr_phases; i++) {
				ASSERT_LE(r[k - 1].phase[i].energy_import_uwh,
					  r[k].phase[i].energy_import_uwh);
				EXPECT_EQ(r[k - 1].phase[i].energy_export_uwh,
					  r[k].phase[i].energy_export_uwh);
			}
		}
		nr_err += !!(r[k].flags & METERLINK_F_SPI_ERROR);
		nr_cor += !!(r[k].flags & METERLINK_F_CORRECTED);
		if (r[k].flags & (METERLINK_F_SPI_ERROR | METERLINK_F_INVALID))
			continue;
		/* every record that claims valid values has the right ones */
		check_values(_metadata, &r[k], variant->nr_phases, variant->res);
		if (first < 0)
			first = k;
		last = k;
	}
	ASSERT_LE(0, first);
	ASSERT_LT(first, last);

	ASSERT_EQ(0, meter_stats(self->fd, &st1)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "injected_errors", &err1)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "injected_corruptions", &cor1)) TH_LOG("%s", sim_err);
	TH_LOG("%zd records; injected %llu errors, %llu corruptions; flagged %u SPI_ERROR, "
	       "%u CORRECTED; counters: spi_errors +%llu corrected +%llu invalid +%llu", n,
	       (unsigned long long)(err1 - err0), (unsigned long long)(cor1 - cor0), nr_err,
	       nr_cor, (unsigned long long)(st1.spi_errors - st0.spi_errors),
	       (unsigned long long)(st1.corrected - st0.corrected),
	       (unsigned long long)(st1.invalid - st0.invalid));
	EXPECT_EQ((uint64_t)NR_FAULTS, err1 - err0 + cor1 - cor0);
	EXPECT_EQ(err1 - err0, st1.spi_errors - st0.spi_errors);
	EXPECT_LE(1U, nr_err);
	EXPECT_LE(1U, nr_cor);
	EXPECT_LE(1U, st1.corrected - st0.corrected);
	EXPECT_GE(cor1 - cor0, st1.corrected - st0.corrected + st1.invalid - st0.invalid);

	/* P * t between the first and the last valid record: logged, it moves with scheduling */
	t = r[last].boottime_ns - r[first].boottime_ns;
	for (i = 0; i < variant->nr_phases; i++) {
		double want = model_energy_uwh(&model[i], t);
		double got = (double)(r[last].phase[i].energy_import_uwh -
				      r[first].phase[i].energy_import_uwh);

		TH_LOG("phase %u: %.0f uWh in %.3f s, P*t %.0f (%+.3f %%, not checked)", i, got,
		       t / 1e9, want, (got - want) / want * 100);
	}
	/* no energy lost or made up by any fault: the driver holds all the simulator gave */
	ASSERT_EQ(0, energy_stop(0, self->fd, model, variant->nr_phases, &end_rec))
		TH_LOG("%s", sim_err);
	for (i = 0; i < variant->nr_phases; i++) {
		struct energy_cmp e;

		EXPECT_EQ(0, energy_conserved(0, &end_rec, i, variant->res->energy_uwh, 1.0, &e))
			TH_LOG("%s", sim_err);
		TH_LOG("phase %u: driver import %.0f export %.0f uWh, simulator %.3f %.3f uWh",
		       i, e.got_import, e.got_export, e.want_import, e.want_export);
	}
}

/* ---- IRQ faults, every chip with a data-ready interrupt, IRQ wired ---- */

FIXTURE(irqfault) {
	struct meter m;
	int fd;
	volatile bool stop;
	int64_t max_gap;	/* of a 10 ms sleep loop, ns */
	unsigned int loops;	/* of that loop */
	pthread_t th;
	bool th_running;
};

FIXTURE_VARIANT(irqfault) {
	const char *chip;
	unsigned int nr_phases;
};

FIXTURE_VARIANT_ADD(irqfault, ade7953) {
	.chip = "ade7953", .nr_phases = 2,
};

FIXTURE_VARIANT_ADD(irqfault, ade9000) {
	.chip = "ade9000", .nr_phases = 3,
};

FIXTURE_SETUP(irqfault)
{
	self->fd = -1;
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_create(&self->m, variant->chip, 0, true)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_set_model(0, model, variant->nr_phases)) TH_LOG("%s", sim_err);
	self->fd = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
}

FIXTURE_TEARDOWN(irqfault)
{
	int ret;

	if (self->th_running) {
		self->stop = true;
		pthread_join(self->th, NULL);
	}
	sim_fault(self->m.cs, "irq_storm 0");
	sim_fault(self->m.cs, "irq_stuck 0");
	if (self->fd >= 0)
		close(self->fd);
	ret = meter_destroy(&self->m);
	TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
}

/* how long userspace gets starved: the worst wake-up delay of 10 ms sleeps */
static void *responsiveness(void *arg)
{
	FIXTURE_DATA(irqfault) *self = arg;
	int64_t t0 = now_ns(CLOCK_MONOTONIC), t1;

	while (!self->stop) {
		sleep_ms(10);
		t1 = now_ns(CLOCK_MONOTONIC);
		if (t1 - t0 > self->max_gap)
			self->max_gap = t1 - t0;
		t0 = t1;
		self->loops++;
	}
	return NULL;
}

static void check_fallback(struct __test_metadata *_metadata, FIXTURE_DATA(irqfault) *self,
			   const char *fault, unsigned int nr_phases)
{
	struct meterlink_reading r[64];
	struct meterlink_stats st;
	struct meterlink_info info;
	int64_t t0, end, fell = 0;
	char mode[16];
	uint64_t v;
	ssize_t n, k, after = 0;

	/* IRQ mode works to begin with */
	ASSERT_EQ(3, meter_collect(self->fd, r, 3, 5000)) TH_LOG("%s", sim_err);
	for (k = 0; k < 3; k++) {
		ASSERT_TRUE(r[k].flags & METERLINK_F_IRQ) TH_LOG("flags %s", rec_flags(r[k].flags));
	}

	ASSERT_EQ(0, pthread_create(&self->th, NULL, responsiveness, self));
	self->th_running = true;
	t0 = now_ns(CLOCK_MONOTONIC);
	ASSERT_EQ(0, sim_fault(self->m.cs, "%s 1", fault)) TH_LOG("%s", sim_err);

	/*
	 * A record flagged IRQ_FAULT, then AFTER_FALLBACK polled records. The
	 * deadline only ends a run that is stuck: how fast it goes is the
	 * host's, and is logged.
	 */
	end = t0 + STUCK_NS;
	while (after < AFTER_FALLBACK) {
		ASSERT_GT(end, now_ns(CLOCK_MONOTONIC))
			TH_LOG("%s: %s", fault, fell ? "records stopped after the fallback" :
						       "no IRQ_FAULT record");
		n = meter_read(self->fd, r, 64, 500);
		ASSERT_LE(0, n) TH_LOG("%s", sim_err);
		for (k = 0; k < n; k++) {
			ASSERT_EQ(0, rec_check(&r[k], nr_phases)) TH_LOG("%s", sim_err);
			if (!fell && (r[k].flags & METERLINK_F_IRQ_FAULT)) {
				fell = now_ns(CLOCK_MONOTONIC);
				TH_LOG("%s: fell back to polling after %lld ms (seq %llu, %s)",
				       fault, (long long)((fell - t0) / NSEC_PER_MSEC),
				       (unsigned long long)r[k].seq, rec_flags(r[k].flags));
			} else if (fell) {
				after++;
				EXPECT_EQ(0U, r[k].flags & (METERLINK_F_IRQ | METERLINK_F_IRQ_FAULT))
					TH_LOG("seq %llu after the fallback: %s",
					       (unsigned long long)r[k].seq, rec_flags(r[k].flags));
			}
		}
	}
	self->stop = true;
	pthread_join(self->th, NULL);
	self->th_running = false;
	TH_LOG("%s: %zd polled records in %lld ms after the fallback, userspace ran %u times, "
	       "max gap %lld ms (not checked)", fault, after,
	       (long long)((now_ns(CLOCK_MONOTONIC) - fell) / NSEC_PER_MSEC), self->loops,
	       (long long)(self->max_gap / NSEC_PER_MSEC));
	/* userspace was not starved for good: it ran while the fault was on */
	EXPECT_LE(1U, self->loops);

	ASSERT_EQ(0, meter_stats(self->fd, &st)) TH_LOG("%s", sim_err);
	EXPECT_LE(1U, st.irq_faults);
	ASSERT_EQ(0, meter_attr_u64(&self->m, "irq_faults", &v)) TH_LOG("%s", sim_err);
	EXPECT_LE(1U, v);
	ASSERT_EQ(0, meter_attr(&self->m, "mode", mode, sizeof(mode))) TH_LOG("%s", sim_err);
	EXPECT_STREQ("poll", mode);
	ASSERT_EQ(0, meter_info(self->fd, &info)) TH_LOG("%s", sim_err);
	EXPECT_EQ((uint32_t)METERLINK_MODE_POLL, info.mode);
	if (!strcmp(fault, "irq_storm")) {
		EXPECT_LE(1U, st.spurious_irqs);
	} else {
		EXPECT_LE(1U, st.missed_periods);
	}
}

TEST_F_TIMEOUT(irqfault, irq_storm_falls_back_to_polling, 60)
{
	check_fallback(_metadata, self, "irq_storm", variant->nr_phases);
}

TEST_F_TIMEOUT(irqfault, stuck_irq_falls_back_to_polling, 60)
{
	check_fallback(_metadata, self, "irq_stuck", variant->nr_phases);
}

TEST_HARNESS_MAIN
