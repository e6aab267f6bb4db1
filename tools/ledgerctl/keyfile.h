/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Account key files: an Ed25519 seed encrypted with a passphrase
 * (crypto_pwhash Argon2id, crypto_secretbox). The byte format is in
 * Documentation/ledgerctl.rst and ledgerctl.8 (KEY FILES).
 */
#ifndef LEDGERCTL_KEYFILE_H
#define LEDGERCTL_KEYFILE_H

#include <stdint.h>

#include "ledgerctl.h"

#define KF_MAGIC	"MLACCTKY"
#define KF_VERSION	1
#define KF_ALG_ARGON2ID	1
#define KF_LEN		144

enum kf_level { KF_INTERACTIVE, KF_MODERATE, KF_SENSITIVE };

struct kf_key {
	uint8_t pk[ML_KEY_LEN];
	uint8_t sk[64];		/* libsodium layout: seed || pk */
	uint64_t opslimit, memlimit;
};

/*
 * Each returns 0 or an exit status after printing why. create writes
 * @path atomically with mode 0600 and never replaces an existing file.
 */
int kf_create(struct lc *c, const char *path, enum kf_level level,
	      struct kf_key *out);
int kf_load(struct lc *c, const char *path, struct kf_key *out);
/* Wipes the secret half. */
void kf_wipe(struct kf_key *k);

#endif
