// SPDX-License-Identifier: GPL-2.0
/*
 * The sign state on disk, and what a restarted validator does with it and
 * with its ledger: never sign twice, never run on damaged files.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "sim.h"

static void sample(struct ml_cs_signstate *s, int prepared)
{
	static struct ml_cs_sig prep[3];
	static uint8_t block[300];

	memset(s, 0, sizeof(*s));
	s->height = 9;
	s->round = 2;
	s->step = ML_CS_STEP_COMMIT;
	memset(s->hash, 0x5a, 32);
	s->pr = ML_CS_NOT_PREPARED;
	if (prepared) {
		s->pr = 2;
		memset(s->ph, 0x5a, 32);
		memset(prep, 0x33, sizeof(prep));
		s->prep = prep;
		s->nprep = 3;
		memset(block, 0x44, sizeof(block));
		s->block = block;
		s->block_len = sizeof(block);
	}
}

static char *tmpfile_path(char *dir, size_t n)
{
	static char path[400];

	th_tmpdir(dir, n);
	snprintf(path, sizeof(path), "%s/signstate", dir);
	return path;
}

static void test_store_load_round_trip(void **state)
{
	struct ml_cs_signstate s, back;
	char dir[300], *p = tmpfile_path(dir, sizeof(dir));
	struct stat st;
	int prepared;

	(void)state;
	assert_int_equal(ml_cs_signstate_load(p, &back), -ENOENT);
	for (prepared = 0; prepared < 2; prepared++) {
		sample(&s, prepared);
		assert_int_equal(ml_cs_signstate_store(p, &s), 0);
		assert_int_equal(ml_cs_signstate_load(p, &back), 0);
		assert_int_equal(back.height, 9);
		assert_int_equal(back.round, 2);
		assert_int_equal(back.step, ML_CS_STEP_COMMIT);
		assert_memory_equal(back.hash, s.hash, 32);
		assert_int_equal(back.pr, s.pr);
		assert_int_equal(back.nprep, s.nprep);
		assert_int_equal(back.block_len, s.block_len);
		if (prepared) {
			assert_memory_equal(back.prep, s.prep, 3 * 96);
			assert_memory_equal(back.block, s.block, 300);
		}
		ml_cs_signstate_free(&back);
	}
	/* replaced atomically: no temporary file is left behind */
	snprintf(dir + strlen(dir), 20, "/signstate.tmp");
	assert_int_not_equal(stat(dir, &st), 0);
	*strrchr(dir, '/') = 0;
	th_rmdir(dir);
}

static void write_file(const char *p, const uint8_t *b, size_t n)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
}

static void test_damaged_file_is_refused(void **state)
{
	struct ml_cs_signstate s, back;
	char dir[300], *p = tmpfile_path(dir, sizeof(dir));
	uint8_t *good;
	size_t n, i;
	FILE *f;

	(void)state;
	sample(&s, 1);
	assert_int_equal(ml_cs_signstate_store(p, &s), 0);
	good = malloc(4096);
	f = fopen(p, "rb");
	n = fread(good, 1, 4096, f);
	fclose(f);
	for (i = 0; i < n; i++) {	/* every truncation */
		write_file(p, good, i);
		assert_int_equal(ml_cs_signstate_load(p, &back), -EUCLEAN);
	}
	for (i = 0; i < n; i += 7) {	/* flipped bits */
		good[i] ^= 0x10;
		write_file(p, good, n);
		assert_int_equal(ml_cs_signstate_load(p, &back), -EUCLEAN);
		good[i] ^= 0x10;
	}
	good[n] = 0;			/* a trailing byte */
	write_file(p, good, n + 1);
	assert_int_equal(ml_cs_signstate_load(p, &back), -EUCLEAN);
	write_file(p, good, n);
	assert_int_equal(ml_cs_signstate_load(p, &back), 0);
	ml_cs_signstate_free(&back);
	free(good);
	th_rmdir(dir);
}

static void test_only_later_or_identical_signing_is_allowed(void **state)
{
	struct ml_cs_signstate s;
	uint8_t same[32], other[32];

	(void)state;
	sample(&s, 0);	/* (9, 2, COMMIT, 0x5a..) */
	memset(same, 0x5a, 32);
	memset(other, 0x6b, 32);
	assert_int_equal(ml_cs_signstate_allows(&s, 9, 2, ML_CS_STEP_COMMIT,
						same), 0);
	assert_int_equal(ml_cs_signstate_allows(&s, 9, 2, ML_CS_STEP_COMMIT,
						other), -EPERM);
	assert_int_equal(ml_cs_signstate_allows(&s, 9, 2, ML_CS_STEP_PREPARE,
						same), -EPERM);
	assert_int_equal(ml_cs_signstate_allows(&s, 9, 1, ML_CS_STEP_COMMIT,
						same), -EPERM);
	assert_int_equal(ml_cs_signstate_allows(&s, 8, 5, ML_CS_STEP_COMMIT,
						same), -EPERM);
	assert_int_equal(ml_cs_signstate_allows(&s, 9, 3,
						ML_CS_STEP_ROUND_CHANGE, other),
			 0);
	assert_int_equal(ml_cs_signstate_allows(&s, 10, 0,
						ML_CS_STEP_PREPARE, other), 0);
	/* prepared X: may commit X, never another block in that round */
	s.step = ML_CS_STEP_PREPARE;
	assert_int_equal(ml_cs_signstate_allows(&s, 9, 2, ML_CS_STEP_COMMIT,
						same), 0);
	assert_int_equal(ml_cs_signstate_allows(&s, 9, 2, ML_CS_STEP_COMMIT,
						other), -EPERM);
	/* after a round change, any block of that round */
	s.step = ML_CS_STEP_ROUND_CHANGE;
	assert_int_equal(ml_cs_signstate_allows(&s, 9, 2, ML_CS_STEP_PREPARE,
						other), 0);
}

/* --- a restarted validator in a running network --- */

static uint64_t watch_height;
static uint8_t watch_hash[32];
static int watch_node, watch_prepares;

static void watch(struct sim *s, int from, const uint8_t *buf, size_t len)
{
	struct ml_cs_msg m;

	if (from != watch_node || ml_cs_msg_decode(buf, len, &m))
		return;
	if (m.height == watch_height && !m.round &&
	    (m.type == ML_CS_PREPARE || m.type == ML_CS_COMMIT)) {
		watch_prepares++;
		if (memcmp(m.hash, watch_hash, 32))
			s->violations++;
	}
	ml_cs_msg_free(&m);
}

/*
 * Node 1 prepared block X at (h, 0), crashed, and came back. The proposer
 * of (h, 0) then proposes another block: node 1 must not prepare it.
 */
static void test_restarted_validator_never_signs_a_conflicting_vote(void **state)
{
	struct ml_cs_signstate ss = { 0 };
	struct sim s;

	(void)state;
	assert_int_equal(sim_init(&s, 4, 11), 0);
	sim_run_with_load(&s, 5000, 200, 2);
	assert_int_equal(sim_crash(&s, 1), 0);
	watch_node = 1;
	watch_height = sim_max_height(&s) + 1;
	ss.height = watch_height;
	ss.step = ML_CS_STEP_PREPARE;
	ss.pr = ML_CS_NOT_PREPARED;
	randombytes_buf(watch_hash, 32);
	memcpy(ss.hash, watch_hash, 32);
	assert_int_equal(ml_cs_signstate_store(s.node[1].ss, &ss), 0);
	s.on_send = watch;
	assert_int_equal(sim_restart(&s, 1), 0);
	sim_run_with_load(&s, s.now + 15000, 200, 2);
	assert_true(sim_max_height(&s) > watch_height);
	assert_int_equal(s.violations, 0);
	assert_int_equal(watch_prepares, 0);
	assert_int_equal(sim_drain(&s, 60000), 0);
	assert_null(sim_check(&s, 1));
	sim_free(&s);
}

static void test_damaged_sign_state_stops_the_validator(void **state)
{
	struct sim s;
	struct stat st;

	(void)state;
	assert_int_equal(sim_init(&s, 4, 12), 0);
	sim_run_with_load(&s, 4000, 200, 2);
	assert_int_equal(sim_crash(&s, 2), 0);
	assert_int_equal(stat(s.node[2].ss, &st), 0);
	assert_int_equal(truncate(s.node[2].ss, st.st_size / 2), 0);
	assert_int_equal(sim_restart(&s, 2), -EUCLEAN);
	assert_non_null(strstr(s.last_log, "damaged sign state"));
	assert_false(s.node[2].up);
	/* the others go on without it */
	sim_run_with_load(&s, s.now + 10000, 200, 2);
	assert_int_equal(sim_drain(&s, 60000), 0);
	assert_null(sim_check(&s, 1));
	sim_free(&s);
}

static void test_edited_ledger_is_refused(void **state)
{
	struct sim s;
	sqlite3 *db;

	(void)state;
	assert_int_equal(sim_init(&s, 4, 13), 0);
	sim_run_with_load(&s, 4000, 200, 2);
	assert_int_equal(sim_crash(&s, 3), 0);
	assert_int_equal(sqlite3_open(s.node[3].db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE accounts SET balance ="
				      " balance + 1 WHERE balance > 0",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sim_restart(&s, 3), -EUCLEAN);
	assert_non_null(strstr(s.last_log, "does not match its last block"));
	sim_free(&s);
}

static void test_truncated_ledger_is_refused(void **state)
{
	struct sim s;
	struct stat st;
	int ret;

	(void)state;
	assert_int_equal(sim_init(&s, 4, 14), 0);
	sim_run_with_load(&s, 4000, 200, 2);
	assert_int_equal(sim_crash(&s, 3), 0);
	assert_int_equal(stat(s.node[3].db, &st), 0);
	assert_int_equal(truncate(s.node[3].db, st.st_size / 2), 0);
	ret = sim_restart(&s, 3);
	printf("# truncated ledger: %s\n", strerror(-ret));
	assert_true(ret == -EUCLEAN || ret == -EIO);
	assert_false(s.node[3].up);
	sim_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_load_round_trip),
		cmocka_unit_test(test_damaged_file_is_refused),
		cmocka_unit_test(test_only_later_or_identical_signing_is_allowed),
		cmocka_unit_test(test_restarted_validator_never_signs_a_conflicting_vote),
		cmocka_unit_test(test_damaged_sign_state_stops_the_validator),
		cmocka_unit_test(test_edited_ledger_is_refused),
		cmocka_unit_test(test_truncated_ledger_is_refused),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
