// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the fuzzers' seed corpus: valid encodings of every transaction
 * kind, a meter report with a real OpenSSL signature, blocks with and
 * without commit certificates, and a genesis. Run by `make ledger-corpus`;
 * the output is kept in tests/ledger/corpus/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static void put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : "tests/ledger/corpus";
	struct th_opts o = { .nusers = 3, .user_balance = 1000000 };
	char dir[4][400], name[64];
	uint8_t buf[ML_TX_MAX_LEN], rep[ML_REPORT_LEN], *enc;
	struct th_chain c;
	struct ml_tx tx;
	EVP_PKEY *gw;
	size_t len;
	int i;

	snprintf(dir[0], sizeof(dir[0]), "%s/tx", root);
	snprintf(dir[1], sizeof(dir[1]), "%s/block", root);
	snprintf(dir[2], sizeof(dir[2]), "%s/report", root);
	snprintf(dir[3], sizeof(dir[3]), "%s/genesis", root);
	if (th_chain_init(&c, &o))
		return 1;
	gw = th_register(&c, 1, c.user[0].pk, 1);
	if (!gw || th_commit(&c, TH_T0 + 10))
		return 1;
	/* one of each kind */
	th_order(&c, &c.user[0], 1, ML_BID, TH_T0 + 1800, 1000, 200000);
	memset(&tx, 0, sizeof(tx));
	tx.kind = ML_TX_TRANSFER;
	memcpy(tx.u.transfer.to, c.user[1].pk, 32);
	tx.u.transfer.amount = 5;
	th_add(&c, &c.user[0], &tx);
	memset(&tx, 0, sizeof(tx));
	tx.kind = ML_TX_CANCEL;
	memset(tx.u.cancel.order_id, 1, 32);
	th_add(&c, &c.user[1], &tx);
	th_report(&c, gw, &c.user[0], 1, TH_T0 - 900, 10, 20);
	th_register(&c, 2, c.user[1].pk, 2);
	memset(&tx, 0, sizeof(tx));
	tx.kind = ML_TX_DISPATCH;
	th_meter_id(tx.u.dispatch.meter, 1);
	tx.u.dispatch.kind = ML_DISPATCH_BATTERY;
	tx.u.dispatch.value = -1500;
	tx.u.dispatch.start = TH_T0 + 900;
	tx.u.dispatch.end = TH_T0 + 2700;
	th_add(&c, &c.op, &tx);
	memset(&tx, 0, sizeof(tx));
	tx.kind = ML_TX_DISPATCH_ACK;
	tx.u.ack.status = ML_ACK_REJECT;
	th_add(&c, &c.user[0], &tx);
	memset(&tx, 0, sizeof(tx));
	tx.kind = ML_TX_VALIDATOR_VOTE;
	memcpy(tx.u.vote.subject, c.user[2].pk, 32);
	tx.u.vote.action = ML_VOTE_ADD;
	th_add(&c, &c.val[0], &tx);
	for (i = 0; i < (int)c.npend; i++) {
		if (ml_tx_encode(&c.pend[i], buf, sizeof(buf), &len))
			return 1;
		snprintf(name, sizeof(name), "kind%d-%d", c.pend[i].kind, i);
		put(dir[0], name, buf, len);
		if (c.pend[i].kind == ML_TX_METER_REPORT) {
			ml_report_encode(&c.pend[i].u.report, rep);
			put(dir[2], "signed", rep, sizeof(rep));
		}
	}
	/* blocks: all of the above with a certificate, and an empty one */
	{
		/* made by hand: these transactions need not apply */
		struct ml_block b = { .txs = c.pend, .ntx = c.npend };

		b.hdr.chain_id = TH_CHAIN_ID;
		b.hdr.height = 2;
		b.hdr.time = TH_T0 + 20;
		ml_block_tx_root(b.txs, b.ntx, b.hdr.tx_root);
		for (i = 0; i < 3; i++)
			ml_commit_add(&b, c.val[i].sk);
		if (ml_block_encode(&b, &enc, &len))
			return 1;
		put(dir[1], "full", enc, len);
		free(enc);
		free(b.commit);
		c.npend = 0;
	}
	if (th_build(&c, TH_T0 + 30, &enc, &len) == 0) {
		put(dir[1], "empty", enc, len);
		free(enc);
	}
	if (ml_genesis_encode(&c.g, &enc, &len))
		return 1;
	put(dir[3], "test", enc, len);
	free(enc);
	EVP_PKEY_free(gw);
	th_chain_free(&c);
	return 0;
}
