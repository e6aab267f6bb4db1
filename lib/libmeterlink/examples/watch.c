// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The smallest useful libmeterlink program: print the active power of
 * phase 0 of every reading of every meter, and every loss.
 *
 *   cc -o watch watch.c $(pkg-config --cflags --libs meterlink)
 *
 * Needs CAP_NET_ADMIN (the "readings" group). Stops after 10 readings.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <meterlink.h>

static int on_reading(void *ctx, uint32_t dev_id, const struct meterlink_reading *r)
{
	int *left = ctx;

	printf("meter%" PRIu32 " seq %" PRIu64 ": %" PRId64 " mW\n", dev_id, (uint64_t)r->seq,
	       (int64_t)r->phase[0].active_mw);
	return --*left > 0 ? 0 : 1;	/* non-zero stops ml_sub_dispatch() */
}

static int on_loss(void *ctx, int64_t dev_id, uint64_t lost, enum ml_loss_kind kind)
{
	(void)ctx;
	fprintf(stderr, "device %" PRId64 ": %" PRIu64 " readings lost (%s)\n", dev_id,
		lost, kind == ML_LOSS_GAP ? "gap" : "socket overflow");
	return 0;
}

int main(void)
{
	const struct ml_sub_ops ops = { .reading = on_reading, .loss = on_loss };
	struct ml_sub *sub;
	struct ml *ml;
	int left = 10, ret;

	ret = ml_open(&ml);
	if (ret) {
		fprintf(stderr, "ml_open: %s\n", strerror(-ret));
		return 1;
	}
	ret = ml_subscribe(ml, ML_GROUP_READINGS, &sub);
	if (ret) {
		fprintf(stderr, "ml_subscribe: %s (%s)\n", strerror(-ret), ml_last_error_msg(ml));
		ml_close(ml);
		return 1;
	}
	ml_close(ml);	/* the subscription does not need it */
	while (ret == 0) {
		struct pollfd p = { .fd = ml_sub_fd(sub), .events = POLLIN };

		if (poll(&p, 1, -1) < 0)
			break;
		ret = ml_sub_dispatch(sub, &ops, &left);
	}
	ml_sub_close(sub);
	return ret < 0 ? 1 : 0;
}
