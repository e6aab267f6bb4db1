// SPDX-License-Identifier: GPL-2.0
/*
 * mktx KIND CHAIN_ID SEED [bad]: prints in hex a transaction signed by the
 * Ed25519 key made from the byte SEED (KIND: transfer or dispatch); "bad"
 * flips a bit of the signature. For tests/settled/guest.sh.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

int main(int argc, char **argv)
{
	uint8_t seed[32], pk[32], sk[64], buf[ML_TX_MAX_LEN];
	char hex[2 * ML_TX_MAX_LEN + 1];
	struct ml_tx tx = { 0 };
	size_t len;

	if (argc < 4 || sodium_init() < 0)
		return 2;
	memset(seed, atoi(argv[3]), sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	tx.chain_id = strtoull(argv[2], NULL, 10);
	memcpy(tx.sender, pk, 32);
	if (!strcmp(argv[1], "transfer")) {
		tx.kind = ML_TX_TRANSFER;
		memset(tx.u.transfer.to, 7, 32);
		tx.u.transfer.amount = 1000;
	} else {
		tx.kind = ML_TX_DISPATCH;
		memset(tx.u.dispatch.meter, 1, 32);
		tx.u.dispatch.kind = ML_DISPATCH_IMPORT_LIMIT;
		tx.u.dispatch.value = 1000;
		tx.u.dispatch.start = 1800000000;
		tx.u.dispatch.end = 1800000900;
	}
	if (ml_tx_sign(&tx, sk))
		return 1;
	if (argc > 4)
		tx.sig[5] ^= 1;
	if (ml_tx_encode(&tx, buf, sizeof(buf), &len))
		return 1;
	puts(sodium_bin2hex(hex, sizeof(hex), buf, len));
	return 0;
}
