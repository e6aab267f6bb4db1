// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Catching up: round-state requests and responses, finalized blocks in
 * batches for validators that were away, messages that arrive before
 * their height, and the ledger head check at start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "engine.h"

void ml_cs_request_state(struct ml_cs *e, const uint8_t *to)
{
	struct ml_cs_msg m = { .type = ML_CS_STATE_REQ, .height = e->h,
			       .round = e->r };

	if (e->last_sync && e->now < e->last_sync + e->cfg.timeout_base_ms / 2)
		return;
	e->last_sync = e->now ? e->now : 1;
	ml_cs_sign_send(e, &m, ML_CS_STEP_NONE, to);
}

int ml_cs_on_block(struct ml_cs *e, struct ml_cs_msg *m)
{
	int ret;

	if (m->height != e->h)
		return -ESTALE;
	ret = ml_ledger_apply_block(e->l, m->block, m->block_len, 0);
	if (ret)
		return ret;
	ml_cs_committed(e, m->block, m->block_len);
	ret = ml_cs_load_height(e);
	ml_cs_request_state(e, m->sender);	/* resumable: ask for the next batch */
	return ret;
}

void ml_cs_on_state_req(struct ml_cs *e, const struct ml_cs_msg *m)
{
	struct ml_cs_msg r = { .type = ML_CS_STATE_RESP, .height = e->h,
			       .round = e->r, .committed = e->h - 1 };
	uint64_t h;
	size_t i;

	for (h = m->height; h < e->h && h < m->height + ML_CS_SYNC_BATCH; h++) {
		struct ml_cs_msg b = { .type = ML_CS_BLOCK, .height = h };
		struct ml_block blk;
		uint8_t *buf;
		size_t len;

		if (ml_ledger_block(e->l, h, &buf, &len))
			break;
		if (ml_cs_hash_of(buf, (uint32_t)len, &blk, b.hash)) {
			free(buf);
			break;
		}
		ml_block_free(&blk);
		b.block = buf;
		b.block_len = (uint32_t)len;
		ml_cs_sign_send(e, &b, ML_CS_STEP_NONE, m->sender);
		free(buf);
	}
	if (m->height == e->h)	/* what we said this height, again */
		for (i = 0; i < e->nown; i++) {
			uint8_t *c = malloc(e->own_len[i]);

			if (!c)
				break;
			memcpy(c, e->own[i], e->own_len[i]);
			ml_cs_send_encoded(e, m->sender, c, e->own_len[i], 0);
		}
	ml_cs_sign_send(e, &r, ML_CS_STEP_NONE, m->sender);
}

void ml_cs_keep_future(struct ml_cs *e, const uint8_t *from,
			const uint8_t *buf, size_t len, uint64_t height)
{
	struct fut *f;

	if (height > e->h + FUT_HEIGHTS || e->nfut == MAX_FUT)
		return;
	f = &e->fut[e->nfut];
	f->buf = malloc(len);
	if (!f->buf)
		return;
	memcpy(f->buf, buf, len);
	f->len = len;
	f->height = height;
	f->has_from = !!from;
	if (from)
		memcpy(f->from, from, ML_KEY_LEN);
	e->nfut++;
}

/*
 * The ledger must be what its last block says: same hash, same state
 * root (recomputed by a full scan). A truncated, corrupted or edited
 * database is refused here rather than voted with.
 */
int ml_cs_check_head(struct ml_cs *e)
{
	struct ml_ledger_info info;
	struct ml_block b;
	uint8_t *buf, hash[ML_HASH_LEN];
	size_t len;
	int ret;

	ret = ml_ledger_info(e->l, &info);
	if (ret || !info.height)
		return ret;
	ret = ml_ledger_block(e->l, info.height, &buf, &len);
	if (ret)
		return ret == -ENOENT ? -EUCLEAN : ret;
	ret = ml_cs_hash_of(buf, (uint32_t)len, &b, hash);
	free(buf);
	if (ret)
		return -EUCLEAN;
	if (memcmp(hash, info.last_hash, ML_HASH_LEN) ||
	    memcmp(b.hdr.state_root, info.state_root, ML_HASH_LEN))
		ret = -EUCLEAN;
	ml_block_free(&b);
	return ret;
}
