// SPDX-License-Identifier: GPL-2.0
/*
 * nl_subscribers ID: two subscribers of "readings" (and "events").
 *
 *   phase 1  both read: both receive every reading of meter ID, no loss;
 *   phase 2  B stops reading (small receive buffer) while A goes on;
 *   phase 3  B reads again: it was told of the overflow (ENOBUFS), then of
 *            exactly how many readings of meter ID it lost, so that every
 *            seq is either delivered or counted; A lost nothing at all and
 *            saw the kernel's OVERRUN event; the kernel counted nl_drops.
 *
 * Run as root with meter ID producing at least ~50 readings a second in
 * batches of one (run.sh sets that up). Prints PASS/FAIL lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meterlink.h"

struct sub {
	const char *name;
	struct ml_sub *s;
	uint32_t id;
	uint64_t first, last, delivered, lost, lost_enobufs;
	uint64_t p1_first, p1_last;	/* delivered in phase 1 */
	int enobufs, gaps, overruns, bad_order, phase;
};

static int failed;

static void result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	fputs(ok ? "PASS " : "FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failed |= !ok;
}

static int on_reading(void *ctx, uint32_t id, const struct meterlink_reading *r)
{
	struct sub *s = ctx;

	if (id != s->id)
		return 0;
	if (s->delivered && r->seq <= s->last)
		s->bad_order++;
	if (!s->delivered)
		s->first = r->seq;
	s->last = r->seq;
	s->delivered++;
	if (s->phase == 1) {
		if (!s->p1_first)
			s->p1_first = r->seq;
		s->p1_last = r->seq;
	}
	return 0;
}

static int on_loss(void *ctx, int64_t id, uint64_t lost, enum ml_loss_kind kind)
{
	struct sub *s = ctx;

	if (id < 0) {
		s->enobufs++;
		return 0;
	}
	if (id != s->id)
		return 0;
	s->lost += lost;
	if (kind == ML_LOSS_ENOBUFS)
		s->lost_enobufs += lost;
	else
		s->gaps++;
	return 0;
}

static int on_event(void *ctx, const struct ml_event *ev)
{
	struct sub *s = ctx;

	if (ev->type == ML_EVENT_OVERRUN && ev->dev_id == s->id)
		s->overruns++;
	return 0;
}

static const struct ml_sub_ops ops = {
	.reading = on_reading, .loss = on_loss, .event = on_event,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Dispatches @a (and @b unless NULL) for @secs seconds. */
static int run(struct sub *a, struct sub *b, double secs)
{
	double end = now() + secs;
	struct pollfd p[2];
	int n = b ? 2 : 1, ret, i;

	p[0] = (struct pollfd){ .fd = ml_sub_fd(a->s), .events = POLLIN };
	if (b)
		p[1] = (struct pollfd){ .fd = ml_sub_fd(b->s), .events = POLLIN };
	while (now() < end) {
		if (poll(p, n, 50) < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n; i++) {
			ret = ml_sub_dispatch(i ? b->s : a->s, &ops, i ? b : a);
			if (ret && ret != -EPROTO)
				return ret;
			if (ret)
				result(false, "%s: a message could not be parsed", i ? b->name : a->name);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sub a = { .name = "A" }, b = { .name = "B" };
	struct ml_stats st0, st1;
	struct ml *ml;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: nl_subscribers ID\n");
		return 2;
	}
	a.id = b.id = strtoul(argv[1], NULL, 0);
	ret = ml_open(&ml);
	if (!ret)
		ret = ml_subscribe(ml, ML_GROUP_ALL, &a.s);
	if (!ret)
		ret = ml_subscribe(ml, ML_GROUP_READINGS, &b.s);
	if (!ret)
		ret = ml_stats_get(ml, a.id, &st0);
	if (ret) {
		printf("FAIL setting up: %s (%s)\n", strerror(-ret), ret ? ml_last_error_msg(ml) : "");
		return 1;
	}
	ml_sub_set_rcvbuf(a.s, 8 << 20);
	ml_sub_set_rcvbuf(b.s, 4096);

	a.phase = b.phase = 1;
	ret = run(&a, &b, 3);
	a.phase = b.phase = 2;
	if (!ret)
		ret = run(&a, NULL, 3);		/* B stalls */
	a.phase = b.phase = 3;
	if (!ret)
		ret = run(&a, &b, 2);
	if (ret) {
		printf("FAIL dispatching: %s\n", strerror(-ret));
		return 1;
	}
	ret = ml_stats_get(ml, a.id, &st1);

	printf("# A: seq %" PRIu64 "..%" PRIu64 " delivered %" PRIu64 " lost %" PRIu64
	       "; B: seq %" PRIu64 "..%" PRIu64 " delivered %" PRIu64 " lost %" PRIu64
	       " (enobufs reports %d); nl_drops %" PRIu64 " -> %" PRIu64 "\n",
	       a.first, a.last, a.delivered, a.lost, b.first, b.last, b.delivered, b.lost,
	       b.enobufs, st0.nl_drops, st1.nl_drops);

	result(a.delivered >= 100 && b.p1_last > b.p1_first,
	       "both subscribers receive readings (A %" PRIu64 ")", a.delivered);
	result(!a.bad_order && !b.bad_order, "readings arrive in seq order");
	result(a.lost == 0 && a.enobufs == 0 && a.last - a.first + 1 == a.delivered,
	       "A, which kept reading, lost nothing while B stalled");
	result(b.p1_first >= a.first && b.p1_last <= a.last && b.p1_last > b.p1_first,
	       "in phase 1 B received seq %" PRIu64 "..%" PRIu64
	       " with no loss, as A did", b.p1_first, b.p1_last);
	result(b.enobufs >= 1, "the stalled subscriber is told its queue overflowed (ENOBUFS)");
	result(b.lost_enobufs > 0 && b.gaps == 0,
	       "then of the %" PRIu64 " readings of meter%u it lost", b.lost_enobufs, b.id);
	result(b.delivered + b.lost == b.last - b.first + 1,
	       "every seq B did not receive is counted as lost");
	result(!ret && st1.nl_drops > st0.nl_drops, "the kernel counts the failed deliveries "
	       "(nl_drops +%" PRIu64 ")", st1.nl_drops - st0.nl_drops);
	result(a.overruns >= 1, "an events subscriber sees OVERRUN events (%d)", a.overruns);
	ml_sub_close(a.s);
	ml_sub_close(b.s);
	ml_close(ml);
	return failed;
}
