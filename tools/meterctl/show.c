// SPDX-License-Identifier: GPL-2.0
/*
 * meterctl show DEV: one meter's identity and configuration.
 */
#include "meterctl.h"

int cmd_show(struct ctl *c, int argc, char **argv)
{
	struct ml_dev d;
	uint32_t id;
	int ret;

	if (argc != 2)
		return ctl_usage(c, "show takes exactly one DEV");
	if (parse_dev(argv[1], &id))
		return ctl_usage(c, "'%s' is not a device (meterN or N)", argv[1]);
	ret = ctl_open(c);
	if (ret)
		return ret;
	ret = ml_dev_get(c->ml, id, &d);
	if (ret)
		return ctl_fail(c, ret, id);
	if (c->json)
		ctl_print_json(fmt_dev_json(&d));
	else
		fmt_dev_human(stdout, &d);
	return 0;
}
