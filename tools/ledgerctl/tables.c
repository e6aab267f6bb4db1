// SPDX-License-Identifier: GPL-2.0
/*
 * ledgerctl balance, orders, trades, settlements, meters list,
 * dispatch list, validators list: the ledger's tables read from --db.
 * Each prints an aligned table, or with -j one JSON array.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerctl.h"

struct rows {
	struct lc *c;
	json_t *arr;
	int n;
};

#define HEX(name, p, n)	char name[2 * (n) + 1]; fmt_hex(name, p, n)

/* --account ACCOUNT and --interval TIME, shared by the market tables */
struct filter {
	uint8_t account[ML_KEY_LEN];
	bool has_account;
	uint64_t interval;
};

static int parse_filter(struct lc *c, int argc, char **argv, struct filter *f)
{
	static const struct option opts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "a:i:", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			if (parse_hex(optarg, f->account, ML_KEY_LEN))
				return lc_usage(c, "--account: '%s' is not a public "
						"key (64 hex digits)", optarg);
			f->has_account = true;
			break;
		case 'i':
			if (parse_time(optarg, &f->interval) || !f->interval)
				return lc_usage(c, "--interval: '%s' is not a time "
						"(unix seconds or YYYY-MM-DDTHH:MM)",
						optarg);
			break;
		default:
			return lc_usage(c, "unknown option");
		}
	}
	if (optind != argc)
		return lc_usage(c, "unexpected argument '%s'", argv[optind]);
	return lc_open_db(c);
}

static int finish_rows(struct rows *r, int ret, const char *none)
{
	if (ret > 0) {
		json_decref(r->arr);
		return ret;	/* a callback's exit status */
	}
	if (ret < 0) {
		json_decref(r->arr);
		return lc_db_fail(r->c, ret);
	}
	if (r->c->json)
		return lc_print_json(r->arr ? r->arr : json_array()) ? 0 :
		       LC_EXIT_FAIL;
	if (!r->n)
		printf("%s\n", none);
	return 0;
}

static int add_json(struct rows *r, json_t *j)
{
	if (!r->arr)
		r->arr = json_array();
	if (!j || json_array_append_new(r->arr, j))
		return LC_EXIT_FAIL;
	r->n++;
	return 0;
}

/* ---- balance ---- */

static int balance_row(const struct ml_q_account *a, void *arg)
{
	struct rows *r = arg;
	char b[32], l[32], av[32], roles[32];
	HEX(key, a->key, ML_KEY_LEN);

	if (r->c->json)
		return add_json(r, json_pack("{s:s, s:I, s:I, s:I, s:I, s:s}",
			"account", key, "balance", (json_int_t)a->balance,
			"locked", (json_int_t)a->locked,
			"available", (json_int_t)(a->balance - a->locked),
			"nonce", (json_int_t)a->nonce,
			"roles", fmt_roles(a->roles, roles)));
	if (!r->n++)
		printf("%-64s %16s %16s %16s %6s %s\n", "ACCOUNT", "BALANCE",
		       "LOCKED", "AVAILABLE", "NONCE", "ROLES");
	printf("%-64s %16s %16s %16s %6" PRIu64 " %s\n", key,
	       fmt_credits(a->balance, b), fmt_credits(a->locked, l),
	       fmt_credits(a->balance - a->locked, av), a->nonce,
	       fmt_roles(a->roles, roles));
	return 0;
}

int cmd_balance(struct lc *c, int argc, char **argv)
{
	struct rows r = { .c = c };
	uint8_t key[ML_KEY_LEN];
	int ret;

	if (argc > 2)
		return lc_usage(c, "balance takes at most one ACCOUNT");
	if (argc == 2 && parse_hex(argv[1], key, ML_KEY_LEN))
		return lc_usage(c, "'%s' is not a public key (64 hex digits)",
				argv[1]);
	ret = lc_open_db(c);
	if (ret)
		return ret;
	ret = ml_q_accounts(c->l, argc == 2 ? key : NULL, balance_row, &r);
	if (!ret && !r.n && argc == 2) {
		json_decref(r.arr);
		return lc_err(c, LC_EXIT_NOTFOUND, "no account %s in this ledger",
			      argv[1]);
	}
	return finish_rows(&r, ret, "no accounts");
}

/* ---- orders ---- */

static int order_row(const struct ml_q_order *o, void *arg)
{
	struct rows *r = arg;
	char t[32], p[32], m[65];
	HEX(id, o->id, ML_ID_LEN);
	HEX(acct, o->account, ML_KEY_LEN);

	if (r->c->json)
		return add_json(r, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s}",
			"id", id, "account", acct, "meter", fmt_meter(o->meter, m),
			"side", fmt_side(o->side), "interval", (json_int_t)o->interval,
			"qty_wh", (json_int_t)o->qty, "price", (json_int_t)o->price,
			"reserved", (json_int_t)o->reserved,
			"filled_wh", (json_int_t)o->filled,
			"status", fmt_order_status(o->status)));
	if (!r->n++)
		printf("%-16s %-20s %-3s %-12s %8s %8s %14s %-9s %s\n", "ORDER",
		       "INTERVAL", "", "METER", "QTY_WH", "FILLED", "PRICE/KWH",
		       "STATUS", "ACCOUNT");
	printf("%-16.16s %-20s %-3s %-12s %8" PRIu64 " %8" PRIu64 " %14s %-9s %.16s\n",
	       id, fmt_time(o->interval, t), fmt_side(o->side),
	       fmt_meter(o->meter, m), o->qty, o->filled,
	       fmt_credits((int64_t)o->price, p), fmt_order_status(o->status),
	       acct);
	return 0;
}

int cmd_orders(struct lc *c, int argc, char **argv)
{
	struct rows r = { .c = c };
	struct filter f = { 0 };
	int ret = parse_filter(c, argc, argv, &f);

	if (ret)
		return ret;
	ret = ml_q_orders(c->l, f.has_account ? f.account : NULL, f.interval,
			  order_row, &r);
	return finish_rows(&r, ret, "no orders");
}

/* ---- trades ---- */

static int trade_row(const struct ml_q_trade *t, void *arg)
{
	struct rows *r = arg;
	char ts[32], p[32], a[32], fee[32];
	HEX(bid, t->bid, ML_ID_LEN);
	HEX(ask, t->ask, ML_ID_LEN);

	if (r->c->json)
		return add_json(r, json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I}",
			"interval", (json_int_t)t->interval, "bid", bid, "ask", ask,
			"qty_wh", (json_int_t)t->qty, "price", (json_int_t)t->price,
			"amount", (json_int_t)t->amount, "fee", (json_int_t)t->fee));
	if (!r->n++)
		printf("%-20s %-16s %-16s %8s %14s %14s %14s\n", "INTERVAL", "BID",
		       "ASK", "QTY_WH", "PRICE/KWH", "AMOUNT", "FEE");
	printf("%-20s %-16.16s %-16.16s %8" PRIu64 " %14s %14s %14s\n",
	       fmt_time(t->interval, ts), bid, ask, t->qty,
	       fmt_credits((int64_t)t->price, p), fmt_credits(t->amount, a),
	       fmt_credits(t->fee, fee));
	return 0;
}

int cmd_trades(struct lc *c, int argc, char **argv)
{
	struct rows r = { .c = c };
	struct filter f = { 0 };
	int ret = parse_filter(c, argc, argv, &f);

	if (ret)
		return ret;
	ret = ml_q_trades(c->l, f.has_account ? f.account : NULL, f.interval,
			  trade_row, &r);
	return finish_rows(&r, ret, "no trades");
}

/* ---- settlements ---- */

static int settlement_row(const struct ml_q_settlement *s, void *arg)
{
	struct rows *r = arg;
	char ts[32], a[32], m[65];
	HEX(acct, s->account, ML_KEY_LEN);

	if (r->c->json)
		return add_json(r, json_pack("{s:I, s:s, s:s, s:I, s:I, s:I}",
			"interval", (json_int_t)s->interval,
			"meter", fmt_meter(s->meter, m), "account", acct,
			"contracted_wh", (json_int_t)s->contracted,
			"measured_wh", (json_int_t)s->measured,
			"amount", (json_int_t)s->amount));
	if (!r->n++)
		printf("%-20s %-12s %12s %12s %14s %s\n", "INTERVAL", "METER",
		       "CONTRACTED", "MEASURED", "AMOUNT", "ACCOUNT");
	printf("%-20s %-12s %12" PRId64 " %12" PRId64 " %14s %.16s\n",
	       fmt_time(s->interval, ts), fmt_meter(s->meter, m), s->contracted,
	       s->measured, fmt_credits(s->amount, a), acct);
	return 0;
}

int cmd_settlements(struct lc *c, int argc, char **argv)
{
	struct rows r = { .c = c };
	struct filter f = { 0 };
	int ret = parse_filter(c, argc, argv, &f);

	if (ret)
		return ret;
	ret = ml_q_settlements(c->l, f.has_account ? f.account : NULL, f.interval,
			       settlement_row, &r);
	return finish_rows(&r, ret, "no settlements");
}

/* ---- meters list ---- */

static int meter_row(const struct ml_q_meter *m, void *arg)
{
	struct rows *r = arg;
	char name[65];
	HEX(owner, m->owner, ML_KEY_LEN);
	HEX(gw, m->gw_key, ML_P256_PUB_LEN);

	if (r->c->json)
		return add_json(r, json_pack("{s:s, s:s, s:I, s:s}",
			"meter", fmt_meter(m->id, name), "owner", owner,
			"feeder", (json_int_t)m->feeder, "gw_key", gw));
	if (!r->n++)
		printf("%-12s %6s %-64s %s\n", "METER", "FEEDER", "OWNER",
		       "GATEWAY KEY");
	printf("%-12s %6u %-64s %.16s...\n", fmt_meter(m->id, name), m->feeder,
	       owner, gw);
	return 0;
}

int lc_meters_list(struct lc *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct rows r = { .c = c };
	uint8_t owner[ML_KEY_LEN];
	bool has_owner = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (opt != 'o')
			return lc_usage(c, "unknown option");
		if (parse_hex(optarg, owner, ML_KEY_LEN))
			return lc_usage(c, "--owner: '%s' is not a public key "
					"(64 hex digits)", optarg);
		has_owner = true;
	}
	if (optind != argc)
		return lc_usage(c, "unexpected argument '%s'", argv[optind]);
	ret = lc_open_db(c);
	if (ret)
		return ret;
	ret = ml_q_meters(c->l, has_owner ? owner : NULL, meter_row, &r);
	return finish_rows(&r, ret, "no meters");
}

/* ---- dispatch list ---- */

static int dispatch_row(const struct ml_q_dispatch *d, void *arg)
{
	struct rows *r = arg;
	char s[32], e[32], m[65];
	HEX(id, d->id, ML_ID_LEN);

	if (r->c->json)
		return add_json(r, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:I}",
			"id", id, "meter", fmt_meter(d->meter, m),
			"kind", fmt_dispatch_kind(d->kind), "value_w", (json_int_t)d->value,
			"start", (json_int_t)d->start, "end", (json_int_t)d->end,
			"status", fmt_dispatch_status(d->status),
			"ack_height", (json_int_t)d->ack_height));
	if (!r->n++)
		printf("%-16s %-12s %-12s %8s %-20s %-20s %s\n", "DISPATCH", "METER",
		       "KIND", "VALUE_W", "START", "END", "STATUS");
	printf("%-16.16s %-12s %-12s %8" PRId64 " %-20s %-20s %s\n", id,
	       fmt_meter(d->meter, m), fmt_dispatch_kind(d->kind), d->value,
	       fmt_time(d->start, s), fmt_time(d->end, e),
	       fmt_dispatch_status(d->status));
	return 0;
}

int lc_dispatch_list(struct lc *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "meter", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct rows r = { .c = c };
	uint8_t meter[ML_ID_LEN];
	bool has_meter = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "m:", opts, NULL)) != -1) {
		if (opt != 'm')
			return lc_usage(c, "unknown option");
		if (parse_meter(optarg, meter))
			return lc_usage(c, "--meter: '%s' is not a meter id", optarg);
		has_meter = true;
	}
	if (optind != argc)
		return lc_usage(c, "unexpected argument '%s'", argv[optind]);
	ret = lc_open_db(c);
	if (ret)
		return ret;
	ret = ml_q_dispatches(c->l, has_meter ? meter : NULL, dispatch_row, &r);
	return finish_rows(&r, ret, "no dispatch instructions");
}

/* ---- validators list ---- */

int lc_validators_list(struct lc *c, int argc, char **argv)
{
	uint8_t *keys = NULL;
	size_t n = 0, i;
	json_t *arr;
	int ret;

	(void)argv;
	if (argc != 1)
		return lc_usage(c, "validators list takes no arguments");
	ret = lc_open_db(c);
	if (ret)
		return ret;
	ret = ml_ledger_validators(c->l, &keys, &n);
	if (ret)
		return lc_db_fail(c, ret);
	arr = json_array();
	for (i = 0; i < n; i++) {
		HEX(hex, keys + i * ML_KEY_LEN, ML_KEY_LEN);

		if (c->json)
			json_array_append_new(arr, json_string(hex));
		else
			printf("%s\n", hex);
	}
	free(keys);
	if (c->json)
		return lc_print_json(json_pack("{s:o, s:I}", "validators", arr,
					       "quorum", (json_int_t)ml_quorum(n))) ?
		       0 : LC_EXIT_FAIL;
	json_decref(arr);
	printf("%zu validators, quorum %zu\n", n, ml_quorum(n));
	return 0;
}
