// SPDX-License-Identifier: GPL-2.0
/*
 * The genesis of a neighbourhood for the demo and the network tests of
 * settled: what `mlnode genesis` cannot say yet, several operators (each
 * gateway registers its own meters, which is an operator's right) and a
 * feeder (settled registers its meters on feeder 1).
 *
 *   mkgenesis OUT CHAIN_ID INTERVAL GATE_CLOSURE SETTLE_DELAY \
 *             HEXKEY:ROLES:BALANCE...
 *
 * ROLES is any of "v" (validator) and "o" (operator), or "-". The first
 * operator collects the fees. Exit 2 with a message on bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger.h"

static int die(const char *what, const char *arg)
{
	fprintf(stderr, "mkgenesis: %s '%s'\n", what, arg);
	return 2;
}

static int u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	*v = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

static int cmp(const void *a, const void *b)
{
	return memcmp(a, b, ML_KEY_LEN);
}

int main(int argc, char **argv)
{
	struct ml_feeder feeder = { .id = 1, .import_limit_wh = 1ULL << 40,
				    .export_limit_wh = 1ULL << 40 };
	struct ml_genesis_account *acct;
	struct ml_genesis g = { .nfeeders = 1, .feeders = &feeder };
	uint64_t v[4];
	uint8_t *enc;
	size_t len;
	FILE *f;
	int i, j, fee = 0;

	if (argc < 7) {
		fprintf(stderr, "usage: mkgenesis OUT CHAIN_ID INTERVAL GATE_CLOSURE SETTLE_DELAY "
			"HEXKEY:ROLES:BALANCE...\n");
		return 2;
	}
	for (i = 0; i < 4; i++)
		if (u64(argv[2 + i], &v[i]))
			return die("not a number:", argv[2 + i]);
	g.chain_id = v[0];
	g.interval_len = (uint32_t)v[1];
	g.gate_closure = (uint32_t)v[2];
	g.settle_delay = (uint32_t)v[3];
	g.time = (uint64_t)time(NULL);
	g.naccounts = (uint32_t)(argc - 6);
	acct = calloc(g.naccounts, sizeof(*acct));
	if (!acct)
		return 1;
	for (i = 0; i < (int)g.naccounts; i++) {
		const char *s = argv[6 + i], *r = s + 2 * ML_KEY_LEN;
		const char *b = strchr(r + 1, ':');

		if (strlen(s) < 2 * ML_KEY_LEN + 3 || *r != ':' || !b || u64(b + 1, &acct[i].balance))
			return die("not HEXKEY:ROLES:BALANCE:", s);
		for (j = 0; j < ML_KEY_LEN; j++) {
			unsigned int x;

			if (sscanf(s + 2 * j, "%2x", &x) != 1)
				return die("bad key in", s);
			acct[i].key[j] = (uint8_t)x;
		}
		for (r++; r < b; r++) {
			if (*r == 'v')
				acct[i].roles |= ML_ROLE_VALIDATOR;
			else if (*r == 'o')
				acct[i].roles |= ML_ROLE_OPERATOR;
			else if (*r != '-')
				return die("roles are v, o or -, in", s);
		}
		if ((acct[i].roles & ML_ROLE_OPERATOR) && !fee++)
			memcpy(g.fee_account, acct[i].key, ML_KEY_LEN);
	}
	if (!fee)
		return die("needs an operator", "o");
	qsort(acct, g.naccounts, sizeof(*acct), cmp);
	g.accounts = acct;
	if (ml_genesis_encode(&g, &enc, &len))
		return die("these parameters make no valid genesis:", argv[1]);
	f = fopen(argv[1], "wx");
	if (!f || fwrite(enc, 1, len, f) != len || fclose(f))
		return die("cannot write", argv[1]);
	free(enc);
	free(acct);
	return 0;
}
