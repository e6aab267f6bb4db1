// SPDX-License-Identifier: GPL-2.0
/*
 * The spool in a real SQLite file: interval closing, late readings,
 * carry-over across reopening, rollback losing nothing committed,
 * duplicates, pruning, proofs, report states.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include <sys/timex.h>

#include "merkle.h"
#include "reading.h"
#include "spool.h"

#define LEN	10
#define S(t)	((int64_t)(t) * 1000000000LL)

static const struct clk clk = { TIME_OK, 0, 1, 1 };
static const uint8_t key[32] = { 0x42 };
static char path[256];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(path, sizeof(path), "%s/spool-test-%d.db", tmp ? tmp : "/tmp", getpid());
	return 0;
}

static int teardown(void **state)
{
	char p[300];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return 0;
}

static struct spool *fresh(int64_t *m)
{
	struct spool *s;

	teardown(NULL);
	assert_int_equal(spool_open(path, &s), 0);
	assert_int_equal(spool_meter(s, "spi0.0", key, m), 0);
	return s;
}

static void put(struct spool *s, int64_t m, uint64_t seq, int64_t t_ns, uint64_t imp)
{
	struct meterlink_reading r = mk(seq, t_ns, imp, 0, 1000, 0);

	assert_int_equal(spool_begin(s), 0);
	assert_int_equal(spool_put_reading(s, m, LEN, &r, &clk), 0);
	assert_int_equal(spool_commit(s), 0);
}

static void test_meter_row_is_stable(void **state)
{
	int64_t a, b, c;
	struct spool *s = fresh(&a);

	(void)state;
	assert_int_equal(spool_meter(s, "spi0.0", key, &b), 0);
	assert_int_equal(spool_meter(s, "spi0.1", key, &c), 0);
	assert_int_equal(a, b);
	assert_int_not_equal(a, c);
	spool_close(s);
}

static void test_intervals_close_only_when_due(void **state)
{
	struct spool_report r[8];
	size_t n;
	int64_t m;
	struct spool *s = fresh(&m);

	(void)state;
	put(s, m, 1, S(100), 1000000);
	put(s, m, 2, S(105), 3000000);
	put(s, m, 3, S(112), 6000000);
	/* [100,110) ends at 110: not due at 110.5 with 1 s delay */
	assert_int_equal(spool_close_due(s, LEN, 110500, 1000), 0);
	assert_int_equal(spool_close_due(s, LEN, 111000, 1000), 1);
	assert_int_equal(spool_close_due(s, LEN, 111000, 1000), 0);
	assert_int_equal(spool_reports(s, REP_UNSIGNED, r, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].start, 100);
	assert_int_equal(r[0].len, LEN);
	assert_int_equal(r[0].import_wh, 2);	/* baseline 1 Wh, then 3 Wh */
	assert_memory_equal(r[0].meter_key, key, 32);
	assert_int_equal(spool_close_due(s, LEN, 121000, 1000), 1);
	assert_int_equal(spool_reports(s, REP_UNSIGNED, r, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[1].start, 110);
	assert_int_equal(r[1].import_wh, 3);
	spool_close(s);
}

static void test_late_reading_goes_to_the_open_interval(void **state)
{
	struct spool_report r[8];
	struct spool_proof p;
	size_t n;
	int64_t m;
	struct spool *s = fresh(&m);

	(void)state;
	put(s, m, 1, S(100), 0);
	assert_int_equal(spool_close_due(s, LEN, 200000, 0), 1);
	put(s, m, 2, S(101), 2000000);	/* arrives after [100,110) closed */
	assert_int_equal(spool_proof(s, "spi0.0", 2, &p), -EAGAIN);
	assert_int_equal(spool_close_due(s, LEN, 200000, 0), 1);
	assert_int_equal(spool_reports(s, REP_UNSIGNED, r, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[1].start, 110);
	assert_int_equal(r[1].import_wh, 2);
	spool_close(s);
}

static void test_carry_survives_reopen(void **state)
{
	struct spool_report r[8];
	uint64_t sum = 0;
	size_t n, i;
	int64_t m;
	struct spool *s = fresh(&m);

	(void)state;
	put(s, m, 1, S(100), 0);
	put(s, m, 2, S(111), 1500000);
	assert_int_equal(spool_close_due(s, LEN, 200000, 0), 2);
	spool_close(s);
	assert_int_equal(spool_open(path, &s), 0);
	put(s, m, 3, S(125), 2600000);
	put(s, m, 4, S(135), 4000000);
	assert_int_equal(spool_close_due(s, LEN, 200000, 0), 2);
	assert_int_equal(spool_reports(s, REP_UNSIGNED, r, 8, &n), 0);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++)
		sum += r[i].import_wh;
	assert_int_equal(sum, 4);	/* 1.5 + 1.1 + 1.4 Wh */
	spool_close(s);
}

static void test_uncommitted_batch_leaves_nothing(void **state)
{
	struct meterlink_reading r = mk(1, S(100), 0, 0, 0, 0);
	int64_t m;
	struct spool *s = fresh(&m);

	(void)state;
	put(s, m, 1, S(100), 0);
	assert_int_equal(spool_begin(s), 0);
	r.seq = 2;
	assert_int_equal(spool_put_reading(s, m, LEN, &r, &clk), 0);
	spool_close(s);	/* like a crash before COMMIT */
	assert_int_equal(spool_open(path, &s), 0);
	assert_int_equal(spool_close_due(s, LEN, 200000, 0), 1);
	{
		struct spool_proof p;

		assert_int_equal(spool_proof(s, "spi0.0", 2, &p), -ENOENT);
		assert_int_equal(spool_proof(s, "spi0.0", 1, &p), 0);
		assert_int_equal(p.n, 1);
		free(p.leaves);
	}
	spool_close(s);
}

static void test_same_record_twice_is_refused(void **state)
{
	struct meterlink_reading r = mk(1, S(100), 0, 0, 0, 0);
	int64_t m;
	struct spool *s = fresh(&m);

	(void)state;
	put(s, m, 1, S(100), 0);
	assert_int_equal(spool_begin(s), 0);
	assert_int_equal(spool_put_reading(s, m, LEN, &r, &clk), -EEXIST);
	spool_rollback(s);
	spool_close(s);
}

static void test_proof_verifies_against_the_report_root(void **state)
{
	uint8_t path_[MERKLE_MAX_DEPTH][32];
	struct spool_report r;
	struct spool_proof p;
	size_t d;
	int64_t m;
	uint64_t i;
	struct spool *s = fresh(&m);

	(void)state;
	for (i = 1; i <= 9; i++)
		put(s, m, i, S(100) + (int64_t)i, i * 1000);
	assert_int_equal(spool_close_due(s, LEN, 200000, 0), 1);
	assert_int_equal(spool_next_report(s, REP_UNSIGNED, &r), 0);
	assert_int_equal(spool_proof(s, "spi0.0", 7, &p), 0);
	assert_int_equal(p.n, 9);
	assert_int_equal(p.index, 6);
	assert_int_equal(p.rec.seq, 7);
	assert_memory_equal(p.root, r.root, 32);
	assert_int_equal(merkle_proof((const uint8_t (*)[32])p.leaves, p.n, p.index, path_, &d), 0);
	assert_int_equal(merkle_verify(p.leaves[p.index], p.index, p.n,
				       (const uint8_t (*)[32])path_, d, r.root), 0);
	free(p.leaves);
	assert_int_equal(spool_proof(s, "spi0.9", 7, &p), -ENOENT);
	spool_close(s);
}

static void test_report_states_keep_order(void **state)
{
	struct spool_report r;
	uint8_t sig[64] = { 1 };
	int64_t m;
	struct spool *s = fresh(&m);

	(void)state;
	put(s, m, 1, S(100), 0);
	put(s, m, 2, S(110), 0);
	assert_int_equal(spool_close_due(s, LEN, 200000, 0), 2);
	assert_int_equal(spool_next_report(s, REP_UNSIGNED, &r), 0);
	assert_int_equal(r.start, 100);
	assert_int_equal(spool_report_signed(s, r.id, sig), 0);
	assert_int_equal(spool_next_report(s, REP_UNSIGNED, &r), 0);
	assert_int_equal(r.start, 110);
	assert_int_equal(spool_next_report(s, REP_SIGNED, &r), 0);
	assert_int_equal(r.start, 100);
	assert_memory_equal(r.sig, sig, 64);
	assert_int_equal(spool_report_done(s, r.id, REP_COMMITTED, 5, 0), 0);
	assert_int_equal(spool_next_report(s, REP_SIGNED, &r), -ENOENT);
	spool_close(s);
}

static void test_prune_keeps_open_intervals(void **state)
{
	struct spool_proof p;
	int64_t m;
	struct spool *s = fresh(&m);

	(void)state;
	put(s, m, 1, S(100), 0);
	put(s, m, 2, S(110), 0);
	put(s, m, 3, S(120), 0);
	assert_int_equal(spool_close_due(s, LEN, 121000, 0), 2);
	assert_int_equal(spool_prune(s, 1000), 2);
	assert_int_equal(spool_proof(s, "spi0.0", 1, &p), -ENOENT);
	assert_int_equal(spool_proof(s, "spi0.0", 3, &p), -EAGAIN);
	spool_close(s);
}

static void test_unregistered_meters_are_listed(void **state)
{
	int64_t ids[4], m;
	uint8_t keys[4][32];
	size_t n;
	struct spool *s = fresh(&m);

	(void)state;
	assert_int_equal(spool_unregistered(s, ids, keys, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], m);
	assert_int_equal(spool_meter_registered(s, m, 3), 0);
	assert_int_equal(spool_unregistered(s, ids, keys, 4, &n), 0);
	assert_int_equal(n, 0);
	spool_close(s);
}

/* recording an instruction again (a scan read again) changes nothing */
static void test_dispatch_add_is_idempotent(void **state)
{
	struct spool_dispatch d = { .id = { 1 }, .meter = { 0x42 }, .kind = 1, .value = 500,
				    .start = 100, .end = 200 }, e = d, got[4];
	struct spool *s;
	size_t n;
	int64_t m;

	(void)state;
	s = fresh(&m);
	e.id[0] = 2;
	assert_int_equal(spool_has_meter(s, key), 1);
	assert_int_equal(spool_has_meter(s, e.id), 0);
	assert_int_equal(spool_dispatch_add(s, &d), 1);
	assert_int_equal(spool_dispatch_add(s, &e), 1);
	assert_int_equal(spool_dispatch_set(s, d.id, 1, 1, 0), 0);
	d.value = 999;	/* the same id can only be the same instruction */
	assert_int_equal(spool_dispatch_add(s, &d), 0);
	assert_int_equal(spool_dispatch_add(s, &e), 0);
	assert_int_equal(spool_dispatches(s, 1, got, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].value, 500);
	assert_int_equal(got[0].ack, 1);
	assert_int_equal(spool_dispatches(s, 0, got, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(got[0].id, e.id, 32);
	spool_close(s);
}

static void test_not_a_database_is_an_error(void **state)
{
	struct spool *s;
	FILE *f;

	(void)state;
	teardown(NULL);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not an SQLite database, and it is long enough to look like one......", f);
	fclose(f);
	assert_int_equal(spool_open(path, &s), -EUCLEAN);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meter_row_is_stable),
		cmocka_unit_test(test_intervals_close_only_when_due),
		cmocka_unit_test(test_late_reading_goes_to_the_open_interval),
		cmocka_unit_test(test_carry_survives_reopen),
		cmocka_unit_test(test_uncommitted_batch_leaves_nothing),
		cmocka_unit_test(test_same_record_twice_is_refused),
		cmocka_unit_test(test_proof_verifies_against_the_report_root),
		cmocka_unit_test(test_report_states_keep_order),
		cmocka_unit_test(test_prune_keeps_open_intervals),
		cmocka_unit_test(test_unregistered_meters_are_listed),
		cmocka_unit_test(test_dispatch_add_is_idempotent),
		cmocka_unit_test(test_not_a_database_is_an_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
