// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The readings a device's ring still holds: the READINGS dump. A collector
 * that was away (restarted, or behind a full socket) fetches the records
 * after the last one it kept, then goes on with its subscription.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

struct history {
	struct ml *ml;
	uint32_t id;
	uint64_t next;		/* lowest seq still acceptable */
	int (*fn)(void *ctx, const struct meterlink_reading *r);
	void *ctx;
	int stop;		/* @fn's non-zero value */
};

static int parse(struct nlmsghdr *nlh, void *arg)
{
	struct history *h = arg;
	struct meterlink_reading r;
	struct nlattr *attrs, *a;
	int len, rem;
	uint32_t id;

	attrs = mli_attrs(nlh, &len);
	a = attrs ? nla_find(attrs, len, METERLINK_A_DEV_ID) : NULL;
	if (!a || mli_get_u32(a, &id) || id != h->id) {
		mli_set_msg(h->ml, "readings of device %u: reply without its id", h->id);
		return -EPROTO;
	}
	nla_for_each_attr(a, attrs, len, rem) {
		if (nla_type(a) != METERLINK_A_READING)
			continue;
		if (nla_len(a) != (int)sizeof(r)) {
			mli_set_msg(h->ml, "a reading of %d bytes, expected %zu",
				    nla_len(a), sizeof(r));
			return -EPROTO;
		}
		memcpy(&r, nla_data(a), sizeof(r));	/* attributes are 4-aligned */
		if (r.version != METERLINK_READING_VERSION || r.size != sizeof(r) ||
		    r.nr_phases > METERLINK_MAX_PHASES || r.seq < h->next) {
			mli_set_msg(h->ml, "a malformed or out-of-order reading (seq %llu)",
				    (unsigned long long)r.seq);
			return -EPROTO;
		}
		h->next = r.seq + 1;
		h->stop = h->fn(h->ctx, &r);
		if (h->stop)
			return -ECANCELED;
	}
	return 0;
}

int ml_readings_get(struct ml *ml, uint32_t id, uint64_t from_seq,
		    int (*fn)(void *ctx, const struct meterlink_reading *r), void *ctx)
{
	struct history h = { .ml = ml, .id = id, .next = from_seq, .fn = fn, .ctx = ctx };
	struct nl_msg *msg;
	int ret;

	if (!fn)
		return -EINVAL;
	msg = mli_msg(ml, METERLINK_CMD_READINGS, NLM_F_DUMP);
	if (!msg || nla_put_u32(msg, METERLINK_A_DEV_ID, id) < 0 ||
	    nla_put_u64(msg, METERLINK_A_SEQ, from_seq) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = mli_request(ml, msg, parse, &h);
	return ret == -ECANCELED && h.stop ? h.stop : ret;
}
