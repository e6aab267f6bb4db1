// SPDX-License-Identifier: GPL-2.0
/*
 * Merkle root, inclusion proof and verification (see merkle.h). One level
 * is computed at a time in a scratch copy of the leaves.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"

#define LEAF_TAG "meterlink-reading-leaf-v1"
#define NODE_TAG "meterlink-reading-node-v1"

void merkle_leaf(const uint8_t meter[32], const void *rec, size_t len, uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)LEAF_TAG, strlen(LEAF_TAG));
	crypto_generichash_update(&st, meter, 32);
	crypto_generichash_update(&st, rec, len);
	crypto_generichash_final(&st, out, 32);
}

static void node(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)NODE_TAG, strlen(NODE_TAG));
	crypto_generichash_update(&st, l, 32);
	crypto_generichash_update(&st, r, 32);
	crypto_generichash_final(&st, out, 32);
}

/* one level up, in place; returns the new count */
static size_t up(uint8_t (*h)[32], size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		node(h[i], h[i + 1], h[i / 2]);
	if (n & 1)
		memmove(h[n / 2], h[n - 1], 32);
	return (n + 1) / 2;
}

int merkle_proof(const uint8_t (*leaves)[32], size_t n, size_t index,
		 uint8_t path[MERKLE_MAX_DEPTH][32], size_t *depth)
{
	uint8_t (*h)[32];
	size_t d = 0;

	if (!n || index >= n)
		return -EINVAL;
	h = malloc(n * 32);
	if (!h)
		return -ENOMEM;
	memcpy(h, leaves, n * 32);
	while (n > 1) {
		size_t sib = index ^ 1;

		if (sib < n && path)
			memcpy(path[d], h[sib], 32);
		d += sib < n;
		n = up(h, n);
		index /= 2;
	}
	free(h);
	*depth = d;
	return 0;
}

int merkle_root(const uint8_t (*leaves)[32], size_t n, uint8_t root[32])
{
	uint8_t (*h)[32];

	if (!n)
		return -EINVAL;
	h = malloc(n * 32);
	if (!h)
		return -ENOMEM;
	memcpy(h, leaves, n * 32);
	while (n > 1)
		n = up(h, n);
	memcpy(root, h[0], 32);
	free(h);
	return 0;
}

int merkle_verify(const uint8_t leaf[32], size_t index, size_t n,
		  const uint8_t (*path)[32], size_t depth, const uint8_t root[32])
{
	uint8_t cur[32];
	size_t d = 0;

	if (!n || index >= n)
		return -EINVAL;
	memcpy(cur, leaf, 32);
	while (n > 1) {
		size_t sib = index ^ 1;

		if (sib < n) {
			if (d >= depth)
				return -EINVAL;
			if (index & 1)
				node(path[d], cur, cur);
			else
				node(cur, path[d], cur);
			d++;
		}
		n = (n + 1) / 2;
		index /= 2;
	}
	if (d != depth)
		return -EINVAL;
	return sodium_memcmp(cur, root, 32) ? -EBADMSG : 0;
}
