// SPDX-License-Identifier: GPL-2.0
/* Dispatch instructions for this gateway's meters, from final blocks (scan.h). */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scan.h"

static int scan_height(struct spool *sp, uint64_t *h)
{
	char v[32], *end;
	int ret = spool_kv_get(sp, SCAN_KEY, v, sizeof(v));

	*h = 0;
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	errno = 0;
	*h = strtoull(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end || errno) {
		log_warn("spool: %s '%s' is not a block height; dispatch instructions are"
			 " looked for again from block 1", SCAN_KEY, v);
		*h = 0;
	}
	return 0;
}

/* records the instructions of block @h that name our meters; how many are new */
static int scan_block(struct ml_ledger *l, struct spool *sp, uint64_t h)
{
	struct ml_block b;
	uint8_t *buf;
	size_t len;
	uint32_t i;
	int ret, found = 0;

	ret = ml_ledger_block(l, h, &buf, &len);
	if (ret)
		return ret;
	ret = ml_block_decode(buf, len, &b);
	free(buf);
	if (ret)
		return ret;
	for (i = 0; i < b.ntx && ret >= 0; i++) {
		const struct ml_tx *tx = &b.txs[i];
		struct spool_dispatch d = { 0 };
		char id[17];

		if (tx->kind != ML_TX_DISPATCH)
			continue;
		ret = spool_has_meter(sp, tx->u.dispatch.meter);
		if (ret != 1)
			continue;
		ml_tx_id(tx, d.id);
		memcpy(d.meter, tx->u.dispatch.meter, 32);
		d.kind = tx->u.dispatch.kind;
		d.value = tx->u.dispatch.value;
		d.start = tx->u.dispatch.start;
		d.end = tx->u.dispatch.end;
		ret = spool_dispatch_add(sp, &d);
		if (ret == 1) {
			sodium_bin2hex(id, sizeof(id), d.id, 8);
			log_info("dispatch %s (kind %u, %lld W, [%" PRIu64 ", %" PRIu64 ")) for one of"
				 " our meters is final in block %" PRIu64, id, d.kind,
				 (long long)d.value, d.start, d.end, h);
			found++;
		}
	}
	ml_block_free(&b);
	return ret < 0 ? ret : found;
}

int scan_dispatches(struct ml_ledger *l, struct spool *sp, uint64_t top, uint32_t max,
		    uint64_t *height)
{
	uint64_t from, to, h;
	char v[32];
	int ret, found = 0, reset = 0;

	ret = scan_height(sp, &from);
	if (ret)
		return ret;
	if (from > top) {
		log_warn("the chain is at height %" PRIu64 ", below the %" PRIu64 " blocks already"
			 " looked through for dispatch instructions: a new chain, looked through"
			 " from block 1", top, from);
		from = 0;
		reset = 1;
	}
	to = top - from > max ? from + max : top;
	if (to == from && !reset) {
		if (height)
			*height = to;
		return 0;
	}
	ret = spool_begin(sp);
	if (ret)
		return ret;
	for (h = from + 1; h <= to && ret >= 0; h++) {
		ret = scan_block(l, sp, h);
		if (ret > 0)
			found += ret;
	}
	if (ret >= 0) {
		snprintf(v, sizeof(v), "%" PRIu64, to);
		ret = spool_kv_set(sp, SCAN_KEY, v);
	}
	ret = ret < 0 ? ret : spool_commit(sp);
	if (ret < 0) {
		spool_rollback(sp);
		return ret;
	}
	if (height)
		*height = to;
	return found;
}
