// SPDX-License-Identifier: GPL-2.0
/*
 * meterctl events [-n COUNT]: meters added and removed, faults, delivery
 * overruns and clock steps, as they happen.
 */
#include "stream.h"

struct events {
	struct ctl *c;
	uint64_t count, limit;
};

static int on_event(void *ctx, const struct ml_event *ev)
{
	struct events *e = ctx;

	if (e->c->json)
		ctl_print_json(fmt_event_json(ev));
	else
		fmt_event_human(stdout, ev);
	return e->limit && ++e->count >= e->limit ? STREAM_DONE : 0;
}

static int on_loss(void *ctx, int64_t id, uint64_t lost, enum ml_loss_kind kind)
{
	struct events *e = ctx;

	if (e->c->json)
		ctl_print_json(fmt_loss_json(id, lost, kind));
	else
		fmt_loss_human(stdout, id, lost, kind);
	return 0;
}

int cmd_events(struct ctl *c, int argc, char **argv)
{
	const struct ml_sub_ops ops = { .event = on_event, .loss = on_loss };
	struct events e = { .c = c };
	int ret;

	ret = stream_opts(c, &argc, &argv, &e.limit);
	if (ret)
		return ret;
	if (argc != 1)
		return ctl_usage(c, "events takes no arguments but -n COUNT");
	ret = ctl_open(c);
	if (ret)
		return ret;
	return stream_run(c, ML_GROUP_EVENTS, &ops, &e);
}
