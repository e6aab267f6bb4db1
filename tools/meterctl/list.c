// SPDX-License-Identifier: GPL-2.0
/*
 * meterctl list: every meter, one line each (or a JSON array).
 */
#include <stdlib.h>

#include "meterctl.h"

int cmd_list(struct ctl *c, int argc, char **argv)
{
	struct ml_dev *devs;
	size_t n, i;
	json_t *a;
	int ret;

	(void)argv;
	if (argc != 1)
		return ctl_usage(c, "list takes no arguments");
	ret = ctl_open(c);
	if (ret)
		return ret;
	ret = ml_dev_list(c->ml, &devs, &n);
	if (ret)
		return ctl_fail(c, ret, CTL_NO_DEV);
	if (c->json) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, fmt_dev_json(&devs[i]));
		ctl_print_json(a);
	} else {
		if (n)
			fmt_dev_header(stdout);
		for (i = 0; i < n; i++)
			fmt_dev_line(stdout, &devs[i]);
	}
	free(devs);
	return 0;
}
