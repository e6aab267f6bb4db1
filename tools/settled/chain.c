// SPDX-License-Identifier: GPL-2.0
/*
 * The local single-validator chain (see chain.h). The ledger opens
 * lazily, so a ledger that cannot be opened or written just leaves the
 * reports queued in the spool until it can.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "log.h"

struct chain {
	char path[CFG_PATH_LEN + 16];
	struct ml_ledger *l;
	uint64_t chain_id;
	uint8_t sk[64], pk[32];
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

int chain_open(const struct config *c, const uint8_t sk[64], struct chain **out)
{
	struct chain *ch = calloc(1, sizeof(*ch));
	int ret;

	*out = NULL;
	if (!ch)
		return -ENOMEM;
	snprintf(ch->path, sizeof(ch->path), "%s/chain.db", c->state_dir);
	memcpy(ch->sk, sk, 64);
	memcpy(ch->pk, sk + 32, 32);	/* libsodium: sk = seed || pk */
	ch->chain_id = c->chain_id;
	ret = access(ch->path, F_OK) ? create(c, ch) : 0;
	if (ret) {
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

int chain_submit(struct chain *ch, struct ml_tx *txs, uint32_t n, uint64_t *height)
{
	struct ml_ledger_info info;
	struct ml_block b = { 0 };
	uint64_t now = (uint64_t)time(NULL);
	uint8_t *buf = NULL;
	size_t len;
	int ret;

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
