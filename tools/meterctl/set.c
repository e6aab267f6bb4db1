// SPDX-License-Identifier: GPL-2.0
/*
 * meterctl set DEV { period DURATION | mode poll|irq | batch COUNT [DURATION] }...
 * Everything given goes in one DEV_SET: the kernel applies all or nothing.
 */
#include <string.h>

#include "meterctl.h"

int cmd_set(struct ctl *c, int argc, char **argv)
{
	struct ml_dev_config cfg = { 0 };
	uint64_t count;
	uint32_t id;
	int i, ret;

	if (argc < 3)
		return ctl_usage(c, "set needs a DEV and something to set");
	if (parse_dev(argv[1], &id))
		return ctl_usage(c, "'%s' is not a device (meterN or N)", argv[1]);
	for (i = 2; i < argc; i++) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return ctl_usage(c, "'%s' needs a value", key);
		if (!strcmp(key, "period")) {
			if (parse_duration(val, &cfg.period_ns))
				return ctl_usage(c, "'%s' is not a duration (e.g. 100ms, 1s, 500us)",
						 val);
			cfg.set |= ML_SET_PERIOD;
		} else if (!strcmp(key, "mode")) {
			if (parse_mode(val, &cfg.mode))
				return ctl_usage(c, "mode is poll or irq, not '%s'", val);
			cfg.set |= ML_SET_MODE;
		} else if (!strcmp(key, "batch")) {
			if (parse_count(val, METERLINK_BATCH_MAX, &count))
				return ctl_usage(c, "batch COUNT is 1..%d, not '%s'",
						 METERLINK_BATCH_MAX, val);
			cfg.batch_count = (uint32_t)count;
			cfg.set |= ML_SET_BATCH_COUNT;
			/* an optional DURATION: only if it parses as one */
			if (i + 2 < argc && !parse_duration(argv[i + 2], &cfg.batch_ns)) {
				cfg.set |= ML_SET_BATCH_NS;
				i++;
			}
		} else {
			return ctl_usage(c, "unknown setting '%s' (period, mode or batch)", key);
		}
		i++;
	}
	ret = ctl_open(c);
	if (ret)
		return ret;
	ret = ml_dev_set(c->ml, id, &cfg);
	return ret ? ctl_fail(c, ret, id) : 0;
}
