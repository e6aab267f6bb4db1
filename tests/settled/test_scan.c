// SPDX-License-Identifier: GPL-2.0
/*
 * scan_dispatches() on a real ledger (tests/ledger/helpers.c: real keys,
 * certified blocks, SQLite) and a real spool: every final instruction for
 * our meters is found once, whoever sent it; others' are not; a lost scan
 * height finds nothing twice and keeps each instruction's state; a block
 * that cannot be read records nothing; a bad or too high scan height is
 * looked through again from block 1.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"
#include "scan.h"
#include "spool.h"

#define S1 (TH_T0 + 1800)

static struct th_chain C;
static EVP_PKEY *gw[2];
static uint8_t ida[32], idb[32], idc[32];
static char path[512];
static struct spool *sp;

static void dispatch(int meter, int kind, int64_t w, uint64_t start, uint8_t id[32])
{
	struct ml_tx tx = { .kind = ML_TX_DISPATCH };

	th_meter_id(tx.u.dispatch.meter, meter);
	tx.u.dispatch.kind = (uint8_t)kind;
	tx.u.dispatch.value = w;
	tx.u.dispatch.start = start;
	tx.u.dispatch.end = start + 1800;
	assert_int_equal(th_add(&C, &C.op, &tx), 0);
	ml_tx_id(&C.pend[C.npend - 1], id);
}

static void unlink_db(const char *p)
{
	char q[600];

	unlink(p);
	snprintf(q, sizeof(q), "%s-wal", p);
	unlink(q);
	snprintf(q, sizeof(q), "%s-shm", p);
	unlink(q);
}

/* blocks: 1 registrations, 2 dispatches for meter 0 (A) and meter 1, 3 one
 * for meter 0 (C); our spool knows meter 0 only */
static int setup(void **state)
{
	struct th_opts o = { .nusers = 2, .user_balance = 1000 };
	uint8_t key[32];
	int64_t m;

	(void)state;
	if (th_chain_init(&C, &o))
		return -1;
	gw[0] = th_register(&C, 0, C.user[0].pk, 1);
	gw[1] = th_register(&C, 1, C.user[1].pk, 1);
	if (th_commit(&C, TH_T0 + 10))
		return -1;
	dispatch(0, ML_DISPATCH_IMPORT_LIMIT, 4000, S1, ida);
	dispatch(1, ML_DISPATCH_EXPORT_LIMIT, 1000, S1, idb);
	if (th_commit(&C, TH_T0 + 20))
		return -1;
	dispatch(0, ML_DISPATCH_BATTERY, -3000, S1 + 900, idc);
	if (th_commit(&C, TH_T0 + 30))
		return -1;
	snprintf(path, sizeof(path), "%s/spool.db", C.dir);
	if (spool_open(path, &sp))
		return -1;
	th_meter_id(key, 0);
	return spool_meter(sp, "spi0.0", key, &m);
}

static int teardown(void **state)
{
	(void)state;
	spool_close(sp);
	unlink_db(path);
	EVP_PKEY_free(gw[0]);
	EVP_PKEY_free(gw[1]);
	th_chain_free(&C);
	return 0;
}

static size_t in_state(int state, struct spool_dispatch *d)
{
	size_t n = 0;

	assert_int_equal(spool_dispatches(sp, state, d, 8, &n), 0);
	return n;
}

static uint64_t kept_height(void)
{
	char v[32];

	assert_int_equal(spool_kv_get(sp, SCAN_KEY, v, sizeof(v)), 0);
	return strtoull(v, NULL, 10);
}

static void finds_ours_once(void **state)
{
	struct spool_dispatch d[8];
	uint64_t h = 99;

	(void)state;
	/* one block per call: block 1 holds no instruction */
	assert_int_equal(scan_dispatches(C.l, sp, 3, 1, &h), 0);
	assert_int_equal(h, 1);
	assert_int_equal(kept_height(), 1);
	assert_int_equal(scan_dispatches(C.l, sp, 3, 100, &h), 2);
	assert_int_equal(h, 3);
	assert_int_equal(kept_height(), 3);
	assert_int_equal(in_state(0, d), 2);
	assert_memory_equal(d[0].id, ida, 32);
	assert_int_equal(d[0].kind, ML_DISPATCH_IMPORT_LIMIT);
	assert_int_equal(d[0].value, 4000);
	assert_int_equal(d[0].start, S1);
	assert_int_equal(d[0].end, S1 + 1800);
	assert_memory_equal(d[1].id, idc, 32);
	assert_int_equal(d[1].value, -3000);
	/* nothing new: nothing found, height kept */
	assert_int_equal(scan_dispatches(C.l, sp, 3, 100, &h), 0);
	assert_int_equal(h, 3);
}

/* the crash case: instructions recorded, the height not (or lost) */
static void lost_height_finds_nothing_twice(void **state)
{
	struct spool_dispatch d[8];
	uint64_t h;

	(void)state;
	assert_int_equal(spool_dispatch_set(sp, ida, 1, ML_ACK_ACCEPT, 0), 0);
	assert_int_equal(spool_kv_set(sp, SCAN_KEY, "0"), 0);
	assert_int_equal(scan_dispatches(C.l, sp, 3, 100, &h), 0);
	assert_int_equal(h, 3);
	assert_int_equal(in_state(1, d), 1);
	assert_memory_equal(d[0].id, ida, 32);
	assert_int_equal(d[0].ack, ML_ACK_ACCEPT);
	assert_int_equal(in_state(0, d), 1);
	assert_memory_equal(d[0].id, idc, 32);
}

static void bad_heights_rescan(void **state)
{
	struct spool_dispatch d[8];
	uint64_t h;

	(void)state;
	assert_int_equal(spool_kv_set(sp, SCAN_KEY, "12x"), 0);
	assert_int_equal(scan_dispatches(C.l, sp, 3, 100, &h), 0);
	assert_int_equal(h, 3);
	assert_int_equal(kept_height(), 3);
	/* up to the final height given, not the ledger's own idea of it */
	assert_int_equal(spool_kv_set(sp, SCAN_KEY, "1"), 0);
	assert_int_equal(scan_dispatches(C.l, sp, 2, 100, &h), 0);
	assert_int_equal(h, 2);
	assert_int_equal(kept_height(), 2);
	assert_int_equal(scan_dispatches(C.l, sp, 3, 100, &h), 0);
	assert_int_equal(h, 3);
	/* a chain lower than the height kept: a new chain at the same path */
	assert_int_equal(spool_kv_set(sp, SCAN_KEY, "1000"), 0);
	assert_int_equal(scan_dispatches(C.l, sp, 3, 2, &h), 0);
	assert_int_equal(h, 2);
	assert_int_equal(kept_height(), 2);
	assert_int_equal(in_state(1, d) + in_state(0, d), 2);
}

/* a block that cannot be read: nothing of the scan is kept */
static void unreadable_block_keeps_nothing(void **state)
{
	struct spool_dispatch d[8];
	sqlite3 *db;
	uint64_t h = 77;
	uint8_t key[32];
	int64_t m;

	(void)state;
	spool_close(sp);
	unlink_db(path);
	assert_int_equal(spool_open(path, &sp), 0);
	th_meter_id(key, 0);
	assert_int_equal(spool_meter(sp, "spi0.0", key, &m), 0);
	assert_int_equal(sqlite3_open(C.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM blocks WHERE height = 3", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(scan_dispatches(C.l, sp, 3, 100, &h), -ENOENT);
	assert_int_equal(h, 77);
	assert_int_equal(in_state(0, d), 0);
	assert_int_equal(spool_kv_get(sp, SCAN_KEY, (char[32]){ 0 }, 32), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_ours_once),
		cmocka_unit_test(lost_height_finds_nothing_twice),
		cmocka_unit_test(bad_heights_rescan),
		cmocka_unit_test(unreadable_block_keeps_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
