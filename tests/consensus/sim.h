/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A deterministic network of consensus engines in one process: a virtual
 * clock, a seeded PRNG for delays and drops, partitions, crashes that
 * throw away everything in memory and restarts from the files on disk
 * (real SQLite ledgers, real sign-state files with fsync), a byzantine
 * "twin" that equivocates, and per-node clock skew.
 *
 * Every node gets the same load: a client submits transfers between users
 * with sequential nonces; each node's get_txs() hands out what its own
 * ledger has not executed yet (a gossiped mempool that clients refill).
 */
#ifndef ML_CS_SIM_H
#define ML_CS_SIM_H

#include "consensus.h"
#include "helpers.h"

#define SIM_MAX_NODES	8
#define SIM_USERS	8
#define SIM_MAX_TX	8192
#define SIM_T0		(TH_T0 + 10)

struct sim;

struct sim_node {
	struct sim *s;
	int id;
	struct th_key key;
	char dir[300], db[340], ss[340];
	struct ml_ledger *l;
	struct ml_cs *cs;
	int up, byz, group;
	int64_t skew_s;
	uint64_t deadline;	/* 0: none */
	uint64_t timer_fires, commits, crashes;
	uint64_t commit_ms[4096];	/* virtual time of each commit */
};

struct sim_msg {
	uint64_t t, seq;
	int from, to;
	uint8_t *buf;
	size_t len;
};

struct sim_tx {
	struct ml_tx tx;
	uint8_t id[ML_HASH_LEN];
	uint64_t submit_ms, final_ms;	/* final_ms: first commit anywhere */
	int refused;	/* a proposer found it invalid: out of the pool */
};

struct sim {
	int n;
	struct sim_node node[SIM_MAX_NODES];
	uint64_t now, rng, seq;
	uint32_t drop_permille, dmin_ms, dmax_ms;
	struct ml_cs_config cfg;
	struct ml_genesis g;
	char dir[256];
	struct th_key user[SIM_USERS];
	uint64_t next_nonce[SIM_USERS + SIM_MAX_NODES];	/* users, nodes */
	int64_t expect[SIM_USERS];
	struct sim_tx *txs;
	size_t ntx;
	struct sim_msg *q;	/* a binary heap on (t, seq) */
	size_t nq, capq;
	/* height -> hash of the first block any node committed there */
	uint8_t (*final)[ML_HASH_LEN];
	uint64_t nfinal;
	uint64_t msgs_sent, msgs_dropped, verify_calls;
	int quiet;
	/* sees every message a node sends, before the network does */
	void (*on_send)(struct sim *s, int from, const uint8_t *buf,
			size_t len);
	/* drops a message when it returns non-zero */
	int (*filter)(struct sim *s, int from, int to, const uint8_t *buf,
		      size_t len);
	int violations, forked;
	char last_log[256];
};

/* n validators, seeded; nodes started. Returns 0 or -errno. */
int sim_init(struct sim *s, int n, uint64_t seed);
void sim_free(struct sim *s);
int sim_crash(struct sim *s, int i);
int sim_restart(struct sim *s, int i);
/* Runs the network until virtual time @t_ms. */
void sim_run_until(struct sim *s, uint64_t t_ms);
/* Submits @k transfers between random users. */
void sim_load(struct sim *s, int k);
/* Submits a validator vote from node @from about node @subject. */
void sim_vote(struct sim *s, int from, int subject, uint8_t action);
/* Submits load every @every_ms until @t_ms. */
void sim_run_with_load(struct sim *s, uint64_t t_ms, uint64_t every_ms,
		       int k);
/* Heals everything and runs until every submitted tx is final on every
 * up node and they agree, at most @max_ms more. 0 or -ETIMEDOUT.
 */
int sim_drain(struct sim *s, uint64_t max_ms);
uint64_t sim_height(struct sim *s, int i);	/* ledger height */
uint64_t sim_max_height(struct sim *s);
/*
 * The invariants, on every up honest node: identical chains (prefix of
 * the longest), every submitted tx on chain exactly once, balances as the
 * client expects, the total unchanged. Returns 0 or a description.
 */
const char *sim_check(struct sim *s, int require_all_final);
/* Counts evidence transactions against @offender on node @i's chain. */
int sim_evidence_on_chain(struct sim *s, int i, const uint8_t *offender);

#endif
