// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mltpm: the gateway's P-256 signing key in the TPM (this file), its
 * TPM-sealed Ed25519 vote key (votekey.c), or, only when explicitly asked
 * for, an insecure software key (swkey.c); over tpm2-tss ESAPI (Esys_*).
 *
 * ESAPI call sequence (CreatePrimary, EvictControl, TR_FromTPMPublic, Sign
 * with a NULL hashcheck ticket for an unrestricted key) as in tpm2-tss 3.2
 * test/integration/esys-evict-control-serialization.int.c and
 * esys-tr-fromTpmPublic-key.int.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <tss2_esys.h>
#include <tss2_rc.h>
#include <tss2_tctildr.h>

#include "../ledger/codec.h"
#include "internal.h"

_Static_assert(MLTPM_PUB_LEN == ML_P256_PUB_LEN, "public key format");
_Static_assert(MLTPM_SIG_LEN == ML_P256_SIG_LEN, "signature format");

static __thread char open_err[MLTPM_ERR_LEN];

int mltpm_fail(struct mltpm *t, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return err;
}

/* A TSS or TPM response code; every one becomes -EIO with its decoding. */
int mltpm_tss_fail(struct mltpm *t, TSS2_RC rc, const char *what)
{
	return mltpm_fail(t, -EIO, "%s failed: %s (0x%x)", what,
			  Tss2_RC_Decode(rc), (unsigned int)rc);
}

const char *mltpm_error(const struct mltpm *t)
{
	if (!t)
		return open_err[0] ? open_err : "no error";
	return t->err[0] ? t->err : "no error";
}

const char *mltpm_warning(const struct mltpm *t)
{
	return t && t->warning[0] ? t->warning : NULL;
}

/* Left-pads a TPM big-endian parameter (leading zeros may be stripped). */
static int be32_from(uint8_t out[32], const uint8_t *in, size_t len)
{
	if (len > 32)
		return -EINVAL;
	memset(out, 0, 32 - len);
	memcpy(out + 32 - len, in, len);
	return 0;
}

/* --- the TPM signing key --- */

/* TPM2B_PUBLIC of the signing key: an unrestricted ECDSA P-256/SHA-256
 * key, fixed to this TPM, empty auth and no dictionary-attack lockout. */
static const TPM2B_PUBLIC sign_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT |
			TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			TPMA_OBJECT_SENSITIVEDATAORIGIN |
			TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA,
		.parameters.eccDetail = {
			.symmetric.algorithm = TPM2_ALG_NULL,
			.scheme = {
				.scheme = TPM2_ALG_ECDSA,
				.details.ecdsa.hashAlg = TPM2_ALG_SHA256,
			},
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

static int handle_exists(struct mltpm *t, uint32_t handle, int *exists)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	/* a capability query, not a failing TR_FromTPMPublic: no TSS error
	 * log on first use */
	rc = Esys_GetCapability(t->ectx, ESYS_TR_NONE, ESYS_TR_NONE,
				ESYS_TR_NONE, TPM2_CAP_HANDLES, handle, 1,
				&more, &cap);
	if (rc != TSS2_RC_SUCCESS)
		return mltpm_tss_fail(t, rc, "TPM2_GetCapability(handles)");
	*exists = cap->data.handles.count == 1 &&
		  cap->data.handles.handle[0] == handle;
	Esys_Free(cap);
	return 0;
}

static int key_public(struct mltpm *t)
{
	TPM2B_PUBLIC *pub = NULL;
	TPMT_PUBLIC *a;
	TSS2_RC rc;
	int ret = 0;

	rc = Esys_ReadPublic(t->ectx, t->key, ESYS_TR_NONE, ESYS_TR_NONE,
			     ESYS_TR_NONE, &pub, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return mltpm_tss_fail(t, rc, "TPM2_ReadPublic");
	a = &pub->publicArea;
	if (a->type != TPM2_ALG_ECC ||
	    a->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 ||
	    !(a->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) ||
	    (a->objectAttributes & TPMA_OBJECT_RESTRICTED) ||
	    (a->objectAttributes & TPMA_OBJECT_DECRYPT) ||
	    !(a->objectAttributes & TPMA_OBJECT_USERWITHAUTH) ||
	    (a->parameters.eccDetail.scheme.scheme != TPM2_ALG_NULL &&
	     (a->parameters.eccDetail.scheme.scheme != TPM2_ALG_ECDSA ||
	      a->parameters.eccDetail.scheme.details.ecdsa.hashAlg !=
	      TPM2_ALG_SHA256))) {
		ret = mltpm_fail(t, -EEXIST, "persistent handle 0x%08x holds "
				 "an object that is not an unrestricted ECDSA "
				 "P-256 signing key (an endorsement or "
				 "storage key?); refusing to use it. Choose "
				 "another key handle", t->key_handle);
		goto out;
	}
	if (be32_from(t->pub, a->unique.ecc.x.buffer, a->unique.ecc.x.size) ||
	    be32_from(t->pub + 32, a->unique.ecc.y.buffer,
		      a->unique.ecc.y.size))
		ret = mltpm_fail(t, -EIO, "TPM returned a malformed public "
				 "point");
out:
	Esys_Free(pub);
	return ret;
}

static int key_create(struct mltpm *t)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	ESYS_TR obj;
	TSS2_RC rc;

	rc = Esys_CreatePrimary(t->ectx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
				ESYS_TR_NONE, ESYS_TR_NONE, &sens,
				&sign_template, &outside, &pcrs, &obj,
				NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return mltpm_tss_fail(t, rc, "TPM2_CreatePrimary(signing key)");
	rc = Esys_EvictControl(t->ectx, ESYS_TR_RH_OWNER, obj,
			       ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			       t->key_handle, &t->key);
	Esys_FlushContext(t->ectx, obj);
	if (rc != TSS2_RC_SUCCESS) {
		t->key = ESYS_TR_NONE;
		return mltpm_tss_fail(t, rc, "TPM2_EvictControl(persist "
				      "signing key)");
	}
	return 0;
}

static int tpm_open(struct mltpm *t, const char *conf)
{
	int exists = 0, ret;
	TSS2_RC rc;

	rc = Tss2_TctiLdr_Initialize(conf, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		t->tcti = NULL;
		return mltpm_fail(t, -ENODEV, "cannot open the TPM through "
				  "TCTI \"%s\": %s (0x%x); is the TPM (or "
				  "swtpm) there and the TCTI string right?",
				  conf, Tss2_RC_Decode(rc), (unsigned int)rc);
	}
	rc = Esys_Initialize(&t->ectx, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		t->ectx = NULL;
		return mltpm_tss_fail(t, rc, "Esys_Initialize");
	}
	/* firmware (or swtpm startup-clear) normally did this already */
	rc = Esys_Startup(t->ectx, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE)
		return mltpm_tss_fail(t, rc, "TPM2_Startup");
	ret = handle_exists(t, t->key_handle, &exists);
	if (ret)
		return ret;
	if (!exists) {
		ret = key_create(t);
		if (ret)
			return ret;
	} else {
		rc = Esys_TR_FromTPMPublic(t->ectx, t->key_handle,
					   ESYS_TR_NONE, ESYS_TR_NONE,
					   ESYS_TR_NONE, &t->key);
		if (rc != TSS2_RC_SUCCESS) {
			t->key = ESYS_TR_NONE;
			return mltpm_tss_fail(t, rc, "loading the signing key");
		}
	}
	return key_public(t);
}

void mltpm_close(struct mltpm *t)
{
	if (!t)
		return;
	if (t->ectx) {
		if (t->key != ESYS_TR_NONE)
			Esys_TR_Close(t->ectx, &t->key);
		Esys_Finalize(&t->ectx);
	}
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	EVP_PKEY_free(t->sw);
	free(t->sw_path);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int mltpm_open(const struct mltpm_opts *o, struct mltpm **out)
{
	struct mltpm *t;
	int ret;

	open_err[0] = '\0';
	if (out)
		*out = NULL;
	if (!o || !out) {
		snprintf(open_err, sizeof(open_err),
			 "mltpm_open: no options or no result pointer");
		return -EINVAL;
	}
	if (sodium_init() < 0) {
		snprintf(open_err, sizeof(open_err), "libsodium init failed");
		return -EIO;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(open_err, sizeof(open_err), "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->key = ESYS_TR_NONE;
	t->delay_ms = o->sign_delay_ms;
	t->key_handle = o->key_handle ?: MLTPM_DEFAULT_KEY_HANDLE;
	/* owner persistent objects: 0x81000000-0x817FFFFF (TPM 2.0 Part 2
	 * handle constants, tss2_tpm2_types.h: TPM2_PERSISTENT_FIRST up to
	 * TPM2_PLATFORM_PERSISTENT, where the platform's range starts).
	 * Literal values: the macros' expansion shifts into the sign bit */
	if (t->key_handle < 0x81000000u ||
	    t->key_handle > 0x817fffffu) {
		ret = mltpm_fail(t, -EINVAL, "key handle 0x%08x is not an "
				 "owner persistent handle "
				 "(0x81000000-0x817fffff)", t->key_handle);
	} else if (o->insecure_software_key) {
		t->sw_path = strdup(o->insecure_software_key);
		ret = t->sw_path ? mltpm_sw_open(t) :
			mltpm_fail(t, -ENOMEM, "out of memory");
	} else {
		ret = tpm_open(t, o->tcti ? o->tcti : MLTPM_DEFAULT_TCTI);
	}
	if (ret) {
		snprintf(open_err, sizeof(open_err), "%s", t->err);
		mltpm_close(t);
		return ret;
	}
	t->err[0] = '\0';
	if (t->warning[0])	/* loud on purpose, whatever the caller logs */
		fprintf(stderr, "mltpm: %s\n", t->warning);
	*out = t;
	return 0;
}

int mltpm_pubkey(struct mltpm *t, uint8_t pub[MLTPM_PUB_LEN])
{
	if (!t || !pub)
		return -EINVAL;
	memcpy(pub, t->pub, MLTPM_PUB_LEN);
	return 0;
}

int mltpm_pubkey_pem(struct mltpm *t, char **pem)
{
	EVP_PKEY *pkey;
	BIO *bio;
	char *data;
	long len;
	int ret = 0;

	if (!t || !pem)
		return -EINVAL;
	*pem = NULL;
	pkey = ml_p256_pkey(t->pub);
	bio = BIO_new(BIO_s_mem());
	if (!pkey || !bio || !PEM_write_bio_PUBKEY(bio, pkey)) {
		ret = -ENOMEM;
	} else {
		len = BIO_get_mem_data(bio, &data);
		*pem = malloc((size_t)len + 1);
		if (*pem) {
			memcpy(*pem, data, (size_t)len);
			(*pem)[len] = '\0';
		} else {
			ret = -ENOMEM;
		}
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	pthread_mutex_lock(&t->lock);
	if (ret)
		mltpm_fail(t, ret, "cannot encode the public key as PEM");
	pthread_mutex_unlock(&t->lock);
	return ret;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int mltpm_sign_locked(struct mltpm *t, const uint8_t digest[32],
		      uint8_t sig[MLTPM_SIG_LEN])
{
	TPMT_SIG_SCHEME scheme = {
		.scheme = TPM2_ALG_ECDSA,
		.details.ecdsa.hashAlg = TPM2_ALG_SHA256,
	};
	/* an unrestricted key signs an outside digest with a NULL ticket */
	TPMT_TK_HASHCHECK ticket = {
		.tag = TPM2_ST_HASHCHECK,
		.hierarchy = TPM2_RH_NULL,
	};
	TPM2B_DIGEST d = { .size = 32 };
	TPMT_SIGNATURE *s = NULL;
	uint8_t tmp[MLTPM_SIG_LEN];
	TSS2_RC rc;
	int ret = 0;

	if (t->delay_ms)
		sleep_ms(t->delay_ms);
	if (t->sw)
		return mltpm_sw_sign(t, digest, sig);
	memcpy(d.buffer, digest, 32);
	rc = Esys_Sign(t->ectx, t->key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		       ESYS_TR_NONE, &d, &scheme, &ticket, &s);
	if (rc != TSS2_RC_SUCCESS)
		return mltpm_tss_fail(t, rc, "TPM2_Sign");
	if (s->sigAlg != TPM2_ALG_ECDSA ||
	    be32_from(tmp, s->signature.ecdsa.signatureR.buffer,
		      s->signature.ecdsa.signatureR.size) ||
	    be32_from(tmp + 32, s->signature.ecdsa.signatureS.buffer,
		      s->signature.ecdsa.signatureS.size) ||
	    ml_p256_sig_normalize(tmp))
		ret = mltpm_fail(t, -EIO, "TPM returned a malformed ECDSA "
				 "signature");
	else
		memcpy(sig, tmp, sizeof(tmp));
	Esys_Free(s);
	return ret;
}

int mltpm_sign_digest(struct mltpm *t, const uint8_t digest[32],
		      uint8_t sig[MLTPM_SIG_LEN])
{
	int ret;

	if (!t || !digest || !sig)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	ret = mltpm_sign_locked(t, digest, sig);
	pthread_mutex_unlock(&t->lock);
	return ret;
}
