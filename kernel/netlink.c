// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: the "meterlink" generic netlink family, written from
 * Documentation/netlink/specs/meterlink.yaml.
 *
 * Requests are checked by strict policies (types, sizes, no unknown or
 * unexpected attributes) before any handler runs; value ranges are checked
 * in the handlers, so that every bad value is EINVAL with a message naming
 * it (a policy range check would be ERANGE). A request is checked whole
 * before any of it is applied. Readings go out on
 * the "readings" group in batches, bounded by a count and by a time; a
 * batch the kernel could not deliver to a subscriber is counted (nl_drops)
 * and announced on "events", and the subscriber itself sees ENOBUFS and
 * the gap in the sequence numbers.
 */
#include <linux/jiffies.h>
#include <linux/skbuff.h>
#include <net/genetlink.h>

#include "chip.h"
#include "meter.h"
#include "netlink.h"

enum { METER_GRP_READINGS, METER_GRP_EVENTS };

#define METER_BATCH_COUNT	16
#define METER_BATCH_NS		(100 * NSEC_PER_MSEC)
#define METER_CLOCK_STEP_NS	NSEC_PER_MSEC

static const struct genl_multicast_group meter_mcgrps[] = {
	[METER_GRP_READINGS] = {
		.name = METERLINK_MCGRP_READINGS,
#ifdef GENL_MCAST_CAP_NET_ADMIN
		/* every reading of every home: not for any local user */
		.flags = GENL_MCAST_CAP_NET_ADMIN,
#endif
	},
	[METER_GRP_EVENTS] = { .name = METERLINK_MCGRP_EVENTS },
};

#define METER_BATCH_NS_MIN	NSEC_PER_MSEC
#define METER_BATCH_NS_MAX	(10 * NSEC_PER_SEC)

static const struct nla_policy phase_policy[METERLINK_A_CALIB_PHASE_MAX + 1] = {
	[METERLINK_A_CALIB_PHASE_INDEX] = { .type = NLA_U32 },
	[METERLINK_A_CALIB_VOLTAGE_PPM] = { .type = NLA_S32 },
	[METERLINK_A_CALIB_CURRENT_PPM] = { .type = NLA_S32 },
	[METERLINK_A_CALIB_POWER_PPM] = { .type = NLA_S32 },
};

static const struct nla_policy calib_policy[METERLINK_A_CALIB_MAX + 1] = {
	[METERLINK_A_CALIB_PHASE] = NLA_POLICY_NESTED(phase_policy),
};

static const struct nla_policy meter_policy[METERLINK_A_MAX + 1] = {
	[METERLINK_A_DEV_ID] = { .type = NLA_U32 },
	[METERLINK_A_DEV_MODE] = { .type = NLA_U32 },
	[METERLINK_A_DEV_PERIOD_NS] = { .type = NLA_U64 },
	[METERLINK_A_DEV_BATCH_COUNT] = { .type = NLA_U32 },
	[METERLINK_A_DEV_BATCH_NS] = { .type = NLA_U64 },
	[METERLINK_A_CALIB] = NLA_POLICY_NESTED(calib_policy),
	[METERLINK_A_SEQ] = { .type = NLA_U64 },
};

static struct genl_family meter_genl;

static int fill_dev(struct sk_buff *skb, struct meter_dev *m, u32 portid,
		    u32 seq, int flags, u8 cmd, struct netlink_callback *cb)
{
	const struct meter_chip *c = m->chip;
	u32 mode, batch_count;
	u64 period, batch_ns;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &meter_genl, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	mutex_lock(&m->lock);
	mode = m->mode;
	period = m->period_ns;
	mutex_unlock(&m->lock);
	mutex_lock(&m->nl_lock);
	batch_count = m->batch_count;
	batch_ns = m->batch_ns;
	mutex_unlock(&m->nl_lock);
	if (nla_put_u32(skb, METERLINK_A_DEV_ID, m->id) ||
	    nla_put_string(skb, METERLINK_A_DEV_NAME, dev_name(&m->classdev)) ||
	    nla_put_string(skb, METERLINK_A_DEV_CHIP, c->name) ||
	    nla_put_u32(skb, METERLINK_A_DEV_CHIP_ID, c->id) ||
	    nla_put_string(skb, METERLINK_A_DEV_BUS_ID, m->bus_id) ||
	    nla_put_u32(skb, METERLINK_A_DEV_NR_PHASES, c->nr_phases) ||
	    nla_put_u32(skb, METERLINK_A_DEV_CAPS,
			m->irq ? METERLINK_CAP_IRQ : 0) ||
	    nla_put_u32(skb, METERLINK_A_DEV_MODE, mode) ||
	    nla_put_u64_64bit(skb, METERLINK_A_DEV_PERIOD_NS, period,
			      METERLINK_A_PAD) ||
	    nla_put_u64_64bit(skb, METERLINK_A_DEV_MIN_PERIOD_NS,
			      METER_MIN_PERIOD_NS, METERLINK_A_PAD) ||
	    nla_put_u64_64bit(skb, METERLINK_A_DEV_MAX_PERIOD_NS,
			      c->max_period_ns, METERLINK_A_PAD) ||
	    nla_put_u32(skb, METERLINK_A_DEV_BATCH_COUNT, batch_count) ||
	    nla_put_u64_64bit(skb, METERLINK_A_DEV_BATCH_NS, batch_ns,
			      METERLINK_A_PAD) ||
	    nla_put_u32(skb, METERLINK_A_DEV_GENERATION, meter_generation())) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int fill_stats(struct sk_buff *skb, struct meter_dev *m, u32 portid,
		      u32 seq, int flags, struct netlink_callback *cb)
{
	static const u16 attr[METER_CNT_MAX] = {
		[METER_CNT_SAMPLES] = METERLINK_A_STATS_SAMPLES,
		[METER_CNT_SPI_ERRORS] = METERLINK_A_STATS_SPI_ERRORS,
		[METER_CNT_CORRECTED] = METERLINK_A_STATS_CORRECTED,
		[METER_CNT_INVALID] = METERLINK_A_STATS_INVALID,
		[METER_CNT_IRQS] = METERLINK_A_STATS_IRQS,
		[METER_CNT_SPURIOUS_IRQS] = METERLINK_A_STATS_SPURIOUS_IRQS,
		[METER_CNT_MISSED_PERIODS] = METERLINK_A_STATS_MISSED_PERIODS,
		[METER_CNT_IRQ_FAULTS] = METERLINK_A_STATS_IRQ_FAULTS,
		[METER_CNT_NL_DROPS] = METERLINK_A_STATS_NL_DROPS,
		[METER_CNT_ACQ_NS] = METERLINK_A_STATS_ACQ_NS,
	};
	struct nlattr *nest;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &meter_genl, flags,
			  METERLINK_CMD_STATS_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, METERLINK_A_DEV_ID, m->id))
		goto cancel;
	nest = nla_nest_start(skb, METERLINK_A_STATS);
	if (!nest)
		goto cancel;
	for (i = 0; i < METER_CNT_MAX; i++)
		if (nla_put_u64_64bit(skb, attr[i], meter_counter(m, i),
				      METERLINK_A_STATS_PAD))
			goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* The device named by the request, with a reference, or an error. */
static struct meter_dev *req_dev(struct genl_info *info)
{
	struct nlattr *a = info->attrs[METERLINK_A_DEV_ID];
	struct meter_dev *m;

	if (!a) {
		NL_SET_ERR_MSG(info->extack, "meter id (METERLINK_A_DEV_ID) missing");
		return ERR_PTR(-EINVAL);
	}
	m = meter_find(nla_get_u32(a));
	if (!m) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "no such meter");
		return ERR_PTR(-ENODEV);
	}
	return m;
}

typedef int (*fill_fn)(struct sk_buff *skb, struct meter_dev *m, u32 portid,
		       u32 seq, int flags, struct netlink_callback *cb);

static int reply(struct genl_info *info, fill_fn fill)
{
	struct meter_dev *m = req_dev(info);
	struct sk_buff *msg;
	int ret;

	if (IS_ERR(m))
		return PTR_ERR(m);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	ret = msg ? fill(msg, m, info->snd_portid, info->snd_seq, 0, NULL) :
		    -ENOMEM;
	put_device(&m->classdev);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int dump(struct sk_buff *skb, struct netlink_callback *cb, fill_fn fill)
{
	u32 id = cb->args[0];
	struct meter_dev *m;

	cb->seq = meter_generation();
	while ((m = meter_next(&id))) {
		int ret = fill(skb, m, NETLINK_CB(cb->skb).portid,
			       cb->nlh->nlmsg_seq, NLM_F_MULTI, cb);

		put_device(&m->classdev);
		if (ret)
			break;
		id++;
	}
	cb->args[0] = id;
	return skb->len;
}

static int fill_dev_get(struct sk_buff *skb, struct meter_dev *m, u32 portid,
			u32 seq, int flags, struct netlink_callback *cb)
{
	return fill_dev(skb, m, portid, seq, flags, METERLINK_CMD_DEV_GET, cb);
}

static int dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return reply(info, fill_dev_get);
}

static int dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return dump(skb, cb, fill_dev_get);
}

static int stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return reply(info, fill_stats);
}

static int stats_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return dump(skb, cb, fill_stats);
}

/*
 * The readings dump: what the ring of one device still holds, from a seq
 * on, up to the newest record when the dump started (so that it ends). A
 * collector that was away (settled restarting) asks for the records after
 * the last one it kept.
 */
struct readings_dump {
	u64 pos;	/* next seq to send */
	u64 end;	/* head when the dump started */
	u32 id;
	bool started;
};

static_assert(sizeof(struct readings_dump) <=
	      sizeof_field(struct netlink_callback, ctx));

/*
 * The first call checks the request: only dump calls have an extack (the
 * message goes out with the error in NLMSG_DONE).
 */
static int readings_first(struct netlink_callback *cb, struct readings_dump *d)
{
	struct nlattr **attrs = genl_dumpit_info(cb)->attrs;
	struct nlattr *a = attrs[METERLINK_A_DEV_ID];
	struct nlattr *s = attrs[METERLINK_A_SEQ];
	struct meter_dev *m;
	int ret = 0;

	if (!a) {
		NL_SET_ERR_MSG(cb->extack, "meter id (METERLINK_A_DEV_ID) missing");
		return -EINVAL;
	}
	m = meter_find(nla_get_u32(a));
	if (!m) {
		NL_SET_ERR_MSG_ATTR(cb->extack, a, "no such meter");
		return -ENODEV;
	}
	d->id = m->id;
	d->end = meter_ring_head(&m->ring);
	d->pos = s ? nla_get_u64(s) : 0;
	d->started = true;
	if (d->pos > d->end) {
		NL_SET_ERR_MSG_ATTR(cb->extack, s, "no record with this seq yet");
		ret = -EINVAL;
	}
	put_device(&m->classdev);
	return ret;
}

static int readings_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct readings_dump *d = (void *)cb->ctx;
	struct meterlink_reading r;
	struct meter_dev *m;
	unsigned int n = 0;
	int ret = 0;
	void *hdr;
	u64 pos;

	if (!d->started) {
		ret = readings_first(cb, d);
		if (ret)
			return ret;
	}
	if (d->pos >= d->end)
		return 0;
	cb->seq = meter_generation();
	m = meter_find(d->id);
	if (!m)
		return -ENODEV;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &meter_genl, NLM_F_MULTI, METERLINK_CMD_READINGS);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto out;
	}
	genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, METERLINK_A_DEV_ID, m->id))
		goto cancel;
	for (pos = d->pos; meter_ring_peek(&m->ring, &pos, d->end, &r); n++) {
		if (nla_put(skb, METERLINK_A_READING, sizeof(r), &r)) {
			/* a fresh message holds many: this cannot be the first */
			ret = n ? 0 : -EMSGSIZE;
			break;
		}
		d->pos = pos;
	}
	if (!n) {
		if (!ret)	/* what was asked for has been overwritten */
			d->pos = d->end;
		goto cancel;
	}
	genlmsg_end(skb, hdr);
	goto out;
cancel:
	genlmsg_cancel(skb, hdr);
out:
	put_device(&m->classdev);
	return ret ? ret : skb->len;
}

static int dev_set(struct meter_dev *m, struct genl_info *info)
{
	struct nlattr *pa = info->attrs[METERLINK_A_DEV_PERIOD_NS];
	struct nlattr *ma = info->attrs[METERLINK_A_DEV_MODE];
	struct nlattr *ca = info->attrs[METERLINK_A_DEV_BATCH_COUNT];
	struct nlattr *na = info->attrs[METERLINK_A_DEV_BATCH_NS];
	int ret;

	/* all of it is checked before any of it is applied */
	if (pa && nla_get_u64(pa) < METER_MIN_PERIOD_NS) {
		NL_SET_ERR_MSG_ATTR(info->extack, pa,
				    "period below the minimum (see min-period-ns)");
		return -EINVAL;
	}
	if (pa && nla_get_u64(pa) > m->chip->max_period_ns) {
		NL_SET_ERR_MSG_ATTR(info->extack, pa,
				    "period above this chip's maximum (see max-period-ns)");
		return -EINVAL;
	}
	if (ma && nla_get_u32(ma) >= __METERLINK_MODE_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, ma, "unknown mode");
		return -EINVAL;
	}
	if (ca && (nla_get_u32(ca) < 1 ||
		   nla_get_u32(ca) > METERLINK_BATCH_MAX)) {
		NL_SET_ERR_MSG_ATTR(info->extack, ca,
				    "batch count out of range 1..64");
		return -EINVAL;
	}
	if (na && (nla_get_u64(na) < METER_BATCH_NS_MIN ||
		   nla_get_u64(na) > METER_BATCH_NS_MAX)) {
		NL_SET_ERR_MSG_ATTR(info->extack, na,
				    "batch time out of range 1 ms..10 s");
		return -EINVAL;
	}
	if (ma && nla_get_u32(ma) == METERLINK_MODE_IRQ && !m->irq) {
		NL_SET_ERR_MSG_ATTR(info->extack, ma,
				    "this meter has no interrupt wired");
		return -EOPNOTSUPP;
	}
	if (ma || pa) {
		u32 mode = ma ? nla_get_u32(ma) : 0;
		u64 period = pa ? nla_get_u64(pa) : 0;

		ret = meter_reconfigure(m, ma ? &mode : NULL, pa ? &period : NULL);
		if (ret)
			return ret;
	}
	mutex_lock(&m->nl_lock);
	if (ca)
		m->batch_count = nla_get_u32(ca);
	if (na)
		m->batch_ns = nla_get_u64(na);
	mutex_unlock(&m->nl_lock);
	return 0;
}

/* runs @fn on the device the request names, holding a reference */
static int with_dev(struct genl_info *info,
		    int (*fn)(struct meter_dev *m, struct genl_info *info))
{
	struct meter_dev *m = req_dev(info);
	int ret;

	if (IS_ERR(m))
		return PTR_ERR(m);
	ret = fn(m, info);
	put_device(&m->classdev);
	return ret;
}

static int dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return with_dev(info, dev_set);
}

static int fill_calib(struct sk_buff *skb, struct meter_dev *m, u32 portid,
		      u32 seq, int flags, struct netlink_callback *cb)
{
	struct meterlink_calibration c;
	struct nlattr *nest, *ph;
	unsigned int i;
	void *hdr;

	meter_calib_get(m, &c);
	hdr = genlmsg_put(skb, portid, seq, &meter_genl, flags,
			  METERLINK_CMD_CALIB_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, METERLINK_A_DEV_ID, m->id))
		goto cancel;
	nest = nla_nest_start(skb, METERLINK_A_CALIB);
	if (!nest)
		goto cancel;
	for (i = 0; i < m->chip->nr_phases; i++) {
		ph = nla_nest_start(skb, METERLINK_A_CALIB_PHASE);
		if (!ph ||
		    nla_put_u32(skb, METERLINK_A_CALIB_PHASE_INDEX, i) ||
		    nla_put_s32(skb, METERLINK_A_CALIB_VOLTAGE_PPM,
				c.phase[i].voltage_ppm) ||
		    nla_put_s32(skb, METERLINK_A_CALIB_CURRENT_PPM,
				c.phase[i].current_ppm) ||
		    nla_put_s32(skb, METERLINK_A_CALIB_POWER_PPM,
				c.phase[i].power_ppm))
			goto cancel;
		nla_nest_end(skb, ph);
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int calib_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return reply(info, fill_calib);
}

/* Phases named in the request change; the others keep their gains. */
static int calib_set(struct meter_dev *m, struct genl_info *info)
{
	struct nlattr *tb[METERLINK_A_CALIB_PHASE_MAX + 1];
	struct nlattr *ca = info->attrs[METERLINK_A_CALIB], *ph;
	struct meterlink_calibration c;
	unsigned long seen = 0;
	int rem, ret, a;
	u32 i;

	if (!ca) {
		NL_SET_ERR_MSG(info->extack, "calibration (METERLINK_A_CALIB) missing");
		return -EINVAL;
	}
	meter_calib_get(m, &c);
	nla_for_each_nested(ph, ca, rem) {
		ret = nla_parse_nested(tb, METERLINK_A_CALIB_PHASE_MAX, ph,
				       phase_policy, info->extack);
		if (ret)
			return ret;
		if (!tb[METERLINK_A_CALIB_PHASE_INDEX]) {
			NL_SET_ERR_MSG_ATTR(info->extack, ph, "phase index missing");
			return -EINVAL;
		}
		i = nla_get_u32(tb[METERLINK_A_CALIB_PHASE_INDEX]);
		for (a = METERLINK_A_CALIB_VOLTAGE_PPM;
		     a <= METERLINK_A_CALIB_POWER_PPM; a++) {
			s32 ppm = tb[a] ? nla_get_s32(tb[a]) : 0;

			if (ppm < -METERLINK_CALIB_MAX_PPM ||
			    ppm > METERLINK_CALIB_MAX_PPM) {
				NL_SET_ERR_MSG_ATTR(info->extack, tb[a],
						    "gain out of range +-200000 ppm");
				return -EINVAL;
			}
		}
		if (i >= m->chip->nr_phases) {
			NL_SET_ERR_MSG_ATTR(info->extack, ph,
					    "phase index beyond this meter's phases");
			return -EINVAL;
		}
		if (test_and_set_bit(i, &seen)) {
			NL_SET_ERR_MSG_ATTR(info->extack, ph, "phase given twice");
			return -EINVAL;
		}
		if (tb[METERLINK_A_CALIB_VOLTAGE_PPM])
			c.phase[i].voltage_ppm =
				nla_get_s32(tb[METERLINK_A_CALIB_VOLTAGE_PPM]);
		if (tb[METERLINK_A_CALIB_CURRENT_PPM])
			c.phase[i].current_ppm =
				nla_get_s32(tb[METERLINK_A_CALIB_CURRENT_PPM]);
		if (tb[METERLINK_A_CALIB_POWER_PPM])
			c.phase[i].power_ppm =
				nla_get_s32(tb[METERLINK_A_CALIB_POWER_PPM]);
	}
	return meter_calib_set(m, &c);
}

/* read, modify, write under the config lock: concurrent updates both land */
static int calib_set_locked(struct meter_dev *m, struct genl_info *info)
{
	int ret;

	mutex_lock(&m->lock);
	ret = calib_set(m, info);
	mutex_unlock(&m->lock);
	return ret;
}

static int calib_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return with_dev(info, calib_set_locked);
}

static const struct genl_ops meter_ops[] = {
	{
		.cmd = METERLINK_CMD_DEV_GET,
		.doit = dev_get_doit,
		.dumpit = dev_get_dumpit,
	},
	{
		.cmd = METERLINK_CMD_DEV_SET,
		.doit = dev_set_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = METERLINK_CMD_CALIB_GET,
		.doit = calib_get_doit,
	},
	{
		.cmd = METERLINK_CMD_CALIB_SET,
		.doit = calib_set_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = METERLINK_CMD_STATS_GET,
		.doit = stats_get_doit,
		.dumpit = stats_get_dumpit,
	},
	{
		.cmd = METERLINK_CMD_READINGS,
		.dumpit = readings_dumpit,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family meter_genl __ro_after_init = {
	.name = METERLINK_GENL_NAME,
	.version = METERLINK_GENL_VERSION,
	.maxattr = METERLINK_A_MAX,
	.policy = meter_policy,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = meter_ops,
	.n_ops = ARRAY_SIZE(meter_ops),
	.mcgrps = meter_mcgrps,
	.n_mcgrps = ARRAY_SIZE(meter_mcgrps),
};

/* ---- events ---- */

static struct sk_buff *event_new(u8 cmd, void **hdr)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&meter_genl, &init_net, METER_GRP_EVENTS))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &meter_genl, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void event_send(struct sk_buff *skb, void *hdr, int err)
{
	if (err) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&meter_genl, skb, 0, METER_GRP_EVENTS, GFP_KERNEL);
}

void meter_nl_fault(struct meter_dev *m, u32 fault)
{
	void *hdr;
	struct sk_buff *skb = event_new(METERLINK_CMD_FAULT, &hdr);

	if (skb)
		event_send(skb, hdr, nla_put_u32(skb, METERLINK_A_DEV_ID, m->id) ||
			   nla_put_u32(skb, METERLINK_A_FAULT, fault));
}

static void meter_nl_overrun(struct meter_dev *m, u64 lost)
{
	void *hdr;
	struct sk_buff *skb = event_new(METERLINK_CMD_OVERRUN, &hdr);

	if (skb)
		event_send(skb, hdr, nla_put_u32(skb, METERLINK_A_DEV_ID, m->id) ||
			   nla_put_u64_64bit(skb, METERLINK_A_OVERRUN_COUNT,
					     lost, METERLINK_A_PAD));
}

static void meter_nl_clock_step(struct meter_dev *m, s64 step)
{
	void *hdr;
	struct sk_buff *skb = event_new(METERLINK_CMD_CLOCK_STEP, &hdr);

	if (skb)
		event_send(skb, hdr, nla_put_u32(skb, METERLINK_A_DEV_ID, m->id) ||
			   nla_put_s64(skb, METERLINK_A_CLOCK_STEP_NS, step,
				       METERLINK_A_PAD));
}

void meter_nl_dev_added(struct meter_dev *m)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&meter_genl, &init_net, METER_GRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (fill_dev(skb, m, 0, 0, 0, METERLINK_CMD_DEV_ADD, NULL)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast(&meter_genl, skb, 0, METER_GRP_EVENTS, GFP_KERNEL);
}

/* ---- readings ---- */

/* with m->nl_lock held: the batch goes out, whether full or not */
static void batch_send(struct meter_dev *m)
{
	struct sk_buff *skb = m->nl_skb;
	unsigned int n = m->nl_count;
	int ret;

	if (!skb)
		return;
	m->nl_skb = NULL;
	m->nl_count = 0;
	genlmsg_end(skb, m->nl_hdr);
	ret = genlmsg_multicast(&meter_genl, skb, 0, METER_GRP_READINGS,
				GFP_KERNEL);
	if (ret && ret != -ESRCH) {	/* ESRCH: nobody listens any more */
		atomic64_inc(&m->cnt[METER_CNT_NL_DROPS]);
		meter_nl_overrun(m, n);
	}
}

static void batch_flush_fn(struct work_struct *w)
{
	struct meter_dev *m = container_of(to_delayed_work(w), struct meter_dev,
					   nl_flush);

	mutex_lock(&m->nl_lock);
	batch_send(m);
	mutex_unlock(&m->nl_lock);
}

/* Called for every record, in seq order, from the acquisition path. */
void meter_nl_reading(struct meter_dev *m, const struct meterlink_reading *r)
{
	s64 offset = r->realtime_ns - r->boottime_ns;
	size_t size;

	if (m->clock_offset && abs(offset - m->clock_offset) > METER_CLOCK_STEP_NS)
		meter_nl_clock_step(m, offset - m->clock_offset);
	m->clock_offset = offset;

	if (!genl_has_listeners(&meter_genl, &init_net, METER_GRP_READINGS))
		return;
	mutex_lock(&m->nl_lock);
	if (!m->nl_skb) {
		size = nla_total_size(sizeof(u32)) +
		       METERLINK_BATCH_MAX * nla_total_size(sizeof(*r));
		m->nl_skb = genlmsg_new(size, GFP_KERNEL);
		if (!m->nl_skb)
			goto drop;
		m->nl_hdr = genlmsg_put(m->nl_skb, 0, 0, &meter_genl, 0,
					METERLINK_CMD_READINGS);
		if (!m->nl_hdr ||
		    nla_put_u32(m->nl_skb, METERLINK_A_DEV_ID, m->id)) {
			nlmsg_free(m->nl_skb);
			m->nl_skb = NULL;
			goto drop;
		}
		m->nl_count = 0;
		mod_delayed_work(system_wq, &m->nl_flush,
				 nsecs_to_jiffies(m->batch_ns));
	}
	if (nla_put(m->nl_skb, METERLINK_A_READING, sizeof(*r), r))
		goto drop;
	if (++m->nl_count >= m->batch_count)
		batch_send(m);
	mutex_unlock(&m->nl_lock);
	return;
drop:
	atomic64_inc(&m->cnt[METER_CNT_NL_DROPS]);
	mutex_unlock(&m->nl_lock);
}

void meter_nl_dev_init(struct meter_dev *m)
{
	mutex_init(&m->nl_lock);
	INIT_DELAYED_WORK(&m->nl_flush, batch_flush_fn);
	m->batch_count = METER_BATCH_COUNT;
	m->batch_ns = METER_BATCH_NS;
}

/* after acquisition stopped: the last readings go out, then the news */
void meter_nl_dev_removed(struct meter_dev *m)
{
	void *hdr;
	struct sk_buff *skb;

	cancel_delayed_work_sync(&m->nl_flush);
	mutex_lock(&m->nl_lock);
	batch_send(m);
	mutex_unlock(&m->nl_lock);
	skb = event_new(METERLINK_CMD_DEV_DEL, &hdr);
	if (skb)
		event_send(skb, hdr, nla_put_u32(skb, METERLINK_A_DEV_ID, m->id) ||
			   nla_put_string(skb, METERLINK_A_DEV_NAME,
					  dev_name(&m->classdev)));
}

int meter_nl_init(void)
{
	return genl_register_family(&meter_genl);
}

void meter_nl_exit(void)
{
	genl_unregister_family(&meter_genl);
}
