// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket (see ctl.h). Queries are answered from the spool by
 * the main thread; they are short. "reload" is an operator command: the
 * peer (SO_PEERCRED) must be root or settled's own user.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ingest.h"
#include "ledger.h"
#include "log.h"
#include "query.h"
#include "settled.h"
#include "spool.h"
#include "txerr.h"
#include "worker.h"

#define LINE_MAX_LEN	4096
#define LIST_MAX	256
#define SUBMIT_WAIT_MS	30000	/* then "submit" answers "queued" */

struct client {
	int fd;
	uid_t uid;
	int subscribed;
	/* a "submit" waiting for the chain; later lines wait in buf */
	int waiting, wait_kind;
	uint8_t wait_id[ML_HASH_LEN];
	int64_t wait_until;	/* CLOCK_MONOTONIC, ms */
	size_t len;
	char buf[LINE_MAX_LEN];
};

struct ctl {
	int fd;
	char path[CFG_PATH_LEN];
	struct client c[CTL_MAX_CLIENTS];
	int64_t last_event;	/* id of the last report announced */
};

static json_t *hex(const void *p, size_t n)
{
	char s[2 * 64 + 1];

	if (n > 64)
		return json_null();
	sodium_bin2hex(s, sizeof(s), p, n);
	return json_string(s);
}

int ctl_open(const struct config *cfg, struct ctl **out)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ctl *ctl;
	struct stat sb;
	struct group *g;
	int i, ret;

	*out = NULL;
	if (strlen(cfg->control_socket) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl->c[i].fd = -1;
	ctl->last_event = -1;
	strcpy(ctl->path, cfg->control_socket);
	strcpy(a.sun_path, cfg->control_socket);
	/* a stale socket of a previous run, never any other file */
	if (!lstat(a.sun_path, &sb) && S_ISSOCK(sb.st_mode))
		unlink(a.sun_path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0 || bind(ctl->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    chmod(a.sun_path, 0660) || listen(ctl->fd, 8)) {
		ret = -errno;
		if (ctl->fd >= 0)
			close(ctl->fd);
		free(ctl);
		return ret;
	}
	g = getgrnam(cfg->control_group);
	if (!g)
		log_warn("control socket: no group '%s'; only %s's own user and root can use it",
			 cfg->control_group, "settled");
	else if (chown(a.sun_path, (uid_t)-1, g->gr_gid))
		log_warn("control socket: cannot give it to group '%s': %s", cfg->control_group,
			 strerror(errno));
	*out = ctl;
	return 0;
}

void ctl_close(struct ctl *ctl)
{
	int i;

	if (!ctl)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ctl->c[i].fd >= 0)
			close(ctl->c[i].fd);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

int ctl_pollfds(struct ctl *ctl, struct pollfd *p)
{
	int i, n = 0;

	p[n].fd = ctl->fd;
	p[n++].events = POLLIN;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		p[n].fd = ctl->c[i].fd;	/* -1: ignored by poll() */
		/* a waiting client is read when answered; hang-ups still show */
		p[n++].events = ctl->c[i].waiting ? 0 : POLLIN;
	}
	return n;
}

static void drop(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->subscribed = 0;
	c->waiting = 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* one line; a client that does not read its replies is dropped */
static void send_json(struct client *c, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	size_t n;

	json_decref(o);
	if (!s) {
		drop(c);
		return;
	}
	n = strlen(s);
	s[n] = '\n';
	if (send(c->fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(n + 1))
		drop(c);
	free(s);
}

static void reply_err(struct client *c, const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	send_json(c, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

static json_t *report_json(const struct spool_report *r)
{
	static const char *const states[] = { "unsigned", "signed", "committed", "rejected" };

	return json_pack("{s:I, s:o, s:I, s:I, s:I, s:I, s:s, s:I}", "id", (json_int_t)r->id,
			 "meter", hex(r->meter_key, 32), "interval_start", (json_int_t)r->start,
			 "interval_len", (json_int_t)r->len, "import_wh", (json_int_t)r->import_wh,
			 "export_wh", (json_int_t)r->export_wh, "state", states[r->state & 3],
			 "height", (json_int_t)r->height);
}

static void cmd_status(struct client *c, struct ctl_ctx *cx)
{
	struct worker_stats ws;
	int64_t states[4], readings;

	worker_stats(cx->worker, &ws);
	if (spool_counts(cx->sp, states, &readings))
		return reply_err(c, "spool: %s", spool_errmsg(cx->sp));
	send_json(c, json_pack("{s:b, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			       " s:{s:I, s:I, s:I, s:I}, s:I, s:o}",
			       "ok", 1, "version", SETTLED_VERSION, "interval", (int)cx->cfg->interval,
			       "readings_received", (json_int_t)cx->in->readings,
			       "readings_stored", (json_int_t)readings,
			       "batches", (json_int_t)cx->in->batches,
			       "gaps", (json_int_t)cx->in->gaps,
			       "overflows", (json_int_t)cx->in->overflows,
			       "max_backlog", (json_int_t)cx->in->max_backlog,
			       "height", (json_int_t)ws.height,
			       "reports", "unsigned", (json_int_t)states[0],
			       "signed", (json_int_t)states[1], "committed", (json_int_t)states[2],
			       "rejected", (json_int_t)states[3],
			       "submit_failures", (json_int_t)ws.failures,
			       "account", hex(cx->account, 32)));
}

static void cmd_meters(struct client *c, struct ctl_ctx *cx)
{
	static struct spool_meter m[LIST_MAX];
	json_t *a = json_array();
	size_t n, i;

	if (spool_meter_list(cx->sp, m, LIST_MAX, &n)) {
		json_decref(a);
		return reply_err(c, "spool: %s", spool_errmsg(cx->sp));
	}
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:o, s:I, s:I}", "bus_id", m[i].bus_id,
						   "meter", hex(m[i].key, 32),
						   "closed_until", (json_int_t)m[i].closed_until,
						   "registered", (json_int_t)m[i].registered));
	send_json(c, json_pack("{s:b, s:o}", "ok", 1, "meters", a));
}

static void cmd_reports(struct client *c, json_t *req, struct ctl_ctx *cx)
{
	static struct spool_report r[LIST_MAX];
	json_t *after = json_object_get(req, "after"), *a;
	size_t n, i;

	if (after && (!json_is_integer(after) || json_integer_value(after) < 0))
		return reply_err(c, "'after' must be a report id (an integer >= 0)%s", "");
	if (spool_reports_after(cx->sp, after ? json_integer_value(after) : 0, r, LIST_MAX, &n))
		return reply_err(c, "spool: %s", spool_errmsg(cx->sp));
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, report_json(&r[i]));
	send_json(c, json_pack("{s:b, s:o}", "ok", 1, "reports", a));
}

static int unhex(json_t *v, uint8_t *out, size_t max, size_t *len)
{
	const char *s = json_string_value(v);

	return !s || sodium_hex2bin(out, max, s, strlen(s), NULL, len, NULL) || !*len;
}

static void cmd_balance(struct client *c, json_t *req, struct ctl_ctx *cx)
{
	uint8_t key[ML_KEY_LEN];
	int64_t bal, locked;
	uint64_t nonce;
	size_t len;
	int ret;

	if (unhex(json_object_get(req, "account"), key, sizeof(key), &len) || len != ML_KEY_LEN)
		return reply_err(c, "'account' must be a 32-byte key in hex%s", "");
	ret = cx->ledger ? ml_ledger_balance(cx->ledger, key, &bal, &locked, &nonce) : -EIO;
	if (ret)
		return reply_err(c, "%s", ret == -ENOENT ? "no such account on the chain" :
				 strerror(-ret));
	send_json(c, json_pack("{s:b, s:I, s:I, s:I}", "ok", 1, "balance", (json_int_t)bal,
			       "locked", (json_int_t)locked, "nonce", (json_int_t)nonce));
}

static int operator_peer(const struct client *c)
{
	return c->uid == 0 || c->uid == geteuid();
}

/* the chain id and the next nonce of an account, for signing */
static void cmd_account(struct client *c, json_t *req, struct ctl_ctx *cx)
{
	static struct spool_user_tx q[LIST_MAX];
	uint8_t key[ML_KEY_LEN];
	int64_t bal = 0, locked = 0;
	uint64_t nonce = 0;
	struct ml_tx tx;
	size_t len, n, i;
	int ret;

	if (unhex(json_object_get(req, "account"), key, sizeof(key), &len) || len != ML_KEY_LEN)
		return reply_err(c, "'account' must be a 32-byte key in hex%s", "");
	ret = cx->ledger ? ml_ledger_balance(cx->ledger, key, &bal, &locked, &nonce) : -EIO;
	if (ret && ret != -ENOENT)
		return reply_err(c, "ledger: %s", strerror(-ret));
	/* the account's transactions queued here come first */
	if (spool_user_txs(cx->sp, q, LIST_MAX, &n))
		return reply_err(c, "spool: %s", spool_errmsg(cx->sp));
	for (i = 0; i < n; i++)
		if (!ml_tx_decode(q[i].enc, q[i].len, &tx) && !memcmp(tx.sender, key, ML_KEY_LEN))
			nonce++;
	send_json(c, json_pack("{s:b, s:I, s:I, s:b, s:I, s:I}", "ok", 1,
			       "chain_id", (json_int_t)cx->cfg->chain_id, "nonce", (json_int_t)nonce,
			       "known", ret == 0, "balance", (json_int_t)bal,
			       "locked", (json_int_t)locked));
}

/*
 * Users' own transactions, signed with their keys. Those that change who
 * may do what (meters, dispatch, validators) only from an operator peer.
 * Answered once the chain took or refused it (or after SUBMIT_WAIT_MS, or
 * at once with "wait": false).
 */
static void cmd_submit(struct client *c, json_t *req, struct ctl_ctx *cx)
{
	uint8_t buf[ML_TX_MAX_LEN], id[ML_HASH_LEN];
	json_t *wait = json_object_get(req, "wait");
	struct ml_tx tx;
	size_t len;
	int ret;

	if (wait && !json_is_boolean(wait))
		return reply_err(c, "'wait' must be true or false%s", "");
	if (unhex(json_object_get(req, "tx"), buf, sizeof(buf), &len))
		return reply_err(c, "'tx' must be an encoded transaction in hex (at most %s bytes)",
				 "384");
	if (ml_tx_decode(buf, len, &tx))
		return reply_err(c, "'tx' is not a valid transaction encoding%s", "");
	if (tx.chain_id != cx->cfg->chain_id)
		return reply_err(c, "the transaction is for another chain%s", "");
	if (ml_tx_verify(&tx))
		return reply_err(c, "the transaction's signature does not verify%s", "");
	if (tx.kind == ML_TX_METER_REPORT || tx.kind == ML_TX_EVIDENCE)
		return reply_err(c, "settled submits this kind of transaction itself%s", "");
	if ((tx.kind == ML_TX_DISPATCH || tx.kind == ML_TX_REGISTER_METER ||
	     tx.kind == ML_TX_VALIDATOR_VOTE) && !operator_peer(c))
		return reply_err(c, "%s is an operator command: submit it as root or as settled's user",
				 tx.kind == ML_TX_DISPATCH ? "dispatch" :
				 tx.kind == ML_TX_REGISTER_METER ? "registering a meter" :
				 "a validator vote");
	ml_tx_id(&tx, id);
	ret = spool_user_tx_add(cx->sp, id, buf, len);
	if (ret)
		return reply_err(c, "%s", ret == -EEXIST ? "this transaction was submitted already" :
				 strerror(-ret));
	worker_kick(cx->worker);
	if (wait && json_is_false(wait))
		return send_json(c, json_pack("{s:b, s:o, s:s}", "ok", 1, "id",
					      hex(id, sizeof(id)), "state", "queued"));
	c->waiting = 1;
	c->wait_kind = tx.kind;
	memcpy(c->wait_id, id, sizeof(id));
	c->wait_until = mono_ms() + SUBMIT_WAIT_MS;
}

/* the answer to a waiting "submit", if there is one yet; 1 when sent */
static int answer_submit(struct client *c, struct ctl_ctx *cx)
{
	uint64_t height;
	int state, e;

	if (spool_user_tx_state(cx->sp, c->wait_id, &state, &height, &e))
		return 0;	/* asked again on the next tick */
	if (state == REP_COMMITTED)
		send_json(c, json_pack("{s:b, s:o, s:I}", "ok", 1, "id",
				       hex(c->wait_id, ML_HASH_LEN), "height", (json_int_t)height));
	else if (state == REP_REJECTED)
		send_json(c, json_pack("{s:b, s:o, s:s}", "ok", 0, "id",
				       hex(c->wait_id, ML_HASH_LEN), "error",
				       txerr_text(c->wait_kind, e)));
	else if (mono_ms() >= c->wait_until)
		send_json(c, json_pack("{s:b, s:o, s:s}", "ok", 1, "id",
				       hex(c->wait_id, ML_HASH_LEN), "state", "queued"));
	else
		return 0;
	c->waiting = 0;
	return 1;
}

static void cmd_tx(struct client *c, json_t *req, struct ctl_ctx *cx)
{
	static const char *const states[] = { "queued", "queued", "committed", "refused" };
	uint8_t id[ML_HASH_LEN];
	uint64_t height;
	size_t len;
	int state, e, ret, kind = 0;

	if (unhex(json_object_get(req, "id"), id, sizeof(id), &len) || len != sizeof(id))
		return reply_err(c, "'id' must be a transaction id (32 bytes in hex)%s", "");
	ret = spool_user_tx_state(cx->sp, id, &state, &height, &e);
	if (ret)
		return reply_err(c, "%s", ret == -ENOENT ? "no such transaction was submitted here" :
				 strerror(-ret));
	send_json(c, json_pack("{s:b, s:s, s:I, s:s}", "ok", 1, "state", states[state & 3],
			       "height", (json_int_t)height, "error", e ? txerr_text(kind, e) : ""));
}

/* ---- chain queries (lib/ledger/query.h), at most LIST_MAX rows each ---- */

struct rows {
	json_t *a;
	int more;	/* a row past LIST_MAX was there */
};

static int add_row(struct rows *r, json_t *o)
{
	if (json_array_size(r->a) == LIST_MAX) {
		json_decref(o);
		r->more = 1;
		return 1;	/* stops the query */
	}
	json_array_append_new(r->a, o);
	return 0;
}

static const char *side_name(uint8_t side)
{
	return side == ML_BID ? "bid" : "ask";
}

static int order_row(const struct ml_q_order *o, void *arg)
{
	static const char *const st[] = { "open", "cleared", "cancelled", "?" };

	return add_row(arg, json_pack("{s:o, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:s}",
		"id", hex(o->id, ML_ID_LEN), "account", hex(o->account, ML_KEY_LEN),
		"meter", hex(o->meter, ML_ID_LEN), "side", side_name(o->side),
		"interval", (json_int_t)o->interval, "qty_wh", (json_int_t)o->qty,
		"price", (json_int_t)o->price, "reserved", (json_int_t)o->reserved,
		"filled_wh", (json_int_t)o->filled, "status", st[o->status > 2 ? 3 : o->status]));
}

static int trade_row(const struct ml_q_trade *t, void *arg)
{
	return add_row(arg, json_pack("{s:I, s:o, s:o, s:I, s:I, s:I, s:I}",
		"interval", (json_int_t)t->interval, "bid", hex(t->bid, ML_ID_LEN),
		"ask", hex(t->ask, ML_ID_LEN), "qty_wh", (json_int_t)t->qty,
		"price", (json_int_t)t->price, "amount", (json_int_t)t->amount,
		"fee", (json_int_t)t->fee));
}

static int settlement_row(const struct ml_q_settlement *x, void *arg)
{
	return add_row(arg, json_pack("{s:I, s:o, s:o, s:I, s:I, s:I}",
		"interval", (json_int_t)x->interval, "meter", hex(x->meter, ML_ID_LEN),
		"account", hex(x->account, ML_KEY_LEN), "contracted_wh", (json_int_t)x->contracted,
		"measured_wh", (json_int_t)x->measured, "amount", (json_int_t)x->amount));
}

static const char *const dispatch_kinds[] = {
	"?", "import-limit", "export-limit", "battery", "curtail",
};

static int dispatch_row(const struct ml_q_dispatch *d, void *arg)
{
	static const char *const st[] = { "pending", "accepted", "rejected", "?" };

	return add_row(arg, json_pack("{s:o, s:o, s:s, s:I, s:I, s:I, s:s, s:I}",
		"id", hex(d->id, ML_ID_LEN), "meter", hex(d->meter, ML_ID_LEN),
		"kind", dispatch_kinds[d->kind <= ML_DISPATCH_CURTAIL ? d->kind : 0],
		"value_w", (json_int_t)d->value, "start", (json_int_t)d->start,
		"end", (json_int_t)d->end, "status", st[d->status > 2 ? 3 : d->status],
		"ack_height", (json_int_t)d->ack_height));
}

static const char *const compliance_names[] = { "met", "missed", "no report", "?" };

static int compliance_row(const struct ml_q_compliance *x, void *arg)
{
	return add_row(arg, json_pack("{s:o, s:I, s:I, s:o, s:I, s:s}",
		"dispatch", hex(x->dispatch, ML_ID_LEN), "interval", (json_int_t)x->interval,
		"target_wh", (json_int_t)x->target,
		"measured_wh", x->has_measured ? json_integer(x->measured) : json_null(),
		"deviation_wh", (json_int_t)x->deviation,
		"status", compliance_names[x->status > 2 ? 3 : x->status]));
}

/* an optional 32-byte filter in hex: 0, 1 (set in @out) or -1 (replied) */
static int key_filter(struct client *c, json_t *req, const char *name, uint8_t *out)
{
	json_t *v = json_object_get(req, name);
	size_t len;
	char msg[96];

	if (!v)
		return 0;
	if (!unhex(v, out, 32, &len) && len == 32)
		return 1;
	snprintf(msg, sizeof(msg), "'%s' must be 32 bytes in hex%%s", name);
	reply_err(c, msg, "");
	return -1;
}

static void cmd_query(struct client *c, json_t *req, struct ctl_ctx *cx, const char *cmd)
{
	json_t *ivj = json_object_get(req, "interval");
	uint8_t key[32];
	struct rows r = { 0 };
	uint64_t iv = 0;
	int has, ret;

	if (ivj && (!json_is_integer(ivj) || json_integer_value(ivj) <= 0))
		return reply_err(c, "'interval' must be the start of an interval (unix seconds)%s", "");
	iv = ivj ? (uint64_t)json_integer_value(ivj) : 0;
	has = key_filter(c, req, !strcmp(cmd, "dispatch") ? "meter" :
			 !strcmp(cmd, "compliance") ? "dispatch" : "account", key);
	if (has < 0)
		return;
	if (!cx->ledger)
		return reply_err(c, "the chain cannot be read%s", "");
	r.a = json_array();
	if (!strcmp(cmd, "orders"))
		ret = ml_q_orders(cx->ledger, has ? key : NULL, iv, order_row, &r);
	else if (!strcmp(cmd, "trades"))
		ret = ml_q_trades(cx->ledger, has ? key : NULL, iv, trade_row, &r);
	else if (!strcmp(cmd, "settlements"))
		ret = ml_q_settlements(cx->ledger, has ? key : NULL, iv, settlement_row, &r);
	else if (!strcmp(cmd, "dispatch"))
		ret = ml_q_dispatches(cx->ledger, has ? key : NULL, dispatch_row, &r);
	else
		ret = ml_q_compliance(cx->ledger, has ? key : NULL, compliance_row, &r);
	if (ret < 0) {
		json_decref(r.a);
		return reply_err(c, "ledger: %s", strerror(-ret));
	}
	send_json(c, json_pack("{s:b, s:o, s:b}", "ok", 1, cmd, r.a, "truncated", r.more));
}

static void request(struct client *c, const char *line, struct ctl_ctx *cx)
{
	json_error_t e;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &e);
	const char *cmd;

	if (!req || !json_is_object(req)) {
		json_decref(req);
		return reply_err(c, "not a JSON object: %s", req ? "wrong type" : e.text);
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd)
		reply_err(c, "missing \"cmd\" (status, meters, reports, balance, account, submit, tx, orders, trades, settlements, dispatch, compliance, subscribe, reload)%s", "");
	else if (!strcmp(cmd, "status"))
		cmd_status(c, cx);
	else if (!strcmp(cmd, "meters"))
		cmd_meters(c, cx);
	else if (!strcmp(cmd, "reports"))
		cmd_reports(c, req, cx);
	else if (!strcmp(cmd, "balance"))
		cmd_balance(c, req, cx);
	else if (!strcmp(cmd, "orders") || !strcmp(cmd, "trades") ||
		 !strcmp(cmd, "settlements") || !strcmp(cmd, "dispatch") ||
		 !strcmp(cmd, "compliance"))
		cmd_query(c, req, cx, cmd);
	else if (!strcmp(cmd, "account"))
		cmd_account(c, req, cx);
	else if (!strcmp(cmd, "submit"))
		cmd_submit(c, req, cx);
	else if (!strcmp(cmd, "tx"))
		cmd_tx(c, req, cx);
	else if (!strcmp(cmd, "subscribe")) {
		c->subscribed = 1;
		send_json(c, json_pack("{s:b}", "ok", 1));
	} else if (!strcmp(cmd, "reload")) {
		if (!operator_peer(c)) {
			reply_err(c, "reload is an operator command: run it as root%s", "");
		} else {
			cx->reload_requested = 1;
			send_json(c, json_pack("{s:b}", "ok", 1));
		}
	} else {
		reply_err(c, "unknown command '%s'", cmd);
	}
	json_decref(req);
}

static void accept_one(struct ctl *ctl)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int fd, i;

	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
		close(fd);
		return;
	}
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ctl->c[i].fd < 0) {
			ctl->c[i].fd = fd;
			ctl->c[i].uid = cr.uid;
			ctl->c[i].len = 0;
			ctl->c[i].subscribed = 0;
			return;
		}
	log_warn("control socket: more than %d clients; refusing pid %d", CTL_MAX_CLIENTS,
		 (int)cr.pid);
	close(fd);
}

/* the complete lines received, in order, until one has to wait */
static void lines(struct client *c, struct ctl_ctx *cx)
{
	char *nl;

	while (c->fd >= 0 && !c->waiting && (nl = memchr(c->buf, '\n', c->len))) {
		size_t used = (size_t)(nl - c->buf) + 1;

		*nl = 0;
		request(c, c->buf, cx);
		if (c->fd < 0)
			return;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
}

static void readable(struct client *c, struct ctl_ctx *cx)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			drop(c);
		return;
	}
	c->len += (size_t)n;
	lines(c, cx);
	if (c->fd >= 0 && !c->waiting && c->len == sizeof(c->buf)) {
		reply_err(c, "request line longer than %s bytes", "4095");
		drop(c);
	}
}

void ctl_handle(struct ctl *ctl, const struct pollfd *p, int n, struct ctl_ctx *cx)
{
	int i;

	for (i = 1; i < n; i++) {
		struct client *c = &ctl->c[i - 1];

		if (!p[i].revents || c->fd < 0)
			continue;
		if (c->waiting)	/* POLLHUP or POLLERR: nobody to answer */
			drop(c);
		else
			readable(c, cx);
	}
	if (p[0].revents & POLLIN)
		accept_one(ctl);
}

/* moves past the committed prefix; sends each report to subscribers if @send */
static size_t advance(struct ctl *ctl, struct ctl_ctx *cx, int send)
{
	static struct spool_report r[64];
	size_t n, i;
	int k;

	if (spool_reports_after(cx->sp, ctl->last_event, r, 64, &n))
		return 0;
	for (i = 0; i < n && r[i].state >= REP_COMMITTED; i++) {
		for (k = 0; send && k < CTL_MAX_CLIENTS; k++)
			if (ctl->c[k].fd >= 0 && ctl->c[k].subscribed)
				send_json(&ctl->c[k], json_pack("{s:s, s:o}", "event", "report",
								"report", report_json(&r[i])));
		ctl->last_event = r[i].id;
	}
	return i;
}

void ctl_events(struct ctl *ctl, struct ctl_ctx *cx)
{
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct client *c = &ctl->c[i];

		if (c->fd < 0 || !c->waiting || !answer_submit(c, cx))
			continue;
		lines(c, cx);	/* what the client sent meanwhile */
		if (c->fd >= 0 && !c->waiting && c->len == sizeof(c->buf)) {
			reply_err(c, "request line longer than %s bytes", "4095");
			drop(c);
		}
	}
	if (ctl->last_event < 0) {	/* announce only what happens from now on */
		ctl->last_event = 0;
		while (advance(ctl, cx, 0) == 64)
			;
		return;
	}
	while (advance(ctl, cx, 1) == 64)
		;
}
