/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mlnode: a consensus node of meterlink as a library.
 *
 * One node joins the engine (consensus.h), the transport (net.h), the
 * mempool (mempool.h) and the SQLite ledger (ledger.h) behind a
 * non-blocking runtime the host drives from its own poll() loop:
 *
 *   mlnode_open(&cfg, &n);        (-EUCLEAN: the database is damaged)
 *   for (;;) {
 *       struct pollfd p = { mlnode_fd(n), POLLIN };
 *       poll(&p, 1, mlnode_timeout_ms(n));
 *       mlnode_process(n);        (messages and due timers; never blocks)
 *   }
 *
 * A node whose key is not in the ledger's validator set is a follower: it
 * syncs final blocks from the validators (each one checked against its
 * commit certificate before it touches the ledger), relays transactions
 * and never votes. Transactions given to mlnode_submit() or received from
 * a peer are admitted by the mempool (one signature check) and, when new,
 * relayed once to every peer. Protocol and guarantees:
 * Documentation/ledger/consensus.rst, "The node".
 *
 * Not thread-safe: one thread calls every function of one node. Every
 * function returns 0 (or a count) or a negative errno.
 */
#ifndef MLNODE_H
#define MLNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

#define MLNODE_ENDPOINT_MAX	128

struct mlnode_peer {
	uint8_t key[ML_KEY_LEN];		/* Ed25519 */
	char endpoint[MLNODE_ENDPOINT_MAX];	/* zmq endpoint */
};

struct mlnode_cfg {
	const char *db_path;		/* ledger SQLite file (created from genesis if absent) */
	const char *genesis_path;	/* encoded ml_genesis (lib/ledger) */
	const char *signstate_path;	/* consensus sign state (fsync'd) */
	uint8_t sk[64];			/* Ed25519 key of this node (libsodium layout) */
	const char *listen;		/* e.g. "tcp://10.77.0.1:7700" */
	const struct mlnode_peer *peers;	/* every other node we know */
	size_t npeers;
	uint32_t block_period_ms, timeout_base_ms, timeout_cap_ms; /* 0 = defaults */
	void (*committed)(void *ctx, uint64_t height);	/* may be NULL */
	void (*log)(void *ctx, int prio, const char *msg); /* syslog prio; may be NULL */
	void *ctx;
	/* a damaged database is moved aside (<db>.damaged.<unix-time>),
	 * recreated from genesis and synced from the peers, instead of
	 * failing with -EUCLEAN
	 */
	bool repair;
};

/* Defaults for the zeros in mlnode_cfg. */
/* block times are whole seconds, strictly increasing: at most one block a
 * second keeps them with the clock (max_drift is 10 s)
 */
#define MLNODE_BLOCK_PERIOD_MS	1000
#define MLNODE_TIMEOUT_BASE_MS	1000
#define MLNODE_TIMEOUT_CAP_MS	8000
/*
 * Transactions per proposal (and MLNODE_TAKE_BYTES of them at most): a
 * block a second must carry more than the Ed25519 ceiling of a cluster
 * (verifies/s x cores / validators, a few thousand on a laptop), so the
 * period is never what limits the throughput; 8192 transfers are about
 * 1.3 MB, far below ML_MAX_BLOCK_BYTES.
 */
#define MLNODE_MAX_BLOCK_TXS	8192
#define MLNODE_TAKE_BYTES	(4u << 20)
/*
 * Signatures the node's ledger remembers as verified (4 MiB): more than
 * a full mempool (20000) and the blocks in flight, so each transaction
 * is verified once. With 32768 (the ledger's default) a closed-loop
 * load of 16384 in flight evicted 8 % before their block came.
 */
#define MLNODE_SIGCACHE		131072

struct mlnode;

int mlnode_open(const struct mlnode_cfg *cfg, struct mlnode **out);
void mlnode_close(struct mlnode *n);
int mlnode_fd(struct mlnode *n);		/* poll() it for POLLIN */
int mlnode_timeout_ms(struct mlnode *n);	/* until the next timer, -1 none */
int mlnode_process(struct mlnode *n);		/* non-blocking: messages + due timers */
/*
 * mempool + gossip: the mempool's errno (-EEXIST, -EPERM, ...). The relay
 * is batched: it leaves in the next mlnode_process() (mlnode_timeout_ms()
 * is 0 meanwhile).
 */
int mlnode_submit(struct mlnode *n, const struct ml_tx *tx);
/* read-only use between process calls */
struct ml_ledger *mlnode_ledger(struct mlnode *n);

struct mlnode_status {
	uint64_t height;		/* of the last final block */
	uint32_t round;
	bool validator;
	uint32_t peers_connected;
	uint64_t mempool;		/* transactions waiting */
	uint64_t sig_verifies;		/* Ed25519 verifies of transactions */
	uint64_t sig_cached;		/* checks answered by the cache */
	uint64_t executions;		/* blocks executed (built or applied) */
	uint64_t exec_reused;		/* builds and applies that reused one */
};
void mlnode_status(struct mlnode *n, struct mlnode_status *st);

/*
 * The peers file: one peer per line, "HEXKEY ENDPOINT" (64 hex digits, one
 * or more blanks, a zmq endpoint "tcp://HOST:PORT" or "ipc://PATH"),
 * blank lines and "#" comments ignored. A bad line makes the whole file
 * refused with -EINVAL and "FILE:LINE: why" in @err.
 */
int mlnode_peer_parse(const char *line, struct mlnode_peer *p, bool *empty,
		      char *err, size_t errlen);
int mlnode_peers_load(const char *path, struct mlnode_peer **out, size_t *n,
		      char *err, size_t errlen);

/*
 * Node-to-node messages share the transport with the engine's. The first
 * payload byte tells them apart: ML_CS_VERSION (1) starts a consensus
 * message, MLNODE_MSG starts a node message:
 *   0x80 | kind u8 | body
 * kind 1 (transactions): count u16 (1..MLNODE_MAX_GOSSIP) |
 *   count * (len u16 | encoded ml_tx of len bytes), nothing after.
 */
#define MLNODE_MSG		0x80
#define MLNODE_MSG_TXS		1
#define MLNODE_MAX_GOSSIP	256

/*
 * Checks a transaction batch and calls @fn for each encoded transaction;
 * -EBADMSG (and no call at all) when any length is wrong.
 */
int mlnode_txs_decode(const uint8_t *buf, size_t len,
		      int (*fn)(void *arg, const uint8_t *tx, size_t len),
		      void *arg);

#endif
