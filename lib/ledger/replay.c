// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Replay: what `ledgerctl verify` runs. Every balance can be recomputed
 * from genesis by anyone holding the blocks, so a node that disagrees, or
 * a database edited behind the ledger's back, is found and the first
 * block where the histories part is named.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

static int scratch_from_genesis(struct ml_ledger *src, const char *scratch,
				struct ml_ledger **out)
{
	struct ml_genesis g;
	uint8_t *enc;
	size_t len;
	int ret;

	ret = ml_chain_genesis(src, &enc, &len);
	if (ret)
		return ret;
	ret = ml_genesis_decode(enc, len, &g);
	free(enc);
	if (ret)
		return -EUCLEAN;
	if (g.chain_id != src->p.chain_id)
		ret = -EUCLEAN;
	ret = ret ? ret : ml_ledger_create(scratch, &g);
	ml_genesis_free(&g);
	return ret ? ret : ml_ledger_open(scratch, out);
}

int ml_ledger_replay(const char *src_path, const char *scratch,
		     struct ml_replay_result *res)
{
	struct ml_replay_result r = { 0 };
	uint8_t a[ML_HASH_LEN], b[ML_HASH_LEN];
	struct ml_ledger *src, *dst = NULL;
	uint64_t h;
	int ret;

	if (access(scratch, F_OK) == 0)
		return -EEXIST;
	ret = ml_ledger_open(src_path, &src);
	if (ret)
		return ret;
	ret = scratch_from_genesis(src, scratch, &dst);
	for (h = 1; !ret && h <= src->height; h++) {
		uint8_t *buf;
		size_t len;

		ret = ml_ledger_block(src, h, &buf, &len);
		if (ret == -ENOENT)
			ret = -EUCLEAN;	/* a hole in the stored chain */
		if (ret)
			break;
		ret = ml_ledger_apply_block(dst, buf, len, 0);
		free(buf);
		if (ret) {
			r.first_bad = h;
			r.error = ret;
			ret = -EBADMSG;
			break;
		}
		r.height = h;
	}
	if (!ret) {
		ret = ml_state_root(src, src->height, a);
		ret = ret ? ret : ml_state_root(dst, dst->height, b);
		if (!ret && memcmp(a, b, sizeof(a))) {
			r.first_bad = src->height;
			r.error = -EBADMSG;
			r.live_differs = 1;
			ret = -EBADMSG;
		}
	}
	ml_ledger_close(dst);
	ml_ledger_close(src);
	if (!ret || ret == -EBADMSG)
		*res = r;
	return ret;
}
