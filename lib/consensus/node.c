// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The consensus node: engine (engine.c), transport (net.c), mempool
 * (mempool.c) and ledger (lib/ledger) behind one non-blocking runtime.
 * Interface: node.h; behaviour: Documentation/ledger/consensus.rst,
 * "The node".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>
#include <sqlite3.h>

#include "node.h"
#include "consensus.h"
#include "engine.h"	/* ml_cs_on_state_req, ml_cs_request_state */
#include "mempool.h"
#include "net.h"

#define TICK_MS		250	/* redials, follower sync */
#define REGOSSIP_MS	2000	/* pooled transactions offered again */
#define RECV_BUDGET	4096	/* messages per mlnode_process() */
#define GOSSIP_CAP	(4 + MLNODE_MAX_GOSSIP * (2 + ML_TX_MAX_LEN))

struct mlnode {
	struct mlnode_cfg cfg;
	char *db_path, *genesis_path, *ss_path, *listen;
	struct mlnode_peer *peers;
	size_t npeers;
	uint8_t pk[ML_KEY_LEN];
	uint64_t chain_id;

	struct ml_ledger *l;
	struct mlpool *pool;
	struct mlnet *net;
	struct ml_cs *cs;
	struct ml_cs_ops ops;

	uint8_t *vals;		/* the ledger's validator set, sorted */
	size_t nvals;
	bool validator;

	uint64_t timer;		/* the engine's deadline, 0: none */
	uint64_t next_tick, next_regossip;
	bool more;		/* the receive budget ran out */

	uint8_t gossip[GOSSIP_CAP];	/* relay batch being built */
	size_t gossip_len;
	unsigned int gossip_n;
	uint64_t bad_msgs;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void nlog(struct mlnode *n, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void nlog(struct mlnode *n, int prio, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!n->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n->cfg.log(n->cfg.ctx, prio, buf);
}

/* --- peers file --- */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool endpoint_ok(const char *e, char *err, size_t errlen)
{
	const char *colon, *p;
	unsigned long port;
	char *end;

	if (!strncmp(e, "ipc://", 6)) {
		if (!e[6]) {
			seterr(err, errlen, "empty ipc path");
			return false;
		}
		return true;
	}
	if (strncmp(e, "tcp://", 6)) {
		seterr(err, errlen, "endpoint '%s' is neither tcp://HOST:PORT nor ipc://PATH", e);
		return false;
	}
	colon = strrchr(e + 6, ':');
	if (!colon || colon == e + 6) {
		seterr(err, errlen, "endpoint '%s' has no HOST:PORT", e);
		return false;
	}
	for (p = e + 6; p < colon; p++)
		if (*p == '*' || *p == ';') {
			seterr(err, errlen, "endpoint '%s': a peer needs a concrete host", e);
			return false;
		}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || !port || port > 65535 ||
	    colon[1] == '+' || colon[1] == '-') {
		seterr(err, errlen, "endpoint '%s': port must be 1..65535", e);
		return false;
	}
	return true;
}

int mlnode_peer_parse(const char *line, struct mlnode_peer *p, bool *empty,
		      char *err, size_t errlen)
{
	const char *s = line, *k, *e;
	size_t kl, el;

	*empty = false;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '#' || *s == '\n' || *s == '\r') {
		*empty = true;
		return 0;
	}
	k = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
		s++;
	kl = (size_t)(s - k);
	while (*s == ' ' || *s == '\t')
		s++;
	e = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
		s++;
	el = (size_t)(s - e);
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (kl != 2 * ML_KEY_LEN ||
	    sodium_hex2bin(p->key, ML_KEY_LEN, k, kl, NULL, NULL, NULL)) {
		seterr(err, errlen, "expected a key of 64 hex digits first");
		return -EINVAL;
	}
	if (crypto_core_ed25519_is_valid_point(p->key) != 1) {
		seterr(err, errlen, "the key is not an Ed25519 public key");
		return -EINVAL;
	}
	if (!el) {
		seterr(err, errlen, "missing endpoint after the key");
		return -EINVAL;
	}
	if (*s && *s != '#') {
		seterr(err, errlen, "unexpected text after the endpoint");
		return -EINVAL;
	}
	if (el >= sizeof(p->endpoint)) {
		seterr(err, errlen, "endpoint longer than %d bytes",
		       MLNODE_ENDPOINT_MAX - 1);
		return -EINVAL;
	}
	memcpy(p->endpoint, e, el);
	p->endpoint[el] = 0;
	return endpoint_ok(p->endpoint, err, errlen) ? 0 : -EINVAL;
}

int mlnode_peers_load(const char *path, struct mlnode_peer **out, size_t *np,
		      char *err, size_t errlen)
{
	struct mlnode_peer *v = NULL, *nv;
	char line[1024], why[256];
	size_t n = 0, cap = 0, i;
	unsigned int ln = 0;
	int ret = 0;
	FILE *f;

	if (sodium_init() < 0)
		return -EIO;
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		seterr(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		struct mlnode_peer p;
		bool empty;

		ln++;
		if (!strchr(line, '\n') && !feof(f)) {
			seterr(err, errlen, "%s:%u: line too long", path, ln);
			ret = -EINVAL;
			break;
		}
		if (mlnode_peer_parse(line, &p, &empty, why, sizeof(why))) {
			seterr(err, errlen, "%s:%u: %s", path, ln, why);
			ret = -EINVAL;
			break;
		}
		if (empty)
			continue;
		for (i = 0; i < n; i++)
			if (!memcmp(v[i].key, p.key, ML_KEY_LEN))
				break;
		if (i < n) {
			seterr(err, errlen, "%s:%u: key listed twice (first on an earlier line)",
			       path, ln);
			ret = -EINVAL;
			break;
		}
		if (n == MLNET_MAX_PEERS) {
			seterr(err, errlen, "%s:%u: more than %d peers", path, ln,
			       MLNET_MAX_PEERS);
			ret = -EINVAL;
			break;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = p;
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		seterr(err, errlen, "%s: read error", path);
	}
	fclose(f);
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	*np = n;
	return 0;
}

/* --- transaction gossip --- */

int mlnode_txs_decode(const uint8_t *buf, size_t len,
		      int (*fn)(void *arg, const uint8_t *tx, size_t len),
		      void *arg)
{
	size_t off, cnt, i, l;

	if (len < 2)
		return -EBADMSG;
	cnt = (size_t)buf[0] << 8 | buf[1];
	if (!cnt || cnt > MLNODE_MAX_GOSSIP)
		return -EBADMSG;
	for (off = 2, i = 0; i < cnt; i++) {	/* check everything first */
		if (len - off < 2)
			return -EBADMSG;
		l = (size_t)buf[off] << 8 | buf[off + 1];
		off += 2;
		if (!l || l > ML_TX_MAX_LEN || len - off < l)
			return -EBADMSG;
		off += l;
	}
	if (off != len)
		return -EBADMSG;
	for (off = 2, i = 0; i < cnt; i++) {
		l = (size_t)buf[off] << 8 | buf[off + 1];
		fn(arg, buf + off + 2, l);
		off += 2 + l;
	}
	return 0;
}

static void gossip_flush(struct mlnode *n)
{
	if (!n->gossip_n)
		return;
	n->gossip[2] = (uint8_t)(n->gossip_n >> 8);
	n->gossip[3] = (uint8_t)n->gossip_n;
	mlnet_broadcast(n->net, n->gossip, n->gossip_len);
	n->gossip_n = 0;
	n->gossip_len = 4;
}

static void gossip_add(struct mlnode *n, const uint8_t *tx, size_t len)
{
	if (n->gossip_n == MLNODE_MAX_GOSSIP)
		gossip_flush(n);
	n->gossip[n->gossip_len++] = (uint8_t)(len >> 8);
	n->gossip[n->gossip_len++] = (uint8_t)len;
	memcpy(n->gossip + n->gossip_len, tx, len);
	n->gossip_len += len;
	n->gossip_n++;
}

/* A transaction from a peer: relayed once, when the mempool admits it. */
static int gossip_in(void *arg, const uint8_t *tx, size_t len)
{
	struct mlnode *n = arg;

	if (mlpool_add_encoded(n->pool, tx, len))
		return 0;	/* known already, stale or invalid */
	gossip_add(n, tx, len);
	return 0;
}

/* Offers what still waits in the pool again: a relay may have been lost
 * to a peer that was not connected yet. Receivers drop known ids cheaply.
 */
static void regossip(struct mlnode *n)
{
	struct ml_tx *txs = calloc(MLNODE_MAX_GOSSIP, sizeof(*txs));
	uint8_t buf[ML_TX_MAX_LEN];
	size_t len;
	int i, cnt;

	if (!txs)
		return;
	cnt = mlpool_take(n->pool, MLNODE_MAX_GOSSIP, GOSSIP_CAP, txs);
	for (i = 0; i < cnt; i++)
		if (!ml_tx_encode(&txs[i], buf, sizeof(buf), &len))
			gossip_add(n, buf, len);
	free(txs);
	gossip_flush(n);
}

/* --- validator set, allow-list, peers --- */

static bool is_val(const struct mlnode *n, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < n->nvals; i++)
		if (!memcmp(n->vals + i * ML_KEY_LEN, key, ML_KEY_LEN))
			return true;
	return false;
}

static int refresh_vals(struct mlnode *n)
{
	uint8_t *keys, *allow;
	size_t nk, i;
	int ret;

	ret = ml_ledger_validators(n->l, &keys, &nk);
	if (ret)
		return ret;
	if (n->vals && nk == n->nvals &&
	    !memcmp(keys, n->vals, nk * ML_KEY_LEN)) {
		free(keys);
		return 0;
	}
	allow = malloc((nk + n->npeers) * ML_KEY_LEN + 1);
	if (!allow) {
		free(keys);
		return -ENOMEM;
	}
	memcpy(allow, keys, nk * ML_KEY_LEN);
	for (i = 0; i < n->npeers; i++)
		memcpy(allow + (nk + i) * ML_KEY_LEN, n->peers[i].key,
		       ML_KEY_LEN);
	ret = mlnet_set_allowed(n->net, allow, nk + n->npeers);
	free(allow);
	if (ret) {
		free(keys);
		return ret;
	}
	free(n->vals);
	n->vals = keys;
	n->nvals = nk;
	n->validator = is_val(n, n->pk);
	for (i = 0; i < nk; i++) {
		size_t j;

		if (!memcmp(keys + i * ML_KEY_LEN, n->pk, ML_KEY_LEN))
			continue;
		for (j = 0; j < n->npeers; j++)
			if (!memcmp(n->peers[j].key, keys + i * ML_KEY_LEN,
				    ML_KEY_LEN))
				break;
		if (j == n->npeers) {
			char hex[17];

			sodium_bin2hex(hex, sizeof(hex), keys + i * ML_KEY_LEN, 8);
			nlog(n, LOG_WARNING, "validator %s is not in the peers file: nothing can be sent to it",
			     hex);
		}
	}
	nlog(n, LOG_INFO, "validator set: %zu validators; this node is a %s",
	     nk, n->validator ? "validator" : "follower");
	return 0;
}

/* --- engine callbacks --- */

static void cb_send(void *ctx, const uint8_t *to, const uint8_t *msg,
		    size_t len)
{
	struct mlnode *n = ctx;
	size_t i;

	if (to) {
		mlnet_send(n->net, to, msg, len);
		return;
	}
	for (i = 0; i < n->npeers; i++)	/* every validator but us */
		if (is_val(n, n->peers[i].key))
			mlnet_send(n->net, n->peers[i].key, msg, len);
}

static void cb_set_timer(void *ctx, uint64_t deadline_ms)
{
	((struct mlnode *)ctx)->timer = deadline_ms ? deadline_ms : 1;
}

static uint64_t cb_unix_time(void *ctx)
{
	(void)ctx;
	return (uint64_t)time(NULL);
}

static int cb_get_txs(void *ctx, uint64_t height, struct ml_tx *txs,
		      uint32_t max, uint32_t *cnt)
{
	struct mlnode *n = ctx;
	int ret;

	(void)height;
	ret = mlpool_take(n->pool, max, MLNODE_TAKE_BYTES, txs);
	if (ret < 0)
		return ret;
	*cnt = (uint32_t)ret;
	return 0;
}

static void cb_tx_refused(void *ctx, const struct ml_tx *tx, int err)
{
	struct mlnode *n = ctx;

	(void)err;
	mlpool_drop(n->pool, tx->sender, tx->nonce);
}

static void cb_committed(void *ctx, uint64_t height, const uint8_t *block,
			 size_t len)
{
	struct mlnode *n = ctx;
	struct ml_block b;
	int ret;

	if (!ml_block_decode(block, len, &b)) {
		mlpool_remove_committed(n->pool, &b);
		ml_block_free(&b);
	}
	ret = refresh_vals(n);
	if (ret)
		nlog(n, LOG_ERR, "validator set after block %llu: %s",
		     (unsigned long long)height, strerror(-ret));
	if (n->cfg.committed)
		n->cfg.committed(n->cfg.ctx, height);
}

static void cb_log(void *ctx, const char *msg)
{
	nlog(ctx, LOG_NOTICE, "%s", msg);
}

/* --- the database check --- */

static bool file_exists(const char *p)
{
	struct stat st;

	return !stat(p, &st);
}

static int integrity(struct mlnode *n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc, ret = 0;

	rc = sqlite3_open_v2(n->db_path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1,
					&s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(s, 0);

		if (!r || strcmp(r, "ok")) {
			nlog(n, LOG_ERR, "%s: damaged database: integrity_check: %s",
			     n->db_path, r ? r : "(nothing)");
			ret = -EUCLEAN;
		}
	} else if (rc == SQLITE_NOMEM || rc == SQLITE_BUSY || rc == SQLITE_CANTOPEN) {
		nlog(n, LOG_ERR, "%s: cannot check: %s", n->db_path,
		     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = rc == SQLITE_NOMEM ? -ENOMEM : rc == SQLITE_BUSY ? -EBUSY : -EIO;
	} else {
		nlog(n, LOG_ERR, "%s: damaged database: %s", n->db_path,
		     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = -EUCLEAN;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ret;
}

static void remove_db(const char *p)
{
	char x[4096];

	unlink(p);
	snprintf(x, sizeof(x), "%s-wal", p);
	unlink(x);
	snprintf(x, sizeof(x), "%s-shm", p);
	unlink(x);
	snprintf(x, sizeof(x), "%s-journal", p);
	unlink(x);
}

/*
 * 0 when the database is sound, -EUCLEAN (with a log line) when it is
 * damaged: SQLite's integrity check, then a replay of the stored chain
 * from genesis that must reach every block's state root and the live
 * tables, then the chain id against the genesis file.
 */
static int db_check(struct mlnode *n)
{
	struct ml_replay_result res = { 0 };
	struct ml_ledger_info info;
	struct ml_ledger *l;
	char scratch[4096];
	int ret;

	ret = integrity(n);
	if (ret)
		return ret;
	snprintf(scratch, sizeof(scratch), "%s.check.%ld", n->db_path,
		 (long)getpid());
	remove_db(scratch);
	ret = ml_ledger_replay(n->db_path, scratch, &res);
	remove_db(scratch);
	if (ret == -EBADMSG) {
		if (res.live_differs)
			nlog(n, LOG_ERR, "%s: damaged database: the tables differ from a replay of its %llu blocks",
			     n->db_path, (unsigned long long)res.height);
		else
			nlog(n, LOG_ERR, "%s: damaged database: block %llu does not replay (%s)",
			     n->db_path, (unsigned long long)res.first_bad,
			     strerror(-res.error));
		return -EUCLEAN;
	}
	if (ret == -EUCLEAN || ret == -EIO || ret == -EINVAL ||
	    ret == -ENOENT) {
		nlog(n, LOG_ERR, "%s: damaged database: replay impossible (%s)",
		     n->db_path, strerror(-ret));
		return -EUCLEAN;
	}
	if (ret) {
		nlog(n, LOG_ERR, "%s: cannot check: %s", n->db_path, strerror(-ret));
		return ret;
	}
	ret = ml_ledger_open(n->db_path, &l);
	if (ret)
		return ret;
	ret = ml_ledger_info(l, &info);
	ml_ledger_close(l);
	if (!ret && info.chain_id != n->chain_id) {
		nlog(n, LOG_ERR, "%s: holds chain %llu, the genesis file %s is chain %llu",
		     n->db_path, (unsigned long long)info.chain_id,
		     n->genesis_path, (unsigned long long)n->chain_id);
		return -EXDEV;
	}
	return ret;
}

static int move_aside(struct mlnode *n)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char from[4096], to[4096];
	long t = (long)time(NULL);
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(from, sizeof(from), "%s%s", n->db_path, sfx[i]);
		snprintf(to, sizeof(to), "%s.damaged.%ld%s", n->db_path, t,
			 sfx[i]);
		if (rename(from, to) && errno != ENOENT) {
			int ret = -errno;

			nlog(n, LOG_ERR, "cannot move %s aside: %s", from,
			     strerror(-ret));
			return ret;
		}
	}
	nlog(n, LOG_WARNING, "%s: moved aside to %s.damaged.%ld; resyncing from genesis",
	     n->db_path, n->db_path, t);
	return 0;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *nb;
	size_t n = 0, cap = 0, r;
	int ret = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			if (cap > (64u << 20)) {
				ret = -EFBIG;
				break;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f))
				ret = -EIO;
			break;
		}
	}
	fclose(f);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int open_ledger(struct mlnode *n)
{
	struct ml_genesis g;
	uint8_t *enc = NULL;
	size_t len = 0;
	int ret;

	ret = read_file(n->genesis_path, &enc, &len);
	if (ret) {
		nlog(n, LOG_ERR, "%s: %s", n->genesis_path, strerror(-ret));
		return ret;
	}
	ret = ml_genesis_decode(enc, len, &g);
	free(enc);
	if (ret) {
		nlog(n, LOG_ERR, "%s: not a genesis file (%s)", n->genesis_path,
		     strerror(-ret));
		return -EINVAL;
	}
	n->chain_id = g.chain_id;
	if (file_exists(n->db_path)) {
		ret = db_check(n);
		if (ret == -EUCLEAN && n->cfg.repair)
			ret = move_aside(n);
		else if (ret == -EUCLEAN)
			nlog(n, LOG_ERR, "%s: refusing to run on a damaged database (--repair moves it aside and resyncs from the peers)",
			     n->db_path);
	}
	if (!ret && !file_exists(n->db_path)) {
		ret = ml_ledger_create(n->db_path, &g);
		if (ret)
			nlog(n, LOG_ERR, "%s: cannot create the ledger: %s",
			     n->db_path, strerror(-ret));
	}
	ml_genesis_free(&g);
	if (ret)
		return ret;
	ret = ml_ledger_open(n->db_path, &n->l);
	/* the mempool and two blocks in flight, checked once each */
	ret = ret ? ret : ml_ledger_sigcache_reserve(n->l, MLNODE_SIGCACHE);
	if (ret)
		nlog(n, LOG_ERR, "%s: %s", n->db_path, strerror(-ret));
	return ret;
}

/* --- the node --- */

int mlnode_open(const struct mlnode_cfg *cfg, struct mlnode **out)
{
	struct mlnet_cfg nc = { 0 };
	struct ml_cs_config cc = { 0 };
	struct mlnet_peer *np = NULL;
	struct mlnode *n;
	size_t i;
	int ret;

	if (!cfg->db_path || !cfg->genesis_path || !cfg->signstate_path ||
	    !cfg->listen || (cfg->npeers && !cfg->peers) ||
	    cfg->npeers > MLNET_MAX_PEERS)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->cfg = *cfg;
	n->db_path = strdup(cfg->db_path);
	n->genesis_path = strdup(cfg->genesis_path);
	n->ss_path = strdup(cfg->signstate_path);
	n->listen = strdup(cfg->listen);
	n->peers = calloc(cfg->npeers + 1, sizeof(*n->peers));
	np = calloc(cfg->npeers + 1, sizeof(*np));
	ret = -ENOMEM;
	if (!n->db_path || !n->genesis_path || !n->ss_path || !n->listen ||
	    !n->peers || !np)
		goto fail;
	memcpy(n->pk, cfg->sk + 32, ML_KEY_LEN);
	for (i = 0; i < cfg->npeers; i++) {
		if (!memcmp(cfg->peers[i].key, n->pk, ML_KEY_LEN))
			continue;	/* a shared peers file lists us too */
		n->peers[n->npeers] = cfg->peers[i];
		n->peers[n->npeers].endpoint[MLNODE_ENDPOINT_MAX - 1] = 0;
		memcpy(np[n->npeers].key, n->peers[n->npeers].key, ML_KEY_LEN);
		np[n->npeers].endpoint = n->peers[n->npeers].endpoint;
		n->npeers++;
	}
	n->gossip[0] = MLNODE_MSG;
	n->gossip[1] = MLNODE_MSG_TXS;
	n->gossip_len = 4;

	ret = open_ledger(n);
	if (ret)
		goto fail;
	ret = mlpool_open(n->l, NULL, &n->pool);
	if (ret)
		goto fail;
	nc.chain_id = n->chain_id;
	nc.sk = n->cfg.sk;
	nc.bind = n->listen;
	nc.max_msg = ML_CS_MAX_MSG;
	ret = mlnet_open(&nc, &n->net);
	if (ret) {
		nlog(n, LOG_ERR, "cannot listen on %s: %s", n->listen,
		     strerror(-ret));
		goto fail;
	}
	ret = mlnet_set_peers(n->net, np, n->npeers);
	if (ret) {
		nlog(n, LOG_ERR, "peers: %s", strerror(-ret));
		goto fail;
	}
	ret = refresh_vals(n);
	if (ret)
		goto fail;

	n->ops = (struct ml_cs_ops){
		.send = cb_send, .set_timer = cb_set_timer,
		.unix_time = cb_unix_time, .get_txs = cb_get_txs,
		.tx_refused = cb_tx_refused, .committed = cb_committed,
		.log = cb_log,
	};
	memcpy(cc.sk, cfg->sk, sizeof(cc.sk));
	cc.state_path = n->ss_path;
	cc.block_period_ms = cfg->block_period_ms ? cfg->block_period_ms :
				MLNODE_BLOCK_PERIOD_MS;
	cc.timeout_base_ms = cfg->timeout_base_ms ? cfg->timeout_base_ms :
				MLNODE_TIMEOUT_BASE_MS;
	cc.timeout_cap_ms = cfg->timeout_cap_ms ? cfg->timeout_cap_ms :
				MLNODE_TIMEOUT_CAP_MS;
	if (cc.timeout_cap_ms < cc.timeout_base_ms)
		cc.timeout_cap_ms = cc.timeout_base_ms;
	cc.max_drift_s = 10;
	cc.max_block_txs = MLNODE_MAX_BLOCK_TXS;
	ret = ml_cs_create(&cc, n->l, &n->ops, n, mono_ms(), &n->cs);
	sodium_memzero(&cc, sizeof(cc));
	if (ret) {
		nlog(n, LOG_ERR, "consensus engine: %s", strerror(-ret));
		goto fail;
	}
	n->next_tick = mono_ms() + TICK_MS;
	n->next_regossip = mono_ms() + REGOSSIP_MS;
	free(np);
	*out = n;
	return 0;
fail:
	free(np);
	mlnode_close(n);
	return ret;
}

void mlnode_close(struct mlnode *n)
{
	if (!n)
		return;
	ml_cs_destroy(n->cs);
	mlnet_close(n->net);
	mlpool_close(n->pool);
	ml_ledger_close(n->l);
	free(n->vals);
	free(n->peers);
	free(n->db_path);
	free(n->genesis_path);
	free(n->ss_path);
	free(n->listen);
	sodium_memzero(n->cfg.sk, sizeof(n->cfg.sk));
	free(n);
}

int mlnode_fd(struct mlnode *n)
{
	return mlnet_fd(n->net);
}

int mlnode_timeout_ms(struct mlnode *n)
{
	uint64_t now = mono_ms(), d = n->next_tick;

	if (n->more || n->gossip_n)	/* a relay batch waits to go out */
		return 0;
	if (n->timer && n->timer < d)
		d = n->timer;
	return d <= now ? 0 : (int)(d - now);
}

/*
 * A follower's ROUND-STATE request: the engine refuses messages from
 * keys outside the validator set, so the node answers it with the
 * engine's own batch of final blocks. The follower checks each block's
 * commit certificate before applying it.
 */
static void serve_follower(struct mlnode *n, const uint8_t *from,
			   const uint8_t *buf, size_t len)
{
	struct ml_cs_msg m;

	if (ml_cs_msg_decode(buf, len, &m)) {
		n->bad_msgs++;
		return;
	}
	if (m.type == ML_CS_STATE_REQ && m.chain_id == n->chain_id &&
	    !memcmp(m.sender, from, ML_KEY_LEN) && !ml_cs_msg_verify(&m))
		ml_cs_on_state_req(n->cs, &m);
	else
		n->bad_msgs++;
	ml_cs_msg_free(&m);
}

static void dispatch(struct mlnode *n, const uint8_t *from, const uint8_t *p,
		     size_t len)
{
	/* header: version, type, chain_id, height, round, sender at 22 */
	if (len >= 54 && p[0] == ML_CS_VERSION) {
		if (p[1] == ML_CS_STATE_REQ && n->validator &&
		    !is_val(n, p + 22))
			serve_follower(n, from, p, len);
		else
			ml_cs_receive(n->cs, from, p, len, mono_ms());
	} else if (len >= 2 && p[0] == MLNODE_MSG && p[1] == MLNODE_MSG_TXS) {
		if (mlnode_txs_decode(p + 2, len - 2, gossip_in, n))
			n->bad_msgs++;
	} else {
		n->bad_msgs++;
	}
}

int mlnode_process(struct mlnode *n)
{
	uint8_t from[ML_KEY_LEN];
	const void *buf;
	size_t len;
	uint64_t now;
	int i, ret = 0;

	n->more = false;
	for (i = 0; i < RECV_BUDGET; i++) {
		ret = mlnet_recv(n->net, 0, from, &buf, &len);
		if (ret)
			break;
		dispatch(n, from, buf, len);
	}
	if (i == RECV_BUDGET)
		n->more = true;
	else if (ret != -EAGAIN)
		return ret;
	now = mono_ms();
	if (n->timer && now >= n->timer) {
		n->timer = 0;
		ml_cs_timer(n->cs, now);
	}
	if (now >= n->next_tick) {
		struct mlnet_stats st;

		n->next_tick = now + TICK_MS;
		mlnet_stats(n->net, &st);	/* redials refused peers */
		if (!n->validator)	/* followers poll (rate-limited) */
			ml_cs_request_state(n->cs, NULL);
	}
	if (now >= n->next_regossip) {
		n->next_regossip = now + REGOSSIP_MS;
		regossip(n);
	}
	gossip_flush(n);
	return 0;
}

int mlnode_submit(struct mlnode *n, const struct ml_tx *tx)
{
	uint8_t buf[ML_TX_MAX_LEN];
	size_t len;
	int ret;

	ret = ml_tx_encode(tx, buf, sizeof(buf), &len);
	if (ret)
		return ret;
	ret = mlpool_add(n->pool, tx);
	if (ret)
		return ret;
	gossip_add(n, buf, len);	/* sent by the next mlnode_process() */
	return 0;
}

struct ml_ledger *mlnode_ledger(struct mlnode *n)
{
	return n->l;
}

void mlnode_status(struct mlnode *n, struct mlnode_status *st)
{
	struct ml_cs_status cs;
	struct ml_sigcache_stats sc;
	struct ml_exec_stats xs;
	struct mlpool_stats ps;
	size_t i;

	ml_ledger_sigcache_stats(n->l, &sc);
	ml_ledger_exec_stats(n->l, &xs);
	ml_cs_status(n->cs, &cs);
	mlpool_stats(n->pool, &ps);
	memset(st, 0, sizeof(*st));
	/* no ml_ledger_info(): it hashes the whole state for its root,
	 * and would roll back a kept execution
	 */
	st->height = ml_ledger_height(n->l);
	st->round = cs.round;
	st->validator = n->validator;
	st->mempool = ps.txs;
	st->sig_verifies = sc.misses;
	st->sig_cached = sc.hits;
	st->executions = xs.runs;
	st->exec_reused = xs.reused;
	for (i = 0; i < n->npeers; i++) {
		struct mlnet_peer_stats p;

		if (!mlnet_peer_stats(n->net, n->peers[i].key, &p) && p.connected)
			st->peers_connected++;
	}
}
