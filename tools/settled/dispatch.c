// SPDX-License-Identifier: GPL-2.0
/*
 * Dispatch executor (see dispatch.h). The executor is a program of the
 * installer's choosing; settled never passes it a value beyond the local
 * limits, whatever the chain says.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "ledger.h"
#include "log.h"

static const char *const kinds[] = {
	[ML_DISPATCH_IMPORT_LIMIT] = "import-limit",
	[ML_DISPATCH_EXPORT_LIMIT] = "export-limit",
	[ML_DISPATCH_BATTERY] = "battery",
	[ML_DISPATCH_CURTAIL] = "curtail",
};

static int64_t lim(uint64_t w)
{
	return w > INT64_MAX ? INT64_MAX : (int64_t)w;
}

int dispatch_clamp(const struct config *c, uint8_t kind, int64_t value, int64_t *out)
{
	int64_t v = value;

	switch (kind) {
	case ML_DISPATCH_IMPORT_LIMIT:
		v = value < 0 ? 0 : value < lim(c->max_import_w) ? value : lim(c->max_import_w);
		break;
	case ML_DISPATCH_EXPORT_LIMIT:
		v = value < 0 ? 0 : value < lim(c->max_export_w) ? value : lim(c->max_export_w);
		break;
	case ML_DISPATCH_CURTAIL:
		v = value < 0 ? 0 : value < lim(c->max_pv_export_w) ? value : lim(c->max_pv_export_w);
		break;
	case ML_DISPATCH_BATTERY:
		if (value > lim(c->max_charge_w))
			v = lim(c->max_charge_w);
		else if (value < -lim(c->max_discharge_w))
			v = -lim(c->max_discharge_w);
		break;
	default:
		return -EINVAL;
	}
	*out = v;
	return v != value;
}

static void child(const struct config *c, const struct dispatch_order *o, int64_t v, int clamped)
{
	char a[4][32], e[4][96], id[65], meter[65];
	char *argv[6], *envp[5];
	int fd = open("/dev/null", O_RDONLY);
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);	/* settled blocks its signals */
	if (fd >= 0)
		dup2(fd, 0);
	sodium_bin2hex(id, sizeof(id), o->id, 32);
	sodium_bin2hex(meter, sizeof(meter), o->meter, 32);
	snprintf(a[0], sizeof(a[0]), "%s", kinds[o->kind]);
	snprintf(a[1], sizeof(a[1]), "%lld", (long long)v);
	snprintf(a[2], sizeof(a[2]), "%llu", (unsigned long long)o->start);
	snprintf(a[3], sizeof(a[3]), "%llu", (unsigned long long)o->end);
	snprintf(e[0], sizeof(e[0]), "SETTLED_DISPATCH_ID=%s", id);
	snprintf(e[1], sizeof(e[1]), "SETTLED_METER=%s", meter);
	snprintf(e[2], sizeof(e[2]), "SETTLED_REQUESTED_W=%lld", (long long)o->value);
	snprintf(e[3], sizeof(e[3]), "SETTLED_CLAMPED=%d", clamped);
	argv[0] = (char *)c->executor;
	argv[1] = a[0];
	argv[2] = a[1];
	argv[3] = a[2];
	argv[4] = a[3];
	argv[5] = NULL;
	envp[0] = e[0];
	envp[1] = e[1];
	envp[2] = e[2];
	envp[3] = e[3];
	envp[4] = NULL;
	execve(c->executor, argv, envp);
	_exit(127);
}

int dispatch_run(const struct config *c, const struct dispatch_order *o)
{
	struct timespec t0, now, nap = { 0, 10 * 1000000L };
	int64_t v;
	int clamped, st;
	pid_t pid, w;

	if (!c->executor[0])
		return -ENOENT;
	clamped = dispatch_clamp(c, o->kind, o->value, &v);
	if (clamped < 0)
		return clamped;
	if (access(c->executor, X_OK))
		return -errno;
	if (clamped)
		log_warn("dispatch %s %lld W clamped to the installer's limit: %lld W",
			 kinds[o->kind], (long long)o->value, (long long)v);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child(c, o, v, clamped);
	for (;;) {
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >
		    c->executor_timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -ETIMEDOUT;
		}
		nanosleep(&nap, NULL);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return -EINTR;	/* killed by a signal */
}
