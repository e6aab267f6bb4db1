// SPDX-License-Identifier: GPL-2.0
/*
 * Readings root: checked against an independent recursive definition
 * (split at the largest power of two below n, as RFC 6962 does, which is
 * the tree that pairing with promotion of the odd node builds), and every
 * inclusion proof of trees of 1..70 leaves, plus tampering.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "merkle.h"

static void node(const uint8_t *l, const uint8_t *r, uint8_t *out)
{
	static const char tag[] = "meterlink-reading-node-v1";
	uint8_t buf[sizeof(tag) - 1 + 64];

	memcpy(buf, tag, sizeof(tag) - 1);
	memcpy(buf + sizeof(tag) - 1, l, 32);
	memcpy(buf + sizeof(tag) - 1 + 32, r, 32);
	crypto_generichash(out, 32, buf, sizeof(buf), NULL, 0);
}

static void ref_root(const uint8_t (*h)[32], size_t n, uint8_t out[32])
{
	uint8_t l[32], r[32];
	size_t k = 1;

	if (n == 1) {
		memcpy(out, h[0], 32);
		return;
	}
	while (2 * k < n)
		k *= 2;
	ref_root(h, k, l);
	ref_root(h + k, n - k, r);
	node(l, r, out);
}

static uint8_t leaves[70][32];

static int setup(void **state)
{
	uint8_t meter[32] = { 1, 2, 3 };
	uint64_t rec[30];
	size_t i;

	(void)state;
	for (i = 0; i < 70; i++) {
		memset(rec, 0, sizeof(rec));
		rec[1] = i;
		merkle_leaf(meter, rec, sizeof(rec), leaves[i]);
	}
	return 0;
}

static void test_leaf_is_tagged_hash_of_meter_and_record(void **state)
{
	static const char tag[] = "meterlink-reading-leaf-v1";
	uint8_t meter[32], rec[240], buf[sizeof(tag) - 1 + 32 + 240], want[32], got[32];

	(void)state;
	memset(meter, 0xab, 32);
	memset(rec, 0x5c, sizeof(rec));
	memcpy(buf, tag, sizeof(tag) - 1);
	memcpy(buf + sizeof(tag) - 1, meter, 32);
	memcpy(buf + sizeof(tag) - 1 + 32, rec, 240);
	crypto_generichash(want, 32, buf, sizeof(buf), NULL, 0);
	merkle_leaf(meter, rec, sizeof(rec), got);
	assert_memory_equal(got, want, 32);
	meter[31] ^= 1;
	merkle_leaf(meter, rec, sizeof(rec), got);
	assert_memory_not_equal(got, want, 32);
}

static void test_root_matches_reference(void **state)
{
	uint8_t a[32], b[32];
	size_t n;

	(void)state;
	for (n = 1; n <= 70; n++) {
		assert_int_equal(merkle_root((const uint8_t (*)[32])leaves, n, a), 0);
		ref_root((const uint8_t (*)[32])leaves, n, b);
		assert_memory_equal(a, b, 32);
	}
	assert_int_equal(merkle_root((const uint8_t (*)[32])leaves, 0, a), -EINVAL);
}

static void test_every_proof_verifies_and_tampering_fails(void **state)
{
	uint8_t root[32], path[MERKLE_MAX_DEPTH][32];
	size_t n, i, d, j;

	(void)state;
	for (n = 1; n <= 70; n++) {
		merkle_root((const uint8_t (*)[32])leaves, n, root);
		for (i = 0; i < n; i++) {
			assert_int_equal(merkle_proof((const uint8_t (*)[32])leaves, n, i, path, &d), 0);
			assert_int_equal(merkle_verify(leaves[i], i, n, (const uint8_t (*)[32])path,
						       d, root), 0);
			/* another leaf at this position */
			assert_int_not_equal(merkle_verify(leaves[(i + 1) % 70], i, n,
							   (const uint8_t (*)[32])path, d, root), 0);
			/* a flipped bit anywhere in the path */
			for (j = 0; j < d; j++) {
				path[j][j % 32] ^= 0x10;
				assert_int_not_equal(merkle_verify(leaves[i], i, n,
						     (const uint8_t (*)[32])path, d, root), 0);
				path[j][j % 32] ^= 0x10;
			}
			/* a truncated path, a wrong index */
			if (d)
				assert_int_not_equal(merkle_verify(leaves[i], i, n,
						     (const uint8_t (*)[32])path, d - 1, root), 0);
			if (n > 1)
				assert_int_not_equal(merkle_verify(leaves[i], (i ^ 1) < n ? (i ^ 1) : i - 1, n,
						     (const uint8_t (*)[32])path, d, root), 0);
		}
		assert_int_equal(merkle_proof((const uint8_t (*)[32])leaves, n, n, path, &d), -EINVAL);
		assert_int_equal(merkle_verify(leaves[0], n, n, (const uint8_t (*)[32])path, 0, root),
				 -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_is_tagged_hash_of_meter_and_record),
		cmocka_unit_test(test_root_matches_reference),
		cmocka_unit_test(test_every_proof_verifies_and_tampering_fails),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
