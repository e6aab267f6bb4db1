// SPDX-License-Identifier: GPL-2.0
/*
 * meterctl watch [-n COUNT] DEV...: live readings of some meters, one
 * block (or one JSON line) per reading, and every loss as it is detected.
 */
#include <stdlib.h>

#include "stream.h"

#define MAX_DEVS	64

struct watch {
	struct ctl *c;
	uint32_t ids[MAX_DEVS];
	bool gone[MAX_DEVS];
	int nr, left;		/* devices given, devices not removed */
	uint64_t count, limit;
};

static int find(const struct watch *w, uint32_t id)
{
	int i;

	for (i = 0; i < w->nr; i++)
		if (w->ids[i] == id)
			return i;
	return -1;
}

static int on_reading(void *ctx, uint32_t id, const struct meterlink_reading *r)
{
	struct watch *w = ctx;

	if (find(w, id) < 0)
		return 0;
	if (w->c->json)
		ctl_print_json(fmt_reading_json(id, r));
	else
		fmt_reading_human(stdout, id, r);
	return w->limit && ++w->count >= w->limit ? STREAM_DONE : 0;
}

static int on_loss(void *ctx, int64_t id, uint64_t lost, enum ml_loss_kind kind)
{
	struct watch *w = ctx;

	if (id >= 0 && find(w, (uint32_t)id) < 0)
		return 0;
	if (w->c->json)
		ctl_print_json(fmt_loss_json(id, lost, kind));
	else
		fmt_loss_human(stdout, id, lost, kind);
	return 0;
}

/* A watched meter that goes away ends the watch once none is left. */
static int on_event(void *ctx, const struct ml_event *ev)
{
	struct watch *w = ctx;
	int i = find(w, ev->dev_id);

	if (ev->type != ML_EVENT_DEV_DEL || i < 0 || w->gone[i])
		return 0;
	w->gone[i] = true;
	fflush(stdout);
	fprintf(stderr, "meterctl: meter%u was removed\n", ev->dev_id);
	return --w->left ? 0 : CTL_EXIT_NODEV;
}

int cmd_watch(struct ctl *c, int argc, char **argv)
{
	const struct ml_sub_ops ops = {
		.reading = on_reading, .loss = on_loss, .event = on_event,
	};
	struct watch w = { .c = c };
	struct ml_dev d;
	uint32_t id;
	int i, ret;

	ret = stream_opts(c, &argc, &argv, &w.limit);
	if (ret)
		return ret;
	if (argc < 2)
		return ctl_usage(c, "watch needs at least one DEV");
	for (i = 1; i < argc; i++) {
		if (parse_dev(argv[i], &id))
			return ctl_usage(c, "'%s' is not a device (meterN or N)", argv[i]);
		if (find(&w, id) >= 0)
			continue;
		if (w.nr == MAX_DEVS)
			return ctl_usage(c, "at most %d devices", MAX_DEVS);
		w.ids[w.nr++] = id;
	}
	w.left = w.nr;
	ret = ctl_open(c);
	if (ret)
		return ret;
	for (i = 0; i < w.nr; i++) {
		ret = ml_dev_get(c->ml, w.ids[i], &d);
		if (ret)
			return ctl_fail(c, ret, w.ids[i]);
	}
	return stream_run(c, ML_GROUP_READINGS | ML_GROUP_EVENTS, &ops, &w);
}
