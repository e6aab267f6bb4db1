// SPDX-License-Identifier: GPL-2.0
/*
 * The two ledger backends (see chain.h). Local: the single-validator
 * chain; the ledger opens lazily, so a ledger that cannot be opened or
 * written just leaves the reports queued in the spool until it can.
 * Network: a consensus node (node.h) on the same file, with a second,
 * read-only SQLite connection for the worker's nonces and dry runs.
 */
#include <errno.h>
#include <pthread.h>
#include <syslog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "log.h"
#include "node.h"

/* how long chain_submit() waits for final blocks before "not yet" */
#define NET_WAIT_MIN_MS	5000

struct chain {
	char path[CFG_PATH_LEN + 16];
	struct ml_ledger *l;
	uint64_t chain_id;
	uint8_t sk[64], pk[32];
	/* network mode */
	struct mlnode *node;
	pthread_mutex_t mu;		/* the node and @height */
	pthread_cond_t cv;		/* a block became final */
	uint64_t height;
	uint32_t wait_ms;
	int stopping;			/* chain_stop(): no more waiting */
};

static int create(const struct config *c, struct chain *ch)
{
	struct ml_genesis_account acct[2] = {
		{ .roles = ML_ROLE_OPERATOR | ML_ROLE_VALIDATOR },
		{ .roles = ML_ROLE_OPERATOR },
	};
	struct ml_feeder feeder = { .id = 1, .import_limit_wh = 1ULL << 40,
				    .export_limit_wh = 1ULL << 40 };
	struct ml_genesis g = {
		.chain_id = c->chain_id,
		.time = (uint64_t)time(NULL),
		.interval_len = c->interval,
		.settle_delay = c->settle_delay,
		.naccounts = 1, .accounts = acct,
		.nfeeders = 1, .feeders = &feeder,
	};
	int ret;

	memcpy(acct[0].key, ch->pk, 32);
	memcpy(g.fee_account, ch->pk, 32);
	/* an operator of the local chain (settled.conf [ledger] operator) */
	if (c->has_operator && memcmp(c->operator_key, ch->pk, 32)) {
		memcpy(acct[1].key, c->operator_key, 32);
		acct[1].balance = c->operator_balance;
		g.naccounts = 2;
		if (memcmp(acct[0].key, acct[1].key, 32) > 0) {	/* strictly sorted */
			struct ml_genesis_account t = acct[0];

			acct[0] = acct[1];
			acct[1] = t;
		}
	}
	ret = ml_ledger_create(ch->path, &g);
	if (!ret)
		log_info("created local chain %llu at %s", (unsigned long long)c->chain_id,
			 ch->path);
	return ret == -EEXIST ? 0 : ret;
}

static void node_log(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	if (prio <= LOG_ERR)
		log_err("node: %s", msg);
	else if (prio == LOG_WARNING)
		log_warn("node: %s", msg);
	else if (prio <= LOG_INFO)
		log_info("node: %s", msg);
	else
		log_debug("node: %s", msg);
}

/* runs inside mlnode_process(), under ch->mu */
static void node_committed(void *ctx, uint64_t height)
{
	struct chain *ch = ctx;

	ch->height = height;
	pthread_cond_broadcast(&ch->cv);
	log_debug("block %llu is final", (unsigned long long)height);
}

static int open_node(const struct config *c, struct chain *ch)
{
	char sspath[CFG_PATH_LEN + 16], err[CFG_ERR_LEN];
	struct mlnode_cfg nc = {
		.db_path = ch->path, .genesis_path = c->genesis,
		.signstate_path = sspath, .listen = c->listen,
		.block_period_ms = c->block_interval_ms,
		.committed = node_committed, .log = node_log, .ctx = ch,
	};
	struct mlnode_peer *peers = NULL;
	struct ml_ledger_info info;
	struct mlnode_status st;
	size_t n = 0, i, j;
	int ret;

	snprintf(sspath, sizeof(sspath), "%s/signstate", c->state_dir);
	ret = mlnode_peers_load(c->peers, &peers, &n, err, sizeof(err));
	if (ret) {
		log_err("peers: %s", err);
		return ret;
	}
	/* one peers file may serve every node: this one is left out */
	for (i = j = 0; i < n; i++)
		if (memcmp(peers[i].key, ch->pk, 32))
			peers[j++] = peers[i];
	nc.peers = peers;
	nc.npeers = j;
	memcpy(nc.sk, ch->sk, 64);
	ret = mlnode_open(&nc, &ch->node);
	memset(nc.sk, 0, sizeof(nc.sk));
	free(peers);
	if (ret) {
		log_err("consensus node (ledger %s, genesis %s, listen %s): %s", ch->path,
			c->genesis, c->listen, strerror(-ret));
		return ret;
	}
	ret = ml_ledger_open(ch->path, &ch->l);
	ret = ret ? ret : ml_ledger_info(ch->l, &info);
	if (!ret && info.chain_id != c->chain_id) {
		log_err("%s is chain %llu, settled.conf says chain_id = %llu", c->genesis,
			(unsigned long long)info.chain_id, (unsigned long long)c->chain_id);
		ret = -EINVAL;
	}
	if (ret) {
		mlnode_close(ch->node);
		ch->node = NULL;
		return ret;
	}
	mlnode_status(ch->node, &st);
	ch->height = st.height;
	ch->wait_ms = 8 * c->block_interval_ms > NET_WAIT_MIN_MS ?
		      8 * c->block_interval_ms : NET_WAIT_MIN_MS;
	log_info("network chain %llu at height %llu: %s, listening on %s, %zu peers",
		 (unsigned long long)info.chain_id, (unsigned long long)st.height,
		 st.validator ? "validator" : "follower", c->listen, j);
	return 0;
}

int chain_open(const struct config *c, const uint8_t sk[64], struct chain **out)
{
	struct chain *ch = calloc(1, sizeof(*ch));
	pthread_condattr_t ca;
	int ret;

	*out = NULL;
	if (!ch)
		return -ENOMEM;
	snprintf(ch->path, sizeof(ch->path), "%s/chain.db", c->state_dir);
	memcpy(ch->sk, sk, 64);
	memcpy(ch->pk, sk + 32, 32);	/* libsodium: sk = seed || pk */
	ch->chain_id = c->chain_id;
	pthread_mutex_init(&ch->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ch->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (c->mode == LEDGER_NETWORK)
		ret = open_node(c, ch);
	else
		ret = access(ch->path, F_OK) ? create(c, ch) : 0;
	if (ret) {
		pthread_cond_destroy(&ch->cv);
		pthread_mutex_destroy(&ch->mu);
		memset(ch->sk, 0, sizeof(ch->sk));
		free(ch);
		return ret;
	}
	*out = ch;
	return 0;
}

void chain_close(struct chain *ch)
{
	if (!ch)
		return;
	ml_ledger_close(ch->l);
	mlnode_close(ch->node);
	pthread_cond_destroy(&ch->cv);
	pthread_mutex_destroy(&ch->mu);
	memset(ch->sk, 0, sizeof(ch->sk));
	free(ch);
}

static int ledger(struct chain *ch)
{
	if (ch->l)
		return 0;
	return ml_ledger_open(ch->path, &ch->l);
}

struct ml_ledger *chain_ledger(struct chain *ch)
{
	return ledger(ch) ? NULL : ch->l;
}

int chain_height(struct chain *ch, uint64_t *height)
{
	struct ml_ledger_info info;
	int ret;

	if (ch->node) {
		pthread_mutex_lock(&ch->mu);
		*height = ch->height;
		pthread_mutex_unlock(&ch->mu);
		return 0;
	}
	ret = ledger(ch);
	ret = ret ? ret : ml_ledger_info(ch->l, &info);
	if (!ret)
		*height = info.height;
	return ret;
}

int chain_nonce(struct chain *ch, uint64_t *nonce)
{
	int ret = ledger(ch);

	return ret ? ret : ml_ledger_balance(ch->l, ch->pk, NULL, NULL, nonce);
}

void chain_prepare(struct chain *ch, struct ml_tx *txs, uint32_t n, uint64_t nonce)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		txs[i].chain_id = ch->chain_id;
		memcpy(txs[i].sender, ch->pk, 32);
		txs[i].nonce = nonce + i;
		ml_tx_sign(&txs[i], ch->sk);
	}
}

/* is every one of @txs in a final block? (its sender's nonce is past it) */
static int all_final(struct chain *ch, const struct ml_tx *txs, uint32_t n)
{
	uint64_t nonce;
	uint32_t i;

	for (i = 0; i < n; i++)
		if (ml_ledger_balance(ch->l, txs[i].sender, NULL, NULL, &nonce) ||
		    nonce <= txs[i].nonce)
			return 0;
	return 1;
}

/*
 * Network mode: a dry run on the final state first (a refusal is answered
 * now, and the worker narrows it down as in local mode), then the mempool,
 * then a wait for the blocks. -EAGAIN when they take longer than wait_ms:
 * the worker tries again later with the same transactions, which the
 * mempool already has or the chain already took.
 */
static int net_submit(struct chain *ch, struct ml_tx *txs, uint32_t n, uint64_t *height)
{
	struct timespec dl;
	uint32_t i;
	int ret = chain_check(ch, txs, n);

	if (ret)
		return ret;
	pthread_mutex_lock(&ch->mu);
	for (i = 0; i < n && !ret; i++) {
		ret = mlnode_submit(ch->node, &txs[i]);
		if (ret == -EEXIST)	/* already waiting in the mempool */
			ret = 0;
	}
	if (ret) {
		pthread_mutex_unlock(&ch->mu);
		log_warn("the node's mempool refused a transaction: %s", strerror(-ret));
		return ret;
	}
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += ch->wait_ms / 1000;
	dl.tv_nsec += (long)(ch->wait_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	while (!all_final(ch, txs, n))
		if (ch->stopping ||
		    pthread_cond_timedwait(&ch->cv, &ch->mu, &dl) == ETIMEDOUT) {
			ret = all_final(ch, txs, n) ? 0 : -EAGAIN;
			break;
		}
	if (!ret)
		*height = ch->height;	/* the node's; ch->l applies no blocks */
	pthread_mutex_unlock(&ch->mu);
	return ret;
}

int chain_submit(struct chain *ch, struct ml_tx *txs, uint32_t n, uint64_t *height)
{
	struct ml_ledger_info info;
	struct ml_block b = { 0 };
	uint64_t now = (uint64_t)time(NULL);
	uint8_t *buf = NULL;
	size_t len;
	int ret;

	if (ch->node)
		return net_submit(ch, txs, n, height);
	ret = ledger(ch);
	ret = ret ? ret : ml_ledger_info(ch->l, &info);
	if (ret)
		return ret;
	/*
	 * Block times are strictly increasing and never ahead of the clock:
	 * a second block within one second waits (the chain checks report
	 * and dispatch windows against block time).
	 */
	if (now <= info.time)
		return -EAGAIN;
	b.hdr.time = now;
	memcpy(b.hdr.proposer, ch->pk, 32);
	b.txs = txs;
	b.ntx = n;
	ret = ml_ledger_build_block(ch->l, &b);
	ret = ret ? ret : ml_commit_add(&b, ch->sk);
	ret = ret ? ret : ml_block_encode(&b, &buf, &len);
	ret = ret ? ret : ml_ledger_apply_block(ch->l, buf, len, 0);
	free(buf);
	free(b.commit);
	if (!ret)
		*height = b.hdr.height;
	return ret;
}

void chain_account(const struct chain *ch, uint8_t pk[32])
{
	memcpy(pk, ch->pk, 32);
}

int chain_check(struct chain *ch, const struct ml_tx *txs, uint32_t n)
{
	struct ml_ledger_info info;
	struct ml_block b = { 0 };
	uint64_t now = (uint64_t)time(NULL);
	int ret;

	ret = ledger(ch);
	ret = ret ? ret : ml_ledger_info(ch->l, &info);
	if (ret)
		return ret;
	b.hdr.time = now > info.time ? now : info.time + 1;
	memcpy(b.hdr.proposer, ch->pk, 32);
	b.txs = (struct ml_tx *)txs;	/* build_block only reads them */
	b.ntx = n;
	ret = ml_ledger_build_block(ch->l, &b);
	free(b.commit);
	return ret;
}

int chain_fd(struct chain *ch)
{
	return ch->node ? mlnode_fd(ch->node) : -1;
}

int chain_timeout_ms(struct chain *ch)
{
	int t;

	if (!ch->node)
		return -1;
	pthread_mutex_lock(&ch->mu);
	t = mlnode_timeout_ms(ch->node);
	pthread_mutex_unlock(&ch->mu);
	return t;
}

int chain_process(struct chain *ch)
{
	int ret;

	if (!ch->node)
		return 0;
	pthread_mutex_lock(&ch->mu);
	ret = mlnode_process(ch->node);
	pthread_mutex_unlock(&ch->mu);
	return ret;
}

const char *chain_path(const struct chain *ch)
{
	return ch->path;
}

void chain_stop(struct chain *ch)
{
	if (!ch)
		return;
	pthread_mutex_lock(&ch->mu);
	ch->stopping = 1;
	pthread_cond_broadcast(&ch->cv);
	pthread_mutex_unlock(&ch->mu);
}
