// SPDX-License-Identifier: GPL-2.0
/*
 * ledgerctl blocks show|export RANGE: blocks as stored, decoded from their
 * canonical encoding (Documentation/ledger/format.rst). RANGE is N, N..M,
 * N.. or ..M; heights start at 1 (0 is the genesis, not a block).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledgerctl.h"

static int parse_range(const char *s, uint64_t head, uint64_t *from,
		       uint64_t *to)
{
	const char *dots = strstr(s, "..");
	char a[24];
	size_t n;

	if (!strcmp(s, "head") || !strcmp(s, "latest")) {
		*from = *to = head;
		return head ? 0 : -ERANGE;
	}
	if (!dots)
		return parse_u64(s, UINT64_MAX, from) ? -EINVAL :
		       (*to = *from, 0);
	n = (size_t)(dots - s);
	if (n >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, n);
	a[n] = 0;
	*from = 1;
	*to = head;
	if ((n && parse_u64(a, UINT64_MAX, from)) ||
	    (dots[2] && parse_u64(dots + 2, UINT64_MAX, to)))
		return -EINVAL;
	return 0;
}

/* the range checked against the chain: heights that are there */
static int get_range(struct lc *c, const char *arg, uint64_t *from,
		     uint64_t *to)
{
	struct ml_ledger_info info;
	int ret = lc_open_db(c);

	if (ret)
		return ret;
	ret = ml_ledger_info(c->l, &info);
	if (ret)
		return lc_db_fail(c, ret);
	ret = parse_range(arg, info.height, from, to);
	if (ret == -EINVAL)
		return lc_usage(c, "'%s' is not a height or a range (N, N..M, N.., "
				"..M, head)", arg);
	if (ret || *from == 0 || *from > *to || *to > info.height)
		return lc_err(c, LC_EXIT_NOTFOUND, "no block %s: the chain has "
			      "blocks 1..%" PRIu64, arg, info.height);
	return 0;
}

static void tx_line(const struct ml_tx *tx)
{
	char id[65], a[65], b[65], t[32], p[32];
	uint8_t raw[ML_HASH_LEN];

	ml_tx_id(tx, raw);
	fmt_hex(id, raw, ML_HASH_LEN);
	fmt_hex(a, tx->sender, ML_KEY_LEN);
	printf("    %.16s %-14s from %.16s nonce %" PRIu64 ": ", id,
	       fmt_tx_kind(tx->kind), a, tx->nonce);
	switch (tx->kind) {
	case ML_TX_TRANSFER:
		fmt_hex(b, tx->u.transfer.to, ML_KEY_LEN);
		printf("%s to %.16s\n", fmt_credits((int64_t)tx->u.transfer.amount, p), b);
		break;
	case ML_TX_ORDER:
		printf("%s %" PRIu64 " Wh at %s/kWh, meter %s, interval %s\n",
		       fmt_side(tx->u.order.side), tx->u.order.qty_wh,
		       fmt_credits((int64_t)tx->u.order.price, p),
		       fmt_meter(tx->u.order.meter, b),
		       fmt_time(tx->u.order.interval_start, t));
		break;
	case ML_TX_CANCEL:
		fmt_hex(b, tx->u.cancel.order_id, ML_ID_LEN);
		printf("order %.16s\n", b);
		break;
	case ML_TX_METER_REPORT:
		printf("meter %s, interval %s, import %" PRIu64 " Wh, export %"
		       PRIu64 " Wh\n", fmt_meter(tx->u.report.meter, b),
		       fmt_time(tx->u.report.interval_start, t),
		       tx->u.report.import_wh, tx->u.report.export_wh);
		break;
	case ML_TX_REGISTER_METER:
		fmt_hex(a, tx->u.reg.owner, ML_KEY_LEN);
		printf("meter %s, owner %.16s, feeder %u\n",
		       fmt_meter(tx->u.reg.meter, b), a, tx->u.reg.feeder);
		break;
	case ML_TX_DISPATCH:
		printf("meter %s, %s %" PRId64 " W, %s", fmt_meter(tx->u.dispatch.meter, b),
		       fmt_dispatch_kind(tx->u.dispatch.kind), tx->u.dispatch.value,
		       fmt_time(tx->u.dispatch.start, t));
		printf(" to %s\n", fmt_time(tx->u.dispatch.end, t));
		break;
	case ML_TX_DISPATCH_ACK:
		fmt_hex(b, tx->u.ack.dispatch_id, ML_ID_LEN);
		printf("%s dispatch %.16s\n",
		       tx->u.ack.status == ML_ACK_ACCEPT ? "accept" : "reject", b);
		break;
	case ML_TX_VALIDATOR_VOTE:
		fmt_hex(b, tx->u.vote.subject, ML_KEY_LEN);
		printf("%s validator %.16s\n",
		       tx->u.vote.action == ML_VOTE_ADD ? "add" : "remove", b);
		break;
	default:
		printf("\n");
	}
}

static void block_human(const struct ml_block *b)
{
	const struct ml_block_header *h = &b->hdr;
	char hex[65], t[32];
	uint8_t hash[ML_HASH_LEN];
	uint32_t i;

	ml_block_hash(h, hash);
	fmt_hex(hex, hash, ML_HASH_LEN);
	printf("block %" PRIu64 " %s\n", h->height, hex);
	printf("  time        %s (%" PRIu64 ")\n", fmt_time(h->time, t), h->time);
	printf("  round       %u\n", h->round);
	fmt_hex(hex, h->proposer, ML_KEY_LEN);
	printf("  proposer    %s\n", hex);
	fmt_hex(hex, h->prev_hash, ML_HASH_LEN);
	printf("  prev        %s\n", hex);
	fmt_hex(hex, h->tx_root, ML_HASH_LEN);
	printf("  tx root     %s\n", hex);
	fmt_hex(hex, h->state_root, ML_HASH_LEN);
	printf("  state root  %s\n", hex);
	printf("  commit      %u signatures:", b->ncommit);
	for (i = 0; i < b->ncommit; i++) {
		fmt_hex(hex, b->commit[i].validator, ML_KEY_LEN);
		printf(" %.16s", hex);
	}
	printf("\n  txs         %u\n", b->ntx);
	for (i = 0; i < b->ntx; i++)
		tx_line(&b->txs[i]);
}

static int load(struct lc *c, uint64_t h, uint8_t **buf, size_t *len,
		struct ml_block *b)
{
	int ret = ml_ledger_block(c->l, h, buf, len);

	if (ret == -ENOENT)
		return lc_err(c, LC_EXIT_DAMAGED, "block %" PRIu64 " is missing "
			      "from the database (run ledgerctl verify)", h);
	if (ret)
		return lc_db_fail(c, ret);
	if (b && ml_block_decode(*buf, *len, b)) {
		free(*buf);
		return lc_err(c, LC_EXIT_DAMAGED, "block %" PRIu64 " does not "
			      "decode (run ledgerctl verify)", h);
	}
	return 0;
}

static int blocks_show(struct lc *c, int argc, char **argv)
{
	uint64_t from, to, h;
	json_t *arr;
	int ret;

	if (argc != 2)
		return lc_usage(c, "blocks show takes one RANGE");
	arr = json_array();
	ret = get_range(c, argv[1], &from, &to);
	for (h = from; !ret && h <= to; h++) {
		struct ml_block b;
		uint8_t *buf;
		size_t len;

		ret = load(c, h, &buf, &len, &b);
		if (ret)
			break;
		if (c->json)
			json_array_append_new(arr, block_json(&b));
		else
			block_human(&b);
		if (!c->json && h < to)
			putchar('\n');
		ml_block_free(&b);
		free(buf);
	}
	if (!ret && c->json)
		return lc_print_json(arr) ? 0 : LC_EXIT_FAIL;
	json_decref(arr);
	return ret;
}

static int blocks_export(struct lc *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	bool json = c->json;
	uint64_t from, to, h;
	json_t *arr = NULL;
	FILE *f = stdout;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "f:o:", opts, NULL)) != -1) {
		if (opt == 'o') {
			out = optarg;
		} else if (opt == 'f' && (!strcmp(optarg, "bin") ||
					  !strcmp(optarg, "json"))) {
			json = !strcmp(optarg, "json");
		} else {
			return lc_usage(c, opt == 'f' ? "--format is bin or json" :
					"unknown option");
		}
	}
	if (argc - optind != 1)
		return lc_usage(c, "blocks export takes one RANGE");
	if (!json && !out && isatty(STDOUT_FILENO))
		return lc_usage(c, "binary output to a terminal: use -o FILE or "
				"--format json");
	ret = get_range(c, argv[optind], &from, &to);
	if (ret)
		return ret;
	if (out && !(f = fopen(out, "wbx")))
		return lc_err(c, errno == ENOENT ? LC_EXIT_NOTFOUND : LC_EXIT_FAIL,
			      "%s: %s", out, errno == EEXIST ?
			      "exists; choose another name" : strerror(errno));
	arr = json ? json_array() : NULL;
	for (h = from; !ret && h <= to; h++) {
		uint8_t *buf, be[4];
		struct ml_block b;
		size_t len;

		ret = load(c, h, &buf, &len, json ? &b : NULL);
		if (ret)
			break;
		if (json) {
			json_t *j = block_json(&b);

			json_object_set_new(j, "encoded", json_integer((json_int_t)len));
			json_array_append_new(arr, j);
			ml_block_free(&b);
		} else {
			be[0] = (uint8_t)(len >> 24);
			be[1] = (uint8_t)(len >> 16);
			be[2] = (uint8_t)(len >> 8);
			be[3] = (uint8_t)len;
			if (fwrite(be, 4, 1, f) != 1 || fwrite(buf, len, 1, f) != 1)
				ret = lc_err(c, LC_EXIT_FAIL, "writing: %s", strerror(errno));
		}
		free(buf);
	}
	if (!ret && json && json_dumpf(arr, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
		ret = lc_err(c, LC_EXIT_FAIL, "writing: %s", strerror(errno));
	if (!ret && json)
		fputc('\n', f);
	json_decref(arr);
	if (out && fclose(f) && !ret)
		ret = lc_err(c, LC_EXIT_FAIL, "%s: %s", out, strerror(errno));
	if (ret && out)
		unlink(out);
	return ret;
}

int cmd_blocks(struct lc *c, int argc, char **argv)
{
	if (argc < 2)
		return lc_usage(c, "blocks needs show or export");
	if (!strcmp(argv[1], "show")) {
		c->cmd = "blocks show";
		return blocks_show(c, argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "export")) {
		c->cmd = "blocks export";
		return blocks_export(c, argc - 1, argv + 1);
	}
	return lc_usage(c, "unknown blocks command '%s'", argv[1]);
}
