// SPDX-License-Identifier: GPL-2.0
/*
 * settled prove BUS_ID SEQ: the inclusion proof of one stored reading in
 * its interval's readings root, as JSON (format in Documentation/settled.rst),
 * checked before it is printed. Reads the spool while settled runs (WAL).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merkle.h"
#include "settled.h"
#include "spool.h"

static json_t *hex(const void *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_t *j;

	if (!s)
		return NULL;
	sodium_bin2hex(s, 2 * n + 1, p, n);
	j = json_string(s);
	free(s);
	return j;
}

static const char *const states[] = { "unsigned", "signed", "committed", "rejected" };

int prove_main(const struct config *c, int argc, char **argv)
{
	char path[CFG_PATH_LEN + 16], *end;
	uint8_t (*sib)[32] = malloc(MERKLE_MAX_DEPTH * 32);
	struct spool_proof p;
	struct spool *sp = NULL;
	unsigned long long seq;
	json_t *o, *a;
	size_t depth, i;
	int ret;

	if (!sib)
		return 1;
	if (argc != 3) {
		fprintf(stderr, "usage: settled prove BUS_ID SEQ\n");
		free(sib);
		return 2;
	}
	errno = 0;
	seq = strtoull(argv[2], &end, 10);
	if (errno || *end || !*argv[2] || argv[2][0] == '-') {
		fprintf(stderr, "settled: prove: SEQ is a reading's sequence number, not '%s'\n",
			argv[2]);
		free(sib);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/spool.db", c->state_dir);
	if (access(path, R_OK)) {
		fprintf(stderr, "settled: prove: no spool at %s: %s (is state_dir right?)\n", path,
			strerror(errno));
		free(sib);
		return 1;
	}
	ret = spool_open(path, &sp);
	ret = ret ? ret : spool_proof(sp, argv[1], seq, &p);
	spool_close(sp);
	if (ret) {
		fprintf(stderr, "settled: prove: %s seq %llu: %s\n", argv[1], seq,
			ret == -ENOENT ? "no such reading in the spool (pruned, or never received)" :
			ret == -EAGAIN ? "its interval is not closed yet; try again after it ends" :
			strerror(-ret));
		free(sib);
		return ret == -ENOENT ? 3 : ret == -EAGAIN ? 4 : 1;
	}
	ret = merkle_proof((const uint8_t (*)[32])p.leaves, p.n, p.index, sib, &depth);
	if (!ret)
		ret = merkle_verify(p.leaves[p.index], p.index, p.n, (const uint8_t (*)[32])sib,
				    depth, p.root);
	if (ret) {
		fprintf(stderr, "settled: prove: the spool's readings do not hash to the"
			" interval's root (%s): the spool was altered\n", strerror(-ret));
		free(p.leaves);
		free(sib);
		return 1;
	}
	o = json_object();
	a = json_array();
	for (i = 0; i < depth; i++)
		json_array_append_new(a, hex(sib[i], 32));
	json_object_set_new(o, "bus_id", json_string(argv[1]));
	json_object_set_new(o, "meter", hex(p.meter_key, 32));
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "interval_start", json_integer((json_int_t)p.start));
	json_object_set_new(o, "interval_len", json_integer((json_int_t)c->interval));
	json_object_set_new(o, "index", json_integer((json_int_t)p.index));
	json_object_set_new(o, "count", json_integer((json_int_t)p.n));
	json_object_set_new(o, "record", hex(&p.rec, sizeof(p.rec)));
	json_object_set_new(o, "leaf", hex(p.leaves[p.index], 32));
	json_object_set_new(o, "path", a);
	json_object_set_new(o, "root", hex(p.root, 32));
	json_object_set_new(o, "import_wh", json_integer((json_int_t)p.import_wh));
	json_object_set_new(o, "export_wh", json_integer((json_int_t)p.export_wh));
	json_object_set_new(o, "report", json_string(states[p.report_state & 3]));
	json_object_set_new(o, "signature", hex(p.sig, 64));
	ret = json_dumpf(o, stdout, JSON_INDENT(2)) || puts("") == EOF;
	json_decref(o);
	free(p.leaves);
	free(sib);
	return ret ? 1 : 0;
}
