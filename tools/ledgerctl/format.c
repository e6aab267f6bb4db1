// SPDX-License-Identifier: GPL-2.0
/*
 * ledgerctl: parsing and printing ledger values. Amounts are integers in
 * micro-credits and prices micro-credits per kWh (Documentation/ledger/
 * market.rst); people see them as credits with six decimals, JSON carries
 * the integers. Times are UTC.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledgerctl.h"

void fmt_hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int parse_hex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int parse_meter(const char *s, uint8_t id[ML_ID_LEN])
{
	size_t n = strlen(s), i;

	if (!parse_hex(s, id, ML_ID_LEN))
		return 0;
	if (!n || n > ML_ID_LEN)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return -EINVAL;
	memset(id, 0, ML_ID_LEN);
	memcpy(id, s, n);
	return 0;
}

const char *fmt_meter(const uint8_t id[ML_ID_LEN], char out[65])
{
	size_t n = 0, i;

	while (n < ML_ID_LEN && id[n] && isgraph(id[n]))
		n++;
	for (i = n; i < ML_ID_LEN; i++)
		if (id[i])
			break;
	/* a name only if the rest is padding; otherwise it is not one */
	if (n && i == ML_ID_LEN) {
		memcpy(out, id, n);
		out[n] = 0;
	} else {
		fmt_hex(out, id, ML_ID_LEN);
	}
	return out;
}

int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

int parse_credits(const char *s, uint64_t max, uint64_t *micro)
{
	const char *dot = strchr(s, '.');
	uint64_t whole, frac = 0;
	char w[24];
	size_t wl = dot ? (size_t)(dot - s) : strlen(s), i;
	int ret;

	if (wl >= sizeof(w) || (dot && (!dot[1] || strlen(dot + 1) > 6)))
		return -EINVAL;
	memcpy(w, s, wl);
	w[wl] = 0;
	ret = parse_u64(w, UINT64_MAX / 1000000 - 1, &whole);
	if (ret)
		return -EINVAL;
	for (i = 1; i <= 6; i++) {
		char d = dot && i <= strlen(dot + 1) ? dot[i] : '0';

		if (d < '0' || d > '9')
			return -EINVAL;
		frac = frac * 10 + (uint64_t)(d - '0');
	}
	if (whole * 1000000 + frac > max)
		return -ERANGE;
	*micro = whole * 1000000 + frac;
	return 0;
}

const char *fmt_credits(int64_t micro, char out[32])
{
	uint64_t a = micro < 0 ? (uint64_t)0 - (uint64_t)micro : (uint64_t)micro;

	snprintf(out, 32, "%s%" PRIu64 ".%06" PRIu64, micro < 0 ? "-" : "",
		 a / 1000000, a % 1000000);
	return out;
}

int parse_time(const char *s, uint64_t *t)
{
	struct tm tm = { 0 };
	const char *end;
	time_t v;

	if (!parse_u64(s, INT64_MAX, t))
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end, ":%S", &tm);
	if (end && *end == 'Z')
		end++;
	if (!end || *end)
		return -EINVAL;
	v = timegm(&tm);
	if (v < 0)
		return -ERANGE;
	*t = (uint64_t)v;
	return 0;
}

int parse_day(const char *s, uint64_t *t)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d", &tm);
	time_t v;

	if (!end || *end || strlen(s) != 10)
		return -EINVAL;
	v = timegm(&tm);
	if (v < 0)
		return -ERANGE;
	*t = (uint64_t)v;
	return 0;
}

const char *fmt_time(uint64_t t, char out[32])
{
	time_t v = (time_t)t;
	struct tm tm;

	if (t > INT64_MAX || !gmtime_r(&v, &tm) ||
	    !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "@%" PRIu64, t);
	return out;
}

const char *fmt_side(uint8_t side)
{
	return side == ML_BID ? "bid" : side == ML_ASK ? "ask" : "?";
}

const char *fmt_order_status(uint8_t st)
{
	static const char *const names[] = { "open", "closed", "cancelled" };

	return st < 3 ? names[st] : "?";
}

const char *fmt_interval_status(uint8_t st)
{
	static const char *const names[] = { "open", "cleared", "settled" };

	return st < 3 ? names[st] : "?";
}

const char *fmt_dispatch_kind(uint8_t kind)
{
	static const char *const names[] = {
		"?", "import-limit", "export-limit", "battery", "curtail",
	};

	return kind < 5 ? names[kind] : "?";
}

const char *fmt_dispatch_status(uint8_t st)
{
	static const char *const names[] = { "pending", "accepted", "rejected" };

	return st < 3 ? names[st] : "?";
}

const char *fmt_roles(uint8_t roles, char out[32])
{
	snprintf(out, 32, "%s%s%s", roles & ML_ROLE_OPERATOR ? "operator" : "",
		 (roles & ML_ROLE_MASK) == ML_ROLE_MASK ? "," : "",
		 roles & ML_ROLE_VALIDATOR ? "validator" : "");
	if (!*out)
		strcpy(out, "-");
	return out;
}

const char *fmt_tx_kind(uint8_t kind)
{
	static const char *const names[] = {
		"?", "transfer", "order", "cancel", "meter-report",
		"register-meter", "dispatch", "dispatch-ack", "validator-vote",
	};

	return kind < __ML_TX_KIND_MAX ? names[kind] : "?";
}

json_t *json_hex(const uint8_t *p, size_t n)
{
	char buf[2 * ML_P256_PUB_LEN + 1];

	if (n > ML_P256_PUB_LEN)
		return NULL;
	fmt_hex(buf, p, n);
	return json_string(buf);
}

static json_t *json_meter(const uint8_t id[ML_ID_LEN])
{
	char buf[65];

	return json_string(fmt_meter(id, buf));
}

json_t *tx_json(const struct ml_tx *tx)
{
	uint8_t id[ML_HASH_LEN];
	json_t *j;

	ml_tx_id(tx, id);
	j = json_pack("{s:s, s:o, s:o, s:I}", "kind", fmt_tx_kind(tx->kind),
		      "id", json_hex(id, ML_HASH_LEN),
		      "sender", json_hex(tx->sender, ML_KEY_LEN),
		      "nonce", (json_int_t)tx->nonce);
	if (!j)
		return NULL;
	switch (tx->kind) {
	case ML_TX_TRANSFER:
		json_object_set_new(j, "to", json_hex(tx->u.transfer.to, ML_KEY_LEN));
		json_object_set_new(j, "amount", json_integer((json_int_t)tx->u.transfer.amount));
		break;
	case ML_TX_ORDER:
		json_object_set_new(j, "meter", json_meter(tx->u.order.meter));
		json_object_set_new(j, "side", json_string(fmt_side(tx->u.order.side)));
		json_object_set_new(j, "interval", json_integer((json_int_t)tx->u.order.interval_start));
		json_object_set_new(j, "qty_wh", json_integer((json_int_t)tx->u.order.qty_wh));
		json_object_set_new(j, "price", json_integer((json_int_t)tx->u.order.price));
		break;
	case ML_TX_CANCEL:
		json_object_set_new(j, "order", json_hex(tx->u.cancel.order_id, ML_ID_LEN));
		break;
	case ML_TX_METER_REPORT:
		json_object_set_new(j, "meter", json_meter(tx->u.report.meter));
		json_object_set_new(j, "interval", json_integer((json_int_t)tx->u.report.interval_start));
		json_object_set_new(j, "import_wh", json_integer((json_int_t)tx->u.report.import_wh));
		json_object_set_new(j, "export_wh", json_integer((json_int_t)tx->u.report.export_wh));
		json_object_set_new(j, "readings_root", json_hex(tx->u.report.readings_root, ML_HASH_LEN));
		json_object_set_new(j, "gw_sig", json_hex(tx->u.report.sig, ML_P256_SIG_LEN));
		break;
	case ML_TX_REGISTER_METER:
		json_object_set_new(j, "meter", json_meter(tx->u.reg.meter));
		json_object_set_new(j, "owner", json_hex(tx->u.reg.owner, ML_KEY_LEN));
		json_object_set_new(j, "feeder", json_integer(tx->u.reg.feeder));
		json_object_set_new(j, "gw_key", json_hex(tx->u.reg.gw_key, ML_P256_PUB_LEN));
		break;
	case ML_TX_DISPATCH:
		json_object_set_new(j, "meter", json_meter(tx->u.dispatch.meter));
		json_object_set_new(j, "dispatch_kind", json_string(fmt_dispatch_kind(tx->u.dispatch.kind)));
		json_object_set_new(j, "value", json_integer(tx->u.dispatch.value));
		json_object_set_new(j, "start", json_integer((json_int_t)tx->u.dispatch.start));
		json_object_set_new(j, "end", json_integer((json_int_t)tx->u.dispatch.end));
		break;
	case ML_TX_DISPATCH_ACK:
		json_object_set_new(j, "dispatch", json_hex(tx->u.ack.dispatch_id, ML_ID_LEN));
		json_object_set_new(j, "status", json_string(tx->u.ack.status == ML_ACK_ACCEPT ? "accept" : "reject"));
		break;
	case ML_TX_VALIDATOR_VOTE:
		json_object_set_new(j, "subject", json_hex(tx->u.vote.subject, ML_KEY_LEN));
		json_object_set_new(j, "action", json_string(tx->u.vote.action == ML_VOTE_ADD ? "add" : "remove"));
		break;
	}
	json_object_set_new(j, "sig", json_hex(tx->sig, ML_SIG_LEN));
	return j;
}

json_t *block_json(const struct ml_block *b)
{
	const struct ml_block_header *h = &b->hdr;
	json_t *j, *txs = json_array(), *commit = json_array();
	uint8_t hash[ML_HASH_LEN];
	char chain[17];
	uint32_t i;

	ml_block_hash(h, hash);
	for (i = 0; txs && i < b->ntx; i++)
		json_array_append_new(txs, tx_json(&b->txs[i]));
	for (i = 0; commit && i < b->ncommit; i++)
		json_array_append_new(commit, json_pack("{s:o, s:o}",
			"validator", json_hex(b->commit[i].validator, ML_KEY_LEN),
			"sig", json_hex(b->commit[i].sig, ML_SIG_LEN)));
	snprintf(chain, sizeof(chain), "%016" PRIx64, h->chain_id);
	j = json_pack("{s:I, s:o, s:s, s:i, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
		      "height", (json_int_t)h->height,
		      "hash", json_hex(hash, ML_HASH_LEN),
		      "chain_id", chain,
		      "round", (int)h->round,
		      "time", (json_int_t)h->time,
		      "prev_hash", json_hex(h->prev_hash, ML_HASH_LEN),
		      "tx_root", json_hex(h->tx_root, ML_HASH_LEN),
		      "state_root", json_hex(h->state_root, ML_HASH_LEN),
		      "proposer", json_hex(h->proposer, ML_KEY_LEN),
		      "txs", txs, "commit", commit);
	return j;
}
