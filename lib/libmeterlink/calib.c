// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Calibration: METERLINK_A_CALIB, one METERLINK_A_CALIB_PHASE nest per
 * phase, each with its index and three gains in ppm.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int parse_phase(struct nlattr *nest, struct meterlink_calibration *cal)
{
	struct meterlink_phase_calib pc = { 0 };
	uint32_t idx = UINT32_MAX, v;
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) > METERLINK_A_CALIB_POWER_PPM)
			continue;
		if (mli_get_u32(a, &v))
			return -EPROTO;
		switch (nla_type(a)) {
		case METERLINK_A_CALIB_PHASE_INDEX:
			idx = v;
			break;
		case METERLINK_A_CALIB_VOLTAGE_PPM:
			pc.voltage_ppm = (int32_t)v;
			break;
		case METERLINK_A_CALIB_CURRENT_PPM:
			pc.current_ppm = (int32_t)v;
			break;
		case METERLINK_A_CALIB_POWER_PPM:
			pc.power_ppm = (int32_t)v;
			break;
		}
	}
	/* phases come in order, and each exactly once */
	if (idx != cal->nr_phases || idx >= METERLINK_MAX_PHASES)
		return -EPROTO;
	cal->phase[idx] = pc;
	cal->nr_phases++;
	return 0;
}

static int parse_calib(struct nlmsghdr *nlh, void *arg)
{
	struct meterlink_calibration *cal = arg;
	struct nlattr *attrs, *a, *p;
	int len, rem, prem, ret;
	bool found = false;

	attrs = mli_attrs(nlh, &len);
	if (!attrs)
		return -EPROTO;
	nla_for_each_attr(a, attrs, len, rem) {
		if (nla_type(a) != METERLINK_A_CALIB)
			continue;
		found = true;
		nla_for_each_nested(p, a, prem) {
			if (nla_type(p) != METERLINK_A_CALIB_PHASE)
				continue;
			ret = parse_phase(p, cal);
			if (ret)
				return ret;
		}
	}
	return found && cal->nr_phases ? 0 : -EPROTO;
}

int ml_calib_get(struct ml *ml, uint32_t id, struct meterlink_calibration *cal)
{
	struct meterlink_calibration c = { 0 };
	struct nl_msg *msg;
	int ret;

	msg = mli_msg(ml, METERLINK_CMD_CALIB_GET, 0);
	if (!msg || nla_put_u32(msg, METERLINK_A_DEV_ID, id) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = mli_request(ml, msg, parse_calib, &c);
	if (ret == -EPROTO && !ml->errmsg[0])
		mli_set_msg(ml, "malformed calibration reply");
	if (ret)
		return ret;
	*cal = c;
	return 0;
}

int ml_calib_set(struct ml *ml, uint32_t id, const struct meterlink_calibration *cal)
{
	struct nlattr *nest, *phase;
	struct nl_msg *msg;
	uint32_t i;

	if (!cal->nr_phases || cal->nr_phases > METERLINK_MAX_PHASES) {
		mli_set_msg(ml, "nr_phases %u is not 1..%d", cal->nr_phases,
			    METERLINK_MAX_PHASES);
		return -EINVAL;
	}
	msg = mli_msg(ml, METERLINK_CMD_CALIB_SET, 0);
	if (!msg || nla_put_u32(msg, METERLINK_A_DEV_ID, id) < 0)
		goto nomem;
	nest = nla_nest_start(msg, METERLINK_A_CALIB);
	if (!nest)
		goto nomem;
	for (i = 0; i < cal->nr_phases; i++) {
		const struct meterlink_phase_calib *pc = &cal->phase[i];

		phase = nla_nest_start(msg, METERLINK_A_CALIB_PHASE);
		if (!phase ||
		    nla_put_u32(msg, METERLINK_A_CALIB_PHASE_INDEX, i) < 0 ||
		    nla_put_s32(msg, METERLINK_A_CALIB_VOLTAGE_PPM, pc->voltage_ppm) < 0 ||
		    nla_put_s32(msg, METERLINK_A_CALIB_CURRENT_PPM, pc->current_ppm) < 0 ||
		    nla_put_s32(msg, METERLINK_A_CALIB_POWER_PPM, pc->power_ppm) < 0)
			goto nomem;
		nla_nest_end(msg, phase);
	}
	nla_nest_end(msg, nest);
	return mli_request(ml, msg, NULL, NULL);
nomem:
	nlmsg_free(msg);
	return -ENOMEM;
}
