// SPDX-License-Identifier: GPL-2.0
/*
 * Consensus message decoder: no crash, no leak, decode-encode is the
 * identity, and signature checks of whatever decodes never misbehave.
 */
#include <stdlib.h>
#include <string.h>

#include "consensus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t d[ML_HASH_LEN], *out;
	struct ml_cs_msg m;
	struct ml_block b;
	size_t len;

	if (ml_cs_msg_decode(data, size, &m))
		return 0;
	if (ml_cs_msg_encode(&m, &out, &len) || len != size ||
	    memcmp(out, data, size))
		abort();
	free(out);
	ml_cs_msg_digest(&m, d);
	ml_cs_msg_verify(&m);
	if (m.block_len && !ml_block_decode(m.block, m.block_len, &b))
		ml_block_free(&b);
	ml_cs_msg_free(&m);
	return 0;
}
