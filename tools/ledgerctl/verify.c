// SPDX-License-Identifier: GPL-2.0
/*
 * ledgerctl verify: recompute the ledger from its genesis as a follower
 * would (ml_ledger_replay into a scratch database): every transaction
 * signature, every meter report's gateway signature, every proposer and
 * commit certificate, every state root; then compare the replayed state
 * with the database's own tables.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledgerctl.h"

static const char *why(int err)
{
	switch (err) {
	case -EPERM:
		return "a transaction signature, the proposer or the commit "
		       "certificate does not verify";
	case -EBADMSG:
		return "its transactions or the state after them do not match "
		       "its header (tx root or state root)";
	case -ESTALE:
		return "it does not follow the block before it (chain id, "
		       "height or previous hash)";
	case -ETIME:
		return "its time is not after the previous block's, or a "
		       "transaction in it came too late or too early";
	case -EINVAL:
	case -EUCLEAN:
		return "it does not decode, or a transaction in it is invalid";
	case -EEXIST:
		return "a transaction in it repeats one already applied";
	}
	return strerror(-err);
}

static void rm_scratch(const char *dir, const char *db)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[4200];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", db, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

int cmd_verify(struct lc *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scratch", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *base = getenv("TMPDIR");
	struct ml_replay_result r = { 0 };
	struct ml_ledger_info info;
	char dir[4096], db[4120], root[65];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'S')
			return lc_usage(c, "unknown option");
		base = optarg;
	}
	if (optind != argc)
		return lc_usage(c, "unexpected argument '%s'", argv[optind]);
	ret = lc_open_db(c);	/* the checks and messages of every command */
	if (ret)
		return ret;
	ret = ml_ledger_info(c->l, &info);
	ml_ledger_close(c->l);
	c->l = NULL;
	if (ret)
		return lc_db_fail(c, ret);
	snprintf(dir, sizeof(dir), "%s/ledgerctl-verify-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		return lc_err(c, LC_EXIT_FAIL, "scratch directory %s: %s (set "
			      "--scratch DIR)", dir, strerror(errno));
	snprintf(db, sizeof(db), "%s/replay.db", dir);
	ret = ml_ledger_replay(c->db, db, &r);
	rm_scratch(dir, db);
	if (ret && ret != -EBADMSG)
		return lc_db_fail(c, ret);
	fmt_hex(root, info.state_root, ML_HASH_LEN);
	if (c->json) {
		json_t *j = json_pack("{s:b, s:I, s:I, s:s}", "ok", !ret,
				      "height", (json_int_t)info.height,
				      "replayed", (json_int_t)r.height,
				      "state_root", root);

		if (j && ret) {
			json_object_set_new(j, "first_bad", json_integer((json_int_t)r.first_bad));
			json_object_set_new(j, "tables_edited", json_boolean(r.live_differs));
			json_object_set_new(j, "error", json_string(r.live_differs ?
				"the database's tables differ from the replayed state" :
				why(r.error)));
		}
		if (!lc_print_json(j))
			return LC_EXIT_FAIL;
	} else if (!ret) {
		printf("verified %" PRIu64 " blocks from genesis: every signature, "
		       "certificate and state root matches\n", r.height);
		printf("height %" PRIu64 ", state root %s\n", info.height, root);
	} else if (r.live_differs) {
		printf("all %" PRIu64 " blocks replay, but the database's tables "
		       "differ from the replayed state: edited outside the ledger\n",
		       r.height);
	} else {
		if (r.height)
			printf("blocks 1..%" PRIu64 " match\n", r.height);
		printf("block %" PRIu64 " does not replay: %s\n", r.first_bad,
		       why(r.error));
	}
	return ret ? LC_EXIT_MISMATCH : 0;
}
