/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmlconsensus: the QBFT-like consensus engine of meterlink.
 *
 * The engine is a state machine without threads, sockets or clocks of its
 * own. The host feeds it three kinds of input:
 *
 *   ml_cs_receive()  a message from an authenticated peer (its key)
 *   ml_cs_timer()    the deadline it last asked for has passed
 *   ml_cs_create()   a (re)start, from the ledger and the sign-state file
 *
 * and it answers through struct ml_cs_ops: send() to one validator or to
 * all, set_timer() for its next deadline, committed() for every final
 * block, get_txs() for the transactions of a proposal. Every input carries
 * the host's monotonic time in milliseconds; wall time (for block
 * timestamps) comes from ops->unix_time(). Two engines fed the same inputs
 * produce the same outputs, which is how tests/consensus/ runs whole
 * networks deterministically in one process; the daemon connects the same
 * calls to libzmq (lib/consensus/net.c) and a timerfd.
 *
 * Before send() is called with anything the engine signed, the sign state
 * (last signed height, round, step, hash and the prepared certificate) is
 * on disk: written to a temporary file, fsync'd, renamed over the old one
 * and the directory fsync'd. A restarted engine refuses to sign anything
 * that conflicts with it, and refuses to start on a damaged file.
 *
 * A daemon's loop, in outline:
 *
 *   ml_ledger_open(db, &l);
 *   ret = ml_cs_create(&cfg, l, &ops, ctx, mono_ms(), &cs);
 *   (-EUCLEAN: damaged sign state or ledger; stop and say so)
 *   for (;;) {
 *       poll() the transport and a timerfd armed by ops->set_timer;
 *       message:  ml_cs_receive(cs, curve_peer_key, buf, len, mono_ms());
 *       timerfd:  ml_cs_timer(cs, mono_ms());
 *   }
 *
 * One thread: the callbacks run inside these calls and must not call back
 * into the engine; send() must not block (queue the bytes and return).
 * A crash needs no clean-up: restart with ml_cs_create() on the same
 * files.
 *
 * Protocol, message formats and guarantees:
 * Documentation/ledger/consensus.rst.
 *
 * Functions return 0 or a negative errno.
 */
#ifndef ML_CONSENSUS_H
#define ML_CONSENSUS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

#define ML_CS_VERSION		1
#define ML_CS_MAX_VALIDATORS	128
#define ML_CS_NOT_PREPARED	0xffffffffu	/* prepared round: none */
/* a block plus the largest justification; decoders refuse more */
#define ML_CS_MAX_MSG		(ML_MAX_BLOCK_BYTES + (1u << 20))
#define ML_CS_SYNC_BATCH	16	/* blocks sent per round-state request */

enum ml_cs_type {
	ML_CS_PROPOSAL = ML_VOTE_PROPOSAL,	/* 1 */
	ML_CS_PREPARE = ML_VOTE_PREPARE,	/* 2 */
	ML_CS_COMMIT = ML_VOTE_COMMIT,		/* 3 */
	ML_CS_ROUND_CHANGE = 4,
	ML_CS_STATE_REQ = 5,
	ML_CS_STATE_RESP = 6,
	ML_CS_BLOCK = 7,
	ML_CS_EVIDENCE = 8,
	__ML_CS_TYPE_MAX,
};

/* A signed round change as a proposal's justification carries it. */
struct ml_cs_rc {
	uint8_t sender[ML_KEY_LEN];
	uint32_t pr;			/* prepared round or NOT_PREPARED */
	uint8_t ph[ML_HASH_LEN];	/* prepared block hash or zeros */
	uint8_t sig[ML_SIG_LEN];
};

/* A PREPARE inside a prepared certificate: (height, round, hash) implied. */
struct ml_cs_sig {
	uint8_t sender[ML_KEY_LEN];
	uint8_t sig[ML_SIG_LEN];
};

struct ml_cs_msg {
	uint8_t type;
	uint64_t chain_id, height;
	uint32_t round;
	uint8_t sender[ML_KEY_LEN];
	uint8_t sig[ML_SIG_LEN];
	/* PROPOSAL, PREPARE, COMMIT, BLOCK: block hash; ROUND_CHANGE:
	 * prepared hash (zeros if none); EVIDENCE: the first hash
	 */
	uint8_t hash[ML_HASH_LEN];
	uint8_t seal[ML_SIG_LEN];	/* COMMIT: the block's commit seal */
	uint32_t pr;			/* ROUND_CHANGE: prepared round */
	uint64_t committed;		/* STATE_RESP: responder's height */
	/* EVIDENCE: height and round are the offence's */
	uint8_t offender[ML_KEY_LEN];
	uint8_t vtype;
	uint8_t sig_a[ML_SIG_LEN];
	uint8_t hash_b[ML_HASH_LEN];
	uint8_t sig_b[ML_SIG_LEN];
	/* PROPOSAL: the block (no certificate); ROUND_CHANGE: the prepared
	 * block (or none); BLOCK: a final block with its certificate
	 */
	uint8_t *block;
	uint32_t block_len;
	/* PROPOSAL: the round changes that justify round > 0 */
	uint16_t nrc;
	struct ml_cs_rc *rc;
	/* PROPOSAL, ROUND_CHANGE: the prepared certificate */
	uint16_t nprep;
	struct ml_cs_sig *prep;
};

/* --- messages (msg.c) --- */
int ml_cs_msg_encode(const struct ml_cs_msg *m, uint8_t **out, size_t *len);
int ml_cs_msg_decode(const uint8_t *buf, size_t len, struct ml_cs_msg *m);
void ml_cs_msg_free(struct ml_cs_msg *m);
/* The 32 bytes a message's signature names (never a signature). */
void ml_cs_msg_digest(const struct ml_cs_msg *m, uint8_t digest[ML_HASH_LEN]);
/* Signs as sender = sk's public half; verifies the sender's signature. */
void ml_cs_msg_sign(struct ml_cs_msg *m, const uint8_t sk[64]);
int ml_cs_msg_verify(const struct ml_cs_msg *m);
/* Digest of a round change with prepared round @pr and hash @ph. */
void ml_cs_rc_digest(uint32_t pr, const uint8_t ph[ML_HASH_LEN],
		     uint8_t digest[ML_HASH_LEN]);

/* --- sign state (signstate.c) --- */
enum ml_cs_step {	/* the order of signing within one round */
	ML_CS_STEP_NONE = 0,
	ML_CS_STEP_ROUND_CHANGE = 1,
	ML_CS_STEP_PROPOSAL = 2,
	ML_CS_STEP_PREPARE = 3,
	ML_CS_STEP_COMMIT = 4,
};

struct ml_cs_signstate {
	uint64_t height;
	uint32_t round;
	uint8_t step;
	uint8_t hash[ML_HASH_LEN];
	/* prepared certificate at @height, or pr = NOT_PREPARED */
	uint32_t pr;
	uint8_t ph[ML_HASH_LEN];
	uint16_t nprep;
	struct ml_cs_sig *prep;
	uint8_t *block;
	uint32_t block_len;
};

/* -ENOENT: no file (a new validator); -EUCLEAN: damaged, refuse to run. */
int ml_cs_signstate_load(const char *path, struct ml_cs_signstate *s);
int ml_cs_signstate_store(const char *path, const struct ml_cs_signstate *s);
void ml_cs_signstate_free(struct ml_cs_signstate *s);
/*
 * 0 if signing (height, round, step, hash) after @s never conflicts with
 * what @s records: a later height or round; a later step of the same
 * round naming the same block (any block after a ROUND-CHANGE); or the
 * same message again. -EPERM otherwise.
 */
int ml_cs_signstate_allows(const struct ml_cs_signstate *s, uint64_t height,
			   uint32_t round, uint8_t step,
			   const uint8_t hash[ML_HASH_LEN]);

/* --- the engine (engine.c) --- */
struct ml_cs;

struct ml_cs_ops {
	/* @to: a validator key, or NULL for every validator but us */
	void (*send)(void *ctx, const uint8_t *to, const uint8_t *msg,
		     size_t len);
	/* call ml_cs_timer() once the monotonic clock reaches @deadline_ms;
	 * replaces the previous request
	 */
	void (*set_timer)(void *ctx, uint64_t deadline_ms);
	uint64_t (*unix_time)(void *ctx);	/* seconds, for block times */
	/* up to @max transactions for block @height, in order */
	int (*get_txs)(void *ctx, uint64_t height, struct ml_tx *txs,
		       uint32_t max, uint32_t *n);
	/* @tx made a proposal fail (@err); the mempool should drop it.
	 * May be NULL.
	 */
	void (*tx_refused)(void *ctx, const struct ml_tx *tx, int err);
	/* block @height is final and applied to the ledger */
	void (*committed)(void *ctx, uint64_t height, const uint8_t *block,
			  size_t len);
	void (*log)(void *ctx, const char *msg);	/* may be NULL */
};

struct ml_cs_config {
	uint8_t sk[64];			/* Ed25519 vote key (libsodium) */
	const char *state_path;		/* the sign-state file */
	uint32_t block_period_ms;	/* round 0 starts this after a commit */
	uint32_t timeout_base_ms;	/* round r: base * 2^r ... */
	uint32_t timeout_cap_ms;	/* ... capped here */
	uint32_t max_drift_s;		/* block time at most now + this */
	uint32_t max_block_txs;
};

/*
 * Opens the engine on @l (which it uses until ml_cs_destroy and never
 * closes). Loads the sign state: -EUCLEAN (and a log line naming the
 * file) when it is damaged. Broadcasts a round-state request.
 */
int ml_cs_create(const struct ml_cs_config *cfg, struct ml_ledger *l,
		 const struct ml_cs_ops *ops, void *ctx, uint64_t now_ms,
		 struct ml_cs **out);
void ml_cs_destroy(struct ml_cs *e);
/*
 * One message from the peer @from (its authenticated key, or NULL when the
 * transport has none). Invalid input is refused with an errno and changes
 * nothing: -EBADMSG/-EINVAL (malformed), -EPERM (bad signature, not a
 * validator, sender differs from @from), -ESTALE (old height or round).
 */
int ml_cs_receive(struct ml_cs *e, const uint8_t *from, const uint8_t *msg,
		  size_t len, uint64_t now_ms);
void ml_cs_timer(struct ml_cs *e, uint64_t now_ms);

struct ml_cs_status {
	uint64_t height;	/* being decided (ledger height + 1) */
	uint32_t round;
	uint32_t rounds_total;	/* round changes since create */
	uint32_t evidence;	/* equivocations seen, not yet on chain */
	uint64_t refused;	/* messages refused */
};
void ml_cs_status(struct ml_cs *e, struct ml_cs_status *st);
uint32_t ml_cs_timeout_ms(const struct ml_cs_config *cfg, uint32_t round);

#endif
