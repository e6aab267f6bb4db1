/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the parts of the engine share: its state and the helpers that
 * engine.c (rounds and votes), propose.c (building and checking
 * proposals), sync.c (round-state requests, block sync, early messages)
 * and evidence.c (equivocation) call across files. Not installed.
 */
#ifndef ML_CS_ENGINE_H
#define ML_CS_ENGINE_H

#include "consensus.h"

#define MAX_RECS	16384	/* signed votes kept per height */
#define MAX_BLKS	64	/* candidate blocks kept per height */
#define MAX_OWN		16	/* own messages kept for re-sending */
#define MAX_FUT		1024	/* messages kept for later heights */
#define FUT_HEIGHTS	8
#define MAX_EVIDENCE	64
#define EVIDENCE_PER_BLOCK 8

struct rec {
	uint8_t type;
	uint32_t round;
	uint16_t v;
	uint8_t hash[ML_HASH_LEN];
	uint8_t sig[ML_SIG_LEN];
	uint8_t seal[ML_SIG_LEN];
	uint32_t pr;			/* ROUND_CHANGE */
	struct ml_cs_sig *prep;		/* ROUND_CHANGE certificate */
	uint16_t nprep;
};

struct blk {
	uint8_t hash[ML_HASH_LEN];
	uint8_t *buf;
	uint32_t len;
};

struct fut {
	uint64_t height;
	uint8_t from[ML_KEY_LEN];
	int has_from;
	uint8_t *buf;
	size_t len;
};

struct ml_cs {
	struct ml_cs_config cfg;
	char *state_path;
	struct ml_ledger *l;
	const struct ml_cs_ops *ops;
	void *ctx;
	uint8_t pk[ML_KEY_LEN];
	uint64_t chain_id, now;

	/* the height being decided */
	uint64_t h, parent_time;
	uint8_t parent_hash[ML_HASH_LEN];
	uint8_t *vals;
	size_t n;
	int me;				/* index in vals, -1: not a validator */
	uint32_t r;
	int started, proposed;		/* round r reached by a quorum */
	uint32_t acc_round;		/* proposal accepted in round r */
	uint8_t acc_hash[ML_HASH_LEN];
	struct rec *recs;
	size_t nrecs;
	struct blk blks[MAX_BLKS];
	size_t nblks;
	uint8_t *own[MAX_OWN];
	size_t own_len[MAX_OWN];
	size_t nown;
	uint64_t round_deadline, propose_deadline, last_sync;

	struct ml_cs_signstate ss;	/* what is on disk */
	struct fut fut[MAX_FUT];
	size_t nfut;
	struct ml_tx ev[MAX_EVIDENCE];	/* evidence not yet on chain */
	size_t nev;
	uint32_t rounds_total;
	uint64_t refused;
};

void ml_cs_log(struct ml_cs *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
size_t ml_cs_quorum(const struct ml_cs *e);
int ml_cs_val_index(const struct ml_cs *e, const uint8_t *key);
const uint8_t *ml_cs_proposer(const struct ml_cs *e, uint32_t round);
int ml_cs_sig_ok(const struct ml_cs *e, uint8_t type, uint32_t round,
		 const uint8_t *who, const uint8_t digest[ML_HASH_LEN],
		 const uint8_t sig[ML_SIG_LEN]);
int ml_cs_cert_ok(struct ml_cs *e, uint32_t pr, const uint8_t *ph,
		  const struct ml_cs_sig *prep, uint16_t n);
int ml_cs_hash_of(const uint8_t *buf, uint32_t len, struct ml_block *b,
		  uint8_t hash[ML_HASH_LEN]);
struct blk *ml_cs_blk_find(struct ml_cs *e, const uint8_t *hash);
size_t ml_cs_count(const struct ml_cs *e, uint8_t type, uint32_t round,
		   const uint8_t *hash);
void ml_cs_send_encoded(struct ml_cs *e, const uint8_t *to, uint8_t *buf,
			size_t len, int keep);
int ml_cs_sign_send(struct ml_cs *e, struct ml_cs_msg *m, uint8_t step,
		    const uint8_t *to);
int ml_cs_handle(struct ml_cs *e, struct ml_cs_msg *m, int v);
int ml_cs_load_height(struct ml_cs *e);
void ml_cs_committed(struct ml_cs *e, const uint8_t *buf, size_t len);

/* propose.c */
void ml_cs_propose(struct ml_cs *e);
int ml_cs_justified(struct ml_cs *e, const struct ml_cs_msg *m,
		    const struct ml_block *b);
int ml_cs_block_valid(struct ml_cs *e, const struct ml_cs_msg *m,
		      const struct ml_block *b);

/* sync.c */
void ml_cs_request_state(struct ml_cs *e, const uint8_t *to);
int ml_cs_on_block(struct ml_cs *e, struct ml_cs_msg *m);
void ml_cs_on_state_req(struct ml_cs *e, const struct ml_cs_msg *m);
void ml_cs_keep_future(struct ml_cs *e, const uint8_t *from,
		       const uint8_t *buf, size_t len, uint64_t height);
int ml_cs_check_head(struct ml_cs *e);

/* evidence.c */
void ml_cs_evidence_add(struct ml_cs *e, const uint8_t *offender,
			uint8_t type, uint64_t height, uint32_t round,
			const uint8_t *h1, const uint8_t *s1,
			const uint8_t *h2, const uint8_t *s2, int announce);
int ml_cs_on_evidence(struct ml_cs *e, const struct ml_cs_msg *m);

#endif
