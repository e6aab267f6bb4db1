// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Counters: STATS_GET for one device or dumped for all.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

static int parse_counters(struct nlattr *nest, struct ml_stats *st)
{
	uint64_t *field[METERLINK_A_STATS_MAX + 1] = {
		[METERLINK_A_STATS_SAMPLES] = &st->samples,
		[METERLINK_A_STATS_SPI_ERRORS] = &st->spi_errors,
		[METERLINK_A_STATS_CORRECTED] = &st->corrected,
		[METERLINK_A_STATS_INVALID] = &st->invalid,
		[METERLINK_A_STATS_IRQS] = &st->irqs,
		[METERLINK_A_STATS_SPURIOUS_IRQS] = &st->spurious_irqs,
		[METERLINK_A_STATS_MISSED_PERIODS] = &st->missed_periods,
		[METERLINK_A_STATS_IRQ_FAULTS] = &st->irq_faults,
		[METERLINK_A_STATS_NL_DROPS] = &st->nl_drops,
	};
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		int t = nla_type(a);

		if (t > METERLINK_A_STATS_MAX || !field[t])
			continue;	/* pad, or newer than us */
		if (mli_get_u64(a, field[t]))
			return -EPROTO;
	}
	return 0;
}

static int parse_stats(struct nlmsghdr *nlh, struct ml_stats *st)
{
	struct ml_stats s = { 0 };
	bool have_id = false, have_stats = false;
	struct nlattr *attrs, *a;
	int len, rem;

	attrs = mli_attrs(nlh, &len);
	if (!attrs)
		return -EPROTO;
	nla_for_each_attr(a, attrs, len, rem) {
		if (nla_type(a) == METERLINK_A_DEV_ID) {
			if (mli_get_u32(a, &s.dev_id))
				return -EPROTO;
			have_id = true;
		} else if (nla_type(a) == METERLINK_A_STATS) {
			if (parse_counters(a, &s))
				return -EPROTO;
			have_stats = true;
		}
	}
	if (!have_id || !have_stats)
		return -EPROTO;
	*st = s;
	return 0;
}

static int parse_one(struct nlmsghdr *nlh, void *arg)
{
	return parse_stats(nlh, arg);
}

int ml_stats_get(struct ml *ml, uint32_t id, struct ml_stats *st)
{
	struct ml_stats s = { .dev_id = UINT32_MAX };
	struct nl_msg *msg;
	int ret;

	msg = mli_msg(ml, METERLINK_CMD_STATS_GET, 0);
	if (!msg || nla_put_u32(msg, METERLINK_A_DEV_ID, id) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = mli_request(ml, msg, parse_one, &s);
	if (ret)
		return ret;
	if (s.dev_id != id) {
		mli_set_msg(ml, "asked for the counters of device %u, got %u", id, s.dev_id);
		return -EPROTO;
	}
	*st = s;
	return 0;
}

struct list {
	struct ml_stats *st;
	size_t n, cap;
};

static int parse_list(struct nlmsghdr *nlh, void *arg)
{
	struct list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ml_stats *p = realloc(l->st, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->st = p;
		l->cap = cap;
	}
	if (parse_stats(nlh, &l->st[l->n]))
		return -EPROTO;
	l->n++;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct ml_stats *x = a, *y = b;

	return (x->dev_id > y->dev_id) - (x->dev_id < y->dev_id);
}

int ml_stats_list(struct ml *ml, struct ml_stats **st, size_t *n)
{
	struct list l = { 0 };
	struct nl_msg *msg;
	int ret = -EINTR, tries;

	for (tries = 0; tries < ML_DUMP_RETRIES && ret == -EINTR; tries++) {
		l.n = 0;
		msg = mli_msg(ml, METERLINK_CMD_STATS_GET, NLM_F_DUMP);
		if (!msg) {
			ret = -ENOMEM;
			break;
		}
		ret = mli_request(ml, msg, parse_list, &l);
	}
	if (ret == -EINTR) {
		mli_set_msg(ml, "the device list changed during %d dumps in a row",
			    ML_DUMP_RETRIES);
		ret = -EAGAIN;
	}
	if (ret || !l.n) {
		free(l.st);
		l.st = NULL;
		if (ret)
			return ret;
	}
	if (l.n)
		qsort(l.st, l.n, sizeof(*l.st), by_id);
	*st = l.st;
	*n = l.n;
	return 0;
}
