// SPDX-License-Identifier: GPL-2.0
/*
 * Formats: canonical encodings, the strict decoders, identifiers, account
 * and meter signatures, blocks and commit certificates.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "codec.h"
#include "helpers.h"

/* One transaction of every kind, deterministic but for nothing. */
static void sample_tx(struct ml_tx *tx, int kind)
{
	memset(tx, 0, sizeof(*tx));
	tx->kind = (uint8_t)kind;
	tx->chain_id = TH_CHAIN_ID;
	tx->nonce = 7;
	switch (kind) {
	case ML_TX_TRANSFER:
		memset(tx->u.transfer.to, 0x22, 32);
		tx->u.transfer.amount = 1500000;
		break;
	case ML_TX_ORDER:
		th_meter_id(tx->u.order.meter, 1);
		tx->u.order.side = ML_ASK;
		tx->u.order.interval_start = 1700001000;
		tx->u.order.qty_wh = 2500;
		tx->u.order.price = 180000;
		break;
	case ML_TX_CANCEL:
		memset(tx->u.cancel.order_id, 0x33, 32);
		break;
	case ML_TX_METER_REPORT:
		tx->u.report.chain_id = TH_CHAIN_ID;
		th_meter_id(tx->u.report.meter, 1);
		tx->u.report.interval_start = 1700001000;
		tx->u.report.interval_len = 900;
		tx->u.report.import_wh = 120;
		tx->u.report.export_wh = 2400;
		memset(tx->u.report.readings_root, 0x44, 32);
		tx->u.report.sig[31] = 1;	/* r = 1 */
		tx->u.report.sig[63] = 2;	/* s = 2 */
		break;
	case ML_TX_REGISTER_METER:
		th_meter_id(tx->u.reg.meter, 1);
		memset(tx->u.reg.owner, 0x55, 32);
		tx->u.reg.feeder = 3;
		memset(tx->u.reg.gw_key, 0x66, 64);
		break;
	case ML_TX_DISPATCH:
		th_meter_id(tx->u.dispatch.meter, 1);
		tx->u.dispatch.kind = ML_DISPATCH_BATTERY;
		tx->u.dispatch.value = -3000;
		tx->u.dispatch.start = 1700001000;
		tx->u.dispatch.end = 1700002800;
		break;
	case ML_TX_DISPATCH_ACK:
		memset(tx->u.ack.dispatch_id, 0x77, 32);
		tx->u.ack.status = ML_ACK_ACCEPT;
		break;
	case ML_TX_VALIDATOR_VOTE:
		memset(tx->u.vote.subject, 0x88, 32);
		tx->u.vote.action = ML_VOTE_ADD;
		break;
	case ML_TX_EVIDENCE:
		memset(tx->u.evidence.validator, 0x99, 32);
		tx->u.evidence.type = ML_VOTE_PREPARE;
		tx->u.evidence.height = 12;
		tx->u.evidence.round = 3;
		memset(tx->u.evidence.hash_a, 0xaa, 32);
		memset(tx->u.evidence.sig_a, 0xab, 64);
		memset(tx->u.evidence.hash_b, 0xbb, 32);
		memset(tx->u.evidence.sig_b, 0xbc, 64);
		break;
	}
}

static void signed_sample(struct ml_tx *tx, int kind)
{
	struct th_key k;

	th_key(&k, 9);
	sample_tx(tx, kind);
	assert_int_equal(ml_tx_sign(tx, k.sk), 0);
}

static void test_tx_roundtrip_every_kind(void **state)
{
	uint8_t a[ML_TX_MAX_LEN], b[ML_TX_MAX_LEN];
	struct ml_tx tx, back;
	size_t la, lb;
	int k;

	(void)state;
	for (k = 1; k < __ML_TX_KIND_MAX; k++) {
		signed_sample(&tx, k);
		assert_int_equal(ml_tx_encode(&tx, a, sizeof(a), &la), 0);
		assert_int_equal(ml_tx_decode(a, la, &back), 0);
		assert_int_equal(ml_tx_encode(&back, b, sizeof(b), &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		assert_int_equal(ml_tx_verify(&back), 0);
	}
}

/* Golden files pin the byte layout that format.rst documents. */
static void test_tx_encoding_matches_golden_files(void **state)
{
	uint8_t a[ML_TX_MAX_LEN];
	char path[512], hex[2 * ML_TX_MAX_LEN + 2], want[sizeof(hex)];
	const char *dir = getenv("ML_GOLDEN_DIR");
	struct ml_tx tx;
	size_t la;
	FILE *f;
	int k;

	(void)state;
	for (k = 1; k < __ML_TX_KIND_MAX; k++) {
		signed_sample(&tx, k);
		assert_int_equal(ml_tx_encode(&tx, a, sizeof(a), &la), 0);
		sodium_bin2hex(hex, sizeof(hex), a, la);
		snprintf(path, sizeof(path), "%s/tx-kind%d.hex",
			 dir ? dir : "tests/ledger/golden", k);
		if (getenv("ML_GOLDEN_UPDATE")) {
			f = fopen(path, "w");
			assert_non_null(f);
			fprintf(f, "%s\n", hex);
			fclose(f);
		}
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(want, sizeof(want), f));
		fclose(f);
		want[strcspn(want, "\n")] = 0;
		assert_string_equal(hex, want);
	}
}

static void test_tx_decoder_refuses_every_truncation_and_trailing_byte(void **state)
{
	uint8_t a[ML_TX_MAX_LEN + 1];
	struct ml_tx tx, out;
	size_t la, i;
	int k;

	(void)state;
	for (k = 1; k < __ML_TX_KIND_MAX; k++) {
		signed_sample(&tx, k);
		assert_int_equal(ml_tx_encode(&tx, a, sizeof(a), &la), 0);
		for (i = 0; i < la; i++)
			assert_int_not_equal(ml_tx_decode(a, i, &out), 0);
		a[la] = 0;
		assert_int_equal(ml_tx_decode(a, la + 1, &out), -EBADMSG);
	}
}

static void expect_refused(struct ml_tx *tx, size_t off, uint8_t val)
{
	uint8_t a[ML_TX_MAX_LEN];
	struct ml_tx out;
	size_t la;

	assert_int_equal(ml_tx_encode(tx, a, sizeof(a), &la), 0);
	a[off] = val;
	assert_int_equal(ml_tx_decode(a, la, &out), -EINVAL);
}

static void test_tx_decoder_refuses_unknown_version_kind_and_ranges(void **state)
{
	struct ml_tx tx;

	(void)state;
	signed_sample(&tx, ML_TX_TRANSFER);
	expect_refused(&tx, 0, 2);		/* version */
	expect_refused(&tx, 1, 0);		/* kind 0 */
	expect_refused(&tx, 1, 10);		/* unknown kind */
	signed_sample(&tx, ML_TX_ORDER);
	expect_refused(&tx, 50 + 32, 3);	/* side */
	signed_sample(&tx, ML_TX_DISPATCH);
	expect_refused(&tx, 50 + 32, 5);	/* dispatch kind */
	signed_sample(&tx, ML_TX_DISPATCH_ACK);
	expect_refused(&tx, 50 + 32, 0);	/* ack status */
	signed_sample(&tx, ML_TX_VALIDATOR_VOTE);
	expect_refused(&tx, 50 + 32, 3);	/* vote action */
	signed_sample(&tx, ML_TX_EVIDENCE);
	expect_refused(&tx, 50 + 32, 4);	/* vote type */
	expect_refused(&tx, 50 + 45, 0xcc);	/* hash_a > hash_b */
	signed_sample(&tx, ML_TX_METER_REPORT);
	expect_refused(&tx, 50, 2);		/* report version */
}

static void test_tx_encoder_refuses_values_out_of_range(void **state)
{
	uint8_t a[ML_TX_MAX_LEN];
	struct ml_tx tx;
	size_t la;

	(void)state;
	sample_tx(&tx, ML_TX_TRANSFER);
	tx.u.transfer.amount = 0;
	assert_int_equal(ml_tx_encode(&tx, a, sizeof(a), &la), -EINVAL);
	sample_tx(&tx, ML_TX_ORDER);
	tx.u.order.qty_wh = ML_MAX_QTY_WH + 1;
	assert_int_equal(ml_tx_encode(&tx, a, sizeof(a), &la), -EINVAL);
	sample_tx(&tx, ML_TX_ORDER);
	tx.u.order.price = ML_MAX_PRICE + 1;
	assert_int_equal(ml_tx_encode(&tx, a, sizeof(a), &la), -EINVAL);
	sample_tx(&tx, ML_TX_DISPATCH);
	tx.u.dispatch.end = tx.u.dispatch.start;
	assert_int_equal(ml_tx_encode(&tx, a, sizeof(a), &la), -EINVAL);
	sample_tx(&tx, ML_TX_DISPATCH);
	tx.u.dispatch.kind = ML_DISPATCH_IMPORT_LIMIT;	/* negative limit */
	assert_int_equal(ml_tx_encode(&tx, a, sizeof(a), &la), -EINVAL);
	sample_tx(&tx, ML_TX_TRANSFER);
	assert_int_equal(ml_tx_encode(&tx, a, 20, &la), -ENOSPC);
}

static void test_tx_id_ignores_signatures_but_not_content(void **state)
{
	uint8_t id1[32], id2[32];
	struct ml_tx tx;

	(void)state;
	signed_sample(&tx, ML_TX_METER_REPORT);
	ml_tx_id(&tx, id1);
	tx.sig[0] ^= 1;
	tx.u.report.sig[40] ^= 1;
	ml_tx_id(&tx, id2);
	assert_memory_equal(id1, id2, 32);
	tx.u.report.export_wh++;
	ml_tx_id(&tx, id2);
	assert_memory_not_equal(id1, id2, 32);
}

static void test_tx_signature_covers_every_field(void **state)
{
	struct ml_tx tx;
	struct th_key other;

	(void)state;
	signed_sample(&tx, ML_TX_TRANSFER);
	assert_int_equal(ml_tx_verify(&tx), 0);
	tx.u.transfer.amount++;
	assert_int_equal(ml_tx_verify(&tx), -EPERM);
	signed_sample(&tx, ML_TX_TRANSFER);
	tx.nonce++;
	assert_int_equal(ml_tx_verify(&tx), -EPERM);
	signed_sample(&tx, ML_TX_TRANSFER);
	th_key(&other, 10);
	memcpy(tx.sender, other.pk, 32);
	assert_int_equal(ml_tx_verify(&tx), -EPERM);
}

static void make_report(struct ml_meter_report *r)
{
	memset(r, 0, sizeof(*r));
	r->chain_id = TH_CHAIN_ID;
	th_meter_id(r->meter, 4);
	r->interval_start = 1700001000;
	r->interval_len = 900;
	r->import_wh = 10;
	r->export_wh = 900;
}

/* n - s, as a high-s twin of a valid signature */
static void flip_s(uint8_t sig[64])
{
	static const uint8_t n[32] = {
		0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
		0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
	};
	int i, borrow = 0;

	for (i = 31; i >= 0; i--) {
		int d = n[i] - sig[32 + i] - borrow;

		borrow = d < 0;
		sig[32 + i] = (uint8_t)(d + (borrow << 8));
	}
}

static void test_report_openssl_signature_verifies_and_binds_fields(void **state)
{
	uint8_t pub[64], pub2[64];
	struct ml_meter_report r;
	EVP_PKEY *k = th_gw_new(pub), *k2 = th_gw_new(pub2);

	(void)state;
	assert_non_null(k);
	make_report(&r);
	assert_int_equal(th_report_sign(k, &r), 0);
	assert_int_equal(ml_report_verify(&r, pub), 0);
	assert_int_equal(ml_report_verify(&r, pub2), -EPERM);
	r.export_wh++;
	assert_int_equal(ml_report_verify(&r, pub), -EPERM);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

static void test_report_high_s_is_refused_by_decoder_and_normalised_by_signer(void **state)
{
	uint8_t pub[64], enc[ML_REPORT_LEN];
	struct ml_meter_report r, out;
	EVP_PKEY *k = th_gw_new(pub);

	(void)state;
	make_report(&r);
	assert_int_equal(th_report_sign(k, &r), 0);
	assert_int_equal(ml_report_encode(&r, enc), 0);
	assert_int_equal(ml_report_decode(enc, sizeof(enc), &out), 0);
	flip_s(r.sig);			/* still a valid ECDSA signature */
	assert_int_equal(ml_report_encode(&r, enc), -EINVAL);
	flip_s(enc + ML_REPORT_LEN - 64);
	assert_int_equal(ml_report_decode(enc, sizeof(enc), &out), -EINVAL);
	assert_int_equal(ml_report_verify(&r, pub), -EPERM);
	assert_int_equal(ml_p256_sig_normalize(r.sig), 0);
	assert_int_equal(ml_report_verify(&r, pub), 0);
	EVP_PKEY_free(k);
}

static void test_report_decoder_refuses_bad_r_s_and_alignment(void **state)
{
	uint8_t enc[ML_REPORT_LEN + 1];
	struct ml_meter_report r, out;

	(void)state;
	make_report(&r);
	r.sig[31] = 1;
	r.sig[63] = 1;
	assert_int_equal(ml_report_encode(&r, enc), 0);
	assert_int_equal(ml_report_decode(enc, ML_REPORT_LEN, &out), 0);
	enc[ML_REPORT_LEN] = 0;
	assert_int_equal(ml_report_decode(enc, ML_REPORT_LEN + 1, &out), -EBADMSG);
	assert_int_equal(ml_report_decode(enc, ML_REPORT_LEN - 1, &out), -EBADMSG);
	memset(r.sig, 0, 32);			/* r = 0 */
	r.sig[63] = 1;
	assert_int_equal(ml_report_encode(&r, enc), -EINVAL);
	memset(r.sig, 0xff, 32);		/* r >= n */
	assert_int_equal(ml_report_encode(&r, enc), -EINVAL);
	r.sig[0] = 1;
	r.interval_start += 1;			/* not on an interval boundary */
	assert_int_equal(ml_report_encode(&r, enc), -EINVAL);
}

static void test_p256_normalize_refuses_out_of_range(void **state)
{
	uint8_t sig[64] = { 0 };

	(void)state;
	assert_int_equal(ml_p256_sig_normalize(sig), -EINVAL);
	sig[31] = 1;
	memset(sig + 32, 0xff, 32);
	assert_int_equal(ml_p256_sig_normalize(sig), -EINVAL);
}

static void make_block(struct ml_block *b, struct ml_tx *txs, uint32_t n)
{
	uint32_t i;

	memset(b, 0, sizeof(*b));
	b->hdr.chain_id = TH_CHAIN_ID;
	b->hdr.height = 5;
	b->hdr.round = 1;
	b->hdr.time = TH_T0 + 60;
	for (i = 0; i < n; i++)
		signed_sample(&txs[i], 1 + (int)(i % 8));
	b->txs = txs;
	b->ntx = n;
	assert_int_equal(ml_block_tx_root(txs, n, b->hdr.tx_root), 0);
}

static void test_block_roundtrip_and_strictness(void **state)
{
	struct ml_tx txs[9];
	struct ml_block b, out;
	struct th_key v[3];
	uint8_t *enc, *enc2;
	size_t len, len2;
	int i;

	(void)state;
	make_block(&b, txs, 9);
	for (i = 0; i < 3; i++) {
		th_key(&v[i], (uint8_t)(0x30 + i));
		assert_int_equal(ml_commit_add(&b, v[i].sk), 0);
	}
	assert_int_equal(ml_block_encode(&b, &enc, &len), 0);
	assert_int_equal(ml_block_decode(enc, len, &out), 0);
	assert_int_equal(out.ntx, 9);
	assert_int_equal(out.ncommit, 3);
	assert_int_equal(ml_block_encode(&out, &enc2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(enc, enc2, len);
	ml_block_free(&out);
	free(enc2);
	/* trailing byte, truncation */
	enc2 = malloc(len + 1);
	memcpy(enc2, enc, len);
	enc2[len] = 0;
	assert_int_not_equal(ml_block_decode(enc2, len + 1, &out), 0);
	assert_int_not_equal(ml_block_decode(enc2, len - 1, &out), 0);
	/* commit entries out of order: swap the last two */
	memcpy(enc2, enc, len);
	memcpy(enc2 + len - 96, enc + len - 192, 96);
	memcpy(enc2 + len - 192, enc + len - 96, 96);
	assert_int_equal(ml_block_decode(enc2, len, &out), -EINVAL);
	/* a transaction count the input cannot hold */
	memcpy(enc2, enc, len);
	enc2[ML_HEADER_LEN] = 0x7f;
	assert_int_not_equal(ml_block_decode(enc2, len, &out), 0);
	/* a transaction length one too long */
	memcpy(enc2, enc, len);
	enc2[ML_HEADER_LEN + 4 + 3]++;
	assert_int_not_equal(ml_block_decode(enc2, len, &out), 0);
	free(enc2);
	free(enc);
	free(b.commit);
}

static void test_commit_needs_quorum_of_distinct_known_validators(void **state)
{
	uint8_t keys[4 * 32];
	struct ml_tx txs[1];
	struct ml_block b;
	struct th_key v[5];
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		th_key(&v[i], (uint8_t)(0x40 + i));
	for (i = 0; i < 4; i++)
		memcpy(keys + 32 * i, v[i].pk, 32);
	make_block(&b, txs, 1);
	assert_int_equal(ml_commit_add(&b, v[0].sk), 0);
	assert_int_equal(ml_commit_add(&b, v[1].sk), 0);
	assert_int_equal(ml_commit_verify(&b, keys, 4), -EPERM);	/* 2/4 */
	assert_int_equal(ml_commit_add(&b, v[1].sk), 0);	/* again */
	assert_int_equal(b.ncommit, 2);
	assert_int_equal(ml_commit_verify(&b, keys, 4), -EPERM);
	assert_int_equal(ml_commit_add(&b, v[2].sk), 0);
	assert_int_equal(ml_commit_verify(&b, keys, 4), 0);		/* 3/4 */
	assert_int_equal(ml_commit_add(&b, v[4].sk), 0);	/* stranger */
	assert_int_equal(ml_commit_verify(&b, keys, 4), -EPERM);
	free(b.commit);
	b.commit = NULL;
	b.ncommit = 0;
	for (i = 0; i < 3; i++)
		assert_int_equal(ml_commit_add(&b, v[i].sk), 0);
	b.commit[1].sig[5] ^= 1;
	assert_int_equal(ml_commit_verify(&b, keys, 4), -EPERM);
	b.commit[1].sig[5] ^= 1;
	b.hdr.height++;		/* signatures are over this header only */
	assert_int_equal(ml_commit_verify(&b, keys, 4), -EPERM);
	free(b.commit);
}

static void test_quorum_is_ceil_two_thirds(void **state)
{
	static const size_t want[] = { 0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7 };
	size_t n;

	(void)state;
	for (n = 1; n < sizeof(want) / sizeof(want[0]); n++)
		assert_int_equal(ml_quorum(n), want[n]);
}

static void test_tx_root_depends_on_order_and_count(void **state)
{
	uint8_t r0[32], r1[32], r2[32], r3[32], zero[32] = { 0 };
	struct ml_tx t[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		signed_sample(&t[i], 1 + i);
	assert_int_equal(ml_block_tx_root(t, 0, r0), 0);
	assert_memory_equal(r0, zero, 32);
	assert_int_equal(ml_block_tx_root(t, 3, r1), 0);
	t[3] = t[2];		/* [a b c c] must not equal [a b c] */
	assert_int_equal(ml_block_tx_root(t, 4, r2), 0);
	assert_memory_not_equal(r1, r2, 32);
	t[3] = t[0];
	t[0] = t[1];
	t[1] = t[3];
	assert_int_equal(ml_block_tx_root(t, 3, r3), 0);
	assert_memory_not_equal(r1, r3, 32);
}

static void test_genesis_roundtrip_and_refusals(void **state)
{
	struct th_chain c;
	struct th_opts o = { .nusers = 3, .user_balance = 1000 };
	struct ml_genesis g;
	uint8_t *enc, *enc2;
	size_t len, len2;

	(void)state;
	assert_int_equal(th_chain_init(&c, &o), 0);
	assert_int_equal(ml_genesis_encode(&c.g, &enc, &len), 0);
	assert_int_equal(ml_genesis_decode(enc, len, &g), 0);
	assert_int_equal(ml_genesis_encode(&g, &enc2, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(enc, enc2, len);
	free(enc2);
	ml_genesis_free(&g);
	assert_int_not_equal(ml_genesis_decode(enc, len - 1, &g), 0);
	free(enc);
	c.g.accounts[1] = c.g.accounts[0];	/* not strictly sorted */
	assert_int_equal(ml_genesis_encode(&c.g, &enc, &len), -EINVAL);
	th_chain_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_roundtrip_every_kind),
		cmocka_unit_test(test_tx_encoding_matches_golden_files),
		cmocka_unit_test(test_tx_decoder_refuses_every_truncation_and_trailing_byte),
		cmocka_unit_test(test_tx_decoder_refuses_unknown_version_kind_and_ranges),
		cmocka_unit_test(test_tx_encoder_refuses_values_out_of_range),
		cmocka_unit_test(test_tx_id_ignores_signatures_but_not_content),
		cmocka_unit_test(test_tx_signature_covers_every_field),
		cmocka_unit_test(test_report_openssl_signature_verifies_and_binds_fields),
		cmocka_unit_test(test_report_high_s_is_refused_by_decoder_and_normalised_by_signer),
		cmocka_unit_test(test_report_decoder_refuses_bad_r_s_and_alignment),
		cmocka_unit_test(test_p256_normalize_refuses_out_of_range),
		cmocka_unit_test(test_block_roundtrip_and_strictness),
		cmocka_unit_test(test_commit_needs_quorum_of_distinct_known_validators),
		cmocka_unit_test(test_quorum_is_ceil_two_thirds),
		cmocka_unit_test(test_tx_root_depends_on_order_and_count),
		cmocka_unit_test(test_genesis_roundtrip_and_refusals),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("ledger codec", tests, NULL, NULL);
}
