/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gateway identity key (ECDSA P-256) that signs interval reports:
 * in the TPM (lib/mltpm) or, for development only, a software key that
 * must be asked for by name (backend = insecure-software).
 */
#ifndef SETTLED_GWKEY_H
#define SETTLED_GWKEY_H

#include <stdint.h>

#include "config.h"

struct gwkey;

/* loads the key, creating it on first start; @err gets one line */
int gwkey_open(const struct config *c, struct gwkey **out, char *err, size_t len);
void gwkey_close(struct gwkey *k);
/* r || s of the signature of @digest, low-s; may take long (a TPM) */
int gwkey_sign(struct gwkey *k, const uint8_t digest[32], uint8_t sig[64]);
/* uncompressed point without 0x04 */
void gwkey_pub(const struct gwkey *k, uint8_t pub[64]);
/* writes the public key as PEM (SubjectPublicKeyInfo) to @path */
int gwkey_export_pem(const struct gwkey *k, const char *path);

/*
 * The gateway's Ed25519 key (validator votes, its account's transactions),
 * sealed to the TPM at @path; @cert certifies it with the P-256 key.
 */
int gwkey_ed25519(struct gwkey *k, const char *path, uint8_t sk[64], uint8_t pk[32],
		  uint8_t cert[64]);

#endif
