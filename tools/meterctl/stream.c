// SPDX-License-Identifier: GPL-2.0
/*
 * The subscription loop shared by watch and events.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>

#include "stream.h"

int stream_opts(struct ctl *c, int *argc, char ***argv, uint64_t *count)
{
	int opt;

	*count = 0;
	while ((opt = getopt(*argc, *argv, "+n:")) != -1) {
		if (opt != 'n')
			return ctl_usage(c, "unknown option");
		if (parse_count(optarg, UINT64_MAX, count))
			return ctl_usage(c, "-n takes a count of 1 or more, not '%s'", optarg);
	}
	*argc -= optind - 1;	/* keep argv[0], the command name */
	(*argv)[optind - 1] = (*argv)[0];
	*argv += optind - 1;
	return 0;
}

int stream_run(struct ctl *c, unsigned int groups, const struct ml_sub_ops *ops, void *ctx)
{
	struct ml_sub *sub;
	struct pollfd p;
	int ret;

	ret = ml_subscribe(c->ml, groups, &sub);
	if (ret)
		return ctl_fail(c, ret, CTL_NO_DEV);
	ctl_catch_signals();
	p.fd = ml_sub_fd(sub);
	p.events = POLLIN;
	ret = 0;
	while (!ctl_stop && !ret) {
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		ret = ml_sub_dispatch(sub, ops, ctx);
		if (fflush(stdout))
			ret = ret ? ret : -errno;
	}
	ml_sub_close(sub);
	if (ret == STREAM_DONE || !ret)
		return 0;
	if (ret < 0)
		return ctl_fail(c, ret, CTL_NO_DEV);
	return ret;
}
