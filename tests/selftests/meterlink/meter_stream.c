// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: long record streams.
 *
 * 10,000 consecutive records at a 2 ms polling period without a sequence gap
 * and with timestamps on period boundaries; in IRQ mode one record per
 * interrupt, every one flagged IRQ and none missed (how evenly they come is
 * measured by `make bench`, not asserted here); two readers that keep up get every
 * record while a third that stalls overruns, sees a gap and is told how many
 * records it lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "sim.h"

#define NR_RECORDS	10000

FIXTURE(stream) {
	struct meter m;
	bool created;
	int fd;
	struct meterlink_reading *r;
};

FIXTURE_SETUP(stream)
{
	self->fd = -1;
	ASSERT_EQ(0, sim_present()) TH_LOG("%s", sim_err);
	self->r = calloc(NR_RECORDS, REC_SIZE);
	ASSERT_NE(NULL, self->r);
}

FIXTURE_TEARDOWN(stream)
{
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	if (self->created) {
		ret = meter_destroy(&self->m);
		TEARDOWN_CHECK(ret == 0 || ret == -ENODEV, "%s", sim_err);
	}
	free(self->r);
}

/* @chip (ADE7953 unless said) at cs 0 at 230 V / 5 A / 50 Hz, opened O_RDWR into self->fd */
static void setup_chip(struct __test_metadata *_metadata, FIXTURE_DATA(stream) *self,
		       const char *chip, unsigned int nr_phases, bool irq)
{
	static const struct sim_phase model[3] = {
		{ 230000000, 5000000, ANGLE_PF09, 50000 },
		{ 230000000, 1000000, 0, 50000 },
		{ 230000000, 1000000, 0, 50000 },
	};

	ASSERT_EQ(0, meter_create(&self->m, chip, 0, irq)) TH_LOG("%s", sim_err);
	self->created = true;
	ASSERT_EQ(0, sim_set_model(0, model, nr_phases)) TH_LOG("%s", sim_err);
	self->fd = meter_open(&self->m, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("%s", sim_err);
}

static void setup_meter(struct __test_metadata *_metadata, FIXTURE_DATA(stream) *self,
			bool irq)
{
	setup_chip(_metadata, self, "ade7953", 2, irq);
}

/* Sets the period, then skips what was produced around the change. */
static int64_t set_period(struct __test_metadata *_metadata, int fd, int64_t period)
{
	struct meterlink_info info;

	ASSERT_EQ(0, meter_set_period(fd, period)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_info(fd, &info)) TH_LOG("%s", sim_err);
	sleep_ms(150);
	ASSERT_LE(0, meter_drain(fd)) TH_LOG("%s", sim_err);
	return info.period_ns;
}

TEST_F_TIMEOUT(stream, poll_10000_records_without_gap, 180)
{
	struct meterlink_reading *r = self->r;
	struct meterlink_info info;
	int64_t period, off, off_min = INT64_MAX, off_max = INT64_MIN;
	uint32_t max_unc = 0;
	unsigned int missed = 0;
	ssize_t n;
	int k;

	setup_meter(_metadata, self, false);
	ASSERT_EQ(0, meter_info(self->fd, &info)) TH_LOG("%s", sim_err);
	ASSERT_EQ((uint32_t)METERLINK_MODE_POLL, info.mode);
	period = 2 * NSEC_PER_MSEC;
	if ((int64_t)info.min_period_ns > period)
		period = info.min_period_ns;
	ASSERT_EQ(period, set_period(_metadata, self->fd, period));

	n = meter_collect(self->fd, r, NR_RECORDS, 150000);
	ASSERT_EQ(NR_RECORDS, n) TH_LOG("%s", sim_err);

	for (k = 0; k < NR_RECORDS; k++) {
		const struct meterlink_reading *p = k ? &r[k - 1] : NULL, *c = &r[k];

		ASSERT_EQ(0, rec_check(c, 2)) TH_LOG("%s", sim_err);
		ASSERT_EQ(0U, c->flags & (METERLINK_F_IRQ | METERLINK_F_SPI_ERROR |
					  METERLINK_F_INVALID))
			TH_LOG("seq %llu flags %s", (unsigned long long)c->seq,
			       rec_flags(c->flags));
		ASSERT_EQ(0, c->realtime_ns % period)
			TH_LOG("seq %llu: realtime %lld is not a period boundary",
			       (unsigned long long)c->seq, (long long)c->realtime_ns);
		off = c->realtime_ns - c->boottime_ns;
		off_min = off < off_min ? off : off_min;
		off_max = off > off_max ? off : off_max;
		max_unc = c->uncertainty_ns > max_unc ? c->uncertainty_ns : max_unc;
		if (!k)
			continue;
		ASSERT_EQ(p->seq + 1, c->seq) TH_LOG("gap after record %d", k - 1);
		ASSERT_LT(p->realtime_ns, c->realtime_ns) TH_LOG("seq %llu", (unsigned long long)c->seq);
		ASSERT_LT(p->boottime_ns, c->boottime_ns) TH_LOG("seq %llu", (unsigned long long)c->seq);
		if (c->realtime_ns - p->realtime_ns != period) {
			missed++;
			ASSERT_TRUE(c->flags & METERLINK_F_MISSED)
				TH_LOG("seq %llu: %lld ns after the previous one without MISSED",
				       (unsigned long long)c->seq,
				       (long long)(c->realtime_ns - p->realtime_ns));
		}
	}
	TH_LOG("%d records at %lld ns: %u after skipped periods, max uncertainty %u ns, "
	       "realtime-boottime spread %lld ns", NR_RECORDS, (long long)period, missed,
	       max_unc, (long long)(off_max - off_min));
	EXPECT_GE(NSEC_PER_MSEC, off_max - off_min);
}

/*
 * IRQ mode: the chip's data-ready interrupt paces the records. What does not
 * depend on scheduling is checked: every record says IRQ and none MISSED or
 * IRQ_FAULT (a late interrupt is not a lost one), no sequence gap, one record
 * per interrupt the simulator raised (its irqs counter against the records,
 * allowing one in flight at each end), no spurious interrupt, timestamps
 * strictly increasing, both stamps of a record the same instant, an
 * uncertainty that is not zero. How close the intervals come to the period
 * is the host's: `make bench` (tools/meterbench) measures it.
 */
static void irq_cadence(struct __test_metadata *_metadata, FIXTURE_DATA(stream) *self,
			const char *chip, unsigned int nr_phases)
{
	const int nr = 300;
	struct meterlink_reading *r = self->r;
	struct meterlink_stats st0, st1;
	struct meterlink_info info;
	uint64_t irq0, irq1, raised;
	int64_t period;
	ssize_t n, before, later;
	int k;

	setup_chip(_metadata, self, chip, nr_phases, true);
	ASSERT_EQ(0, meter_info(self->fd, &info)) TH_LOG("%s", sim_err);
	ASSERT_TRUE(info.caps & METERLINK_CAP_IRQ);
	ASSERT_EQ((uint32_t)METERLINK_MODE_IRQ, info.mode);
	/* 20 ms is two half cycles at 50 Hz: no rounding */
	period = set_period(_metadata, self->fd, 20 * NSEC_PER_MSEC);
	ASSERT_EQ(20 * NSEC_PER_MSEC, period);

	ASSERT_EQ(0, meter_stats(self->fd, &st0)) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "irqs", &irq0)) TH_LOG("%s", sim_err);
	/* every record from now on was raised after irq0, but one in flight */
	before = meter_drain(self->fd);
	ASSERT_LE(0, before) TH_LOG("%s", sim_err);
	n = meter_collect(self->fd, r, nr, 120000);
	ASSERT_EQ(nr, n) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, sim_stat(0, "irqs", &irq1)) TH_LOG("%s", sim_err);
	/* the records of interrupts raised before irq1, but one in flight */
	later = meter_drain(self->fd);
	ASSERT_LE(0, later) TH_LOG("%s", sim_err);
	ASSERT_EQ(0, meter_stats(self->fd, &st1)) TH_LOG("%s", sim_err);

	for (k = 0; k < nr; k++) {
		const struct meterlink_reading *p = k ? &r[k - 1] : NULL, *c = &r[k];

		ASSERT_EQ(0, rec_check(c, nr_phases)) TH_LOG("%s", sim_err);
		ASSERT_EQ((uint32_t)METERLINK_F_IRQ,
			  c->flags & (METERLINK_F_IRQ | METERLINK_F_MISSED | METERLINK_F_IRQ_FAULT))
			TH_LOG("seq %llu flags %s", (unsigned long long)c->seq,
			       rec_flags(c->flags));
		ASSERT_LT(0U, c->uncertainty_ns) TH_LOG("seq %llu", (unsigned long long)c->seq);
		/* both stamps from one clock reading: their offset never moves */
		ASSERT_EQ(r[0].realtime_ns - r[0].boottime_ns, c->realtime_ns - c->boottime_ns)
			TH_LOG("seq %llu", (unsigned long long)c->seq);
		if (!k)
			continue;
		ASSERT_EQ(p->seq + 1, c->seq) TH_LOG("gap after record %d", k - 1);
		ASSERT_LT(p->realtime_ns, c->realtime_ns) TH_LOG("seq %llu", (unsigned long long)c->seq);
		ASSERT_LT(p->boottime_ns, c->boottime_ns) TH_LOG("seq %llu", (unsigned long long)c->seq);
	}
	raised = irq1 - irq0;
	TH_LOG("%d IRQ records at %lld ns: the simulator raised %llu interrupts meanwhile, "
	       "%zd + %zd records drained around them; driver irqs +%llu spurious +%llu faults +%llu; "
	       "spread over %lld ms (not checked)", nr, (long long)period,
	       (unsigned long long)raised, before, later,
	       (unsigned long long)(st1.irqs - st0.irqs),
	       (unsigned long long)(st1.spurious_irqs - st0.spurious_irqs),
	       (unsigned long long)(st1.irq_faults - st0.irq_faults),
	       (long long)((r[nr - 1].realtime_ns - r[0].realtime_ns) / NSEC_PER_MSEC));
	/*
	 * r[1..] were raised after irq0 and read before irq1. Every interrupt
	 * raised between irq0 and irq1 has its record among those drained
	 * after irq0, r[] and those drained after irq1, but one in flight.
	 */
	EXPECT_LE((uint64_t)nr - 1, raised);
	EXPECT_GE((uint64_t)(before + nr + later + 1), raised);
	EXPECT_EQ(0U, st1.spurious_irqs - st0.spurious_irqs);
	EXPECT_EQ(0U, st1.irq_faults - st0.irq_faults);
}

TEST_F_TIMEOUT(stream, irq_one_record_per_interrupt, 120)
{
	irq_cadence(_metadata, self, "ade7953", 2);
}

TEST_F_TIMEOUT(stream, ade9000_irq_one_record_per_interrupt, 120)
{
	irq_cadence(_metadata, self, "ade9000", 3);
}

struct reader {
	int fd;
	uint64_t target;	/* stop once this seq was read */
	uint64_t first, last, count, gaps;
	char err[160];
	pthread_t th;
};

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	struct meterlink_reading *buf = calloc(256, REC_SIZE);
	ssize_t n, i;

	if (!buf) {
		snprintf(rd->err, sizeof(rd->err), "out of memory");
		return NULL;
	}
	while (!rd->count || rd->last < rd->target) {
		n = meter_read(rd->fd, buf, 256, 10000);
		if (n <= 0) {
			snprintf(rd->err, sizeof(rd->err), "after seq %llu: %.120s",
				 (unsigned long long)rd->last, n ? sim_err : "no record in 10 s");
			break;
		}
		for (i = 0; i < n; i++) {
			if (!rd->count)
				rd->first = buf[i].seq;
			else if (buf[i].seq != rd->last + 1 && !rd->gaps++)
				snprintf(rd->err, sizeof(rd->err), "gap: seq %llu after %llu",
					 (unsigned long long)buf[i].seq,
					 (unsigned long long)rd->last);
			rd->last = buf[i].seq;
			rd->count++;
		}
	}
	free(buf);
	return NULL;
}

static int join_reader(struct reader *rd, int timeout_s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_s;
	return pthread_timedjoin_np(rd->th, NULL, &ts);
}

TEST_F_TIMEOUT(stream, stalled_reader_overruns_others_lose_nothing, 180)
{
	struct reader rd[2];
	struct meterlink_reading *r = self->r;
	struct meterlink_stats st;
	struct meterlink_info info;
	uint64_t s0, latest, lost;
	int stalled, i, ret;
	ssize_t n, got;

	setup_meter(_metadata, self, false);
	ASSERT_EQ(0, meter_info(self->fd, &info)) TH_LOG("%s", sim_err);
	ASSERT_LT(0U, info.ring_records);
	ASSERT_EQ(NSEC_PER_MSEC, set_period(_metadata, self->fd, info.min_period_ns));

	memset(rd, 0, sizeof(rd));
	for (i = 0; i < 2; i++) {
		rd[i].fd = meter_open(&self->m, O_RDONLY);
		ASSERT_LE(0, rd[i].fd) TH_LOG("%s", sim_err);
	}
	stalled = meter_open(&self->m, O_RDONLY);
	ASSERT_LE(0, stalled) TH_LOG("%s", sim_err);
	/* the first record the stalled reader can see */
	ASSERT_EQ(1, meter_read(stalled, r, 1, 3000)) TH_LOG("%s", sim_err);
	s0 = r[0].seq;

	/* the others read well past two ring sizes; the stalled one reads nothing */
	for (i = 0; i < 2; i++) {
		rd[i].target = s0 + 2 * info.ring_records + 500;
		ASSERT_EQ(0, pthread_create(&rd[i].th, NULL, reader_fn, &rd[i]));
	}
	for (i = 0; i < 2; i++) {
		ret = join_reader(&rd[i], 120);
		ASSERT_EQ(0, ret) TH_LOG("reader %d did not finish: %s", i, strerror(ret));
	}
	/* stop the flow so that the numbers below hold still */
	ASSERT_EQ(0, meter_set_period(self->fd, info.max_period_ns)) TH_LOG("%s", sim_err);
	sleep_ms(100);

	for (i = 0; i < 2; i++) {
		TH_LOG("reader %d: seq %llu..%llu, %llu records, %llu gaps %s", i,
		       (unsigned long long)rd[i].first, (unsigned long long)rd[i].last,
		       (unsigned long long)rd[i].count, (unsigned long long)rd[i].gaps,
		       rd[i].err);
		EXPECT_EQ(0U, rd[i].gaps);
		EXPECT_EQ(0, rd[i].err[0]);
		/* opened before the stalled reader: has all it has, and more */
		EXPECT_GE(s0, rd[i].first);
		EXPECT_LE(rd[i].target, rd[i].last);
		EXPECT_EQ(rd[i].last - rd[i].first + 1, rd[i].count);
		ASSERT_EQ(0, meter_stats(rd[i].fd, &st)) TH_LOG("%s", sim_err);
		EXPECT_EQ(0U, st.overruns);
	}
	/* where the producer is now */
	n = meter_read(rd[0].fd, r, NR_RECORDS, 0);
	ASSERT_LE(0, n) TH_LOG("%s", sim_err);
	latest = n ? r[n - 1].seq : rd[0].last;
	for (i = 0; i < 2; i++)
		close(rd[i].fd);

	/* the stalled reader: oldest records still in the ring, after a gap */
	got = 0;
	while ((n = meter_read(stalled, r + got, NR_RECORDS - got, 0)) > 0)
		got += n;
	ASSERT_LE(0, n) TH_LOG("%s", sim_err);
	ASSERT_LT(0, got);
	ASSERT_EQ(0, meter_stats(stalled, &st)) TH_LOG("%s", sim_err);
	close(stalled);
	lost = r[0].seq - s0 - 1;
	TH_LOG("stalled reader: seq %llu then %llu..%llu (%zd records), overruns %llu, "
	       "ring %u, latest %llu", (unsigned long long)s0, (unsigned long long)r[0].seq,
	       (unsigned long long)r[got - 1].seq, got, (unsigned long long)st.overruns,
	       info.ring_records, (unsigned long long)latest);
	ASSERT_LT(s0 + 1, r[0].seq);
	EXPECT_EQ(lost, st.overruns);
	for (i = 1; i < got; i++) {
		ASSERT_EQ(r[i - 1].seq + 1, r[i].seq);
	}
	EXPECT_LE(latest, r[got - 1].seq);
	EXPECT_GE(info.ring_records, got);
	/* it got (about) a ring's worth: the oldest records still there */
	EXPECT_LE(info.ring_records / 2, got);
}

TEST_HARNESS_MAIN
