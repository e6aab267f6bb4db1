// SPDX-License-Identifier: GPL-2.0
/*
 * meterctl: see and configure meters through the meterlink generic netlink
 * family. This file: global options, the dispatch table, and turning a
 * library error into one line and an exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "meterctl.h"

static const struct ctl_cmd cmds[] = {
	{ "list", cmd_list, "" },
	{ "show", cmd_show, "DEV" },
	{ "watch", cmd_watch, "[-n COUNT] DEV..." },
	{ "set", cmd_set, "DEV { period DURATION | mode poll|irq | batch COUNT [DURATION] }..." },
	{ "calibrate", cmd_calibrate,
	  "DEV show | DEV [phase N] { voltage | current | power } PPM ..." },
	{ "stats", cmd_stats, "[DEV]" },
	{ "events", cmd_events, "[-n COUNT]" },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

volatile int ctl_stop;

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: meterctl [-j|--json] COMMAND [ARGS]\n"
		"       meterctl -h|--help\n\ncommands:\n");
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %s%s%s\n", cmds[i].name, *cmds[i].args ? " " : "",
			cmds[i].args);
	fprintf(f, "\nDEV is meterN or N; DURATION is a number with ns, us, ms or s.\n"
		"See meterctl(8).\n");
}

int ctl_usage(struct ctl *c, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	fputs("meterctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (i = 0; i < NR_CMDS; i++)
		if (c->cmd && !strcmp(c->cmd, cmds[i].name))
			fprintf(stderr, "usage: meterctl [-j] %s%s%s\n", cmds[i].name,
				*cmds[i].args ? " " : "", cmds[i].args);
	return CTL_EXIT_USAGE;
}

int ctl_fail(struct ctl *c, int err, uint32_t dev)
{
	const char *kmsg = c->ml ? ml_last_error_msg(c->ml) : "";
	char devs[24] = "";

	if (dev != CTL_NO_DEV)
		snprintf(devs, sizeof(devs), " meter%u", dev);
	switch (err) {
	case -ENOPROTOOPT:
		fprintf(stderr, "meterctl: the meterlink module is not loaded (modprobe meterlink)\n");
		return CTL_EXIT_NOMODULE;
	case -EPERM:
	case -EACCES:
		fprintf(stderr, "meterctl: %s needs CAP_NET_ADMIN (run as root)\n", c->cmd);
		return CTL_EXIT_PERM;
	case -ENODEV:
	case -ENOENT:
		if (dev != CTL_NO_DEV) {
			fprintf(stderr, "meterctl: no such device: meter%u (see meterctl list)\n",
				dev);
			return CTL_EXIT_NODEV;
		}
		break;
	case -EAGAIN:
		fprintf(stderr, "meterctl: %s: %s (meters are being added or removed; "
			"try again)\n", c->cmd, *kmsg ? kmsg : strerror(-err));
		return CTL_EXIT_FAIL;
	}
	if (*kmsg)
		fprintf(stderr, "meterctl: %s%s: %s: %s\n", c->cmd, devs, strerror(-err), kmsg);
	else
		fprintf(stderr, "meterctl: %s%s: %s\n", c->cmd, devs, strerror(-err));
	return CTL_EXIT_FAIL;
}

int ctl_open(struct ctl *c)
{
	int ret = ml_open(&c->ml);

	return ret ? ctl_fail(c, ret, CTL_NO_DEV) : 0;
}

bool ctl_print_json(json_t *j)
{
	int ret;

	if (!j)
		return false;
	ret = json_dumpf(j, stdout, JSON_COMPACT);
	json_decref(j);
	return !ret && putchar('\n') != EOF;
}

int ctl_finish(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "meterctl: writing the output failed: %s\n", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

static void on_signal(int sig)
{
	(void)sig;
	ctl_stop = 1;
}

void ctl_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: poll() must return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { 0 };
	int opt, ret;
	size_t i;

	/* "+": options end at the command; its own options are its business */
	while ((opt = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'h':
			usage(stdout);
			return ctl_finish();
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "meterctl: no command given\n");
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(argv[optind], cmds[i].name))
			break;
	if (i == NR_CMDS) {
		fprintf(stderr, "meterctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	c.cmd = cmds[i].name;
	argc -= optind;
	argv += optind;
	optind = 0;		/* a fresh getopt() for the subcommand */
	ret = cmds[i].run(&c, argc, argv);
	ml_close(c.ml);
	if (!ret)
		ret = ctl_finish();
	return ret;
}
