// SPDX-License-Identifier: GPL-2.0
/* Genesis decoder: shared by every node, so as strict as the others. */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_genesis g;
	uint8_t *out;
	size_t len;

	if (ml_genesis_decode(data, size, &g))
		return 0;
	if (ml_genesis_encode(&g, &out, &len) || len != size ||
	    memcmp(out, data, size))
		abort();
	free(out);
	ml_genesis_free(&g);
	return 0;
}
