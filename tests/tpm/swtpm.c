// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Starts and stops swtpm for the tests, the way tpm2-tss's integration
 * scripts do (script/int-log-compiler-common.sh: a random port pair, retry
 * on conflict): `swtpm socket --tpm2 --server type=tcp,port=P
 * --ctrl type=tcp,port=P+1 --flags not-need-init,startup-clear
 * --tpmstate dir=D`. The swtpm TCTI expects the control port at P + 1
 * (tpm2-tss doc/tcti.md).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "swtpm.h"

static int port_open(int port, int listen_probe)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -1;
	if (listen_probe)
		ret = bind(fd, (struct sockaddr *)&a, sizeof(a));
	else
		ret = connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return ret;
}

static int random_even_port(void)
{
	static int seeded;

	if (!seeded) {
		srand((unsigned int)(getpid() ^ time(NULL)));
		seeded = 1;
	}
	return 20000 + 2 * (rand() % 20000);
}

int swtpm_free_port(void)
{
	int i, p;

	for (i = 0; i < 100; i++) {
		p = random_even_port();
		if (port_open(p, 1) == 0)
			return p;
	}
	return -1;
}

int swtpm_start(struct swtpm *s)
{
	char server[64], ctrl[64], state[300];
	int attempt, i, status;
	pid_t parent;

	for (attempt = 0; attempt < 20; attempt++) {
		s->port = random_even_port();
		if (port_open(s->port, 1) || port_open(s->port + 1, 1))
			continue;
		snprintf(server, sizeof(server),
			 "type=tcp,port=%d,bindaddr=127.0.0.1", s->port);
		snprintf(ctrl, sizeof(ctrl),
			 "type=tcp,port=%d,bindaddr=127.0.0.1", s->port + 1);
		snprintf(state, sizeof(state), "dir=%s", s->dir);
		parent = getpid();
		s->pid = fork();
		if (s->pid < 0)
			return -errno;
		if (s->pid == 0) {
			/* dies with the test, even when a sanitizer aborts */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			execlp("swtpm", "swtpm", "socket", "--tpm2",
			       "--server", server, "--ctrl", ctrl,
			       "--flags", "not-need-init,startup-clear",
			       "--tpmstate", state, (char *)NULL);
			perror("exec swtpm");
			_exit(127);
		}
		/* readiness, not timing: wait (up to 30 s) until it listens */
		for (i = 0; i < 3000; i++) {
			if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
				s->pid = 0;
				if (WIFEXITED(status) &&
				    WEXITSTATUS(status) == 127)
					return -ENOENT;
				break;	/* lost a port race: next pair */
			}
			if (port_open(s->port, 0) == 0 &&
			    port_open(s->port + 1, 0) == 0) {
				snprintf(s->tcti, sizeof(s->tcti),
					 "swtpm:host=127.0.0.1,port=%d",
					 s->port);
				return 0;
			}
			usleep(10000);
		}
		swtpm_stop(s);
	}
	return -EADDRINUSE;
}

int swtpm_start_new(struct swtpm *s)
{
	const char *tmp = getenv("TMPDIR");

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s/swtpm.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir))
		return -errno;
	return swtpm_start(s);
}

void swtpm_stop(struct swtpm *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

void swtpm_destroy(struct swtpm *s)
{
	char cmd[300];

	swtpm_stop(s);
	if (s->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", s->dir);
	}
	s->dir[0] = '\0';
}
