// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Clearing: sort both sides once, sweep the candidate prices for the one
 * that maximises matched volume, then pair bids and asks in priority order
 * under the feeder limits. O(n log n + (bids + fills) * active feeders).
 */
#include <errno.h>
#include <stdlib.h>

#include "auction.h"

struct key {
	uint64_t rank;		/* price for asks, ~price for bids */
	uint64_t seq;
	uint64_t qty;
	uint64_t price;
	uint32_t idx;
	uint32_t feeder;
};

/* Priority: better price first, then earlier arrival. */
static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

struct fills {
	struct ml_auction_fill *v;
	size_t n, cap;
};

static int fills_push(struct fills *f, uint32_t bid, uint32_t ask, uint64_t q)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		struct ml_auction_fill *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = (struct ml_auction_fill){ bid, ask, q };
	return 0;
}

/*
 * The price range that maximises min(demand(p), supply(p)) has its ends
 * at limit prices, and min() of a falling and a rising step function is
 * unimodal, so one ascending sweep over the limit prices finds it.
 */
static uint64_t clearing_price(const struct key *b, size_t nb,
			       const struct key *a, size_t na, uint64_t *vol)
{
	uint64_t total_bid = 0, below = 0, supply = 0, best = 0;
	uint64_t lo = 0, hi = 0;
	size_t ai = 0, bi = nb, i;

	for (i = 0; i < nb; i++)
		total_bid += b[i].qty;
	while (ai < na || bi > 0) {
		uint64_t p, m, demand;

		if (bi == 0 || (ai < na && a[ai].price <= b[bi - 1].price))
			p = a[ai].price;
		else
			p = b[bi - 1].price;
		while (ai < na && a[ai].price <= p)
			supply += a[ai++].qty;
		while (bi > 0 && b[bi - 1].price < p)
			below += b[--bi].qty;
		demand = total_bid - below;
		m = demand < supply ? demand : supply;
		if (m > best) {
			best = m;
			lo = hi = p;
		} else if (m == best && best) {
			hi = p;
		}
		/* bids at p are below every later candidate */
		while (bi > 0 && b[bi - 1].price <= p)
			below += b[--bi].qty;
	}
	*vol = best;
	return best ? lo + (hi - lo) / 2 : 0;
}

static int allocate(const struct key *b, size_t nb, const struct key *a,
		    size_t na, uint64_t price, const struct ml_feeder *fd,
		    size_t nf, struct fills *out)
{
	size_t *start, *head, *qidx, *active, nact = 0, i, f;
	uint64_t *arem;
	int64_t *net;
	int ret = -ENOMEM;

	start = calloc(nf + 1, sizeof(*start));
	head = calloc(nf, sizeof(*head));
	active = calloc(nf, sizeof(*active));
	net = calloc(nf, sizeof(*net));
	qidx = calloc(na ? na : 1, sizeof(*qidx));
	arem = calloc(na ? na : 1, sizeof(*arem));
	if (!start || !head || !active || !net || !qidx || !arem)
		goto out;
	/* per-feeder ask queues that keep the global priority order */
	for (i = 0; i < na && a[i].price <= price; i++)
		start[a[i].feeder + 1]++;
	for (f = 0; f < nf; f++)
		start[f + 1] += start[f];
	for (f = 0; f < nf; f++)
		head[f] = start[f];
	for (i = 0; i < na && a[i].price <= price; i++) {
		arem[i] = a[i].qty;
		qidx[head[a[i].feeder]++] = i;
	}
	for (f = 0; f < nf; f++) {
		head[f] = start[f];
		if (start[f] < start[f + 1])
			active[nact++] = f;
	}
	ret = 0;
	for (i = 0; i < nb && b[i].price >= price && !ret && nact; i++) {
		uint64_t rem = b[i].qty;
		size_t g = b[i].feeder;

		while (rem && !ret) {
			size_t k, bestf = nf, ai = 0;
			uint64_t q, room = 0;

			for (k = 0; k < nact; k++) {
				size_t fi = active[k], cand;
				int64_t r1, r2;

				cand = qidx[head[fi]];
				if (fi != g) {
					r1 = (int64_t)fd[fi].export_limit_wh -
					     net[fi];
					r2 = (int64_t)fd[g].import_limit_wh +
					     net[g];
					if (r1 <= 0 || r2 <= 0)
						continue;
				}
				if (bestf == nf || key_cmp(&a[cand], &a[ai]) < 0) {
					bestf = fi;
					ai = cand;
				}
			}
			if (bestf == nf)
				break;
			q = rem < arem[ai] ? rem : arem[ai];
			if (bestf != g) {
				room = fd[bestf].export_limit_wh - net[bestf];
				if (fd[g].import_limit_wh + net[g] < room)
					room = fd[g].import_limit_wh + net[g];
				if (room < q)
					q = room;
				net[bestf] += q;
				net[g] -= q;
			}
			ret = fills_push(out, b[i].idx, a[ai].idx, q);
			rem -= q;
			arem[ai] -= q;
			if (!arem[ai] && ++head[bestf] == start[bestf + 1]) {
				for (k = 0; active[k] != bestf; k++)
					;
				for (; k + 1 < nact; k++)
					active[k] = active[k + 1];
				nact--;
			}
		}
	}
out:
	free(start);
	free(head);
	free(active);
	free(net);
	free(qidx);
	free(arem);
	return ret;
}

int ml_auction_clear(const struct ml_auction_order *o, size_t n,
		     const struct ml_feeder *feeders, size_t nf,
		     struct ml_auction_result *res)
{
	struct ml_auction_result r = { 0 };
	struct fills fl = { 0 };
	struct key *b, *a;
	size_t nb = 0, na = 0, i;
	int ret;

	for (i = 0; i < n; i++) {
		if (o[i].feeder >= nf || !o[i].qty || o[i].qty > ML_MAX_QTY_WH ||
		    o[i].price > ML_MAX_PRICE ||
		    (o[i].side != ML_BID && o[i].side != ML_ASK))
			return -EINVAL;
	}
	if (n > UINT32_MAX)
		return -E2BIG;
	b = malloc((n ? n : 1) * sizeof(*b));
	a = malloc((n ? n : 1) * sizeof(*a));
	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct key k = {
			.seq = o[i].seq, .qty = o[i].qty, .price = o[i].price,
			.idx = (uint32_t)i, .feeder = o[i].feeder,
		};

		if (o[i].side == ML_BID) {
			k.rank = ~o[i].price;
			b[nb++] = k;
		} else {
			k.rank = o[i].price;
			a[na++] = k;
		}
	}
	qsort(b, nb, sizeof(*b), key_cmp);
	qsort(a, na, sizeof(*a), key_cmp);
	r.price = clearing_price(b, nb, a, na, &r.volume_unconstrained);
	ret = 0;
	if (r.volume_unconstrained)
		ret = allocate(b, nb, a, na, r.price, feeders, nf, &fl);
	free(a);
	free(b);
	if (ret) {
		free(fl.v);
		return ret;
	}
	for (i = 0; i < fl.n; i++)
		r.volume += fl.v[i].qty;
	r.fills = fl.v;
	r.nfills = fl.n;
	*res = r;
	return 0;
}

void ml_auction_result_free(struct ml_auction_result *res)
{
	free(res->fills);
	res->fills = NULL;
	res->nfills = 0;
}
