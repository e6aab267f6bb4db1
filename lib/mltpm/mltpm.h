/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mltpm: the gateway's TPM 2.0 signing key and its TPM-sealed Ed25519 vote
 * key, over tpm2-tss ESAPI. See Documentation/tpm.rst.
 *
 * Every int function returns 0 or a negative errno and, on failure, stores
 * a human-readable message that mltpm_error() returns (valid until the next
 * call on the same handle). mltpm_open() failures leave *out NULL; their
 * message is returned by mltpm_error(NULL) in the same thread.
 *
 * Calls on one handle are serialized by an internal mutex, so a handle may
 * be shared between threads (the TPM executes one command at a time anyway).
 */
#ifndef MLTPM_H
#define MLTPM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLTPM_DEFAULT_TCTI	"device:/dev/tpmrm0"
/*
 * 0x81010001 is where the TCG EK Credential Profile puts the RSA
 * endorsement key, which many machines already have persisted; the
 * default is a handle in the owner's persistent range instead (TCG
 * "Registry of Reserved TPM 2.0 Handles": 0x81000000-0x8100FFFF).
 * An object found at the handle that is not a P-256 ECDSA signing key is
 * refused, never used or overwritten.
 */
#define MLTPM_DEFAULT_KEY_HANDLE	0x81000010u
#define MLTPM_PUB_LEN		64	/* X || Y, = ML_P256_PUB_LEN */
#define MLTPM_SIG_LEN		64	/* r || s, low-s, = ML_P256_SIG_LEN */
/* The vote key certificate signs SHA-256(MLTPM_VOTE_CERT_DOMAIN || pk). */
#define MLTPM_VOTE_CERT_DOMAIN	"meterlink vote key v1"

struct mltpm;

struct mltpm_opts {
	/* tss2-tctildr config, NULL: MLTPM_DEFAULT_TCTI;
	 * tests: "swtpm:host=127.0.0.1,port=N" */
	const char *tcti;
	/* persistent handle of the P-256 signing key, 0: the default */
	uint32_t key_handle;
	/* NULL, or path of a PEM P-256 private key file: development only,
	 * used instead of the TPM (created 0600 if missing) */
	const char *insecure_software_key;
	/* tests: added before every signature (simulates a slow real TPM) */
	unsigned int sign_delay_ms;
};

/* Creates the key under the owner hierarchy and persists it on first use,
 * loads it later. */
int mltpm_open(const struct mltpm_opts *o, struct mltpm **out);
void mltpm_close(struct mltpm *t);
/* Last error, human readable; mltpm_error(NULL): last mltpm_open error. */
const char *mltpm_error(const struct mltpm *t);
/* NULL for a TPM key; a loud warning string for the insecure software key. */
const char *mltpm_warning(const struct mltpm *t);

int mltpm_pubkey(struct mltpm *t, uint8_t pub[MLTPM_PUB_LEN]);
/* SubjectPublicKeyInfo PEM, NUL-terminated, malloc'd (caller frees). */
int mltpm_pubkey_pem(struct mltpm *t, char **pem);
/* ECDSA P-256 over a SHA-256 digest: r || s, low-s normalized. */
int mltpm_sign_digest(struct mltpm *t, const uint8_t digest[32],
		      uint8_t sig[MLTPM_SIG_LEN]);

/*
 * Ed25519 vote key: created with libsodium on first use (when @path does not
 * exist), its 32-byte seed sealed to the TPM (a sealed data object under an
 * owner-hierarchy primary key; blobs stored at @path, mode 0600, written
 * atomically); later unsealed. A corrupt or foreign file is an error (never
 * replaced). @cert is the TPM key's P-256 signature over
 * SHA-256(MLTPM_VOTE_CERT_DOMAIN || pk), fresh on each call.
 */
int mltpm_vote_key(struct mltpm *t, const char *path, uint8_t sk[64],
		   uint8_t pk[32], uint8_t cert[MLTPM_SIG_LEN]);

/* Software checks, no TPM needed (e.g. by peers or ledgerctl). */
void mltpm_vote_cert_digest(const uint8_t pk[32], uint8_t digest[32]);
/* 0, or -EPERM when the signature does not verify, -EINVAL on a bad key. */
int mltpm_verify_digest(const uint8_t pub[MLTPM_PUB_LEN],
			const uint8_t digest[32],
			const uint8_t sig[MLTPM_SIG_LEN]);
int mltpm_vote_cert_verify(const uint8_t pub[MLTPM_PUB_LEN],
			   const uint8_t pk[32],
			   const uint8_t cert[MLTPM_SIG_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* MLTPM_H */
