// SPDX-License-Identifier: GPL-2.0
/*
 * Logging: the journal (libsystemd) when settled runs under systemd,
 * syslog otherwise, stderr in the foreground outside systemd.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "log.h"

static int target = LOG_TO_STDERR;
static int max_level = LOG_LVL_INFO;
static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
static const char *const tag[] = { "error", "warning", "info", "debug" };

void log_open(int foreground)
{
#ifdef HAVE_SYSTEMD
	if (getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID")) {
		target = LOG_TO_JOURNAL;
		return;
	}
#endif
	if (foreground) {
		target = LOG_TO_STDERR;
		return;
	}
	openlog("settled", LOG_PID, LOG_DAEMON);
	target = LOG_TO_SYSLOG;
}

void log_set_level(int level)
{
	max_level = level;
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	switch (target) {
#ifdef HAVE_SYSTEMD
	case LOG_TO_JOURNAL:
		sd_journal_printv(prio[level], fmt, ap);
		break;
#endif
	case LOG_TO_SYSLOG:
		vsyslog(prio[level], fmt, ap);
		break;
	default:
		fprintf(stderr, "settled: %s: ", tag[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
