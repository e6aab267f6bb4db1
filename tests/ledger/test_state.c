// SPDX-License-Identifier: GPL-2.0
/*
 * State: blocks applied atomically in SQLite, header checks, nonces,
 * roles, meters, validator votes, and state roots two nodes can compare.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"

static struct th_chain C;

static int setup(void **state)
{
	struct th_opts o = { .nusers = 4, .user_balance = 1000000 };

	(void)state;
	return th_chain_init(&C, &o);
}

static int teardown(void **state)
{
	(void)state;
	th_chain_free(&C);
	return 0;
}

static void transfer(const struct th_key *from, const uint8_t *to,
		     uint64_t amount)
{
	struct ml_tx tx = { .kind = ML_TX_TRANSFER };

	memcpy(tx.u.transfer.to, to, 32);
	tx.u.transfer.amount = amount;
	assert_int_equal(th_add(&C, from, &tx), 0);
}

static void pragma(const char *path, const char *q, const char *want)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), want);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void test_create_twice_is_refused_and_wal_is_on(void **state)
{
	(void)state;
	assert_int_equal(ml_ledger_create(C.path, &C.g), -EEXIST);
	pragma(C.path, "PRAGMA journal_mode", "wal");
}

static void test_transfer_moves_money_and_bumps_nonce(void **state)
{
	int64_t total0, total1;
	uint64_t nonce;

	(void)state;
	assert_int_equal(ml_ledger_total(C.l, &total0), 0);
	transfer(&C.user[0], C.user[1].pk, 1234);
	transfer(&C.user[0], C.user[2].pk, 1);
	assert_int_equal(th_commit(&C, TH_T0 + 10), 0);
	assert_int_equal(th_balance(&C, C.user[0].pk), 1000000 - 1235);
	assert_int_equal(th_balance(&C, C.user[1].pk), 1000000 + 1234);
	assert_int_equal(ml_ledger_balance(C.l, C.user[0].pk, NULL, NULL,
					   &nonce), 0);
	assert_int_equal(nonce, 2);
	assert_int_equal(ml_ledger_total(C.l, &total1), 0);
	assert_int_equal(total0, total1);
}

static void test_transfer_to_new_account_creates_it(void **state)
{
	struct th_key fresh;

	(void)state;
	th_key(&fresh, 0x99);
	transfer(&C.user[0], fresh.pk, 500);
	assert_int_equal(th_commit(&C, TH_T0 + 10), 0);
	assert_int_equal(th_balance(&C, fresh.pk), 500);
}

/* Every failure leaves the ledger exactly as it was: same root, height. */
static void expect_no_trace(int got, int want, const uint8_t root0[32])
{
	struct ml_ledger_info info;

	assert_int_equal(got, want);
	assert_int_equal(ml_ledger_info(C.l, &info), 0);
	assert_int_equal(info.height, 0);
	assert_memory_equal(info.state_root, root0, 32);
}

static void test_block_failing_half_way_leaves_no_trace(void **state)
{
	uint8_t root0[32];

	(void)state;
	th_state_root(&C, root0);
	transfer(&C.user[0], C.user[1].pk, 10);
	transfer(&C.user[1], C.user[2].pk, 5000000);	/* too much */
	expect_no_trace(th_commit(&C, TH_T0 + 10), -ENOSPC, root0);
	/* and the same block without the bad tx then applies */
	transfer(&C.user[0], C.user[1].pk, 10);
	assert_int_equal(th_commit(&C, TH_T0 + 10), 0);
}

static void test_replayed_transaction_is_refused(void **state)
{
	struct ml_tx tx;
	uint8_t root[32];

	(void)state;
	transfer(&C.user[0], C.user[1].pk, 10);
	tx = C.pend[0];
	assert_int_equal(th_commit(&C, TH_T0 + 10), 0);
	th_state_root(&C, root);
	C.pend[0] = tx;			/* the same signed bytes again */
	C.npend = 1;
	assert_int_equal(th_commit(&C, TH_T0 + 20), -EALREADY);
	th_state_root(&C, root);
}

static void test_forged_signature_is_refused(void **state)
{
	uint8_t root0[32];

	(void)state;
	th_state_root(&C, root0);
	transfer(&C.user[0], C.user[1].pk, 10);
	C.pend[0].u.transfer.amount = 999;	/* after signing */
	expect_no_trace(th_commit(&C, TH_T0 + 10), -EPERM, root0);
}

static void test_unknown_sender_and_wrong_chain_are_refused(void **state)
{
	struct th_key stranger;
	struct ml_tx tx = { .kind = ML_TX_TRANSFER };
	uint8_t root0[32];

	(void)state;
	th_state_root(&C, root0);
	th_key(&stranger, 0x77);
	memcpy(tx.u.transfer.to, C.user[0].pk, 32);
	tx.u.transfer.amount = 1;
	assert_int_equal(th_add(&C, &stranger, &tx), 0);
	expect_no_trace(th_commit(&C, TH_T0 + 10), -ENOENT, root0);
	transfer(&C.user[0], C.user[1].pk, 10);
	C.pend[0].chain_id++;
	ml_tx_sign(&C.pend[0], C.user[0].sk);
	expect_no_trace(th_commit(&C, TH_T0 + 10), -EINVAL, root0);
}

static void tamper_and_apply(void (*edit)(struct ml_block *), int resign,
			     int want)
{
	struct ml_block b;
	uint8_t *buf, root0[32];
	size_t len;
	int i;

	th_state_root(&C, root0);
	transfer(&C.user[0], C.user[1].pk, 10);
	assert_int_equal(th_build(&C, TH_T0 + 10, &buf, &len), 0);
	assert_int_equal(ml_block_decode(buf, len, &b), 0);
	free(buf);
	edit(&b);
	if (resign) {	/* a certificate over the edited header */
		free(b.commit);
		b.commit = NULL;
		b.ncommit = 0;
		for (i = 0; i < 3; i++)
			assert_int_equal(ml_commit_add(&b, C.val[i].sk), 0);
	}
	assert_int_equal(ml_block_encode(&b, &buf, &len), 0);
	ml_block_free(&b);
	expect_no_trace(ml_ledger_apply_block(C.l, buf, len, 0), want, root0);
	free(buf);
}

static void edit_state_root(struct ml_block *b) { b->hdr.state_root[0] ^= 1; }
static void edit_prev(struct ml_block *b) { b->hdr.prev_hash[0] ^= 1; }
static void edit_height(struct ml_block *b) { b->hdr.height++; }
static void edit_time(struct ml_block *b) { b->hdr.time = TH_T0; }
static void edit_round(struct ml_block *b) { b->hdr.round++; }
static void edit_tx_root(struct ml_block *b) { b->hdr.tx_root[3] ^= 1; }
static void edit_chain(struct ml_block *b) { b->hdr.chain_id++; }

static void edit_no_cert(struct ml_block *b)
{
	free(b->commit);
	b->commit = NULL;
	b->ncommit = 0;
}

static void edit_short_cert(struct ml_block *b)
{
	b->ncommit = 2;		/* 2 of 4 validators: below quorum */
}

static void test_block_header_checks(void **state)
{
	(void)state;
	tamper_and_apply(edit_state_root, 1, -EBADMSG);
	tamper_and_apply(edit_prev, 1, -ESTALE);
	tamper_and_apply(edit_height, 1, -ESTALE);
	tamper_and_apply(edit_chain, 1, -ESTALE);
	tamper_and_apply(edit_time, 1, -ETIME);
	tamper_and_apply(edit_round, 1, -EPERM);	/* wrong proposer */
	tamper_and_apply(edit_tx_root, 1, -EBADMSG);
	tamper_and_apply(edit_no_cert, 0, -EPERM);
	tamper_and_apply(edit_short_cert, 0, -EPERM);
}

static void test_state_survives_reopen(void **state)
{
	struct ml_ledger_info a, b;

	(void)state;
	transfer(&C.user[0], C.user[1].pk, 10);
	assert_int_equal(th_commit(&C, TH_T0 + 10), 0);
	assert_int_equal(ml_ledger_info(C.l, &a), 0);
	assert_int_equal(th_chain_reopen(&C), 0);
	assert_int_equal(ml_ledger_info(C.l, &b), 0);
	assert_int_equal(b.height, 1);
	assert_memory_equal(&a, &b, sizeof(a));
	transfer(&C.user[0], C.user[1].pk, 10);
	assert_int_equal(th_commit(&C, TH_T0 + 20), 0);
}

static void test_two_nodes_agree_on_state_root(void **state)
{
	struct th_chain other;
	struct th_opts o = { .nusers = 4, .user_balance = 1000000 };
	struct ml_ledger_info a, b;
	uint8_t *buf;
	size_t len;
	int h;

	(void)state;
	assert_int_equal(th_chain_init(&other, &o), 0);
	for (h = 1; h <= 3; h++) {
		transfer(&C.user[h], C.user[0].pk, (uint64_t)h * 100);
		assert_int_equal(th_build(&C, TH_T0 + 10 * h, &buf, &len), 0);
		assert_int_equal(ml_ledger_apply_block(C.l, buf, len, 0), 0);
		assert_int_equal(ml_ledger_apply_block(other.l, buf, len, 0), 0);
		free(buf);
	}
	assert_int_equal(ml_ledger_info(C.l, &a), 0);
	assert_int_equal(ml_ledger_info(other.l, &b), 0);
	assert_memory_equal(a.state_root, b.state_root, 32);
	assert_memory_equal(a.last_hash, b.last_hash, 32);
	th_chain_free(&other);
}

static void test_only_operator_registers_meters_on_curve(void **state)
{
	struct ml_tx tx = { .kind = ML_TX_REGISTER_METER };
	EVP_PKEY *k;
	uint8_t root0[32];

	(void)state;
	th_state_root(&C, root0);
	k = th_gw_new(tx.u.reg.gw_key);
	th_meter_id(tx.u.reg.meter, 1);
	memcpy(tx.u.reg.owner, C.user[0].pk, 32);
	tx.u.reg.feeder = 1;
	assert_int_equal(th_add(&C, &C.user[0], &tx), 0);
	expect_no_trace(th_commit(&C, TH_T0 + 10), -EPERM, root0);
	tx.u.reg.gw_key[63] ^= 1;		/* off the curve */
	assert_int_equal(th_add(&C, &C.op, &tx), 0);
	expect_no_trace(th_commit(&C, TH_T0 + 10), -EINVAL, root0);
	tx.u.reg.gw_key[63] ^= 1;
	tx.u.reg.feeder = 9;			/* no such feeder */
	assert_int_equal(th_add(&C, &C.op, &tx), 0);
	expect_no_trace(th_commit(&C, TH_T0 + 10), -ENOENT, root0);
	tx.u.reg.feeder = 1;
	assert_int_equal(th_add(&C, &C.op, &tx), 0);
	assert_int_equal(th_commit(&C, TH_T0 + 10), 0);
	assert_int_equal(th_add(&C, &C.op, &tx), 0);	/* twice */
	assert_int_equal(th_commit(&C, TH_T0 + 20), -EEXIST);
	EVP_PKEY_free(k);
}

static void vote(const struct th_key *v, const uint8_t *subject, int action)
{
	struct ml_tx tx = { .kind = ML_TX_VALIDATOR_VOTE };

	memcpy(tx.u.vote.subject, subject, 32);
	tx.u.vote.action = (uint8_t)action;
	assert_int_equal(th_add(&C, v, &tx), 0);
}

static void test_validator_set_changes_by_quorum_vote(void **state)
{
	uint8_t *keys;
	size_t n;

	(void)state;
	/* 2 of 4 votes: not yet */
	vote(&C.val[0], C.user[0].pk, ML_VOTE_ADD);
	vote(&C.val[1], C.user[0].pk, ML_VOTE_ADD);
	assert_int_equal(th_commit(&C, TH_T0 + 10), 0);
	assert_int_equal(ml_ledger_validators(C.l, &keys, &n), 0);
	free(keys);
	assert_int_equal(n, 4);
	/* a non-validator's vote is refused, a double vote too */
	vote(&C.user[1], C.user[0].pk, ML_VOTE_ADD);
	assert_int_equal(th_commit(&C, TH_T0 + 20), -EPERM);
	vote(&C.val[1], C.user[0].pk, ML_VOTE_ADD);
	assert_int_equal(th_commit(&C, TH_T0 + 20), -EEXIST);
	vote(&C.val[2], C.user[0].pk, ML_VOTE_ADD);	/* 3 of 4 */
	assert_int_equal(th_commit(&C, TH_T0 + 20), 0);
	assert_int_equal(ml_ledger_validators(C.l, &keys, &n), 0);
	free(keys);
	assert_int_equal(n, 5);
	/* the new set (quorum 4 of 5) must now certify blocks */
	C.val[4] = C.user[0];
	C.nval = 5;
	transfer(&C.user[1], C.user[2].pk, 1);
	assert_int_equal(th_commit(&C, TH_T0 + 30), 0);
	/* and can vote a member out again */
	vote(&C.val[0], C.val[3].pk, ML_VOTE_REMOVE);
	vote(&C.val[1], C.val[3].pk, ML_VOTE_REMOVE);
	vote(&C.val[2], C.val[3].pk, ML_VOTE_REMOVE);
	vote(&C.val[4], C.val[3].pk, ML_VOTE_REMOVE);
	assert_int_equal(th_commit(&C, TH_T0 + 40), 0);
	assert_int_equal(ml_ledger_validators(C.l, &keys, &n), 0);
	free(keys);
	assert_int_equal(n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_create_twice_is_refused_and_wal_is_on),
		T(test_transfer_moves_money_and_bumps_nonce),
		T(test_transfer_to_new_account_creates_it),
		T(test_block_failing_half_way_leaves_no_trace),
		T(test_replayed_transaction_is_refused),
		T(test_forged_signature_is_refused),
		T(test_unknown_sender_and_wrong_chain_are_refused),
		T(test_block_header_checks),
		T(test_state_survives_reopen),
		T(test_two_nodes_agree_on_state_root),
		T(test_only_operator_registers_meters_on_curve),
		T(test_validator_set_changes_by_quorum_vote),
#undef T
	};

	return cmocka_run_group_tests_name("ledger state", tests, NULL, NULL);
}
