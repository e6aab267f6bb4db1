/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A real swtpm process for the tests and the bench. */
#ifndef MLTPM_TEST_SWTPM_H
#define MLTPM_TEST_SWTPM_H

#include <sys/types.h>

struct swtpm {
	char dir[256];		/* --tpmstate dir */
	int port;		/* server port; control is port + 1 */
	pid_t pid;
	char tcti[96];		/* "swtpm:host=127.0.0.1,port=N" */
};

/* Makes a new state directory under $TMPDIR and starts swtpm on it. */
int swtpm_start_new(struct swtpm *s);
/* Starts swtpm on s->dir (again), on fresh free ports. */
int swtpm_start(struct swtpm *s);
void swtpm_stop(struct swtpm *s);
/* Stops it and removes the state directory. */
void swtpm_destroy(struct swtpm *s);
/* A TCP port on 127.0.0.1 nobody listens on (just probed). */
int swtpm_free_port(void);

#endif
