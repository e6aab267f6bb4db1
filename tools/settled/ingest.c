// SPDX-License-Identifier: GPL-2.0
/*
 * Readings into the spool. Nothing is acknowledged before it is committed:
 * the batch of readings ml_sub_dispatch() delivered is one transaction,
 * and a reading counts as received only after COMMIT returned.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <linux/sock_diag.h>

#include "ingest.h"
#include "log.h"
#include "meterlink.h"

#define METER_TAG "meterlink-meter-v1"

void ingest_meter_key(const uint8_t gw_pub[64], const char *bus_id, uint8_t key[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)METER_TAG, strlen(METER_TAG));
	crypto_generichash_update(&st, gw_pub, 64);
	crypto_generichash_update(&st, (const uint8_t *)bus_id, strlen(bus_id));
	crypto_generichash_final(&st, key, 32);
}

static void forget(struct ingest *in, uint32_t dev)
{
	unsigned int i;

	for (i = 0; i < in->ndevs; i++)
		if (in->devs[i].dev == dev) {
			in->devs[i] = in->devs[--in->ndevs];
			return;
		}
}

static int learn(struct ingest *in, const struct ml_dev *d, int64_t *row)
{
	uint8_t key[32];
	int ret;

	ingest_meter_key(in->gw_pub, d->bus_id, key);
	ret = spool_meter(in->sp, d->bus_id, key, row);
	if (ret)
		return ret;
	forget(in, d->id);
	if (in->ndevs == INGEST_MAX_DEVS)
		return -ENOSPC;
	in->devs[in->ndevs].dev = d->id;
	in->devs[in->ndevs++].row = *row;
	log_debug("meter%u is %s", d->id, d->bus_id);
	return 0;
}

static int row_of(struct ingest *in, uint32_t dev, int64_t *row)
{
	struct ml_dev d;
	unsigned int i;
	int ret;

	for (i = 0; i < in->ndevs; i++)
		if (in->devs[i].dev == dev) {
			*row = in->devs[i].row;
			return 0;
		}
	ret = ml_dev_get(in->ml, dev, &d);
	return ret ? ret : learn(in, &d, row);
}

static void clock_quality(struct clk *c)
{
	struct timex tx = { 0 };

	c->state = adjtimex(&tx);
	c->status = (uint32_t)tx.status;
	c->maxerror_us = tx.maxerror;
	c->esterror_us = tx.esterror;
}

struct batch {
	struct ingest *in;
	struct clk clk;
};

static void note_range(struct ingest *in, uint32_t dev, uint64_t seq)
{
	unsigned int i;

	for (i = 0; i < in->nrange; i++)
		if (in->range[i].dev == dev) {
			in->range[i].last = seq;
			in->range[i].n++;
			return;
		}
	if (in->nrange < INGEST_MAX_DEVS) {
		in->range[in->nrange].dev = dev;
		in->range[in->nrange].first = in->range[in->nrange].last = seq;
		in->range[in->nrange].n = 1;
		in->nrange++;
	}
}

static int on_reading(void *ctx, uint32_t dev, const struct meterlink_reading *r)
{
	struct batch *b = ctx;
	struct ingest *in = b->in;
	int64_t row;
	int ret;

	if (!in->in_tx) {
		ret = spool_begin(in->sp);
		if (ret)
			return ret;
		in->in_tx = 1;
	}
	ret = row_of(in, dev, &row);
	if (ret == -ENODEV || ret == -ENOENT) {
		in->st.dropped++;
		log_warn("meter%u is gone before its first reading was seen; reading %llu dropped",
			 dev, (unsigned long long)r->seq);
		return 0;
	}
	ret = ret ? ret : spool_put_reading(in->sp, row, in->len, r, &b->clk);
	if (ret == -EEXIST)	/* the same record twice: keep one */
		return 0;
	if (!ret) {
		in->st.readings++;
		note_range(in, dev, r->seq);
	}
	return ret;
}

static int on_event(void *ctx, const struct ml_event *ev)
{
	struct batch *b = ctx;
	int64_t row;

	if (ev->type == ML_EVENT_DEV_DEL) {
		forget(b->in, ev->dev_id);
	} else if (ev->type == ML_EVENT_DEV_ADD) {
		int ret = b->in->in_tx ? 0 : spool_begin(b->in->sp);

		if (ret)
			return ret;
		b->in->in_tx = 1;
		return learn(b->in, &ev->dev, &row);
	} else if (ev->type == ML_EVENT_CLOCK_STEP) {
		log_warn("CLOCK_REALTIME stepped by %lld ns (seen on meter%u)",
			 (long long)ev->clock_step_ns, ev->dev_id);
	}
	return 0;
}

static int on_loss(void *ctx, int64_t dev, uint64_t lost, enum ml_loss_kind kind)
{
	struct batch *b = ctx;

	if (kind == ML_LOSS_ENOBUFS && dev < 0) {
		b->in->st.overflows++;
		log_err("receive queue overflowed: raise rcvbuf in settled.conf");
		return 0;
	}
	b->in->st.gaps += lost;
	log_warn("meter%lld: %llu readings lost before they reached settled",
		 (long long)dev, (unsigned long long)lost);
	return 0;
}

static const struct ml_sub_ops ops = {
	.reading = on_reading,
	.event = on_event,
	.loss = on_loss,
};

static void backlog(struct ingest *in)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (!getsockopt(ml_sub_fd(in->sub), SOL_SOCKET, SO_MEMINFO, mem, &len) &&
	    mem[SK_MEMINFO_RMEM_ALLOC] > in->st.max_backlog)
		in->st.max_backlog = mem[SK_MEMINFO_RMEM_ALLOC];
}

int ingest_run(struct ingest *in)
{
	struct batch b = { .in = in };
	int ret, c;

	if (!in->sub)	/* running without meters (meters = optional) */
		return 0;
	clock_quality(&b.clk);
	backlog(in);
	ret = ml_sub_dispatch(in->sub, &ops, &b);
	if (in->in_tx) {
		in->in_tx = 0;
		if (ret && ret != -EPROTO) {
			spool_rollback(in->sp);
			in->nrange = 0;
			return ret;
		}
		c = spool_commit(in->sp);
		if (c) {
			spool_rollback(in->sp);
			in->nrange = 0;
			return c;
		}
		in->st.batches++;
		/* after COMMIT: what this line names is in the spool */
		for (c = 0; c < (int)in->nrange; c++)
			log_debug("stored meter%u seq %llu..%llu (%llu)", in->range[c].dev,
				  (unsigned long long)in->range[c].first,
				  (unsigned long long)in->range[c].last,
				  (unsigned long long)in->range[c].n);
	}
	in->nrange = 0;
	/* -EPROTO: everything parseable was delivered, the rest shows as a gap */
	return ret == -EPROTO ? 0 : ret;
}

int ingest_open(struct ingest *in, struct spool *sp, uint32_t len, const uint8_t gw_pub[64],
		uint32_t rcvbuf, char *err, size_t errlen)
{
	struct ml_dev *devs = NULL;
	size_t n = 0, i;
	int64_t row;
	int ret;

	memset(in, 0, sizeof(*in));
	in->sp = sp;
	in->len = len;
	memcpy(in->gw_pub, gw_pub, 64);
	ret = ml_open(&in->ml);
	if (ret) {
		snprintf(err, errlen, "meterlink netlink family: %s%s", strerror(-ret),
			 ret == -ENOPROTOOPT ? " (is meterlink.ko loaded?)" : "");
		return ret;
	}
	ret = ml_subscribe(in->ml, ML_GROUP_ALL, &in->sub);
	if (ret) {
		snprintf(err, errlen, "joining the readings group: %s%s", strerror(-ret),
			 ret == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		ml_close(in->ml);
		return ret;
	}
	if (ml_sub_set_rcvbuf(in->sub, rcvbuf))
		log_warn("could not set a receive buffer of %u bytes", rcvbuf);
	/* devices present now; later ones come with DEV_ADD */
	if (!ml_dev_list(in->ml, &devs, &n)) {
		for (i = 0; i < n; i++)
			if (learn(in, &devs[i], &row))
				log_warn("meter%u: cannot record it in the spool", devs[i].id);
		free(devs);
	}
	return 0;
}

void ingest_close(struct ingest *in)
{
	if (in->sub)
		ml_sub_close(in->sub);
	if (in->ml)
		ml_close(in->ml);
	in->sub = NULL;
	in->ml = NULL;
}

int ingest_fd(const struct ingest *in)
{
	return in->sub ? ml_sub_fd(in->sub) : -1;
}
