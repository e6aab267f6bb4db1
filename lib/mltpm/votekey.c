// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Ed25519 vote key: a libsodium key pair whose 32-byte seed is sealed
 * to the TPM (a keyedHash data object under a storage primary re-derived
 * from the owner seed) and stored with its public key in a file.
 *
 * Sealing (Create of a KEYEDHASH object with caller data, Load, Unseal
 * under a salted HMAC session) as in tpm2-tss 3.2
 * test/integration/esys-create-session-auth.int.c and
 * esys-unseal-password-auth.int.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <tss2_esys.h>
/* tpm2-tss 3.2's tss2_mu.h uses its own deprecated type in prototypes */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <tss2_mu.h>
#pragma GCC diagnostic pop
#include <tss2_rc.h>

#include "internal.h"

/* The storage primary the vote key is sealed under: re-derived from the
 * owner seed and this template on each use, never persisted. */
static const TPM2B_PUBLIC storage_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_RESTRICTED |
			TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
			TPMA_OBJECT_FIXEDPARENT |
			TPMA_OBJECT_SENSITIVEDATAORIGIN |
			TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA,
		.parameters.eccDetail = {
			.symmetric = {
				.algorithm = TPM2_ALG_AES,
				.keyBits.aes = 128,
				.mode.aes = TPM2_ALG_CFB,
			},
			.scheme.scheme = TPM2_ALG_NULL,
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

/* The sealed data object holding the vote key's seed. */
static const TPM2B_PUBLIC seal_template = {
	.publicArea = {
		.type = TPM2_ALG_KEYEDHASH,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM |
			TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_USERWITHAUTH |
			TPMA_OBJECT_NODA,
		.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL,
	},
};


/* --- the vote key file ---
 *
 *   magic "MLVOTEK1" | kind u8 | pk[32] | body | SHA-256(all before)[32]
 *   kind 1 (TPM):      u16 BE n | TPM2B_PUBLIC (n bytes, TSS marshalled)
 *                      u16 BE m | TPM2B_PRIVATE (m bytes)
 *   kind 2 (insecure): seed[32] in clear
 */
#define VK_MAGIC	"MLVOTEK1"
#define VK_MAGIC_LEN	8
#define VK_KIND_TPM	1
#define VK_KIND_SW	2
#define VK_MAX		4096

struct vk_file {
	uint8_t kind;
	uint8_t pk[32];
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	uint8_t seed[32];
};

static int vk_parse(struct mltpm *t, const char *path, const uint8_t *b,
		    size_t len, struct vk_file *f)
{
	size_t off = VK_MAGIC_LEN + 1 + 32, n, used;
	uint8_t sum[32];

	if (len < off + 32 || memcmp(b, VK_MAGIC, VK_MAGIC_LEN))
		return mltpm_fail(t, -EBADMSG, "vote key file %s is not a "
				  "meterlink vote key file (bad magic or "
				  "truncated); refusing to replace it", path);
	crypto_hash_sha256(sum, b, len - 32);
	if (sodium_memcmp(sum, b + len - 32, 32))
		return mltpm_fail(t, -EBADMSG, "vote key file %s is corrupt "
				  "(checksum mismatch: truncated or "
				  "modified); refusing to replace it: restore "
				  "it from a backup or remove it to create a "
				  "NEW vote key", path);
	len -= 32;
	f->kind = b[VK_MAGIC_LEN];
	memcpy(f->pk, b + VK_MAGIC_LEN + 1, 32);
	if (f->kind == VK_KIND_SW) {
		if (len != off + 32)
			goto bad;
		memcpy(f->seed, b + off, 32);
		return 0;
	}
	if (f->kind != VK_KIND_TPM)
		goto bad;
	if (off + 2 > len)
		goto bad;
	n = (size_t)b[off] << 8 | b[off + 1];
	off += 2;
	used = 0;
	if (n > len - off ||
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(b + off, n, &used, &f->pub) ||
	    used != n)
		goto bad;
	off += n;
	if (off + 2 > len)
		goto bad;
	n = (size_t)b[off] << 8 | b[off + 1];
	off += 2;
	used = 0;
	if (n > len - off ||
	    Tss2_MU_TPM2B_PRIVATE_Unmarshal(b + off, n, &used, &f->priv) ||
	    used != n || off + n != len)
		goto bad;
	return 0;
bad:
	return mltpm_fail(t, -EBADMSG, "vote key file %s is malformed; "
			  "refusing to replace it", path);
}

static int vk_write(struct mltpm *t, const char *path,
		    const struct vk_file *f)
{
	uint8_t buf[VK_MAX];
	size_t off = 0, n;
	int ret;

	memcpy(buf, VK_MAGIC, VK_MAGIC_LEN);
	off = VK_MAGIC_LEN;
	buf[off++] = f->kind;
	memcpy(buf + off, f->pk, 32);
	off += 32;
	if (f->kind == VK_KIND_SW) {
		memcpy(buf + off, f->seed, 32);
		off += 32;
	} else {
		n = 0;
		if (Tss2_MU_TPM2B_PUBLIC_Marshal(&f->pub, buf + off + 2,
						 1024, &n))
			return mltpm_fail(t, -EIO, "cannot encode the sealed "
					  "object");
		buf[off] = n >> 8;
		buf[off + 1] = n & 0xff;
		off += 2 + n;
		n = 0;
		if (Tss2_MU_TPM2B_PRIVATE_Marshal(&f->priv, buf + off + 2,
						  sizeof(buf) - off - 2 - 32,
						  &n))
			return mltpm_fail(t, -EIO, "cannot encode the sealed "
					  "object");
		buf[off] = n >> 8;
		buf[off + 1] = n & 0xff;
		off += 2 + n;
	}
	crypto_hash_sha256(buf + off, buf, off);
	off += 32;
	ret = mltpm_write_atomic(t, path, buf, off);
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

/*
 * Creates the storage primary and an HMAC session salted with it, with
 * parameter encryption both ways: the seed never crosses the TPM bus in
 * clear (TPMA_SESSION_DECRYPT | ENCRYPT, TPM 2.0 Part 1 "Parameter
 * Encryption").
 */
static int seal_begin(struct mltpm *t, ESYS_TR *primary, ESYS_TR *sess)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPMT_SYM_DEF sym = {
		.algorithm = TPM2_ALG_AES,
		.keyBits.aes = 128,
		.mode.aes = TPM2_ALG_CFB,
	};
	TSS2_RC rc;

	*primary = *sess = ESYS_TR_NONE;
	rc = Esys_CreatePrimary(t->ectx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
				ESYS_TR_NONE, ESYS_TR_NONE, &sens,
				&storage_template, &outside, &pcrs, primary,
				NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		*primary = ESYS_TR_NONE;
		return mltpm_tss_fail(t, rc, "TPM2_CreatePrimary(storage key)");
	}
	rc = Esys_StartAuthSession(t->ectx, *primary, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   NULL, TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256,
				   sess);
	if (rc != TSS2_RC_SUCCESS) {
		*sess = ESYS_TR_NONE;
		return mltpm_tss_fail(t, rc, "TPM2_StartAuthSession");
	}
	rc = Esys_TRSess_SetAttributes(t->ectx, *sess, TPMA_SESSION_DECRYPT |
				       TPMA_SESSION_ENCRYPT |
				       TPMA_SESSION_CONTINUESESSION, 0xff);
	if (rc != TSS2_RC_SUCCESS)
		return mltpm_tss_fail(t, rc, "session attributes");
	return 0;
}

static void seal_end(struct mltpm *t, ESYS_TR primary, ESYS_TR sess)
{
	if (sess != ESYS_TR_NONE)
		Esys_FlushContext(t->ectx, sess);
	if (primary != ESYS_TR_NONE)
		Esys_FlushContext(t->ectx, primary);
}

static int vk_seal(struct mltpm *t, struct vk_file *f)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_PRIVATE *priv = NULL;
	ESYS_TR primary, sess;
	TSS2_RC rc;
	int ret;

	ret = seal_begin(t, &primary, &sess);
	if (ret)
		goto out;
	sens.sensitive.data.size = 32;
	memcpy(sens.sensitive.data.buffer, f->seed, 32);
	rc = Esys_Create(t->ectx, primary, sess, ESYS_TR_NONE, ESYS_TR_NONE,
			 &sens, &seal_template, &outside, &pcrs, &priv, &pub,
			 NULL, NULL, NULL);
	sodium_memzero(&sens, sizeof(sens));
	if (rc != TSS2_RC_SUCCESS) {
		ret = mltpm_tss_fail(t, rc, "TPM2_Create(sealed vote key)");
		goto out;
	}
	f->pub = *pub;
	f->priv = *priv;
out:
	Esys_Free(pub);
	Esys_Free(priv);
	seal_end(t, primary, sess);
	return ret;
}

static int vk_unseal(struct mltpm *t, const char *path, struct vk_file *f)
{
	TPM2B_SENSITIVE_DATA *data = NULL;
	ESYS_TR primary, sess, obj = ESYS_TR_NONE;
	TSS2_RC rc;
	int ret;

	ret = seal_begin(t, &primary, &sess);
	if (ret)
		goto out;
	rc = Esys_Load(t->ectx, primary, sess, ESYS_TR_NONE, ESYS_TR_NONE,
		       &f->priv, &f->pub, &obj);
	if (rc != TSS2_RC_SUCCESS) {
		obj = ESYS_TR_NONE;
		ret = mltpm_fail(t, -EBADMSG, "vote key file %s: the TPM "
				 "refuses the sealed object (%s, 0x%x): "
				 "sealed by another TPM, owner hierarchy "
				 "cleared, or modified; refusing to replace it",
				 path, Tss2_RC_Decode(rc), (unsigned int)rc);
		goto out;
	}
	rc = Esys_Unseal(t->ectx, obj, sess, ESYS_TR_NONE, ESYS_TR_NONE,
			 &data);
	if (rc != TSS2_RC_SUCCESS) {
		ret = mltpm_tss_fail(t, rc, "TPM2_Unseal(vote key)");
		goto out;
	}
	if (data->size != 32) {
		ret = mltpm_fail(t, -EBADMSG, "vote key file %s: unsealed %u "
				 "bytes, expected a 32-byte seed", path,
				 data->size);
		goto out;
	}
	memcpy(f->seed, data->buffer, 32);
out:
	if (data) {
		sodium_memzero(data, sizeof(*data));
		Esys_Free(data);
	}
	if (obj != ESYS_TR_NONE)
		Esys_FlushContext(t->ectx, obj);
	seal_end(t, primary, sess);
	return ret;
}

static int vote_key_locked(struct mltpm *t, const char *path, uint8_t sk[64],
			   uint8_t pk[32], uint8_t cert[MLTPM_SIG_LEN])
{
	struct vk_file f;
	uint8_t *buf = NULL, digest[32];
	size_t len = 0;
	int ret;

	memset(&f, 0, sizeof(f));
	ret = mltpm_read_file(t, path, &buf, &len, VK_MAX);
	if (ret == -ENOENT) {
		/* first use: a new key */
		f.kind = t->sw ? VK_KIND_SW : VK_KIND_TPM;
		randombytes_buf(f.seed, sizeof(f.seed));
		crypto_sign_seed_keypair(f.pk, sk, f.seed);
		ret = t->sw ? 0 : vk_seal(t, &f);
		if (!ret)
			ret = vk_write(t, path, &f);
		if (ret)
			goto out;
	} else if (ret) {
		goto out;
	} else {
		uint8_t want[32];

		ret = vk_parse(t, path, buf, len, &f);
		if (ret)
			goto out;
		if (f.kind == VK_KIND_SW && !t->sw) {
			ret = mltpm_fail(t, -EPERM, "vote key file %s holds "
					 "an INSECURE software vote key; "
					 "refusing it with a TPM signing key",
					 path);
			goto out;
		}
		if (f.kind == VK_KIND_TPM && t->sw) {
			ret = mltpm_fail(t, -EPERM, "vote key file %s is "
					 "sealed to a TPM, but the insecure "
					 "software key is in use", path);
			goto out;
		}
		if (f.kind == VK_KIND_TPM) {
			ret = vk_unseal(t, path, &f);
			if (ret)
				goto out;
		}
		memcpy(want, f.pk, 32);
		crypto_sign_seed_keypair(f.pk, sk, f.seed);
		if (sodium_memcmp(want, f.pk, 32)) {
			ret = mltpm_fail(t, -EBADMSG, "vote key file %s: the "
					 "unsealed seed does not give the "
					 "recorded public key", path);
			goto out;
		}
	}
	mltpm_vote_cert_digest(f.pk, digest);
	ret = mltpm_sign_locked(t, digest, cert);
	if (!ret)
		memcpy(pk, f.pk, 32);
out:
	if (ret)
		sodium_memzero(sk, 64);
	if (buf) {
		sodium_memzero(buf, len);
		free(buf);
	}
	sodium_memzero(&f, sizeof(f));
	return ret;
}

int mltpm_vote_key(struct mltpm *t, const char *path, uint8_t sk[64],
		   uint8_t pk[32], uint8_t cert[MLTPM_SIG_LEN])
{
	int ret;

	if (!t || !path || !sk || !pk || !cert)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	ret = vote_key_locked(t, path, sk, pk, cert);
	pthread_mutex_unlock(&t->lock);
	return ret;
}
