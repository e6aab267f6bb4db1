// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Devices: the DEV_GET reply (also the DEV_ADD event), one device, the
 * consistent list of all of them, and DEV_SET.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * Unknown attributes are skipped: a newer kernel may add some. A known one
 * that is too short is a protocol error. With @need_all, the attributes
 * every DEV_GET reply carries must all be there.
 */
int mli_parse_dev(struct nlattr *attrs, int len, struct ml_dev *dev, bool need_all)
{
	struct ml_dev d = { 0 };
	uint64_t seen = 0;
	struct nlattr *a;
	int rem, ret = 0;

	nla_for_each_attr(a, attrs, len, rem) {
		int type = nla_type(a);

		switch (type) {
		case METERLINK_A_DEV_ID:
			ret = mli_get_u32(a, &d.id);
			break;
		case METERLINK_A_DEV_NAME:
			ret = mli_get_str(a, d.name, sizeof(d.name));
			break;
		case METERLINK_A_DEV_CHIP:
			ret = mli_get_str(a, d.chip, sizeof(d.chip));
			break;
		case METERLINK_A_DEV_CHIP_ID:
			ret = mli_get_u32(a, &d.chip_id);
			break;
		case METERLINK_A_DEV_BUS_ID:
			ret = mli_get_str(a, d.bus_id, sizeof(d.bus_id));
			break;
		case METERLINK_A_DEV_NR_PHASES:
			ret = mli_get_u32(a, &d.nr_phases);
			break;
		case METERLINK_A_DEV_CAPS:
			ret = mli_get_u32(a, &d.caps);
			break;
		case METERLINK_A_DEV_MODE:
			ret = mli_get_u32(a, &d.mode);
			break;
		case METERLINK_A_DEV_PERIOD_NS:
			ret = mli_get_u64(a, &d.period_ns);
			break;
		case METERLINK_A_DEV_MIN_PERIOD_NS:
			ret = mli_get_u64(a, &d.min_period_ns);
			break;
		case METERLINK_A_DEV_MAX_PERIOD_NS:
			ret = mli_get_u64(a, &d.max_period_ns);
			break;
		case METERLINK_A_DEV_BATCH_COUNT:
			ret = mli_get_u32(a, &d.batch_count);
			break;
		case METERLINK_A_DEV_BATCH_NS:
			ret = mli_get_u64(a, &d.batch_ns);
			break;
		case METERLINK_A_DEV_GENERATION:
			ret = mli_get_u32(a, &d.generation);
			break;
		default:
			continue;
		}
		if (ret)
			return ret;
		seen |= 1ULL << type;
	}
	if (!(seen & (1ULL << METERLINK_A_DEV_ID)))
		return -EPROTO;
	if (need_all) {
		uint64_t all = 0;
		int t;

		for (t = METERLINK_A_DEV_ID; t <= METERLINK_A_DEV_GENERATION; t++)
			all |= 1ULL << t;
		if ((seen & all) != all)
			return -EPROTO;
	}
	*dev = d;
	return 0;
}

/* ---- one device ---- */

static int parse_one(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *attrs;
	int len;

	attrs = mli_attrs(nlh, &len);
	return attrs ? mli_parse_dev(attrs, len, arg, true) : -EPROTO;
}

int ml_dev_get(struct ml *ml, uint32_t id, struct ml_dev *dev)
{
	struct ml_dev d;
	struct nl_msg *msg;
	int ret;

	msg = mli_msg(ml, METERLINK_CMD_DEV_GET, 0);
	if (!msg || nla_put_u32(msg, METERLINK_A_DEV_ID, id) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	d.id = UINT32_MAX;
	ret = mli_request(ml, msg, parse_one, &d);
	if (ret)
		return ret;
	if (d.id != id) {
		mli_set_msg(ml, "asked for device %u, got %u", id, d.id);
		return -EPROTO;
	}
	*dev = d;
	return 0;
}

/* ---- all devices ---- */

struct list {
	struct ml_dev *devs;
	size_t n, cap;
};

static int parse_list(struct nlmsghdr *nlh, void *arg)
{
	struct list *l = arg;
	struct nlattr *attrs;
	int len, ret;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ml_dev *p = realloc(l->devs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->devs = p;
		l->cap = cap;
	}
	attrs = mli_attrs(nlh, &len);
	if (!attrs)
		return -EPROTO;
	ret = mli_parse_dev(attrs, len, &l->devs[l->n], true);
	if (ret)
		return ret;
	l->n++;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct ml_dev *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * The kernel marks a dump it had to interrupt; as a second line of defence,
 * every message carries the generation and they must all agree, and a
 * device must not appear twice.
 */
static bool consistent(const struct list *l)
{
	size_t i;

	for (i = 1; i < l->n; i++)
		if (l->devs[i].generation != l->devs[0].generation ||
		    l->devs[i].id == l->devs[i - 1].id)
			return false;
	return true;
}

int ml_dev_list(struct ml *ml, struct ml_dev **devs, size_t *n)
{
	struct list l = { 0 };
	struct nl_msg *msg;
	int ret = -EINTR, tries;

	for (tries = 0; tries < ML_DUMP_RETRIES && ret == -EINTR; tries++) {
		l.n = 0;
		msg = mli_msg(ml, METERLINK_CMD_DEV_GET, NLM_F_DUMP);
		if (!msg) {
			ret = -ENOMEM;
			break;
		}
		ret = mli_request(ml, msg, parse_list, &l);
		if (!ret) {
			if (l.n)
				qsort(l.devs, l.n, sizeof(*l.devs), by_id);
			if (!consistent(&l))
				ret = -EINTR;
		}
	}
	if (ret == -EINTR) {
		mli_set_msg(ml, "the device list changed during %d dumps in a row",
			    ML_DUMP_RETRIES);
		ret = -EAGAIN;
	}
	if (ret) {
		free(l.devs);
		return ret;
	}
	if (!l.n) {
		free(l.devs);
		l.devs = NULL;
	}
	*devs = l.devs;
	*n = l.n;
	return 0;
}

/* ---- configuration ---- */

int ml_dev_set(struct ml *ml, uint32_t id, const struct ml_dev_config *cfg)
{
	struct nl_msg *msg;
	int ret = 0;

	if (!cfg->set || (cfg->set & ~ML_SET_ALL)) {
		mli_set_msg(ml, "nothing to set, or unknown ML_SET_* bits 0x%x",
			    cfg->set);
		return -EINVAL;
	}
	msg = mli_msg(ml, METERLINK_CMD_DEV_SET, 0);
	if (!msg)
		return -ENOMEM;
	ret |= nla_put_u32(msg, METERLINK_A_DEV_ID, id);
	if (cfg->set & ML_SET_PERIOD)
		ret |= nla_put_u64(msg, METERLINK_A_DEV_PERIOD_NS, cfg->period_ns);
	if (cfg->set & ML_SET_MODE)
		ret |= nla_put_u32(msg, METERLINK_A_DEV_MODE, cfg->mode);
	if (cfg->set & ML_SET_BATCH_COUNT)
		ret |= nla_put_u32(msg, METERLINK_A_DEV_BATCH_COUNT, cfg->batch_count);
	if (cfg->set & ML_SET_BATCH_NS)
		ret |= nla_put_u64(msg, METERLINK_A_DEV_BATCH_NS, cfg->batch_ns);
	if (ret) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return mli_request(ml, msg, NULL, NULL);
}
