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
#include <unistd.h>

#include "ctl.h"
#include "ingest.h"
#include "ledger.h"
#include "log.h"
#include "settled.h"
#include "spool.h"
#include "worker.h"

#define LINE_MAX_LEN	4096
#define LIST_MAX	256

struct client {
	int fd;
	uid_t uid;
	int subscribed;
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
		p[n++].events = POLLIN;
	}
	return n;
}

static void drop(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->subscribed = 0;
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
	send_json(c, json_pack("{s:b, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			       " s:{s:I, s:I, s:I, s:I}, s:I, s:o}",
			       "ok", 1, "version", SETTLED_VERSION, "interval", (int)cx->cfg->interval,
			       "readings_received", (json_int_t)cx->in->readings,
			       "readings_stored", (json_int_t)readings,
			       "batches", (json_int_t)cx->in->batches,
			       "gaps", (json_int_t)cx->in->gaps,
			       "recovered", (json_int_t)cx->in->recovered,
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

/* users' own transactions, signed with their keys; dispatch only from an operator */
static void cmd_submit(struct client *c, json_t *req, struct ctl_ctx *cx)
{
	uint8_t buf[ML_TX_MAX_LEN], id[ML_HASH_LEN];
	struct ml_tx tx;
	size_t len;
	int ret;

	if (unhex(json_object_get(req, "tx"), buf, sizeof(buf), &len))
		return reply_err(c, "'tx' must be an encoded transaction in hex (at most %s bytes)",
				 "320");
	if (ml_tx_decode(buf, len, &tx))
		return reply_err(c, "'tx' is not a valid transaction encoding%s", "");
	if (tx.chain_id != cx->cfg->chain_id)
		return reply_err(c, "the transaction is for another chain%s", "");
	if (ml_tx_verify(&tx))
		return reply_err(c, "the transaction's signature does not verify%s", "");
	if (tx.kind == ML_TX_DISPATCH && c->uid != 0 && c->uid != geteuid())
		return reply_err(c, "dispatch is an operator command: submit it as root%s", "");
	if (tx.kind != ML_TX_TRANSFER && tx.kind != ML_TX_ORDER && tx.kind != ML_TX_CANCEL &&
	    tx.kind != ML_TX_DISPATCH)
		return reply_err(c, "settled submits this kind of transaction itself%s", "");
	ml_tx_id(&tx, id);
	ret = spool_user_tx_add(cx->sp, id, buf, len);
	if (ret)
		return reply_err(c, "%s", ret == -EEXIST ? "this transaction was submitted already" :
				 strerror(-ret));
	worker_kick(cx->worker);
	send_json(c, json_pack("{s:b, s:o}", "ok", 1, "id", hex(id, sizeof(id))));
}

static void cmd_tx(struct client *c, json_t *req, struct ctl_ctx *cx)
{
	static const char *const states[] = { "queued", "queued", "committed", "refused" };
	uint8_t id[ML_HASH_LEN];
	uint64_t height;
	size_t len;
	int state, e, ret;

	if (unhex(json_object_get(req, "id"), id, sizeof(id), &len) || len != sizeof(id))
		return reply_err(c, "'id' must be a transaction id (32 bytes in hex)%s", "");
	ret = spool_user_tx_state(cx->sp, id, &state, &height, &e);
	if (ret)
		return reply_err(c, "%s", ret == -ENOENT ? "no such transaction was submitted here" :
				 strerror(-ret));
	send_json(c, json_pack("{s:b, s:s, s:I, s:s}", "ok", 1, "state", states[state & 3],
			       "height", (json_int_t)height, "error", e ? strerror(-e) : ""));
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
		reply_err(c, "missing \"cmd\" (status, meters, reports, balance, submit, tx, subscribe, reload)%s", "");
	else if (!strcmp(cmd, "status"))
		cmd_status(c, cx);
	else if (!strcmp(cmd, "meters"))
		cmd_meters(c, cx);
	else if (!strcmp(cmd, "reports"))
		cmd_reports(c, req, cx);
	else if (!strcmp(cmd, "balance"))
		cmd_balance(c, req, cx);
	else if (!strcmp(cmd, "submit"))
		cmd_submit(c, req, cx);
	else if (!strcmp(cmd, "tx"))
		cmd_tx(c, req, cx);
	else if (!strcmp(cmd, "subscribe")) {
		c->subscribed = 1;
		send_json(c, json_pack("{s:b}", "ok", 1));
	} else if (!strcmp(cmd, "reload")) {
		if (c->uid != 0 && c->uid != geteuid()) {
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

static void readable(struct client *c, struct ctl_ctx *cx)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	char *nl;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			drop(c);
		return;
	}
	c->len += (size_t)n;
	while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len))) {
		size_t used = (size_t)(nl - c->buf) + 1;

		*nl = 0;
		request(c, c->buf, cx);
		if (c->fd < 0)
			return;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof(c->buf)) {
		reply_err(c, "request line longer than %s bytes", "4095");
		drop(c);
	}
}

void ctl_handle(struct ctl *ctl, const struct pollfd *p, int n, struct ctl_ctx *cx)
{
	int i;

	for (i = 1; i < n; i++)
		if (p[i].revents && ctl->c[i - 1].fd >= 0)
			readable(&ctl->c[i - 1], cx);
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
	if (ctl->last_event < 0) {	/* announce only what happens from now on */
		ctl->last_event = 0;
		while (advance(ctl, cx, 0) == 64)
			;
		return;
	}
	while (advance(ctl, cx, 1) == 64)
		;
}
