// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the fuzzer's seed corpus: every message a short simulated run of
 * four validators sends (one file per distinct type and size).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static const char *dir;
static int seen[__ML_CS_TYPE_MAX][4];

static void keep(struct sim *s, int from, const uint8_t *buf, size_t len)
{
	char path[512];
	int type = len > 1 ? buf[1] : 0, k;
	FILE *f;

	(void)s;
	(void)from;
	if (type <= 0 || type >= __ML_CS_TYPE_MAX)
		return;
	for (k = 0; k < 4 && seen[type][k]; k++)
		;
	if (k == 4)
		return;
	seen[type][k] = 1;
	snprintf(path, sizeof(path), "%s/type%d-%d", dir, type, k);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len)
		exit(1);
	fclose(f);
}

int main(int argc, char **argv)
{
	struct sim s;

	if (argc != 2)
		return 2;
	dir = argv[1];
	if (sim_init(&s, 4, 7))
		return 1;
	s.on_send = keep;
	s.node[3].byz = 1;	/* evidence messages too */
	sim_run_with_load(&s, 20000, 200, 2);
	sim_crash(&s, 1);
	sim_run_with_load(&s, 30000, 200, 2);
	sim_restart(&s, 1);
	sim_run_with_load(&s, 40000, 200, 2);
	sim_free(&s);
	return 0;
}
