// SPDX-License-Identifier: GPL-2.0
/* Block decoder: no crash, no leak, and decode-encode is the identity. */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t root[ML_HASH_LEN], hash[ML_HASH_LEN], *out;
	static const uint8_t val[ML_KEY_LEN];
	struct ml_block b;
	size_t len;

	if (ml_block_decode(data, size, &b))
		return 0;
	if (ml_block_encode(&b, &out, &len) || len != size ||
	    memcmp(out, data, size))
		abort();
	free(out);
	if (ml_block_tx_root(b.txs, b.ntx, root))
		abort();
	ml_block_hash(&b.hdr, hash);
	ml_commit_verify(&b, val, 1);
	ml_block_free(&b);
	return 0;
}
