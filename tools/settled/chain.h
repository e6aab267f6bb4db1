/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Submitting transactions, to one of two backends ([ledger] mode):
 *
 * local    settled is the only validator of a local chain (libmlledger):
 *          every submission is one block, proposed, signed and applied here.
 * network  settled runs a consensus node (lib/consensus/node.h) with its
 *          vote key: a submission goes into the node's mempool and is
 *          gossiped; chain_submit() returns once every transaction is in a
 *          final block. The main loop drives the node: it polls chain_fd()
 *          with chain_timeout_ms() and calls chain_process().
 *
 * The worker thread calls the submission functions, the main thread
 * chain_process(): a mutex keeps the node to one thread at a time.
 */
#ifndef SETTLED_CHAIN_H
#define SETTLED_CHAIN_H

#include <stdint.h>

#include "config.h"
#include "ledger.h"

struct chain;

/* creates the chain with this gateway's account as operator and validator
 * on first start */
int chain_open(const struct config *c, const uint8_t sk[64], struct chain **out);
void chain_close(struct chain *ch);
/* fills in chain_id, sender, nonce (consecutive) and signs each tx */
void chain_prepare(struct chain *ch, struct ml_tx *txs, uint32_t n, uint64_t nonce);
int chain_nonce(struct chain *ch, uint64_t *nonce);
/* one block with @txs at the current time; -EAGAIN if the last block is
 * from this second already; *height on success */
int chain_submit(struct chain *ch, struct ml_tx *txs, uint32_t n, uint64_t *height);
/* would @txs (signed) be accepted in a block now? nothing is kept */
int chain_check(struct chain *ch, const struct ml_tx *txs, uint32_t n);
struct ml_ledger *chain_ledger(struct chain *ch);
/* the height of the last final block (network mode: as the node applied
 * it; chain_ledger()'s own ml_ledger_info() only knows its own blocks) */
int chain_height(struct chain *ch, uint64_t *height);
/* the account (Ed25519 public key) that signs this gateway's txs */
void chain_account(const struct chain *ch, uint8_t pk[32]);

/* network mode: the node's descriptor (-1 in local mode), its next timer
 * (-1: none) and one non-blocking step of it (0 in local mode) */
int chain_fd(struct chain *ch);
int chain_timeout_ms(struct chain *ch);
int chain_process(struct chain *ch);
/* network mode: the path of the node's ledger (state_dir/chain.db either way) */
const char *chain_path(const struct chain *ch);
/* the main loop has ended: a chain_submit() waiting for blocks returns
 * -EAGAIN now (nothing drives the node any more) */
void chain_stop(struct chain *ch);

#endif
