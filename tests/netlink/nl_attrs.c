// SPDX-License-Identifier: GPL-2.0
/*
 * nl_attrs: requests the meterlink family must refuse, and how.
 *
 *   nl_attrs malformed ADE_ID ATM_ID   malformed, unknown, wrong-type and
 *                                      out-of-range attributes: EINVAL (or
 *                                      ERANGE, the netlink core's errno for
 *                                      a policy range) with an extack message,
 *                                      and nothing applied
 *   nl_attrs unpriv ID                 (run without CAP_NET_ADMIN) DEV_SET,
 *                                      CALIB_SET and joining "readings" are
 *                                      EPERM; reading and "events" are not
 *
 * Built on libmeterlink's internal request helper, so every reply is
 * checked for its errno and the kernel's message. Prints "PASS ..." or
 * "FAIL ..." lines for tests/netlink/run.sh; exits 1 if any failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include "internal.h"

static int failed;

static void result(bool ok, const char *what, int ret, const char *msg)
{
	printf("%s %s (got %d %s, \"%s\")\n", ok ? "PASS" : "FAIL", what, ret,
	       ret ? strerror(-ret) : "ok", msg);
	failed |= !ok;
}

/* Sends @msg and expects one of two errnos and a non-empty extack message. */
static void refused(struct ml *ml, struct nl_msg *msg, int e1, int e2,
		    const char *want_msg, const char *what)
{
	int ret = mli_request(ml, msg, NULL, NULL);
	const char *m = ml_last_error_msg(ml);

	result((ret == -e1 || ret == -e2) && *m && (!want_msg || strstr(m, want_msg)),
	       what, ret, m);
}

static struct nl_msg *req(struct ml *ml, uint8_t cmd, uint32_t id)
{
	struct nl_msg *m = mli_msg(ml, cmd, 0);

	if (!m || (id != UINT32_MAX && nla_put_u32(m, METERLINK_A_DEV_ID, id))) {
		fprintf(stderr, "nl_attrs: out of memory\n");
		exit(2);
	}
	return m;
}

/* A CALIB_SET with one phase nest: index @idx, voltage @ppm. */
static struct nl_msg *calib(struct ml *ml, uint32_t id, uint32_t idx, int32_t ppm)
{
	struct nl_msg *m = req(ml, METERLINK_CMD_CALIB_SET, id);
	struct nlattr *c = nla_nest_start(m, METERLINK_A_CALIB);
	struct nlattr *p = nla_nest_start(m, METERLINK_A_CALIB_PHASE);

	nla_put_u32(m, METERLINK_A_CALIB_PHASE_INDEX, idx);
	nla_put_s32(m, METERLINK_A_CALIB_VOLTAGE_PPM, ppm);
	nla_nest_end(m, p);
	nla_nest_end(m, c);
	return m;
}

static int malformed(struct ml *ml, uint32_t ade, uint32_t atm)
{
	struct meterlink_calibration cal0, cal1;
	struct ml_dev before, after;
	struct nl_msg *m;
	uint16_t u16 = 1;
	int ret;

	if (ml_dev_get(ml, ade, &before) || ml_calib_get(ml, ade, &cal0)) {
		printf("FAIL cannot read meter%u\n", ade);
		return 1;
	}

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u64(m, METERLINK_A_DEV_PERIOD_NS, 0);
	refused(ml, m, EINVAL, ERANGE, NULL, "period 0 (below 1 ms) is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u64(m, METERLINK_A_DEV_PERIOD_NS, 3600ULL * 1000000000ULL);
	refused(ml, m, EINVAL, ERANGE, NULL, "period 1 h is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u64(m, METERLINK_A_DEV_PERIOD_NS, before.max_period_ns + 1000000);
	refused(ml, m, EINVAL, EINVAL, "maximum", "period above the chip's maximum is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u32(m, METERLINK_A_DEV_MODE, 2);
	refused(ml, m, EINVAL, ERANGE, NULL, "mode 2 is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u32(m, METERLINK_A_DEV_BATCH_COUNT, 0);
	refused(ml, m, EINVAL, ERANGE, NULL, "batch count 0 is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u32(m, METERLINK_A_DEV_BATCH_COUNT, METERLINK_BATCH_MAX + 1);
	refused(ml, m, EINVAL, ERANGE, NULL, "batch count 65 is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u64(m, METERLINK_A_DEV_BATCH_NS, 999999);
	refused(ml, m, EINVAL, ERANGE, NULL, "batch time below 1 ms is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u64(m, METERLINK_A_DEV_BATCH_NS, 10000000001ULL);
	refused(ml, m, EINVAL, ERANGE, NULL, "batch time above 10 s is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u32(m, METERLINK_A_MAX + 5, 1);
	refused(ml, m, EINVAL, EINVAL, NULL, "an unknown attribute type is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_string(m, METERLINK_A_DEV_NAME, "meter9");
	refused(ml, m, EINVAL, EINVAL, NULL, "an attribute DEV_SET does not take is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, UINT32_MAX);
	nla_put(m, METERLINK_A_DEV_ID, sizeof(u16), &u16);
	refused(ml, m, EINVAL, ERANGE, NULL, "a u16 where a u32 belongs is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, ade);
	nla_put_u32(m, METERLINK_A_DEV_PERIOD_NS, 100000000);
	refused(ml, m, EINVAL, ERANGE, NULL, "a u32 where a u64 belongs is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, UINT32_MAX);
	nla_put_u64(m, METERLINK_A_DEV_PERIOD_NS, 100000000);
	refused(ml, m, EINVAL, EINVAL, NULL, "DEV_SET without a device id is refused");

	m = req(ml, METERLINK_CMD_DEV_SET, 4000000);
	nla_put_u64(m, METERLINK_A_DEV_PERIOD_NS, 100000000);
	refused(ml, m, ENODEV, ENOENT, NULL, "DEV_SET of a missing device is ENODEV");

	/* all or nothing: a good period with an impossible mode changes nothing */
	m = req(ml, METERLINK_CMD_DEV_SET, atm);
	nla_put_u64(m, METERLINK_A_DEV_PERIOD_NS, 70000000);
	nla_put_u32(m, METERLINK_A_DEV_MODE, METERLINK_MODE_IRQ);
	refused(ml, m, EOPNOTSUPP, EOPNOTSUPP, "interrupt",
		"IRQ mode without an IRQ is EOPNOTSUPP");
	ret = ml_dev_get(ml, atm, &after);
	result(!ret && after.period_ns != 70000000, "and the period in that request was not applied",
	       ret, "");

	refused(ml, calib(ml, ade, 7, 100), EINVAL, ERANGE, NULL, "calibration phase index 7 is refused");
	refused(ml, calib(ml, ade, 2, 100), EINVAL, EINVAL, "phase",
		"phase 2 of a two-phase meter is refused");
	refused(ml, calib(ml, ade, 0, METERLINK_CALIB_MAX_PPM + 1), EINVAL, ERANGE, NULL,
		"a gain of 200001 ppm is refused");
	refused(ml, calib(ml, ade, 0, -METERLINK_CALIB_MAX_PPM - 1), EINVAL, ERANGE, NULL,
		"a gain of -200001 ppm is refused");

	m = req(ml, METERLINK_CMD_CALIB_SET, ade);
	refused(ml, m, EINVAL, EINVAL, NULL, "CALIB_SET without a calibration is refused");

	m = req(ml, METERLINK_CMD_CALIB_SET, ade);
	{
		struct nlattr *c = nla_nest_start(m, METERLINK_A_CALIB);
		struct nlattr *p = nla_nest_start(m, METERLINK_A_CALIB_PHASE);

		nla_put_s32(m, METERLINK_A_CALIB_VOLTAGE_PPM, 5);
		nla_nest_end(m, p);
		nla_nest_end(m, c);
	}
	refused(ml, m, EINVAL, EINVAL, NULL, "a calibration phase without an index is refused");

	m = req(ml, METERLINK_CMD_CALIB_SET, ade);
	{
		struct nlattr *c = nla_nest_start(m, METERLINK_A_CALIB);
		struct nlattr *p = nla_nest_start(m, METERLINK_A_CALIB_PHASE);

		nla_put_u32(m, METERLINK_A_CALIB_PHASE_INDEX, 0);
		nla_put_u32(m, METERLINK_A_CALIB_POWER_PPM + 3, 5);
		nla_nest_end(m, p);
		nla_nest_end(m, c);
	}
	refused(ml, m, EINVAL, EINVAL, NULL, "an unknown attribute inside a phase is refused");

	ret = ml_calib_get(ml, ade, &cal1);
	result(!ret && !memcmp(&cal0, &cal1, sizeof(cal0)),
	       "no refused request changed the calibration", ret, "");
	ret = ml_dev_get(ml, ade, &after);
	result(!ret && after.period_ns == before.period_ns && after.mode == before.mode &&
	       after.batch_count == before.batch_count && after.batch_ns == before.batch_ns,
	       "no refused request changed the configuration", ret, "");
	return failed;
}

static int unpriv(struct ml *ml, uint32_t id)
{
	struct ml_dev_config cfg = { .set = ML_SET_PERIOD, .period_ns = 200000000 };
	struct meterlink_calibration cal;
	struct ml_dev *devs;
	struct ml_sub *sub;
	struct ml_dev d;
	size_t n;
	int ret;

	ret = ml_dev_set(ml, id, &cfg);
	result(ret == -EPERM, "DEV_SET without CAP_NET_ADMIN is EPERM", ret, ml_last_error_msg(ml));
	ret = ml_calib_get(ml, id, &cal);
	result(!ret, "CALIB_GET without CAP_NET_ADMIN works", ret, ml_last_error_msg(ml));
	if (!ret) {
		ret = ml_calib_set(ml, id, &cal);
		result(ret == -EPERM, "CALIB_SET without CAP_NET_ADMIN is EPERM", ret,
		       ml_last_error_msg(ml));
	}
	ret = ml_subscribe(ml, ML_GROUP_READINGS, &sub);
	result(ret == -EPERM, "joining \"readings\" without CAP_NET_ADMIN is EPERM", ret,
	       ml_last_error_msg(ml));
	if (!ret)
		ml_sub_close(sub);
	ret = ml_subscribe(ml, ML_GROUP_EVENTS, &sub);
	result(!ret, "joining \"events\" without CAP_NET_ADMIN works", ret, ml_last_error_msg(ml));
	if (!ret)
		ml_sub_close(sub);
	ret = ml_dev_get(ml, id, &d);
	result(!ret, "DEV_GET without CAP_NET_ADMIN works", ret, ml_last_error_msg(ml));
	ret = ml_dev_list(ml, &devs, &n);
	result(!ret && n >= 1, "the DEV_GET dump without CAP_NET_ADMIN works", ret,
	       ml_last_error_msg(ml));
	if (!ret)
		free(devs);
	return failed;
}

int main(int argc, char **argv)
{
	struct ml *ml;
	int ret;

	if (argc < 3 || (strcmp(argv[1], "malformed") && strcmp(argv[1], "unpriv")) ||
	    (!strcmp(argv[1], "malformed") && argc != 4)) {
		fprintf(stderr, "usage: nl_attrs malformed ADE_ID ATM_ID | unpriv ID\n");
		return 2;
	}
	ret = ml_open(&ml);
	if (ret) {
		printf("FAIL ml_open: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[1], "malformed"))
		ret = malformed(ml, strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	else
		ret = unpriv(ml, strtoul(argv[2], NULL, 0));
	ml_close(ml);
	return ret ? 1 : 0;
}
