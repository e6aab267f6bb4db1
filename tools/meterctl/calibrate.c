// SPDX-License-Identifier: GPL-2.0
/*
 * meterctl calibrate DEV show
 * meterctl calibrate DEV [phase N] { voltage | current | power } PPM ...
 *
 * Gains not named keep their value: read, change, write back. "phase N"
 * narrows what follows to one phase; without it a gain applies to all.
 */
#include <string.h>

#include "meterctl.h"

#define ALL_PHASES	-1

struct change {
	int phase;		/* ALL_PHASES or 0.. */
	int quantity;		/* 0 voltage, 1 current, 2 power */
	int32_t ppm;
};

static int32_t *gain(struct meterlink_phase_calib *pc, int quantity)
{
	return quantity == 0 ? &pc->voltage_ppm :
	       quantity == 1 ? &pc->current_ppm : &pc->power_ppm;
}

static int show(struct ctl *c, uint32_t id)
{
	struct meterlink_calibration cal;
	int ret;

	ret = ctl_open(c);
	if (ret)
		return ret;
	ret = ml_calib_get(c->ml, id, &cal);
	if (ret)
		return ctl_fail(c, ret, id);
	if (c->json)
		ctl_print_json(fmt_calib_json(id, &cal));
	else
		fmt_calib_human(stdout, id, &cal);
	return 0;
}

int cmd_calibrate(struct ctl *c, int argc, char **argv)
{
	static const char *const quantities[] = { "voltage", "current", "power" };
	struct change ch[32];
	struct meterlink_calibration cal;
	int nr = 0, phase = ALL_PHASES, i, q, p, ret;
	uint64_t n;
	uint32_t id;

	if (argc < 3)
		return ctl_usage(c, "calibrate needs a DEV and 'show' or gains to set");
	if (parse_dev(argv[1], &id))
		return ctl_usage(c, "'%s' is not a device (meterN or N)", argv[1]);
	if (!strcmp(argv[2], "show")) {
		if (argc != 3)
			return ctl_usage(c, "'show' takes no arguments");
		return show(c, id);
	}
	/* the whole command line first, so a typo never half-applies */
	for (i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			return ctl_usage(c, "'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "phase")) {
			if (parse_index(argv[i + 1], METERLINK_MAX_PHASES - 1, &n))
				return ctl_usage(c, "phase is 0..%d, not '%s'",
						 METERLINK_MAX_PHASES - 1, argv[i + 1]);
			phase = (int)n;
			continue;
		}
		for (q = 0; q < 3; q++)
			if (!strcmp(argv[i], quantities[q]))
				break;
		if (q == 3)
			return ctl_usage(c, "unknown gain '%s' (voltage, current or power)",
					 argv[i]);
		if (nr == (int)(sizeof(ch) / sizeof(ch[0])))
			return ctl_usage(c, "too many gains");
		if (parse_ppm(argv[i + 1], &ch[nr].ppm))
			return ctl_usage(c, "'%s' is not a gain in ppm (e.g. -150 or 2000ppm)",
					 argv[i + 1]);
		ch[nr].phase = phase;
		ch[nr].quantity = q;
		nr++;
	}
	if (!nr)
		return ctl_usage(c, "no gain to set (voltage, current or power PPM)");

	ret = ctl_open(c);
	if (ret)
		return ret;
	ret = ml_calib_get(c->ml, id, &cal);
	if (ret)
		return ctl_fail(c, ret, id);
	for (i = 0; i < nr; i++) {
		if (ch[i].phase != ALL_PHASES && ch[i].phase >= (int)cal.nr_phases)
			return ctl_usage(c, "meter%u has %u phases (0..%u), no phase %d", id,
					 cal.nr_phases, cal.nr_phases - 1, ch[i].phase);
		for (p = 0; p < (int)cal.nr_phases; p++)
			if (ch[i].phase == ALL_PHASES || ch[i].phase == p)
				*gain(&cal.phase[p], ch[i].quantity) = ch[i].ppm;
	}
	ret = ml_calib_set(c->ml, id, &cal);
	return ret ? ctl_fail(c, ret, id) : 0;
}
