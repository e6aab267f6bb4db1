// SPDX-License-Identifier: GPL-2.0
/*
 * libmeterlink's loss detection and message parsing, on the host: messages
 * built with libnl are fed to the subscription's handler as if the kernel
 * had multicast them, and an overflow is injected as recvmsg() would
 * report it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <netlink/genl/genl.h>

#include "internal.h"

#define FAMILY	0x2a

struct seen {
	int readings, losses, events;
	uint64_t seqs[64];
	struct { int64_t dev; uint64_t lost; enum ml_loss_kind kind; } loss[16];
	struct ml_event ev[8];
	int stop_after;		/* readings; 0: never */
};

static int on_reading(void *ctx, uint32_t dev, const struct meterlink_reading *r)
{
	struct seen *s = ctx;

	(void)dev;
	s->seqs[s->readings++ % 64] = r->seq;
	return s->stop_after && s->readings == s->stop_after ? 77 : 0;
}

static int on_loss(void *ctx, int64_t dev, uint64_t lost, enum ml_loss_kind kind)
{
	struct seen *s = ctx;

	s->loss[s->losses % 16].dev = dev;
	s->loss[s->losses % 16].lost = lost;
	s->loss[s->losses % 16].kind = kind;
	s->losses++;
	return 0;
}

static int on_event(void *ctx, const struct ml_event *ev)
{
	struct seen *s = ctx;

	s->ev[s->events++ % 8] = *ev;
	return 0;
}

static const struct ml_sub_ops ops = {
	.reading = on_reading, .loss = on_loss, .event = on_event,
};

static struct nl_msg *msg_new(uint8_t cmd, int family)
{
	struct nl_msg *m = nlmsg_alloc_size(65536);

	assert_non_null(m);
	assert_non_null(genlmsg_put(m, 0, 0, family, 0, 0, cmd, 1));
	return m;
}

/* A readings message of @dev with records @first..@first+@n-1. */
static int feed(struct ml_sub *sub, struct seen *s, uint32_t dev, uint64_t first, int n)
{
	struct nl_msg *m = msg_new(METERLINK_CMD_READINGS, FAMILY);
	struct meterlink_reading r = {
		.version = METERLINK_READING_VERSION, .size = sizeof(r), .nr_phases = 1,
	};
	int i, ret;

	nla_put_u32(m, METERLINK_A_DEV_ID, dev);
	for (i = 0; i < n; i++) {
		r.seq = first + i;
		assert_int_equal(nla_put(m, METERLINK_A_READING, sizeof(r), &r), 0);
	}
	ret = mli_sub_handle(sub, nlmsg_hdr(m), &ops, s);
	nlmsg_free(m);
	return ret;
}

static int setup(void **state)
{
	*state = mli_sub_alloc(FAMILY);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	ml_sub_close(*state);
	return 0;
}

static void first_record_of_a_device_is_not_a_loss(void **state)
{
	struct seen s = { 0 };

	assert_int_equal(feed(*state, &s, 0, 1000, 3), 0);
	assert_int_equal(feed(*state, &s, 0, 1003, 1), 0);
	assert_int_equal(s.readings, 4);
	assert_int_equal(s.losses, 0);
	assert_true(s.seqs[0] == 1000 && s.seqs[3] == 1003);
}

static void seq_gap_reports_the_exact_count_as_gap(void **state)
{
	struct seen s = { 0 };

	feed(*state, &s, 0, 0, 2);
	feed(*state, &s, 1, 0, 2);	/* another device does not interfere */
	feed(*state, &s, 0, 5, 1);
	assert_int_equal(s.losses, 1);
	assert_true(s.loss[0].dev == 0 && s.loss[0].lost == 3);
	assert_int_equal(s.loss[0].kind, ML_LOSS_GAP);
}

static void overflow_is_reported_then_counted_per_device(void **state)
{
	struct seen s = { 0 };

	feed(*state, &s, 0, 0, 2);
	feed(*state, &s, 1, 10, 1);
	assert_int_equal(mli_sub_overflow(*state, &ops, &s), 0);
	assert_int_equal(s.losses, 1);
	assert_true(s.loss[0].dev == -1 && s.loss[0].lost == 0);
	assert_int_equal(s.loss[0].kind, ML_LOSS_ENOBUFS);
	feed(*state, &s, 0, 2, 2);	/* queued before the drop */
	assert_int_equal(s.losses, 1);
	mli_sub_drained(*state);
	feed(*state, &s, 0, 7, 1);	/* after it: lost 4..6 */
	feed(*state, &s, 1, 11, 1);	/* lost nothing */
	feed(*state, &s, 2, 50, 1);	/* new since: nothing to compare */
	assert_int_equal(s.losses, 2);
	assert_true(s.loss[1].dev == 0 && s.loss[1].lost == 3);
	assert_int_equal(s.loss[1].kind, ML_LOSS_ENOBUFS);
	/* resynchronised: the next jump is an ordinary gap again */
	feed(*state, &s, 0, 9, 1);
	assert_int_equal(s.losses, 3);
	assert_true(s.loss[2].dev == 0 && s.loss[2].lost == 1);
	assert_int_equal(s.loss[2].kind, ML_LOSS_GAP);
	assert_int_equal(s.readings, 9);
}

static void seq_going_back_resets_without_a_loss(void **state)
{
	struct seen s = { 0 };

	feed(*state, &s, 0, 50, 2);
	feed(*state, &s, 0, 0, 2);	/* the device was re-created */
	assert_int_equal(s.losses, 0);
	feed(*state, &s, 0, 3, 1);
	assert_int_equal(s.losses, 1);
	assert_true(s.loss[0].lost == 1);
}

static void dev_del_forgets_the_device(void **state)
{
	struct seen s = { 0 };
	struct nl_msg *m;

	feed(*state, &s, 4, 5, 1);
	m = msg_new(METERLINK_CMD_DEV_DEL, FAMILY);
	nla_put_u32(m, METERLINK_A_DEV_ID, 4);
	nla_put_string(m, METERLINK_A_DEV_NAME, "meter4");
	assert_int_equal(mli_sub_handle(*state, nlmsg_hdr(m), &ops, &s), 0);
	nlmsg_free(m);
	assert_int_equal(s.events, 1);
	assert_int_equal(s.ev[0].type, ML_EVENT_DEV_DEL);
	assert_int_equal(s.ev[0].dev_id, 4);
	assert_string_equal(s.ev[0].dev.name, "meter4");
	feed(*state, &s, 4, 100, 1);
	assert_int_equal(s.losses, 0);
}

static void stopping_mid_message_loses_nothing_later(void **state)
{
	struct seen s = { .stop_after = 2 };

	assert_int_equal(feed(*state, &s, 0, 0, 4), 77);
	assert_int_equal(s.readings, 2);
	s.stop_after = 0;
	assert_int_equal(feed(*state, &s, 0, 4, 1), 0);
	assert_int_equal(s.losses, 0);
	assert_true(s.seqs[2] == 4);
}

static void malformed_records_are_skipped_with_eproto(void **state)
{
	struct meterlink_reading r = {
		.version = METERLINK_READING_VERSION, .size = sizeof(r), .seq = 0,
	};
	struct seen s = { 0 };
	struct nl_msg *m = msg_new(METERLINK_CMD_READINGS, FAMILY);

	nla_put_u32(m, METERLINK_A_DEV_ID, 0);
	nla_put(m, METERLINK_A_READING, sizeof(r), &r);
	nla_put(m, METERLINK_A_READING, sizeof(r) - 8, &r);	/* short */
	r.seq = 1;
	r.version = 2;						/* unknown */
	nla_put(m, METERLINK_A_READING, sizeof(r), &r);
	r.version = 1;
	r.seq = 2;
	nla_put(m, METERLINK_A_READING, sizeof(r), &r);
	assert_int_equal(mli_sub_handle(*state, nlmsg_hdr(m), &ops, &s), -EPROTO);
	nlmsg_free(m);
	assert_int_equal(s.readings, 2);
	assert_int_equal(s.losses, 1);		/* seq 1 was not delivered */

	m = msg_new(METERLINK_CMD_READINGS, FAMILY);	/* no device id */
	nla_put(m, METERLINK_A_READING, sizeof(r), &r);
	assert_int_equal(mli_sub_handle(*state, nlmsg_hdr(m), &ops, &s), -EPROTO);
	nlmsg_free(m);
}

static void events_are_parsed(void **state)
{
	struct seen s = { 0 };
	struct nl_msg *m;

	m = msg_new(METERLINK_CMD_FAULT, FAMILY);
	nla_put_u32(m, METERLINK_A_DEV_ID, 2);
	nla_put_u32(m, METERLINK_A_FAULT, METERLINK_FAULT_IRQ_LOST);
	assert_int_equal(mli_sub_handle(*state, nlmsg_hdr(m), &ops, &s), 0);
	nlmsg_free(m);
	m = msg_new(METERLINK_CMD_OVERRUN, FAMILY);
	nla_put_u32(m, METERLINK_A_DEV_ID, 2);
	nla_put_u64(m, METERLINK_A_OVERRUN_COUNT, 1ULL << 40);
	assert_int_equal(mli_sub_handle(*state, nlmsg_hdr(m), &ops, &s), 0);
	nlmsg_free(m);
	m = msg_new(METERLINK_CMD_CLOCK_STEP, FAMILY);
	nla_put_s64(m, METERLINK_A_CLOCK_STEP_NS, -3600000000000LL);
	assert_int_equal(mli_sub_handle(*state, nlmsg_hdr(m), &ops, &s), 0);
	nlmsg_free(m);
	m = msg_new(METERLINK_CMD_DEV_ADD, FAMILY);	/* incomplete */
	nla_put_u32(m, METERLINK_A_DEV_ID, 3);
	assert_int_equal(mli_sub_handle(*state, nlmsg_hdr(m), &ops, &s), -EPROTO);
	nlmsg_free(m);
	m = msg_new(METERLINK_CMD_FAULT, FAMILY + 1);	/* another family */
	assert_int_equal(mli_sub_handle(*state, nlmsg_hdr(m), &ops, &s), 0);
	nlmsg_free(m);

	assert_int_equal(s.events, 3);
	assert_int_equal(s.ev[0].type, ML_EVENT_FAULT);
	assert_int_equal(s.ev[0].fault, METERLINK_FAULT_IRQ_LOST);
	assert_int_equal(s.ev[1].type, ML_EVENT_OVERRUN);
	assert_true(s.ev[1].overrun_count == 1ULL << 40);
	assert_int_equal(s.ev[2].type, ML_EVENT_CLOCK_STEP);
	assert_true(s.ev[2].clock_step_ns == -3600000000000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(first_record_of_a_device_is_not_a_loss),
		T(seq_gap_reports_the_exact_count_as_gap),
		T(overflow_is_reported_then_counted_per_device),
		T(seq_going_back_resets_without_a_loss),
		T(dev_del_forgets_the_device),
		T(stopping_mid_message_loses_nothing_later),
		T(malformed_records_are_skipped_with_eproto),
		T(events_are_parsed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
