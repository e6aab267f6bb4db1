// SPDX-License-Identifier: GPL-2.0
/*
 * Whole networks of consensus engines in one process (sim.c): the test
 * matrix of the research notes, section 3, on a virtual clock. Every
 * scenario ends with sim_check(): identical chains on every honest node,
 * every submitted transaction final exactly once, balances as the client
 * expects. A fork aborts the run the moment a node commits it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim.h"

static int nseeds(void)
{
	const char *e = getenv("CS_SEEDS");
	int n = e ? atoi(e) : 2;

	return n > 0 ? n : 1;
}

static uint64_t seed_at(int k)
{
	const char *e = getenv("CS_SEED");

	return e ? strtoull(e, NULL, 0) : (uint64_t)(k + 1);
}

static void check_ok(struct sim *s, int all_final)
{
	const char *why = sim_check(s, all_final);

	if (why)
		fail_msg("%s", why);
}

static void summary(struct sim *s)
{
	struct ml_cs_status st;
	uint64_t rounds = 0, crashes = 0, refused = 0;
	size_t t, final = 0;
	int i;

	for (i = 0; i < s->n; i++) {
		crashes += s->node[i].crashes;
		if (!s->node[i].up)
			continue;
		ml_cs_status(s->node[i].cs, &st);
		rounds += st.rounds_total;
		refused += st.refused;
	}
	for (t = 0; t < s->ntx; t++)
		final += !!s->txs[t].final_ms;
	printf("# n=%d height %llu at %llu ms virtual; %zu/%zu txs final; %llu crashes; %llu round changes; %llu msgs (%llu dropped); %llu refused\n",
	       s->n, (unsigned long long)sim_max_height(s),
	       (unsigned long long)s->now, final, s->ntx,
	       (unsigned long long)crashes, (unsigned long long)rounds,
	       (unsigned long long)s->msgs_sent,
	       (unsigned long long)s->msgs_dropped,
	       (unsigned long long)refused);
}

static void drain_and_check(struct sim *s)
{
	assert_int_equal(sim_drain(s, 120000), 0);
	check_ok(s, 1);
	summary(s);
}

static void happy(int n)
{
	struct sim s;
	int k;

	for (k = 0; k < nseeds(); k++) {
		assert_int_equal(sim_init(&s, n, seed_at(k)), 0);
		sim_run_with_load(&s, 20000, 200, 3);
		/* a block per period, give or take the first one */
		assert_true(sim_max_height(&s) >= 12);
		drain_and_check(&s);
		sim_free(&s);
	}
}

static void test_happy_path_n1(void **state)
{
	(void)state;
	happy(1);
}

static void test_happy_path_n4(void **state)
{
	(void)state;
	happy(4);
}

static void test_happy_path_n7(void **state)
{
	(void)state;
	happy(7);
}

static void test_lossy_network_stays_safe_and_live(void **state)
{
	struct sim s;
	int k;

	(void)state;
	for (k = 0; k < nseeds(); k++) {
		assert_int_equal(sim_init(&s, 4, seed_at(k)), 0);
		s.drop_permille = 100;
		s.dmax_ms = 400;
		sim_run_with_load(&s, 40000, 250, 2);
		assert_true(sim_max_height(&s) >= 5);
		check_ok(&s, 0);
		drain_and_check(&s);
		sim_free(&s);
	}
}

static void test_one_of_four_down_chain_goes_on(void **state)
{
	struct sim s;
	uint64_t h;

	(void)state;
	assert_int_equal(sim_init(&s, 4, seed_at(0)), 0);
	sim_run_with_load(&s, 5000, 200, 2);
	assert_int_equal(sim_crash(&s, 1), 0);
	h = sim_max_height(&s);
	sim_run_with_load(&s, 35000, 200, 2);
	/* node 1 proposes every fourth height and costs a round there */
	assert_true(sim_max_height(&s) >= h + 10);
	check_ok(&s, 0);
	assert_int_equal(sim_restart(&s, 1), 0);
	drain_and_check(&s);
	sim_free(&s);
}

static void test_two_of_seven_down_chain_goes_on(void **state)
{
	struct sim s;
	uint64_t h;

	(void)state;
	assert_int_equal(sim_init(&s, 7, seed_at(0)), 0);
	sim_run_with_load(&s, 4000, 200, 2);
	sim_crash(&s, 2);
	sim_crash(&s, 5);
	h = sim_max_height(&s);
	sim_run_with_load(&s, 30000, 200, 2);
	assert_true(sim_max_height(&s) >= h + 8);
	assert_int_equal(sim_restart(&s, 2), 0);
	assert_int_equal(sim_restart(&s, 5), 0);
	drain_and_check(&s);
	sim_free(&s);
}

/*
 * Besu soak test, step 3 and 4, without the runaway timer: two of four
 * down halts the chain without a fork; one back, and it resumes within a
 * bounded number of timer firings, however long the outage was.
 */
static void test_two_of_four_down_halts_then_resumes(void **state)
{
	struct ml_cs_status st;
	struct sim s;
	uint64_t h, fires, t;
	int i;

	(void)state;
	assert_int_equal(sim_init(&s, 4, seed_at(0)), 0);
	sim_run_with_load(&s, 5000, 200, 2);
	sim_crash(&s, 0);
	sim_crash(&s, 3);
	sim_run_until(&s, s.now + 3000);	/* what was in flight lands */
	h = sim_max_height(&s);
	sim_run_with_load(&s, s.now + 600000, 1000, 1);	/* ten minutes */
	assert_int_equal(sim_max_height(&s), h);
	check_ok(&s, 0);
	/* rounds stayed where a quorum last was: no runaway */
	for (i = 1; i <= 2; i++) {
		ml_cs_status(s.node[i].cs, &st);
		assert_true(st.round <= 2);
	}
	fires = s.node[1].timer_fires + s.node[2].timer_fires;
	t = s.now;
	assert_int_equal(sim_restart(&s, 3), 0);
	while (sim_max_height(&s) == h && s.now < t + 60000)
		sim_run_until(&s, s.now + 100);
	assert_true(sim_max_height(&s) > h);
	/* bounded: a few timeouts at most, whatever the outage */
	assert_true(s.now - t <= 3 * s.cfg.timeout_cap_ms);
	assert_true(s.node[1].timer_fires + s.node[2].timer_fires - fires <= 12);
	assert_int_equal(sim_restart(&s, 0), 0);
	drain_and_check(&s);
	sim_free(&s);
}

static void test_partition_two_two_then_heal(void **state)
{
	struct sim s;
	uint64_t h, t;

	(void)state;
	assert_int_equal(sim_init(&s, 4, seed_at(0)), 0);
	sim_run_with_load(&s, 5000, 200, 2);
	s.node[2].group = 1;
	s.node[3].group = 1;
	sim_run_until(&s, s.now + 3000);
	h = sim_max_height(&s);
	sim_run_with_load(&s, s.now + 60000, 500, 2);
	assert_int_equal(sim_max_height(&s), h);	/* neither side commits */
	check_ok(&s, 0);
	s.node[2].group = 0;
	s.node[3].group = 0;
	t = s.now;
	while (sim_max_height(&s) == h && s.now < t + 60000)
		sim_run_until(&s, s.now + 100);
	assert_true(s.now - t <= 3 * s.cfg.timeout_cap_ms);
	drain_and_check(&s);
	sim_free(&s);
}

/* At most f down at a time, so the chain must keep going throughout. */
static void crash_loop(int n, int crashes, uint64_t seed)
{
	struct sim s;
	int c, i, down = -1, f = (n - 1) / 3;
	uint64_t h0;

	assert_int_equal(sim_init(&s, n, seed), 0);
	sim_run_with_load(&s, 3000, 200, 2);
	h0 = sim_max_height(&s);
	for (c = 0; c < crashes; c++) {
		i = (int)(th_rand(&s.rng) % (uint64_t)n);
		if (f >= 1 && down >= 0 && down != i)
			assert_int_equal(sim_restart(&s, down), 0);
		else if (down == i)
			assert_int_equal(sim_restart(&s, i), 0);
		down = -1;
		sim_run_with_load(&s, s.now + th_rand(&s.rng) % 1500, 100, 1);
		assert_int_equal(sim_crash(&s, i), 0);
		down = i;
		sim_run_with_load(&s, s.now + 200 + th_rand(&s.rng) % 2500,
				  100, 1);
		if (f == 0) {
			assert_int_equal(sim_restart(&s, i), 0);
			down = -1;
		}
	}
	if (down >= 0)
		assert_int_equal(sim_restart(&s, down), 0);
	for (i = 0; i < n; i++)
		if (!s.node[i].up)
			assert_int_equal(sim_restart(&s, i), 0);
	assert_true(sim_max_height(&s) > h0 + (uint64_t)crashes / 4);
	drain_and_check(&s);
	sim_free(&s);
}

static void test_hundred_crashes_under_load_n4(void **state)
{
	int k;

	(void)state;
	for (k = 0; k < nseeds(); k++)
		crash_loop(4, 110, seed_at(k) + 100);
}

static void test_crashes_under_load_n1_n7(void **state)
{
	(void)state;
	crash_loop(1, 20, seed_at(0) + 200);
	crash_loop(7, 30, seed_at(0) + 300);
}

/* Every node crashes at once and comes back from disk (matrix #14). */
static void test_full_restart_resumes(void **state)
{
	struct sim s;
	uint64_t h;
	int i;

	(void)state;
	assert_int_equal(sim_init(&s, 4, seed_at(0)), 0);
	sim_run_with_load(&s, 6000, 150, 2);
	for (i = 0; i < 4; i++)
		sim_crash(&s, i);
	h = sim_max_height(&s);
	sim_run_until(&s, s.now + 2000);
	for (i = 0; i < 4; i++)
		assert_int_equal(sim_restart(&s, i), 0);
	sim_run_with_load(&s, s.now + 20000, 200, 2);
	assert_true(sim_max_height(&s) > h + 5);
	drain_and_check(&s);
	sim_free(&s);
}

static void test_equivocating_validator_is_recorded_on_chain(void **state)
{
	struct ml_cs_status st;
	struct sim s;
	int k, i;

	(void)state;
	for (k = 0; k < nseeds(); k++) {
		assert_int_equal(sim_init(&s, 4, seed_at(k) + 400), 0);
		s.node[2].byz = 1;
		sim_run_with_load(&s, 30000, 200, 2);
		assert_true(sim_max_height(&s) >= 10);
		check_ok(&s, 0);
		drain_and_check(&s);
		sim_run_until(&s, s.now + 5000);
		for (i = 0; i < 4; i++) {
			if (i == 2)
				continue;
			assert_true(sim_evidence_on_chain(&s, i,
							  s.node[2].key.pk) > 0);
			assert_int_equal(sim_evidence_on_chain(&s, i,
							       s.node[0].key.pk), 0);
		}
		ml_cs_status(s.node[1].cs, &st);
		check_ok(&s, 1);
		sim_free(&s);
	}
}

static uint64_t lock_h;

static int lock_filter(struct sim *s, int from, int to, const uint8_t *buf,
		       size_t len)
{
	uint64_t h = 0;
	int i;

	(void)s;
	(void)from;
	if (len < 22 || buf[1] != ML_CS_COMMIT || to == 0)
		return 0;
	for (i = 0; i < 8; i++)
		h = h << 8 | buf[10 + i];
	/* round 0 only */
	return h == lock_h && !(buf[18] | buf[19] | buf[20] | buf[21]);
}

/*
 * Everyone prepares block X at height h, but only node 0 sees the COMMITs:
 * it finalizes X and is cut off. The other three must change round and
 * finalize X too: the new proposer re-proposes the prepared block (QBFT's
 * justification), or the chain forks.
 */
static void test_new_proposer_reproposes_the_prepared_block(void **state)
{
	struct sim s;
	int k, i;

	(void)state;
	for (k = 0; k < nseeds(); k++) {
		assert_int_equal(sim_init(&s, 4, seed_at(k) + 600), 0);
		sim_run_with_load(&s, 3000, 200, 2);
		lock_h = sim_max_height(&s) + 2;
		s.filter = lock_filter;
		while (sim_height(&s, 0) < lock_h && s.now < 30000)
			sim_run_until(&s, s.now + 5);
		assert_int_equal(sim_height(&s, 0), lock_h);
		s.node[0].group = 1;
		for (i = 1; i < 4; i++)
			assert_true(sim_height(&s, i) < lock_h);
		sim_run_with_load(&s, s.now + 20000, 200, 2);
		for (i = 1; i < 4; i++)
			assert_true(sim_height(&s, i) >= lock_h);
		assert_int_equal(s.forked, 0);
		s.filter = NULL;
		drain_and_check(&s);
		sim_free(&s);
	}
}

static size_t validators_of(struct sim *s, int i)
{
	uint8_t *keys;
	size_t n;

	assert_int_equal(ml_ledger_validators(s->node[i].l, &keys, &n), 0);
	free(keys);
	return n;
}

/* Votes remove node 3, the chain goes on with three; votes add it back. */
static void test_validator_removed_and_added_by_votes(void **state)
{
	struct sim s;
	uint64_t h;
	int i;

	(void)state;
	assert_int_equal(sim_init(&s, 4, seed_at(0) + 700), 0);
	sim_run_with_load(&s, 3000, 200, 2);
	for (i = 0; i < 3; i++)
		sim_vote(&s, i, 3, ML_VOTE_REMOVE);
	sim_run_with_load(&s, s.now + 10000, 200, 2);
	for (i = 0; i < 4; i++)
		assert_int_equal(validators_of(&s, i), 3);
	h = sim_max_height(&s);
	sim_run_with_load(&s, s.now + 10000, 200, 2);
	assert_true(sim_max_height(&s) >= h + 5);
	for (i = 0; i < 3; i++)
		sim_vote(&s, i, 3, ML_VOTE_ADD);
	sim_run_with_load(&s, s.now + 10000, 200, 2);
	for (i = 0; i < 4; i++)
		assert_int_equal(validators_of(&s, i), 4);
	/* and it counts again: with node 0 down, 3 of 4 must include it */
	sim_crash(&s, 0);
	h = sim_max_height(&s);
	sim_run_with_load(&s, s.now + 15000, 200, 2);
	assert_true(sim_max_height(&s) >= h + 5);
	assert_int_equal(sim_restart(&s, 0), 0);
	drain_and_check(&s);
	sim_free(&s);
}

static void skewed(int64_t skew)
{
	struct sim s;
	uint64_t h, top;
	struct ml_block b;
	uint8_t *buf;
	size_t len;

	assert_int_equal(sim_init(&s, 4, seed_at(0) + 500), 0);
	s.node[3].skew_s = skew;
	sim_run_with_load(&s, 40000, 200, 2);
	assert_true(sim_max_height(&s) >= 15);
	drain_and_check(&s);
	/* no block from the future: at most max_drift past honest time */
	top = sim_height(&s, 0);
	for (h = 1; h <= top; h++) {
		assert_int_equal(ml_ledger_block(s.node[0].l, h, &buf, &len), 0);
		assert_int_equal(ml_block_decode(buf, len, &b), 0);
		assert_true(b.hdr.time <= SIM_T0 + s.now / 1000 +
					  s.cfg.max_drift_s);
		ml_block_free(&b);
		free(buf);
	}
	sim_free(&s);
}

static void test_clock_thirty_seconds_ahead(void **state)
{
	(void)state;
	skewed(30);
}

static void test_clock_thirty_seconds_behind(void **state)
{
	(void)state;
	skewed(-30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_happy_path_n1),
		cmocka_unit_test(test_happy_path_n4),
		cmocka_unit_test(test_happy_path_n7),
		cmocka_unit_test(test_lossy_network_stays_safe_and_live),
		cmocka_unit_test(test_one_of_four_down_chain_goes_on),
		cmocka_unit_test(test_two_of_seven_down_chain_goes_on),
		cmocka_unit_test(test_two_of_four_down_halts_then_resumes),
		cmocka_unit_test(test_partition_two_two_then_heal),
		cmocka_unit_test(test_new_proposer_reproposes_the_prepared_block),
		cmocka_unit_test(test_hundred_crashes_under_load_n4),
		cmocka_unit_test(test_crashes_under_load_n1_n7),
		cmocka_unit_test(test_full_restart_resumes),
		cmocka_unit_test(test_validator_removed_and_added_by_votes),
		cmocka_unit_test(test_equivocating_validator_is_recorded_on_chain),
		cmocka_unit_test(test_clock_thirty_seconds_ahead),
		cmocka_unit_test(test_clock_thirty_seconds_behind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
