/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mlpool: the transaction pool of a consensus node.
 *
 * A transaction is admitted once: the cheap checks first (encoding, chain,
 * the sender's nonce against the ledger, duplicates, room), then its
 * Ed25519 signature, once; it is never verified again while it waits.
 * Transactions wait per sender, ordered by nonce. A nonce below the
 * ledger's current one is refused (and pooled ones are dropped when a block
 * commits past them); a nonce ahead of it waits for the gap to fill, but at
 * most max_ahead nonces ahead.
 *
 * Bounds and eviction: at most max_txs transactions and max_bytes encoded
 * bytes. When a new transaction does not fit, the last (highest nonce)
 * transaction of the sender holding the most is evicted, but only if that
 * sender holds more than the newcomer's sender does; otherwise the
 * newcomer is refused with -ENOSPC. One sender therefore cannot push out
 * others, and eviction never opens a gap in a sender's sequence.
 *
 * Not thread-safe; the pool reads the ledger it was opened with (nonces,
 * chain id), so the caller serialises pool calls with ledger writes.
 * Every function returns 0 (or a count) or a negative errno.
 */
#ifndef MLPOOL_H
#define MLPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

struct mlpool_cfg {
	size_t max_txs;		/* default 20000 */
	size_t max_bytes;	/* encoded bytes, default 8 MiB */
	uint32_t max_ahead;	/* nonces beyond the ledger's, default 64 */
};

struct mlpool_stats {
	size_t txs, bytes, senders;	/* now */
	uint64_t added;
	uint64_t duplicate;	/* same id already pooled */
	uint64_t conflict;	/* same sender and nonce, another id */
	uint64_t stale;		/* nonce already used on the ledger */
	uint64_t too_far;	/* nonce >= ledger nonce + max_ahead */
	uint64_t bad_sig;
	uint64_t invalid;	/* undecodable, wrong chain, unknown sender */
	uint64_t full;		/* refused for lack of room */
	uint64_t evicted;
	uint64_t committed;	/* removed because a block carried them */
	uint64_t dropped;	/* removed as stale or by mlpool_drop() */
	uint64_t verifies;	/* signature checks done */
};

struct mlpool;

int mlpool_open(struct ml_ledger *l, const struct mlpool_cfg *cfg,
		struct mlpool **out);
void mlpool_close(struct mlpool *p);

/*
 * Admits one transaction. -EXDEV another chain, -EINVAL a body the codec
 * refuses, -ENOENT an unknown sender, -EALREADY a used nonce, -ERANGE a
 * nonce too far ahead, -EEXIST a duplicate or a second transaction for a
 * pooled (sender, nonce), -EPERM a bad signature, -ENOSPC no room.
 */
int mlpool_add(struct mlpool *p, const struct ml_tx *tx);
/* The same from wire bytes; -EBADMSG when they do not decode. */
int mlpool_add_encoded(struct mlpool *p, const uint8_t *buf, size_t len);

/*
 * Copies up to @max_txs transactions of at most @max_bytes encoded bytes in
 * all into @out, in an order a block can carry: for each sender, a run of
 * consecutive nonces starting at its ledger nonce. Senders take turns (one
 * transaction each per turn, in the order their next transactions
 * arrived), so a busy sender does
 * not crowd out the others. Nothing is removed: the transactions stay
 * until mlpool_remove_committed(), so a failed round loses none.
 * Returns the number copied.
 */
int mlpool_take(struct mlpool *p, size_t max_txs, size_t max_bytes,
		struct ml_tx *out);

/*
 * After a block was applied to the ledger: removes its transactions and
 * every pooled transaction whose nonce it made stale. Returns how many
 * were removed.
 */
int mlpool_remove_committed(struct mlpool *p, const struct ml_block *b);

/*
 * Removes the transactions of @sender from @nonce on (for instance when
 * the one at @nonce failed to execute: the later ones cannot run).
 * Returns how many were removed.
 */
int mlpool_drop(struct mlpool *p, const uint8_t sender[ML_KEY_LEN],
		uint64_t nonce);

void mlpool_stats(const struct mlpool *p, struct mlpool_stats *s);

#endif
