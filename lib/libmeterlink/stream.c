// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Subscriptions: a socket of its own joined to "readings" and/or "events",
 * drained without blocking, with loss detection per device.
 *
 * Two ways to lose readings, told apart for the caller: the kernel could
 * not build or queue a message for anyone (the device's seq jumps: GAP),
 * or this socket's queue was full (recvmsg() fails once with ENOBUFS and
 * the kernel dropped an unknown number of messages of unknown devices).
 *
 * The ENOBUFS comes before the messages still queued from before the drop,
 * and the kernel drops everything for this socket until its queue is empty
 * again (NETLINK_S_CONGESTED). So the records read until the queue is
 * first found empty are all from before the loss, and each device's first
 * record after that tells exactly how many of its records were dropped
 * (seq is per device and never reused): that count is reported as an
 * ENOBUFS loss of that device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Largest readings message: METERLINK_BATCH_MAX records and headers. */
#define SUB_BUF_LEN	(64 * 1024)
/* Messages per ml_sub_dispatch(), so a busy stream cannot starve a caller. */
#define SUB_BUDGET	256

/* ---- per-device sequence tracking ---- */

static struct mli_seq *seq_find(struct ml_sub *sub, uint32_t id)
{
	size_t i;

	for (i = 0; i < sub->nr_seqs; i++)
		if (sub->seqs[i].dev_id == id)
			return &sub->seqs[i];
	return NULL;
}

static void seq_forget(struct ml_sub *sub, uint32_t id)
{
	struct mli_seq *s = seq_find(sub, id);

	if (s)
		*s = sub->seqs[--sub->nr_seqs];
}

/*
 * Checks @seq of device @id against what was expected and reports a loss.
 * With @quiet (the caller has stopped dispatching), only tracks.
 */
static int seq_check(struct ml_sub *sub, uint32_t id, uint64_t seq,
		     const struct ml_sub_ops *ops, void *ctx, bool quiet)
{
	struct mli_seq *s = seq_find(sub, id);
	uint64_t lost;
	bool resync;

	if (!s) {
		if (sub->nr_seqs == sub->cap_seqs) {
			size_t cap = sub->cap_seqs ? 2 * sub->cap_seqs : 8;
			struct mli_seq *p = realloc(sub->seqs, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			sub->seqs = p;
			sub->cap_seqs = cap;
		}
		s = &sub->seqs[sub->nr_seqs++];
		s->dev_id = id;
		s->next = seq + 1;
		s->resync = false;
		return 0;
	}
	/* below expected: a new device under a reused id; nothing was lost */
	lost = seq > s->next ? seq - s->next : 0;
	/* from before the drop while draining; the first one after it counts */
	resync = s->resync && !sub->draining;
	if (resync)
		s->resync = false;
	s->next = seq + 1;
	if (!lost || quiet || !ops->loss)
		return 0;
	return ops->loss(ctx, id, lost, resync ? ML_LOSS_ENOBUFS : ML_LOSS_GAP);
}

int mli_sub_overflow(struct ml_sub *sub, const struct ml_sub_ops *ops, void *ctx)
{
	size_t i;

	for (i = 0; i < sub->nr_seqs; i++)
		sub->seqs[i].resync = true;
	sub->draining = true;
	return ops->loss ? ops->loss(ctx, -1, 0, ML_LOSS_ENOBUFS) : 0;
}

void mli_sub_drained(struct ml_sub *sub)
{
	sub->draining = false;
}

/* ---- messages ---- */

static int find_u32(struct nlattr *attrs, int len, int type, uint32_t *v)
{
	struct nlattr *a = nla_find(attrs, len, type);

	return a ? mli_get_u32(a, v) : -EPROTO;
}

static int on_readings(struct ml_sub *sub, struct nlattr *attrs, int len,
		       const struct ml_sub_ops *ops, void *ctx)
{
	struct meterlink_reading r;
	int rem, ret = 0, stop = 0;
	struct nlattr *a;
	uint32_t id;

	if (find_u32(attrs, len, METERLINK_A_DEV_ID, &id))
		return -EPROTO;
	nla_for_each_attr(a, attrs, len, rem) {
		if (nla_type(a) != METERLINK_A_READING)
			continue;
		if (nla_len(a) != (int)sizeof(r)) {
			ret = -EPROTO;
			continue;
		}
		memcpy(&r, nla_data(a), sizeof(r));	/* attributes are 4-aligned */
		if (r.version != METERLINK_READING_VERSION || r.size != sizeof(r) ||
		    r.nr_phases > METERLINK_MAX_PHASES) {
			ret = -EPROTO;
			continue;
		}
		if (stop) {
			seq_check(sub, id, r.seq, ops, ctx, true);
			continue;
		}
		stop = seq_check(sub, id, r.seq, ops, ctx, false);
		if (!stop && ops->reading)
			stop = ops->reading(ctx, id, &r);
	}
	return stop ? stop : ret;
}

static int on_event(struct ml_sub *sub, uint8_t cmd, struct nlattr *attrs, int len,
		    const struct ml_sub_ops *ops, void *ctx)
{
	struct ml_event ev = { 0 };
	uint64_t step = 0;
	struct nlattr *a;
	int ret = 0;

	switch (cmd) {
	case METERLINK_CMD_DEV_ADD:
	case METERLINK_CMD_DEV_DEL:
		ev.type = cmd == METERLINK_CMD_DEV_ADD ? ML_EVENT_DEV_ADD : ML_EVENT_DEV_DEL;
		ret = mli_parse_dev(attrs, len, &ev.dev, cmd == METERLINK_CMD_DEV_ADD);
		ev.dev_id = ev.dev.id;
		if (!ret)
			seq_forget(sub, ev.dev_id);
		break;
	case METERLINK_CMD_FAULT:
		ev.type = ML_EVENT_FAULT;
		ret = find_u32(attrs, len, METERLINK_A_DEV_ID, &ev.dev_id);
		if (!ret)
			ret = find_u32(attrs, len, METERLINK_A_FAULT, &ev.fault);
		break;
	case METERLINK_CMD_OVERRUN:
		ev.type = ML_EVENT_OVERRUN;
		a = nla_find(attrs, len, METERLINK_A_OVERRUN_COUNT);
		ret = find_u32(attrs, len, METERLINK_A_DEV_ID, &ev.dev_id);
		if (!ret)
			ret = a ? mli_get_u64(a, &ev.overrun_count) : -EPROTO;
		break;
	case METERLINK_CMD_CLOCK_STEP:
		ev.type = ML_EVENT_CLOCK_STEP;
		/* the device whose record showed the step, if the kernel says */
		find_u32(attrs, len, METERLINK_A_DEV_ID, &ev.dev_id);
		a = nla_find(attrs, len, METERLINK_A_CLOCK_STEP_NS);
		ret = a ? mli_get_u64(a, &step) : -EPROTO;
		ev.clock_step_ns = (int64_t)step;
		break;
	default:
		return 0;	/* newer than this library */
	}
	if (ret)
		return ret;
	return ops->event ? ops->event(ctx, &ev) : 0;
}

int mli_sub_handle(struct ml_sub *sub, struct nlmsghdr *nlh,
		   const struct ml_sub_ops *ops, void *ctx)
{
	struct genlmsghdr *g;
	struct nlattr *attrs;
	int len;

	if (nlh->nlmsg_type != sub->family)
		return 0;	/* NLMSG_NOOP, or not ours */
	attrs = mli_attrs(nlh, &len);
	if (!attrs)
		return -EPROTO;
	g = nlmsg_data(nlh);
	if (g->cmd == METERLINK_CMD_READINGS)
		return on_readings(sub, attrs, len, ops, ctx);
	return on_event(sub, g->cmd, attrs, len, ops, ctx);
}

/* ---- the subscription ---- */

struct ml_sub *mli_sub_alloc(int family)
{
	struct ml_sub *sub = calloc(1, sizeof(*sub));

	if (!sub)
		return NULL;
	sub->family = family;
	sub->buf_len = SUB_BUF_LEN;
	sub->buf = malloc(sub->buf_len);
	if (!sub->buf) {
		free(sub);
		return NULL;
	}
	return sub;
}

void ml_sub_close(struct ml_sub *sub)
{
	if (!sub)
		return;
	if (sub->sk)
		nl_socket_free(sub->sk);
	free(sub->seqs);
	free(sub->buf);
	free(sub);
}

static int join(struct ml *ml, struct ml_sub *sub, uint32_t grp, const char *name)
{
	int fd = nl_socket_get_fd(sub->sk);

	if (!grp) {
		mli_set_msg(ml, "the kernel has no multicast group \"%s\"", name);
		return -EOPNOTSUPP;
	}
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		int err = errno;

		mli_set_msg(ml, "joining multicast group \"%s\": %s%s", name, strerror(err),
			    err == EPERM ? " (needs CAP_NET_ADMIN)" : "");
		return -err;
	}
	return 0;
}

int ml_subscribe(struct ml *ml, unsigned int groups, struct ml_sub **out)
{
	struct ml_sub *sub;
	int ret, one = 1;

	*out = NULL;
	ml->errmsg[0] = 0;
	if (!groups || (groups & ~ML_GROUP_ALL)) {
		mli_set_msg(ml, "no or unknown groups 0x%x", groups);
		return -EINVAL;
	}
	sub = mli_sub_alloc(ml->family);
	if (!sub)
		return -ENOMEM;
	sub->sk = nl_socket_alloc();
	if (!sub->sk) {
		ret = -ENOMEM;
		goto fail;
	}
	nl_socket_disable_seq_check(sub->sk);
	ret = nl_connect(sub->sk, NETLINK_GENERIC);
	if (!ret)
		ret = nl_socket_set_nonblocking(sub->sk);
	if (ret) {
		ret = mli_errno(ret);
		goto fail;
	}
	/*
	 * Without this the kernel never learns that a multicast did not reach
	 * this socket, so it could neither count it (nl_drops) nor announce
	 * it (OVERRUN event).
	 */
	if (setsockopt(nl_socket_get_fd(sub->sk), SOL_NETLINK, NETLINK_BROADCAST_ERROR,
		       &one, sizeof(one)) < 0) {
		ret = -errno;
		goto fail;
	}
	if (groups & ML_GROUP_READINGS) {
		ret = join(ml, sub, ml->readings_grp, METERLINK_MCGRP_READINGS);
		if (ret)
			goto fail;
	}
	if (groups & ML_GROUP_EVENTS) {
		ret = join(ml, sub, ml->events_grp, METERLINK_MCGRP_EVENTS);
		if (ret)
			goto fail;
	}
	*out = sub;
	return 0;
fail:
	ml_sub_close(sub);
	return ret;
}

int ml_sub_fd(const struct ml_sub *sub)
{
	return sub->sk ? nl_socket_get_fd(sub->sk) : -EBADF;
}

int ml_sub_set_rcvbuf(struct ml_sub *sub, size_t bytes)
{
	int fd = ml_sub_fd(sub), v = bytes > INT32_MAX / 2 ? INT32_MAX / 2 : (int)bytes;

	if (fd < 0)
		return fd;
	if (!setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) ? -errno : 0;
}

int ml_sub_dispatch(struct ml_sub *sub, const struct ml_sub_ops *ops, void *ctx)
{
	static const struct ml_sub_ops none;
	int fd = ml_sub_fd(sub), proto = 0, ret, i;
	struct sockaddr_nl from;
	struct nlmsghdr *nlh;
	socklen_t alen;
	ssize_t n;
	int rem;

	if (fd < 0)
		return fd;
	if (!ops)
		ops = &none;
	for (i = 0; i < SUB_BUDGET; i++) {
		alen = sizeof(from);
		n = recvfrom(fd, sub->buf, sub->buf_len, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from, &alen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				mli_sub_drained(sub);
				break;
			}
			if (errno != ENOBUFS)
				return -errno;
			ret = mli_sub_overflow(sub, ops, ctx);
			if (ret)
				return ret;
			continue;
		}
		/* only the kernel speaks for the family; anyone may unicast to us */
		if (from.nl_pid != 0)
			continue;
		if ((size_t)n > sub->buf_len) {
			proto = -EMSGSIZE;
			continue;
		}
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)sub->buf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem)) {
			ret = mli_sub_handle(sub, nlh, ops, ctx);
			if (ret == -EPROTO)
				proto = ret;
			else if (ret)
				return ret;
		}
	}
	return proto;
}
