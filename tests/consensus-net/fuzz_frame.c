// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the mlnet frame decoder: whatever the bytes, it
 * must not crash, and a frame it accepts must re-encode to the same header
 * and describe exactly the bytes that follow it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define CHAIN	0x6d6c2d6e65743031ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[MLNET_HDR_LEN];
	const uint8_t *p;
	size_t plen, max = size ? data[0] * 4u : 0;

	if (mlnet_frame_decode(data, size, CHAIN, max, &p, &plen))
		return 0;
	if (p != data + MLNET_HDR_LEN || plen != size - MLNET_HDR_LEN ||
	    plen > max)
		abort();
	if (mlnet_frame_encode(CHAIN, p, plen, hdr) ||
	    memcmp(hdr, data, MLNET_HDR_LEN))
		abort();
	return 0;
}
