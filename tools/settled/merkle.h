/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Merkle tree over one interval's raw readings (Documentation/settled.rst,
 * "Readings root"): BLAKE2b-256 with domain tags, like the ledger.
 *
 *   leaf = H("meterlink-reading-leaf-v1" || meter id (32) || record (240))
 *   node = H("meterlink-reading-node-v1" || left || right)
 *
 * Leaves in arrival order; a level with an odd count promotes its last node
 * unchanged (no duplication, so two leaf lists never share a root).
 */
#ifndef SETTLED_MERKLE_H
#define SETTLED_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_MAX_DEPTH	64

void merkle_leaf(const uint8_t meter[32], const void *rec, size_t len, uint8_t out[32]);
/* -EINVAL for n == 0, -ENOMEM */
int merkle_root(const uint8_t (*leaves)[32], size_t n, uint8_t root[32]);
/* siblings from the leaf up; *depth of them */
int merkle_proof(const uint8_t (*leaves)[32], size_t n, size_t index,
		 uint8_t path[MERKLE_MAX_DEPTH][32], size_t *depth);
/* 0 if @leaf at @index of @n leaves hashes up to @root through @path */
int merkle_verify(const uint8_t leaf[32], size_t index, size_t n,
		  const uint8_t (*path)[32], size_t depth, const uint8_t root[32]);

#endif
