// SPDX-License-Identifier: GPL-2.0
/*
 * Puts transactions that ledgerctl signed (--sign-only) into a block of the
 * mkledger ledger, certified by its validators, and applies it through
 * libmlledger as any node would: a transaction ledgerctl built wrongly is
 * refused here. The block first funds FUND from the PV home's account, so a
 * fresh key can pay.
 *
 * usage: applytx DB TIME FUND_ACCOUNT AMOUNT TX_HEX...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s), i;

	if (n % 2 || n / 2 > cap)
		return -EINVAL;
	for (i = 0; i < n / 2; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		out[i] = (uint8_t)b;
	}
	*len = n / 2;
	return 0;
}

int main(int argc, char **argv)
{
	static struct th_chain c;
	struct ml_tx fund = { .kind = ML_TX_TRANSFER };
	uint8_t buf[ML_TX_MAX_LEN];
	size_t len;
	int i, ret;

	if (argc < 5) {
		fprintf(stderr, "usage: applytx DB TIME FUND_ACCOUNT AMOUNT TX_HEX...\n");
		return 2;
	}
	ret = ml_ledger_open(argv[1], &c.l);
	c.nval = 4;
	for (i = 0; i < c.nval; i++)
		th_key(&c.val[i], (uint8_t)(0xa0 + i));
	th_key(&c.user[0], 1);
	ret = ret ? ret : unhex(argv[3], fund.u.transfer.to, ML_KEY_LEN, &len);
	fund.u.transfer.amount = strtoull(argv[4], NULL, 10);
	ret = ret ? ret : th_add(&c, &c.user[0], &fund);
	for (i = 5; !ret && i < argc; i++) {
		ret = unhex(argv[i], buf, sizeof(buf), &len);
		ret = ret ? ret : ml_tx_decode(buf, len, &c.pend[c.npend]);
		if (ret)
			fprintf(stderr, "applytx: transaction %d does not decode\n", i - 4);
		else
			c.npend++;
	}
	ret = ret ? ret : th_commit(&c, strtoull(argv[2], NULL, 10));
	ml_ledger_close(c.l);
	if (ret)
		fprintf(stderr, "applytx: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
