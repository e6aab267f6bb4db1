// SPDX-License-Identifier: GPL-2.0
/*
 * For tests/settled/guest.sh, with the Ed25519 key made from the byte SEED:
 *   mktx pubkey SEED                      the public key in hex
 *   mktx transfer CHAIN_ID SEED [bad]     a signed transfer in hex ("bad":
 *                                         one bit of the signature flipped)
 *   mktx dispatch CHAIN_ID SEED METER KIND VALUE START END [NONCE]
 *                                         a signed dispatch (KIND 1..4) with
 *                                         the sender's nonce NONCE (0)
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

	if (argc < 3 || sodium_init() < 0)
		return 2;
	if (!strcmp(argv[1], "pubkey")) {
		memset(seed, atoi(argv[2]), sizeof(seed));
		crypto_sign_seed_keypair(pk, sk, seed);
		puts(sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk)));
		return 0;
	}
	if (argc < 4)
		return 2;
	memset(seed, atoi(argv[3]), sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	tx.chain_id = strtoull(argv[2], NULL, 10);
	memcpy(tx.sender, pk, 32);
	if (!strcmp(argv[1], "transfer")) {
		tx.kind = ML_TX_TRANSFER;
		memset(tx.u.transfer.to, 7, 32);
		tx.u.transfer.amount = 1000;
	} else if (argc == 9 || argc == 10) {
		tx.kind = ML_TX_DISPATCH;
		if (sodium_hex2bin(tx.u.dispatch.meter, 32, argv[4], strlen(argv[4]), NULL,
				   &len, NULL) || len != 32)
			return 2;
		tx.u.dispatch.kind = (uint8_t)atoi(argv[5]);
		tx.u.dispatch.value = strtoll(argv[6], NULL, 10);
		tx.u.dispatch.start = strtoull(argv[7], NULL, 10);
		tx.u.dispatch.end = strtoull(argv[8], NULL, 10);
		tx.nonce = argc == 10 ? strtoull(argv[9], NULL, 10) : 0;
	} else {
		return 2;
	}
	if (ml_tx_sign(&tx, sk))
		return 1;
	if (tx.kind == ML_TX_TRANSFER && argc > 4)
		tx.sig[5] ^= 1;
	if (ml_tx_encode(&tx, buf, sizeof(buf), &len))
		return 1;
	puts(sodium_bin2hex(hex, sizeof(hex), buf, len));
	return 0;
}
