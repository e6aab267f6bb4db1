// SPDX-License-Identifier: GPL-2.0
/*
 * Property test: the clearing on random, seeded order books against a
 * slow reference written to be obviously right, plus invariants that hold
 * whatever either implementation does. A failure prints the seed; set
 * ML_PROP_SEED to replay it, ML_PROP_ROUNDS to run longer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auction.h"
#include "helpers.h"

#define MAXN	160
#define MAXF	4

/* --- the reference: brute force, no sorting cleverness --- */

static uint64_t demand(const struct ml_auction_order *o, size_t n, uint64_t p)
{
	uint64_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (o[i].side == ML_BID && o[i].price >= p)
			d += o[i].qty;
	return d;
}

static uint64_t supply(const struct ml_auction_order *o, size_t n, uint64_t p)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (o[i].side == ML_ASK && o[i].price <= p)
			s += o[i].qty;
	return s;
}

static uint64_t matched_at(const struct ml_auction_order *o, size_t n,
			   uint64_t p)
{
	uint64_t d = demand(o, n, p), s = supply(o, n, p);

	return d < s ? d : s;
}

/* true if order a has priority over order b (same side) */
static int before(const struct ml_auction_order *a,
		  const struct ml_auction_order *b)
{
	if (a->price != b->price)
		return a->side == ML_BID ? a->price > b->price :
					   a->price < b->price;
	return a->seq < b->seq;
}

struct ref_fill {
	size_t bid, ask;
	uint64_t qty;
};

static size_t ref_clear(const struct ml_auction_order *o, size_t n,
			const struct ml_feeder *f, size_t nf,
			uint64_t *price, uint64_t *vol, struct ref_fill *out)
{
	size_t bids[MAXN], asks[MAXN], nb = 0, na = 0, i, j, nfill = 0;
	uint64_t best = 0, lo = 0, hi = 0, rem[MAXN];
	int64_t net[MAXF] = { 0 };

	/* every limit price is a candidate; keep the best range */
	for (i = 0; i < n; i++) {
		uint64_t m = matched_at(o, n, o[i].price);

		if (m > best) {
			best = m;
			lo = hi = o[i].price;
		} else if (m == best && m) {
			if (o[i].price < lo)
				lo = o[i].price;
			if (o[i].price > hi)
				hi = o[i].price;
		}
	}
	*vol = best;
	*price = best ? lo + (hi - lo) / 2 : 0;
	if (!best)
		return 0;
	/* insertion sort into priority order */
	for (i = 0; i < n; i++) {
		size_t *v = o[i].side == ML_BID ? bids : asks;
		size_t *cnt = o[i].side == ML_BID ? &nb : &na;

		if (o[i].side == ML_BID ? o[i].price < *price :
					  o[i].price > *price)
			continue;
		for (j = (*cnt)++; j > 0 && before(&o[i], &o[v[j - 1]]); j--)
			v[j] = v[j - 1];
		v[j] = i;
		rem[i] = o[i].qty;
	}
	/* each bid in turn takes the best ask it may reach */
	for (i = 0; i < nb; i++) {
		size_t b = bids[i];

		for (j = 0; j < na && rem[b]; j++) {
			size_t a = asks[j];
			uint32_t fa = o[a].feeder, fb = o[b].feeder;
			uint64_t q = rem[b] < rem[a] ? rem[b] : rem[a];

			if (!rem[a])
				continue;
			if (fa != fb) {
				int64_t room = (int64_t)f[fa].export_limit_wh -
					       net[fa];
				int64_t r2 = (int64_t)f[fb].import_limit_wh +
					     net[fb];

				if (r2 < room)
					room = r2;
				if (room <= 0)
					continue;
				if ((uint64_t)room < q)
					q = (uint64_t)room;
				net[fa] += (int64_t)q;
				net[fb] -= (int64_t)q;
			}
			out[nfill++] = (struct ref_fill){ b, a, q };
			rem[b] -= q;
			rem[a] -= q;
		}
	}
	(void)nf;
	return nfill;
}

static void random_book(uint64_t *rs, struct ml_auction_order *o, size_t *n,
			struct ml_feeder *f, size_t *nf)
{
	size_t i;
	/* few distinct prices, so ties and plateaus are common */
	uint64_t spread = 1 + th_rand(rs) % 20, step = 1000 + th_rand(rs) % 5000;

	*n = 1 + th_rand(rs) % MAXN;
	*nf = 1 + th_rand(rs) % MAXF;
	for (i = 0; i < *nf; i++) {
		f[i].id = (uint32_t)i + 1;
		f[i].import_limit_wh = th_rand(rs) % 4 ? th_rand(rs) % 20000 :
							 1ULL << 40;
		f[i].export_limit_wh = th_rand(rs) % 4 ? th_rand(rs) % 20000 :
							 1ULL << 40;
	}
	for (i = 0; i < *n; i++) {
		o[i].side = th_rand(rs) & 1 ? ML_BID : ML_ASK;
		o[i].price = (th_rand(rs) % spread) * step;
		o[i].qty = 1 + th_rand(rs) % (th_rand(rs) & 1 ? 50 : 5000);
		o[i].seq = th_rand(rs) % 1000000 * MAXN + i;	/* unique */
		o[i].feeder = (uint32_t)(th_rand(rs) % *nf);
	}
}

static void check_invariants(const struct ml_auction_order *o, size_t n,
			     const struct ml_feeder *f, size_t nf,
			     const struct ml_auction_result *r)
{
	uint64_t filled[MAXN] = { 0 }, sum = 0, mx = 0;
	int64_t net[MAXF] = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		if (matched_at(o, n, o[i].price) > mx)
			mx = matched_at(o, n, o[i].price);
	assert_int_equal(r->volume_unconstrained, mx);	/* volume is maximal */
	assert_true(r->volume <= r->volume_unconstrained);
	for (i = 0; i < r->nfills; i++) {
		const struct ml_auction_fill *fl = &r->fills[i];

		assert_int_equal(o[fl->bid].side, ML_BID);
		assert_int_equal(o[fl->ask].side, ML_ASK);
		assert_true(o[fl->bid].price >= r->price);	/* nobody */
		assert_true(o[fl->ask].price <= r->price);	/* loses */
		assert_true(fl->qty > 0);
		filled[fl->bid] += fl->qty;
		filled[fl->ask] += fl->qty;
		sum += fl->qty;
		if (o[fl->bid].feeder != o[fl->ask].feeder) {
			net[o[fl->ask].feeder] += (int64_t)fl->qty;
			net[o[fl->bid].feeder] -= (int64_t)fl->qty;
		}
	}
	assert_int_equal(sum, r->volume);
	for (i = 0; i < n; i++)
		assert_true(filled[i] <= o[i].qty);
	for (i = 0; i < nf; i++) {
		assert_true(net[i] <= (int64_t)f[i].export_limit_wh);
		assert_true(-net[i] <= (int64_t)f[i].import_limit_wh);
	}
}

static uint64_t seed0(void)
{
	const char *s = getenv("ML_PROP_SEED");

	return s ? strtoull(s, NULL, 0) : 0x5eed0001ULL;
}

static int rounds(int dflt)
{
	const char *s = getenv("ML_PROP_ROUNDS");

	return s ? atoi(s) : dflt;
}

static void test_clearing_matches_reference_on_random_books(void **state)
{
	static struct ml_auction_order o[MAXN];
	static struct ref_fill rf[MAXN * (MAXF + 2)];
	struct ml_feeder f[MAXF];
	int round, nr = rounds(3000);

	(void)state;
	for (round = 0; round < nr; round++) {
		uint64_t seed = seed0() + (uint64_t)round, rs = seed * 2654435761u + 1;
		struct ml_auction_result r;
		uint64_t price, vol;
		size_t n, nf, nfill, i;

		random_book(&rs, o, &n, f, &nf);
		assert_int_equal(ml_auction_clear(o, n, f, nf, &r), 0);
		nfill = ref_clear(o, n, f, nf, &price, &vol, rf);
		if (r.price != price || r.nfills != nfill ||
		    r.volume_unconstrained != vol)
			fail_msg("seed %llu: price %llu/%llu fills %zu/%zu",
				 (unsigned long long)seed,
				 (unsigned long long)r.price,
				 (unsigned long long)price, r.nfills, nfill);
		for (i = 0; i < nfill; i++)
			if (r.fills[i].bid != rf[i].bid ||
			    r.fills[i].ask != rf[i].ask ||
			    r.fills[i].qty != rf[i].qty)
				fail_msg("seed %llu: fill %zu differs",
					 (unsigned long long)seed, i);
		check_invariants(o, n, f, nf, &r);
		ml_auction_result_free(&r);
	}
}

/* Without feeder limits, price priority is strict: no order trades while
 * a strictly better one on its side stays unfilled.
 */
static void test_unconstrained_clearing_respects_price_priority(void **state)
{
	static struct ml_auction_order o[MAXN];
	struct ml_feeder f[MAXF];
	int round, nr = rounds(3000) / 3;

	(void)state;
	for (round = 0; round < nr; round++) {
		uint64_t rs = (seed0() + (uint64_t)round) * 40503u + 7, filled[MAXN] = { 0 };
		struct ml_auction_result r;
		size_t n, nf, i, j;

		random_book(&rs, o, &n, f, &nf);
		for (i = 0; i < n; i++)
			o[i].feeder = 0;
		f[0].import_limit_wh = f[0].export_limit_wh = 1ULL << 40;
		assert_int_equal(ml_auction_clear(o, n, f, 1, &r), 0);
		assert_int_equal(r.volume, r.volume_unconstrained);
		for (i = 0; i < r.nfills; i++) {
			filled[r.fills[i].bid] += r.fills[i].qty;
			filled[r.fills[i].ask] += r.fills[i].qty;
		}
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				if (o[i].side == o[j].side && filled[j] &&
				    before(&o[i], &o[j]))
					assert_int_equal(filled[i], o[i].qty);
		ml_auction_result_free(&r);
	}
}

/* The result is a function of the book, not of the array order. */
static void test_clearing_ignores_input_order(void **state)
{
	static struct ml_auction_order o[MAXN], p[MAXN];
	struct ml_feeder f[MAXF];
	int round;

	(void)state;
	for (round = 0; round < 300; round++) {
		uint64_t rs = (seed0() + (uint64_t)round) * 977u + 3, sa = 0, sb = 0;
		struct ml_auction_result a, b;
		size_t n, nf, i;

		random_book(&rs, o, &n, f, &nf);
		for (i = 0; i < n; i++)
			p[i] = o[n - 1 - i];
		assert_int_equal(ml_auction_clear(o, n, f, nf, &a), 0);
		assert_int_equal(ml_auction_clear(p, n, f, nf, &b), 0);
		assert_int_equal(a.price, b.price);
		assert_int_equal(a.nfills, b.nfills);
		for (i = 0; i < a.nfills; i++) {
			assert_int_equal(a.fills[i].bid, n - 1 - b.fills[i].bid);
			assert_int_equal(a.fills[i].ask, n - 1 - b.fills[i].ask);
			sa += a.fills[i].qty;
			sb += b.fills[i].qty;
		}
		assert_int_equal(sa, sb);
		ml_auction_result_free(&a);
		ml_auction_result_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clearing_matches_reference_on_random_books),
		cmocka_unit_test(test_unconstrained_clearing_respects_price_priority),
		cmocka_unit_test(test_clearing_ignores_input_order),
	};

	return cmocka_run_group_tests_name("ledger auction properties", tests,
					   NULL, NULL);
}
