// SPDX-License-Identifier: GPL-2.0
/*
 * Transaction decoder. Beyond not crashing: whatever decodes must encode
 * back to the very same bytes, or the encoding is not canonical.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[ML_TX_MAX_LEN], id[ML_HASH_LEN];
	struct ml_tx tx;
	size_t len;

	if (ml_tx_decode(data, size, &tx))
		return 0;
	if (ml_tx_encode(&tx, out, sizeof(out), &len) || len != size ||
	    memcmp(out, data, size))
		abort();
	ml_tx_id(&tx, id);
	ml_tx_verify(&tx);
	return 0;
}
