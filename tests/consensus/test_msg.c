// SPDX-License-Identifier: GPL-2.0
/* Consensus message codec: round trips, strictness, signatures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "consensus.h"
#include "helpers.h"

static uint8_t blockbuf[200];

/* One valid sample of every type, signed by key @k. */
static void sample(struct ml_cs_msg *m, int type, const struct th_key *k)
{
	static struct ml_cs_rc rc[3];
	static struct ml_cs_sig prep[3];
	int i;

	memset(m, 0, sizeof(*m));
	m->type = (uint8_t)type;
	m->chain_id = TH_CHAIN_ID;
	m->height = 42;
	m->round = 3;
	memset(m->hash, 0x11, 32);
	for (i = 0; i < 3; i++) {
		memset(rc[i].sender, 0x20 + i, 32);
		rc[i].pr = i ? 1 : ML_CS_NOT_PREPARED;
		memset(rc[i].ph, i ? 0x11 : 0, 32);
		memset(rc[i].sig, 0x30 + i, 64);
		memset(prep[i].sender, 0x40 + i, 32);
		memset(prep[i].sig, 0x50 + i, 64);
	}
	memset(blockbuf, 0x77, sizeof(blockbuf));
	switch (type) {
	case ML_CS_PROPOSAL:
		m->block = blockbuf;
		m->block_len = sizeof(blockbuf);
		m->rc = rc;
		m->nrc = 3;
		m->prep = prep;
		m->nprep = 3;
		break;
	case ML_CS_COMMIT:
		memset(m->seal, 0x66, 64);
		break;
	case ML_CS_ROUND_CHANGE:
		m->pr = 1;
		m->prep = prep;
		m->nprep = 3;
		m->block = blockbuf;
		m->block_len = sizeof(blockbuf);
		break;
	case ML_CS_STATE_RESP:
		m->committed = 41;
		break;
	case ML_CS_BLOCK:
		m->block = blockbuf;
		m->block_len = sizeof(blockbuf);
		break;
	case ML_CS_EVIDENCE:
		memset(m->offender, 0x88, 32);
		m->vtype = ML_VOTE_PREPARE;
		memset(m->hash_b, 0x22, 32);
		memset(m->sig_a, 0x91, 64);
		memset(m->sig_b, 0x92, 64);
		break;
	}
	ml_cs_msg_sign(m, k->sk);
}

static void test_every_type_round_trips_and_verifies(void **state)
{
	struct ml_cs_msg m, back;
	struct th_key k;
	uint8_t *a, *b;
	size_t la, lb;
	int t;

	(void)state;
	th_key(&k, 3);
	for (t = 1; t < __ML_CS_TYPE_MAX; t++) {
		sample(&m, t, &k);
		assert_int_equal(ml_cs_msg_encode(&m, &a, &la), 0);
		assert_int_equal(ml_cs_msg_decode(a, la, &back), 0);
		assert_int_equal(ml_cs_msg_verify(&back), 0);
		assert_int_equal(ml_cs_msg_encode(&back, &b, &lb), 0);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		ml_cs_msg_free(&back);
		free(a);
		free(b);
	}
}

static void test_decoder_refuses_every_truncation_and_trailing_byte(void **state)
{
	struct ml_cs_msg m, out;
	struct th_key k;
	uint8_t *a, *x;
	size_t la, i;
	int t;

	(void)state;
	th_key(&k, 3);
	for (t = 1; t < __ML_CS_TYPE_MAX; t++) {
		sample(&m, t, &k);
		assert_int_equal(ml_cs_msg_encode(&m, &a, &la), 0);
		for (i = 0; i < la; i++)
			assert_int_not_equal(ml_cs_msg_decode(a, i, &out), 0);
		x = malloc(la + 1);
		memcpy(x, a, la);
		x[la] = 0;
		assert_int_equal(ml_cs_msg_decode(x, la + 1, &out), -EBADMSG);
		free(x);
		free(a);
	}
}

/*
 * Every signed bit matters. Not signed by the sender, and checked on their
 * own: a commit's seal (against the block hash) and a round change's
 * prepared certificate and block (against the prepared hash it signs).
 */
static void test_any_flipped_bit_breaks_the_signature(void **state)
{
	struct ml_cs_msg m, out;
	struct th_key k;
	uint8_t *a;
	size_t la, i;
	int t, ok;

	(void)state;
	th_key(&k, 3);
	for (t = ML_CS_PREPARE; t <= ML_CS_STATE_RESP; t++) {
		sample(&m, t, &k);
		assert_int_equal(ml_cs_msg_encode(&m, &a, &la), 0);
		for (i = 0; i < la; i++) {
			a[i] ^= 0x01;
			ok = !ml_cs_msg_decode(a, la, &out);
			if (ok) {
				if ((t != ML_CS_COMMIT || i < 86 || i >= 150) &&
				    (t != ML_CS_ROUND_CHANGE || i < 90 ||
				     i >= la - 64))
					assert_int_equal(ml_cs_msg_verify(&out),
							 -EPERM);
				ml_cs_msg_free(&out);
			}
			a[i] ^= 0x01;
		}
		free(a);
	}
}

static void expect_refused(int type, size_t off, uint8_t val, int err)
{
	struct ml_cs_msg m, out;
	struct th_key k;
	uint8_t *a;
	size_t la;

	th_key(&k, 3);
	sample(&m, type, &k);
	assert_int_equal(ml_cs_msg_encode(&m, &a, &la), 0);
	a[off] = val;
	assert_int_equal(ml_cs_msg_decode(a, la, &out), err);
	free(a);
}

static void test_decoder_refuses_bad_values(void **state)
{
	(void)state;
	expect_refused(ML_CS_PREPARE, 0, 2, -EINVAL);	/* version */
	expect_refused(ML_CS_PREPARE, 1, 0, -EINVAL);	/* type 0 */
	expect_refused(ML_CS_PREPARE, 1, 9, -EINVAL);	/* unknown type */
	/* round change: prepared round must be below the round (3) */
	expect_refused(ML_CS_ROUND_CHANGE, 57, 3, -EINVAL);
	/* round-change justification out of order: first sender > second */
	expect_refused(ML_CS_PROPOSAL, 54 + 32 + 4 + 200 + 2, 0x2f, -EINVAL);
	/* evidence: unknown vote type, and hashes out of order */
	expect_refused(ML_CS_EVIDENCE, 54 + 32, 4, -EINVAL);
	expect_refused(ML_CS_EVIDENCE, 54 + 33, 0x33, -EINVAL);
	/* a block length beyond the input */
	expect_refused(ML_CS_BLOCK, 54 + 32, 0x7f, -EINVAL);
}

static void test_encoder_refuses_what_the_decoder_would(void **state)
{
	struct ml_cs_msg m;
	struct th_key k;
	uint8_t *a;
	size_t la;

	(void)state;
	th_key(&k, 3);
	sample(&m, ML_CS_PROPOSAL, &k);
	m.round = 0;	/* round 0 carries no justification */
	assert_int_equal(ml_cs_msg_encode(&m, &a, &la), -EINVAL);
	sample(&m, ML_CS_ROUND_CHANGE, &k);
	m.pr = ML_CS_NOT_PREPARED;	/* not prepared, yet a certificate */
	assert_int_equal(ml_cs_msg_encode(&m, &a, &la), -EINVAL);
	sample(&m, ML_CS_PROPOSAL, &k);
	m.nprep = ML_CS_MAX_VALIDATORS + 1;
	assert_int_equal(ml_cs_msg_encode(&m, &a, &la), -EINVAL);
}

static void test_oversized_input_is_refused_before_parsing(void **state)
{
	struct ml_cs_msg out;
	static uint8_t one;

	(void)state;
	assert_int_equal(ml_cs_msg_decode(&one, (size_t)ML_CS_MAX_MSG + 1, &out),
			 -E2BIG);
}

/* The signed bytes are the ledger's vote bytes: evidence verifies there. */
static void test_prepare_signature_is_the_ledger_vote_signature(void **state)
{
	uint8_t b[ML_VOTE_BYTES_LEN];
	struct ml_cs_msg m;
	struct th_key k;
	size_t n;

	(void)state;
	th_key(&k, 5);
	sample(&m, ML_CS_PREPARE, &k);
	n = ml_vote_bytes(ML_VOTE_PREPARE, m.chain_id, m.height, m.round, k.pk,
			  m.hash, b);
	assert_int_equal(n, ML_VOTE_BYTES_LEN);
	assert_int_equal(crypto_sign_verify_detached(m.sig, b, n, k.pk), 0);
}

/* --- the ledger's evidence transaction (kind 9) --- */

static void evidence_tx(struct ml_tx *tx, const struct th_key *off,
			uint64_t height, int bad_sig)
{
	uint8_t a[32], b[32], msg[ML_VOTE_BYTES_LEN];
	size_t n;

	memset(tx, 0, sizeof(*tx));
	memset(a, 0x01, 32);
	memset(b, 0x02, 32);
	tx->kind = ML_TX_EVIDENCE;
	memcpy(tx->u.evidence.validator, off->pk, 32);
	tx->u.evidence.type = ML_VOTE_PREPARE;
	tx->u.evidence.height = height;
	tx->u.evidence.round = 1;
	memcpy(tx->u.evidence.hash_a, a, 32);
	memcpy(tx->u.evidence.hash_b, b, 32);
	n = ml_vote_bytes(ML_VOTE_PREPARE, TH_CHAIN_ID, height, 1, off->pk, a,
			  msg);
	crypto_sign_detached(tx->u.evidence.sig_a, NULL, msg, n, off->sk);
	n = ml_vote_bytes(ML_VOTE_PREPARE, TH_CHAIN_ID, height, 1, off->pk,
			  bad_sig ? a : b, msg);
	crypto_sign_detached(tx->u.evidence.sig_b, NULL, msg, n, off->sk);
}

static void test_ledger_records_evidence_once_and_refuses_bad_evidence(void **state)
{
	struct th_opts o = { .nval = 4, .nusers = 1, .user_balance = 1000 };
	struct th_chain c;
	struct ml_tx tx;

	(void)state;
	assert_int_equal(th_chain_init(&c, &o), 0);
	assert_int_equal(th_commit(&c, TH_T0 + 1), 0);
	/* a forged second signature */
	evidence_tx(&tx, &c.val[2], 1, 1);
	assert_int_equal(th_add(&c, &c.val[0], &tx), 0);
	assert_int_equal(th_commit(&c, TH_T0 + 2), -EPERM);
	/* from an account that is not a validator */
	evidence_tx(&tx, &c.val[2], 1, 0);
	assert_int_equal(th_add(&c, &c.user[0], &tx), 0);
	assert_int_equal(th_commit(&c, TH_T0 + 2), -EPERM);
	/* about a height that does not exist yet */
	evidence_tx(&tx, &c.val[2], 5, 0);
	assert_int_equal(th_add(&c, &c.val[0], &tx), 0);
	assert_int_equal(th_commit(&c, TH_T0 + 2), -EINVAL);
	/* good: recorded once */
	evidence_tx(&tx, &c.val[2], 1, 0);
	assert_int_equal(th_add(&c, &c.val[0], &tx), 0);
	assert_int_equal(th_commit(&c, TH_T0 + 2), 0);
	evidence_tx(&tx, &c.val[2], 1, 0);
	assert_int_equal(th_add(&c, &c.val[1], &tx), 0);
	assert_int_equal(th_commit(&c, TH_T0 + 3), -EEXIST);
	th_chain_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_round_trips_and_verifies),
		cmocka_unit_test(test_decoder_refuses_every_truncation_and_trailing_byte),
		cmocka_unit_test(test_any_flipped_bit_breaks_the_signature),
		cmocka_unit_test(test_decoder_refuses_bad_values),
		cmocka_unit_test(test_encoder_refuses_what_the_decoder_would),
		cmocka_unit_test(test_oversized_input_is_refused_before_parsing),
		cmocka_unit_test(test_prepare_signature_is_the_ledger_vote_signature),
		cmocka_unit_test(test_ledger_records_evidence_once_and_refuses_bad_evidence),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
