// SPDX-License-Identifier: GPL-2.0
/*
 * The commands that go through settled: status, and every command that
 * makes a transaction. The transaction is built and signed here with the
 * user's key (--key); settled only sees the signed bytes, so the secret
 * key never leaves this process.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "keyfile.h"

int lc_meters_list(struct lc *c, int argc, char **argv);
int lc_dispatch_list(struct lc *c, int argc, char **argv);
int lc_validators_list(struct lc *c, int argc, char **argv);

int cmd_status(struct lc *c, int argc, char **argv)
{
	const char *k;
	json_t *r, *v;
	int ret;

	(void)argv;
	if (argc != 1)
		return lc_usage(c, "status takes no arguments");
	ret = ctl_call(c, json_pack("{s:s}", "cmd", "status"), &r);
	if (ret)
		return ret;
	json_object_del(r, "ok");
	if (c->json)
		return lc_print_json(r) ? 0 : LC_EXIT_FAIL;
	json_object_foreach(r, k, v) {
		char *s = json_is_string(v) ? strdup(json_string_value(v)) :
			  json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		printf("%-14s %s\n", k, s ? s : "?");
		free(s);
	}
	json_decref(r);
	return 0;
}

/* Fills in chain id and nonce from settled, signs, submits, prints. */
static int submit(struct lc *c, struct ml_tx *tx)
{
	uint8_t buf[ML_TX_MAX_LEN], id[ML_HASH_LEN];
	char hex[2 * ML_TX_MAX_LEN + 1], acct[65], idhex[65];
	struct kf_key k;
	json_t *r;
	size_t len;
	int ret;

	if (!c->key)
		return lc_usage(c, "%s signs a transaction: give --key FILE (or "
				"LEDGERCTL_KEY)", c->cmd);
	if (c->sign_only && (!c->has_chain_id || !c->has_nonce))
		return lc_usage(c, "--sign-only needs --chain-id and --nonce");
	ret = kf_load(c, c->key, &k);
	if (ret)
		return ret;
	if (c->sign_only) {
		tx->chain_id = c->chain_id;
		tx->nonce = c->nonce;
		goto sign;
	}
	fmt_hex(acct, k.pk, ML_KEY_LEN);
	ret = ctl_call(c, json_pack("{s:s, s:s}", "cmd", "account", "account",
				    acct), &r);
	if (ret)
		goto out;
	if (!json_is_integer(json_object_get(r, "nonce")) ||
	    !json_is_integer(json_object_get(r, "chain_id"))) {
		json_decref(r);
		ret = lc_err(c, LC_EXIT_FAIL, "settled's answer has no nonce or "
			     "chain_id; are ledgerctl and settled the same version?");
		goto out;
	}
	tx->nonce = (uint64_t)json_integer_value(json_object_get(r, "nonce"));
	tx->chain_id = (uint64_t)json_integer_value(json_object_get(r, "chain_id"));
	json_decref(r);
sign:
	if (ml_tx_sign(tx, k.sk) || ml_tx_encode(tx, buf, sizeof(buf), &len)) {
		ret = lc_err(c, LC_EXIT_USAGE, "the transaction is not valid "
			     "(check the values against ledgerctl(8))");
		goto out;
	}
	fmt_hex(hex, buf, len);
	ml_tx_id(tx, id);
	fmt_hex(idhex, id, ML_HASH_LEN);
	if (c->sign_only) {
		if (c->json)
			ret = lc_print_json(json_pack("{s:s, s:s}", "id", idhex,
						      "tx", hex)) ? 0 : LC_EXIT_FAIL;
		else
			printf("%s\n", hex);
		goto out;
	}
	ret = ctl_call(c, json_pack("{s:s, s:s}", "cmd", "submit", "tx", hex), &r);
	if (ret)
		goto out;
	if (c->json) {
		ret = lc_print_json(json_pack("{s:s, s:O}", "id", idhex, "height",
				    json_object_get(r, "height"))) ? 0 : LC_EXIT_FAIL;
	} else if (json_is_integer(json_object_get(r, "height"))) {
		printf("%s %s: in block %" JSON_INTEGER_FORMAT "\n",
		       fmt_tx_kind(tx->kind), idhex,
		       json_integer_value(json_object_get(r, "height")));
	} else {
		printf("%s %s: submitted\n", fmt_tx_kind(tx->kind), idhex);
	}
	json_decref(r);
out:
	kf_wipe(&k);
	return ret;
}

static int key_arg(struct lc *c, const char *what, const char *s, uint8_t *out)
{
	if (parse_hex(s, out, ML_KEY_LEN))
		return lc_usage(c, "%s: '%s' is not a public key (64 hex digits)",
				what, s);
	return 0;
}

int cmd_transfer(struct lc *c, int argc, char **argv)
{
	struct ml_tx tx = { .kind = ML_TX_TRANSFER };
	int ret;

	if (argc != 3)
		return lc_usage(c, "transfer takes ACCOUNT AMOUNT");
	ret = key_arg(c, "ACCOUNT", argv[1], tx.u.transfer.to);
	if (ret)
		return ret;
	if (parse_credits(argv[2], ML_MAX_AMOUNT, &tx.u.transfer.amount) ||
	    !tx.u.transfer.amount)
		return lc_usage(c, "AMOUNT: '%s' is not an amount in credits "
				"(up to 6 decimals, more than 0)", argv[2]);
	return submit(c, &tx);
}

int cmd_order(struct lc *c, int argc, char **argv)
{
	struct ml_tx tx = { .kind = ML_TX_ORDER };

	if (argc != 6)
		return lc_usage(c, "order takes bid|ask METER QTY_WH PRICE INTERVAL");
	if (strcmp(argv[1], "bid") && strcmp(argv[1], "ask"))
		return lc_usage(c, "'%s' is not bid or ask", argv[1]);
	tx.u.order.side = !strcmp(argv[1], "bid") ? ML_BID : ML_ASK;
	if (parse_meter(argv[2], tx.u.order.meter))
		return lc_usage(c, "METER: '%s' is not a meter id (64 hex digits "
				"or a name of up to 32 characters)", argv[2]);
	if (parse_u64(argv[3], ML_MAX_QTY_WH, &tx.u.order.qty_wh) ||
	    !tx.u.order.qty_wh)
		return lc_usage(c, "QTY_WH: '%s' is not a quantity in Wh "
				"(1..%llu)", argv[3], ML_MAX_QTY_WH);
	if (parse_credits(argv[4], ML_MAX_PRICE, &tx.u.order.price))
		return lc_usage(c, "PRICE: '%s' is not a price in credits per kWh "
				"(up to 6 decimals)", argv[4]);
	if (parse_time(argv[5], &tx.u.order.interval_start))
		return lc_usage(c, "INTERVAL: '%s' is not a time (unix seconds or "
				"YYYY-MM-DDTHH:MM, the start of the interval)",
				argv[5]);
	return submit(c, &tx);
}

int cmd_cancel(struct lc *c, int argc, char **argv)
{
	struct ml_tx tx = { .kind = ML_TX_CANCEL };

	if (argc != 2)
		return lc_usage(c, "cancel takes ORDER_ID");
	if (parse_hex(argv[1], tx.u.cancel.order_id, ML_ID_LEN))
		return lc_usage(c, "ORDER_ID: '%s' is not an order id (64 hex "
				"digits; see ledgerctl orders)", argv[1]);
	return submit(c, &tx);
}

int cmd_meters(struct lc *c, int argc, char **argv)
{
	struct ml_tx tx = { .kind = ML_TX_REGISTER_METER };
	uint64_t feeder;
	int ret;

	if (argc < 2)
		return lc_usage(c, "meters needs list or register");
	if (!strcmp(argv[1], "list")) {
		c->cmd = "meters list";
		return lc_meters_list(c, argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "register"))
		return lc_usage(c, "unknown meters command '%s'", argv[1]);
	c->cmd = "meters register";
	if (argc != 6)
		return lc_usage(c, "meters register takes METER OWNER FEEDER GW_KEY");
	if (parse_meter(argv[2], tx.u.reg.meter))
		return lc_usage(c, "METER: '%s' is not a meter id", argv[2]);
	ret = key_arg(c, "OWNER", argv[3], tx.u.reg.owner);
	if (ret)
		return ret;
	if (parse_u64(argv[4], UINT32_MAX, &feeder))
		return lc_usage(c, "FEEDER: '%s' is not a feeder number", argv[4]);
	tx.u.reg.feeder = (uint32_t)feeder;
	if (parse_hex(argv[5], tx.u.reg.gw_key, ML_P256_PUB_LEN))
		return lc_usage(c, "GW_KEY: '%s' is not a P-256 public key (128 hex "
				"digits, X || Y)", argv[5]);
	return submit(c, &tx);
}

static int parse_kind(const char *s, uint8_t *kind)
{
	static const char *const names[] = {
		"import-limit", "export-limit", "battery", "curtail",
	};
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*kind = (uint8_t)(ML_DISPATCH_IMPORT_LIMIT + i);
			return 0;
		}
	return -1;
}

int cmd_dispatch(struct lc *c, int argc, char **argv)
{
	struct ml_tx tx = { 0 };
	char *end;

	if (argc < 2)
		return lc_usage(c, "dispatch needs list, send or ack");
	if (!strcmp(argv[1], "list")) {
		c->cmd = "dispatch list";
		return lc_dispatch_list(c, argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "ack")) {
		c->cmd = "dispatch ack";
		tx.kind = ML_TX_DISPATCH_ACK;
		if (argc != 4)
			return lc_usage(c, "dispatch ack takes DISPATCH_ID accept|reject");
		if (parse_hex(argv[2], tx.u.ack.dispatch_id, ML_ID_LEN))
			return lc_usage(c, "DISPATCH_ID: '%s' is not a dispatch id "
					"(64 hex digits; see dispatch list)", argv[2]);
		if (strcmp(argv[3], "accept") && strcmp(argv[3], "reject"))
			return lc_usage(c, "'%s' is not accept or reject", argv[3]);
		tx.u.ack.status = !strcmp(argv[3], "accept") ? ML_ACK_ACCEPT :
							       ML_ACK_REJECT;
		return submit(c, &tx);
	}
	if (strcmp(argv[1], "send"))
		return lc_usage(c, "unknown dispatch command '%s'", argv[1]);
	c->cmd = "dispatch send";
	tx.kind = ML_TX_DISPATCH;
	if (argc != 7)
		return lc_usage(c, "dispatch send takes METER KIND VALUE START END");
	if (parse_meter(argv[2], tx.u.dispatch.meter))
		return lc_usage(c, "METER: '%s' is not a meter id", argv[2]);
	if (parse_kind(argv[3], &tx.u.dispatch.kind))
		return lc_usage(c, "KIND: '%s' is not import-limit, export-limit, "
				"battery or curtail", argv[3]);
	tx.u.dispatch.value = strtoll(argv[4], &end, 10);
	if (!*argv[4] || *end)
		return lc_usage(c, "VALUE: '%s' is not a power in W", argv[4]);
	if (parse_time(argv[5], &tx.u.dispatch.start) ||
	    parse_time(argv[6], &tx.u.dispatch.end) ||
	    tx.u.dispatch.end <= tx.u.dispatch.start)
		return lc_usage(c, "START END: two times, START before END");
	return submit(c, &tx);
}

int cmd_validators(struct lc *c, int argc, char **argv)
{
	struct ml_tx tx = { .kind = ML_TX_VALIDATOR_VOTE };
	int ret;

	if (argc < 2)
		return lc_usage(c, "validators needs list or propose");
	if (!strcmp(argv[1], "list")) {
		c->cmd = "validators list";
		return lc_validators_list(c, argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "propose"))
		return lc_usage(c, "unknown validators command '%s'", argv[1]);
	c->cmd = "validators propose";
	if (argc != 4 || (strcmp(argv[2], "add") && strcmp(argv[2], "remove")))
		return lc_usage(c, "validators propose takes add|remove ACCOUNT");
	tx.u.vote.action = !strcmp(argv[2], "add") ? ML_VOTE_ADD : ML_VOTE_REMOVE;
	ret = key_arg(c, "ACCOUNT", argv[3], tx.u.vote.subject);
	return ret ? ret : submit(c, &tx);
}
