/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmlledger: the deterministic ledger core of meterlink.
 *
 * Everything here is a pure function of its inputs: no clocks, no network,
 * no floating point. Two nodes that apply the same blocks to the same
 * genesis reach the same state root. The byte formats are documented in
 * Documentation/ledger/format.rst, the market rules in
 * Documentation/ledger/market.rst.
 *
 * Every function returns 0 or a negative errno and leaves its outputs
 * untouched (or freed) on failure.
 */
#ifndef ML_LEDGER_H
#define ML_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ML_KEY_LEN	32	/* Ed25519 public key = account id */
#define ML_SIG_LEN	64	/* Ed25519 signature */
#define ML_HASH_LEN	32	/* BLAKE2b-256 */
#define ML_ID_LEN	32	/* meter id, order id, dispatch id */
#define ML_P256_PUB_LEN	64	/* uncompressed point without 0x04: X || Y */
#define ML_P256_SIG_LEN	64	/* r || s, big-endian, low-s */

#define ML_FORMAT_VERSION	1

/* Range limits enforced by the decoders; products fit in 63 bits. */
#define ML_MAX_QTY_WH		0xffffffffULL	/* per order, per report */
#define ML_MAX_PRICE		0x7fffffffULL	/* micro-credits per kWh */
#define ML_MAX_AMOUNT		(1ULL << 53)	/* micro-credits in one transfer */
#define ML_MAX_BLOCK_TXS	65536
#define ML_MAX_BLOCK_BYTES	(16u << 20)
#define ML_MAX_CERT_SIGS	1024
#define ML_TX_MAX_LEN		384

enum ml_tx_kind {
	ML_TX_TRANSFER = 1,
	ML_TX_ORDER = 2,
	ML_TX_CANCEL = 3,
	ML_TX_METER_REPORT = 4,
	ML_TX_REGISTER_METER = 5,
	ML_TX_DISPATCH = 6,
	ML_TX_DISPATCH_ACK = 7,
	ML_TX_VALIDATOR_VOTE = 8,
	ML_TX_EVIDENCE = 9,
	__ML_TX_KIND_MAX,
};

enum ml_side { ML_BID = 1, ML_ASK = 2 };

enum ml_dispatch_kind {
	ML_DISPATCH_IMPORT_LIMIT = 1,	/* value: max import, W (>= 0) */
	ML_DISPATCH_EXPORT_LIMIT = 2,	/* value: max export, W (>= 0) */
	ML_DISPATCH_BATTERY = 3,	/* value: W, > 0 charge, < 0 discharge */
	ML_DISPATCH_CURTAIL = 4,	/* value: max PV export, W (>= 0) */
};

enum ml_ack_status { ML_ACK_ACCEPT = 1, ML_ACK_REJECT = 2 };
enum ml_vote_action { ML_VOTE_ADD = 1, ML_VOTE_REMOVE = 2 };

/*
 * Consensus messages whose signature names a block hash; two of one kind
 * from one validator at one (height, round) naming different blocks are
 * double-sign evidence (lib/consensus, Documentation/ledger/consensus.rst).
 */
enum ml_vote_type {
	ML_VOTE_PROPOSAL = 1,
	ML_VOTE_PREPARE = 2,
	ML_VOTE_COMMIT = 3,
};

enum ml_role {
	ML_ROLE_OPERATOR = 1 << 0,
	ML_ROLE_VALIDATOR = 1 << 1,
	ML_ROLE_MASK = ML_ROLE_OPERATOR | ML_ROLE_VALIDATOR,
};

/* What the gateway's TPM signs: one settlement interval of one meter. */
struct ml_meter_report {
	uint64_t chain_id;
	uint8_t meter[ML_ID_LEN];
	uint64_t interval_start;	/* unix seconds, multiple of len */
	uint32_t interval_len;		/* seconds */
	uint64_t import_wh;
	uint64_t export_wh;
	uint8_t readings_root[ML_HASH_LEN];	/* Merkle root of raw readings */
	uint8_t sig[ML_P256_SIG_LEN];	/* ECDSA P-256 r || s, low-s */
};

struct ml_tx {
	uint8_t kind;
	uint64_t chain_id;
	uint8_t sender[ML_KEY_LEN];
	uint64_t nonce;
	union {
		struct {
			uint8_t to[ML_KEY_LEN];
			uint64_t amount;
		} transfer;
		struct {
			uint8_t meter[ML_ID_LEN];
			uint8_t side;
			uint64_t interval_start;
			uint64_t qty_wh;
			uint64_t price;	/* limit, micro-credits per kWh */
		} order;
		struct {
			uint8_t order_id[ML_ID_LEN];
		} cancel;
		struct ml_meter_report report;
		struct {
			uint8_t meter[ML_ID_LEN];
			uint8_t owner[ML_KEY_LEN];
			uint32_t feeder;
			uint8_t gw_key[ML_P256_PUB_LEN];
		} reg;
		struct {
			uint8_t meter[ML_ID_LEN];
			uint8_t kind;
			int64_t value;
			uint64_t start, end;	/* [start, end), unix seconds */
		} dispatch;
		struct {
			uint8_t dispatch_id[ML_ID_LEN];
			uint8_t status;
		} ack;
		struct {
			uint8_t subject[ML_KEY_LEN];
			uint8_t action;
		} vote;
		struct {	/* hash_a < hash_b, so one encoding per pair */
			uint8_t validator[ML_KEY_LEN];
			uint8_t type;	/* enum ml_vote_type */
			uint64_t height;
			uint32_t round;
			uint8_t hash_a[ML_HASH_LEN];
			uint8_t sig_a[ML_SIG_LEN];
			uint8_t hash_b[ML_HASH_LEN];
			uint8_t sig_b[ML_SIG_LEN];
		} evidence;
	} u;
	uint8_t sig[ML_SIG_LEN];	/* Ed25519 by sender over the tx id */
};

/* --- transactions (tx.c) --- */
int ml_tx_encode(const struct ml_tx *tx, uint8_t *buf, size_t cap, size_t *len);
int ml_tx_decode(const uint8_t *buf, size_t len, struct ml_tx *tx);
void ml_tx_id(const struct ml_tx *tx, uint8_t id[ML_HASH_LEN]);
int ml_tx_sign(struct ml_tx *tx, const uint8_t sk[64]);
int ml_tx_verify(const struct ml_tx *tx);

/* --- meter reports and P-256 (report.c) --- */
#define ML_REPORT_LEN	165
int ml_report_encode(const struct ml_meter_report *r, uint8_t out[ML_REPORT_LEN]);
int ml_report_decode(const uint8_t *buf, size_t len, struct ml_meter_report *r);
/* SHA-256 over the domain and the unsigned report: what the TPM signs. */
void ml_report_digest(const struct ml_meter_report *r, uint8_t digest[32]);
int ml_report_verify(const struct ml_meter_report *r,
		     const uint8_t gw_key[ML_P256_PUB_LEN]);
/*
 * ECDSA P-256 over SHA-256 @digest: 0, -EPERM for a signature that does not
 * verify, -EINVAL for a key that is not a point on the curve. No low-s
 * requirement here (ml_report_verify adds it).
 */
int ml_p256_verify_digest(const uint8_t key[ML_P256_PUB_LEN],
			  const uint8_t digest[32],
			  const uint8_t sig[ML_P256_SIG_LEN]);
/* Maps s to n - s when s > n/2; refuses r or s outside [1, n-1]. */
int ml_p256_sig_normalize(uint8_t sig[ML_P256_SIG_LEN]);
int ml_p256_sig_from_der(const uint8_t *der, size_t len,
			 uint8_t sig[ML_P256_SIG_LEN]);

/* --- blocks (block.c) --- */
struct ml_block_header {
	uint64_t chain_id;
	uint64_t height;
	uint32_t round;
	uint64_t time;		/* unix seconds, strictly increasing */
	uint8_t prev_hash[ML_HASH_LEN];
	uint8_t tx_root[ML_HASH_LEN];
	uint8_t state_root[ML_HASH_LEN];
	uint8_t proposer[ML_KEY_LEN];
};

struct ml_commit_sig {
	uint8_t validator[ML_KEY_LEN];
	uint8_t sig[ML_SIG_LEN];
};

struct ml_block {
	struct ml_block_header hdr;
	uint32_t ntx;
	struct ml_tx *txs;
	uint32_t ncommit;
	struct ml_commit_sig *commit;	/* sorted by validator key */
};

#define ML_HEADER_LEN	157
int ml_block_encode(const struct ml_block *b, uint8_t **out, size_t *len);
int ml_block_decode(const uint8_t *buf, size_t len, struct ml_block *b);
void ml_block_free(struct ml_block *b);
void ml_block_hash(const struct ml_block_header *h, uint8_t hash[ML_HASH_LEN]);
int ml_block_tx_root(const struct ml_tx *txs, uint32_t ntx,
		     uint8_t root[ML_HASH_LEN]);
/* Adds (or replaces) the signature of one validator, keeping the order. */
int ml_commit_add(struct ml_block *b, const uint8_t sk[64]);
/*
 * Checks that at least ceil(2n/3) distinct members of @validators
 * (n = @nval, 32 bytes each) signed the block hash. -EPERM otherwise.
 */
int ml_commit_verify(const struct ml_block *b, const uint8_t *validators,
		     size_t nval);
size_t ml_quorum(size_t n);

/*
 * The bytes every consensus message signature covers:
 * "meterlink-vote-v1" || type u8 || chain_id u64 || height u64 ||
 * round u32 || validator[32] || digest[32]. For proposals, prepares and
 * commits the digest is the block hash. Returns the length written.
 */
#define ML_VOTE_BYTES_LEN	102
size_t ml_vote_bytes(uint8_t type, uint64_t chain_id, uint64_t height,
		     uint32_t round, const uint8_t validator[ML_KEY_LEN],
		     const uint8_t digest[ML_HASH_LEN],
		     uint8_t out[ML_VOTE_BYTES_LEN]);

/* --- genesis (genesis.c) --- */
struct ml_genesis_account {
	uint8_t key[ML_KEY_LEN];
	uint64_t balance;
	uint8_t roles;
};

struct ml_feeder {
	uint32_t id;
	uint64_t import_limit_wh;	/* per delivery interval */
	uint64_t export_limit_wh;
};

struct ml_genesis {
	uint64_t chain_id;
	uint64_t time;
	uint32_t interval_len;		/* seconds, default 900 */
	uint32_t gate_closure;		/* seconds before interval start */
	uint32_t settle_delay;		/* seconds after interval end */
	uint64_t fee_per_kwh;		/* micro-credits, paid by buyers */
	uint64_t shortfall_price;	/* micro-credits per kWh */
	uint64_t surplus_price;		/* micro-credits per kWh */
	uint8_t fee_account[ML_KEY_LEN];	/* an operator */
	uint32_t naccounts;
	struct ml_genesis_account *accounts;	/* strictly sorted by key */
	uint32_t nfeeders;
	struct ml_feeder *feeders;		/* strictly sorted by id */
};

int ml_genesis_encode(const struct ml_genesis *g, uint8_t **out, size_t *len);
int ml_genesis_decode(const uint8_t *buf, size_t len, struct ml_genesis *g);
void ml_genesis_free(struct ml_genesis *g);
void ml_genesis_hash(const uint8_t *enc, size_t len, uint8_t hash[ML_HASH_LEN]);

/* --- the ledger state (state.c, apply.c) --- */
struct ml_ledger;

/* Creates @path from @g; -EEXIST if it already holds a ledger. */
int ml_ledger_create(const char *path, const struct ml_genesis *g);
int ml_ledger_open(const char *path, struct ml_ledger **out);
void ml_ledger_close(struct ml_ledger *l);

struct ml_ledger_info {
	uint64_t chain_id;
	uint64_t height;
	uint64_t time;
	uint8_t last_hash[ML_HASH_LEN];
	uint8_t state_root[ML_HASH_LEN];
};
int ml_ledger_info(struct ml_ledger *l, struct ml_ledger_info *info);
/* The height as this handle knows it (found at open, or the last block it
 * applied); no database read. Account state changes only with it.
 */
uint64_t ml_ledger_height(const struct ml_ledger *l);

enum {
	ML_APPLY_NO_CERT = 1 << 0,	/* block not final yet (proposing) */
};
/* Applies one encoded block atomically: all of it or nothing. */
int ml_ledger_apply_block(struct ml_ledger *l, const uint8_t *buf, size_t len,
			  unsigned int flags);
/*
 * Executes @txs on top of the current state without keeping anything and
 * fills in hdr->height, prev_hash, tx_root and state_root: the proposer's
 * half of a block. The commit certificate is left empty.
 */
int ml_ledger_build_block(struct ml_ledger *l, struct ml_block *b);

/*
 * Execute each block once (consensus nodes). With @on, a block that
 * builds keeps its execution in the open write transaction instead of
 * rolling it back; building the same block again (the same header but
 * the state root) returns the kept root, and applying it stores the
 * block and commits. Anything else on the handle rolls the kept
 * execution back first, so nobody ever sees uncommitted state:
 * ml_ledger_balance() and the validator set checked by the apply read
 * the committed state through a second, read-only connection. The
 * write lock is held meanwhile; off by default.
 */
void ml_ledger_keep_execution(struct ml_ledger *l, bool on);
struct ml_exec_stats {
	uint64_t runs;		/* blocks executed */
	uint64_t reused;	/* builds and applies that used a kept one */
};
void ml_ledger_exec_stats(const struct ml_ledger *l, struct ml_exec_stats *st);

int ml_ledger_balance(struct ml_ledger *l, const uint8_t key[ML_KEY_LEN],
		      int64_t *balance, int64_t *locked, uint64_t *nonce);
/* The sum of all balances: constant since genesis (conservation). */
int ml_ledger_total(struct ml_ledger *l, int64_t *total);
int ml_ledger_validators(struct ml_ledger *l, uint8_t **keys, size_t *n);
int ml_ledger_block(struct ml_ledger *l, uint64_t height, uint8_t **buf,
		    size_t *len);

/*
 * ml_tx_verify() through the ledger's bounded cache of signatures that
 * verified (sigcache.c), which blocks built or applied on this ledger use
 * too: a mempool that admits with it spares the second check. The cache
 * keys on the id and the exact signature bytes, so a transaction with any
 * other signature is verified afresh. 0 or -EPERM.
 */
int ml_ledger_tx_verify(struct ml_ledger *l, const struct ml_tx *tx);
struct ml_sigcache_stats {
	uint64_t hits, misses, inserts, capacity;
};
void ml_ledger_sigcache_stats(struct ml_ledger *l,
			      struct ml_sigcache_stats *st);
/*
 * Room for at least @entries signatures (rounded up to a power of two;
 * the default is 32768, 1 MiB). A consensus node wants more than its
 * mempool and a block hold, or transactions are verified twice. Entries
 * already cached are dropped. 0, -EINVAL (0 or over 2^24) or -ENOMEM.
 */
int ml_ledger_sigcache_reserve(struct ml_ledger *l, size_t entries);

/* --- replay (replay.c) --- */
struct ml_replay_result {
	uint64_t height;	/* blocks replayed to a matching root */
	uint64_t first_bad;	/* 0 when everything matched */
	int error;		/* why first_bad failed */
	int live_differs;	/* blocks fine, but @src's tables were edited */
};
/*
 * Rebuilds the state of @src from its genesis into a fresh ledger at
 * @scratch (which must not exist yet), checking every block as a follower
 * would and comparing the state root after it with the root its header
 * records; finally compares the replayed state with @src's own tables.
 * Returns 0 if all match, -EBADMSG if something differs (res->first_bad
 * names the first block that does not replay, or @src's height with
 * res->live_differs set), another errno if replay was impossible.
 */
int ml_ledger_replay(const char *src, const char *scratch,
		     struct ml_replay_result *res);

#endif
