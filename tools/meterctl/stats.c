// SPDX-License-Identifier: GPL-2.0
/*
 * meterctl stats [DEV]: the counters of one meter or of all.
 */
#include <stdlib.h>

#include "meterctl.h"

int cmd_stats(struct ctl *c, int argc, char **argv)
{
	struct ml_stats one, *st = &one;
	uint32_t id = CTL_NO_DEV;
	size_t n = 1, i;
	json_t *a;
	int ret;

	if (argc > 2)
		return ctl_usage(c, "stats takes at most one DEV");
	if (argc == 2 && parse_dev(argv[1], &id))
		return ctl_usage(c, "'%s' is not a device (meterN or N)", argv[1]);
	ret = ctl_open(c);
	if (ret)
		return ret;
	if (id != CTL_NO_DEV)
		ret = ml_stats_get(c->ml, id, &one);
	else
		ret = ml_stats_list(c->ml, &st, &n);
	if (ret)
		return ctl_fail(c, ret, id);
	if (c->json && id != CTL_NO_DEV) {
		ctl_print_json(fmt_stats_json(&one));
	} else if (c->json) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, fmt_stats_json(&st[i]));
		ctl_print_json(a);
	} else {
		for (i = 0; i < n; i++)
			fmt_stats_human(stdout, &st[i]);
	}
	if (st != &one)
		free(st);
	return 0;
}
