/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the codecs share with each other and with the state code. */
#ifndef ML_CODEC_H
#define ML_CODEC_H

#include <openssl/evp.h>

#include "ledger.h"
#include "wire.h"

/* with_sig = 0 writes the bytes identifiers and signatures are made over. */
void ml_report_write(struct ml_wr *w, const struct ml_meter_report *r,
		     int with_sig);
void ml_report_read(struct ml_rd *rd, struct ml_meter_report *r);
void ml_tx_write(struct ml_wr *w, const struct ml_tx *tx, int with_sig);

int ml_p256_sig_valid(const uint8_t sig[ML_P256_SIG_LEN]);
int ml_p256_key_valid(const uint8_t key[ML_P256_PUB_LEN]);
/* the uncompressed point X || Y as an OpenSSL key (not checked on the curve) */
EVP_PKEY *ml_p256_pkey(const uint8_t key[ML_P256_PUB_LEN]);

#define ML_MAX_DISPATCH_W	(1LL << 40)
#define ML_MAX_INTERVAL_LEN	86400u

#endif
