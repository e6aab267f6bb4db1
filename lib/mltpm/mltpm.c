// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mltpm: the gateway's P-256 signing key in the TPM and its TPM-sealed
 * Ed25519 vote key, over tpm2-tss ESAPI (Esys_*), or, only when explicitly
 * asked for, an insecure software key with OpenSSL.
 *
 * ESAPI call sequence (CreatePrimary, EvictControl, TR_FromTPMPublic, Sign
 * with a NULL hashcheck ticket for an unrestricted key) as in tpm2-tss
 * test/integration/esys-evict-control-serialization.int.c and
 * esys-tr-fromTpmPublic-key.int.c; sealing (Create of a KEYEDHASH object
 * with caller data, Load, Unseal) as in esys-create-session-auth.int.c and
 * esys-unseal-password-auth.int.c (tpm2-tss 3.2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <tss2_esys.h>
/* tpm2-tss 3.2's tss2_mu.h uses its own deprecated type in prototypes */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <tss2_mu.h>
#pragma GCC diagnostic pop
#include <tss2_rc.h>
#include <tss2_tctildr.h>

#include "../ledger/ledger.h"
#include "mltpm.h"

#define ERR_LEN 512

_Static_assert(MLTPM_PUB_LEN == ML_P256_PUB_LEN, "public key format");
_Static_assert(MLTPM_SIG_LEN == ML_P256_SIG_LEN, "signature format");

struct mltpm {
	pthread_mutex_t lock;
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *ectx;
	ESYS_TR key;			/* persistent signing key */
	uint32_t key_handle;
	EVP_PKEY *sw;			/* insecure software key, or NULL */
	char *sw_path;
	unsigned int delay_ms;
	uint8_t pub[MLTPM_PUB_LEN];
	char warning[ERR_LEN];
	char err[ERR_LEN];
};

static __thread char open_err[ERR_LEN];

static int fail(struct mltpm *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct mltpm *t, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return err;
}

/* A TSS or TPM response code; every one becomes -EIO with its decoding. */
static int tss_fail(struct mltpm *t, TSS2_RC rc, const char *what)
{
	return fail(t, -EIO, "%s failed: %s (0x%x)", what, Tss2_RC_Decode(rc),
		    (unsigned int)rc);
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

/* --- OpenSSL helpers: public key objects, PEM, verification --- */

static EVP_PKEY *pkey_from_pub(const uint8_t pub[MLTPM_PUB_LEN])
{
	uint8_t point[1 + MLTPM_PUB_LEN];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	point[0] = 0x04;	/* SEC1 uncompressed point */
	memcpy(point + 1, pub, MLTPM_PUB_LEN);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int mltpm_verify_digest(const uint8_t pub[MLTPM_PUB_LEN],
			const uint8_t digest[32],
			const uint8_t sig[MLTPM_SIG_LEN])
{
	uint8_t der[80];
	unsigned char *p = der;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey;
	ECDSA_SIG *es;
	BIGNUM *br, *bs;
	int derlen, ret = -EPERM;

	if (!pub || !digest || !sig)
		return -EINVAL;
	pkey = pkey_from_pub(pub);
	if (!pkey)
		return -EINVAL;
	es = ECDSA_SIG_new();
	br = BN_bin2bn(sig, 32, NULL);
	bs = BN_bin2bn(sig + 32, 32, NULL);
	if (!es || !br || !bs || !ECDSA_SIG_set0(es, br, bs)) {
		BN_free(br);
		BN_free(bs);
		ret = -ENOMEM;
		goto out;
	}
	derlen = i2d_ECDSA_SIG(es, &p);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (derlen > 0 && ctx && EVP_PKEY_verify_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_verify(ctx, der, (size_t)derlen, digest, 32) == 1)
		ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ECDSA_SIG_free(es);
	return ret;
}

void mltpm_vote_cert_digest(const uint8_t pk[32], uint8_t digest[32])
{
	crypto_hash_sha256_state c;

	crypto_hash_sha256_init(&c);
	crypto_hash_sha256_update(&c, (const uint8_t *)MLTPM_VOTE_CERT_DOMAIN,
				  strlen(MLTPM_VOTE_CERT_DOMAIN));
	crypto_hash_sha256_update(&c, pk, 32);
	crypto_hash_sha256_final(&c, digest);
}

int mltpm_vote_cert_verify(const uint8_t pub[MLTPM_PUB_LEN],
			   const uint8_t pk[32],
			   const uint8_t cert[MLTPM_SIG_LEN])
{
	uint8_t digest[32];

	if (!pk)
		return -EINVAL;
	mltpm_vote_cert_digest(pk, digest);
	return mltpm_verify_digest(pub, digest, cert);
}

/* --- files: whole reads, atomic 0600 writes --- */

static int read_file(struct mltpm *t, const char *path, uint8_t **buf,
		     size_t *len, size_t max)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(t, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return fail(t, err, "%s: %s", path, strerror(-err));
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return fail(t, -EBADMSG,
			    "%s: not a regular file of at most %zu bytes",
			    path, max);
	}
	*buf = malloc(st.st_size + 1);
	if (!*buf) {
		close(fd);
		return fail(t, -ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, *buf + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			close(fd);
			free(*buf);
			*buf = NULL;
			return fail(t, err, "%s: read: %s", path,
				    strerror(-err));
		}
		got += n;
	}
	close(fd);
	*len = got;
	return 0;
}

/*
 * Writes @len bytes to a temporary file next to @path (mode 0600), syncs
 * it, renames it over @path and syncs the directory: a crash leaves either
 * nothing or the whole file.
 */
static int write_atomic(struct mltpm *t, const char *path, const void *buf,
			size_t len)
{
	size_t plen = strlen(path), off = 0;
	char *tmp, *dcopy;
	int fd, dfd, err = 0;
	ssize_t n;

	tmp = malloc(plen + 16);
	dcopy = strdup(path);
	if (!tmp || !dcopy) {
		free(tmp);
		free(dcopy);
		return fail(t, -ENOMEM, "out of memory");
	}
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);	/* mode 0600 */
	if (fd < 0) {
		err = fail(t, -errno, "%s: cannot create: %s", tmp,
			   strerror(errno));
		goto out;
	}
	while (off < len) {
		n = write(fd, (const uint8_t *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = fail(t, -errno, "%s: write: %s", tmp,
				   strerror(errno));
			break;
		}
		off += n;
	}
	if (!err && fsync(fd) < 0)
		err = fail(t, -errno, "%s: fsync: %s", tmp, strerror(errno));
	if (close(fd) < 0 && !err)
		err = fail(t, -errno, "%s: close: %s", tmp, strerror(errno));
	if (!err && rename(tmp, path) < 0)
		err = fail(t, -errno, "%s: rename: %s", path, strerror(errno));
	if (err) {
		unlink(tmp);
		goto out;
	}
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0)
			err = fail(t, -errno, "%s: directory fsync: %s", path,
				   strerror(errno));
		close(dfd);
	}
out:
	free(tmp);
	free(dcopy);
	return err;
}

/* --- the insecure software key --- */

static int sw_pub(struct mltpm *t)
{
	BIGNUM *x = NULL, *y = NULL;
	char group[32];
	size_t glen = 0;
	int ret = 0;

	if (EVP_PKEY_get_base_id(t->sw) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(t->sw, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), &glen) ||
	    strcmp(group, "prime256v1"))
		return fail(t, -EINVAL, "%s: not a NIST P-256 private key",
			    t->sw_path);
	if (!EVP_PKEY_get_bn_param(t->sw, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(t->sw, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
	    BN_bn2binpad(x, t->pub, 32) != 32 ||
	    BN_bn2binpad(y, t->pub + 32, 32) != 32)
		ret = fail(t, -EINVAL, "%s: cannot read the public point",
			   t->sw_path);
	BN_free(x);
	BN_free(y);
	return ret;
}

static int sw_create(struct mltpm *t)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ret;

	t->sw = EVP_EC_gen("P-256");
	if (!bio || !t->sw ||
	    !PEM_write_bio_PrivateKey(bio, t->sw, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return fail(t, -ENOMEM, "cannot generate a P-256 key");
	}
	len = BIO_get_mem_data(bio, &data);
	ret = write_atomic(t, t->sw_path, data, (size_t)len);
	BIO_free(bio);
	return ret;
}

static int sw_open(struct mltpm *t)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	int ret;

	snprintf(t->warning, sizeof(t->warning),
		 "WARNING: INSECURE software signing key %s is used instead "
		 "of the TPM; anyone who can read this file can sign as this "
		 "gateway. Development only.", t->sw_path);
	ret = read_file(t, t->sw_path, &buf, &len, 64 * 1024);
	if (ret == -ENOENT)
		return sw_create(t) ?: sw_pub(t);
	if (ret)
		return ret;
	bio = BIO_new_mem_buf(buf, (int)len);
	t->sw = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!t->sw)
		return fail(t, -EINVAL, "%s: not a PEM private key",
			    t->sw_path);
	return sw_pub(t);
}

static int sw_sign(struct mltpm *t, const uint8_t digest[32],
		   uint8_t sig[MLTPM_SIG_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, t->sw, NULL);
	uint8_t der[80];
	size_t derlen = sizeof(der);
	int ret = -EIO;

	if (ctx && EVP_PKEY_sign_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_sign(ctx, der, &derlen, digest, 32) > 0)
		ret = ml_p256_sig_from_der(der, derlen, sig);
	EVP_PKEY_CTX_free(ctx);
	return ret ? fail(t, -EIO, "software signature failed") : 0;
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
		return tss_fail(t, rc, "TPM2_GetCapability(handles)");
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
		return tss_fail(t, rc, "TPM2_ReadPublic");
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
		ret = fail(t, -EEXIST,
			   "persistent handle 0x%08x holds an object that is "
			   "not an unrestricted ECDSA P-256 signing key (an "
			   "endorsement or storage key?); refusing to use it. "
			   "Choose another key handle", t->key_handle);
		goto out;
	}
	if (be32_from(t->pub, a->unique.ecc.x.buffer, a->unique.ecc.x.size) ||
	    be32_from(t->pub + 32, a->unique.ecc.y.buffer,
		      a->unique.ecc.y.size))
		ret = fail(t, -EIO, "TPM returned a malformed public point");
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
		return tss_fail(t, rc, "TPM2_CreatePrimary(signing key)");
	rc = Esys_EvictControl(t->ectx, ESYS_TR_RH_OWNER, obj,
			       ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			       t->key_handle, &t->key);
	Esys_FlushContext(t->ectx, obj);
	if (rc != TSS2_RC_SUCCESS) {
		t->key = ESYS_TR_NONE;
		return tss_fail(t, rc, "TPM2_EvictControl(persist signing key)");
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
		return fail(t, -ENODEV,
			    "cannot open the TPM through TCTI \"%s\": %s "
			    "(0x%x); is the TPM (or swtpm) there and the "
			    "TCTI string right?", conf, Tss2_RC_Decode(rc),
			    (unsigned int)rc);
	}
	rc = Esys_Initialize(&t->ectx, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		t->ectx = NULL;
		return tss_fail(t, rc, "Esys_Initialize");
	}
	/* firmware (or swtpm startup-clear) normally did this already */
	rc = Esys_Startup(t->ectx, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE)
		return tss_fail(t, rc, "TPM2_Startup");
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
			return tss_fail(t, rc, "loading the signing key");
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
	t->key_handle = o->key_handle ? o->key_handle : MLTPM_DEFAULT_KEY_HANDLE;
	/* owner persistent objects: 0x81000000-0x817FFFFF (TPM 2.0 Part 2
	 * handle constants, tss2_tpm2_types.h: TPM2_PERSISTENT_FIRST up to
	 * TPM2_PLATFORM_PERSISTENT, where the platform's range starts).
	 * Literal values: the macros' expansion shifts into the sign bit */
	if (t->key_handle < 0x81000000u ||
	    t->key_handle > 0x817fffffu) {
		ret = fail(t, -EINVAL, "key handle 0x%08x is not an owner "
			   "persistent handle (0x81000000-0x817fffff)",
			   t->key_handle);
	} else if (o->insecure_software_key) {
		t->sw_path = strdup(o->insecure_software_key);
		ret = t->sw_path ? sw_open(t) : fail(t, -ENOMEM,
						     "out of memory");
	} else {
		ret = tpm_open(t, o->tcti ? o->tcti : MLTPM_DEFAULT_TCTI);
	}
	if (ret) {
		snprintf(open_err, sizeof(open_err), "%s", t->err);
		mltpm_close(t);
		return ret;
	}
	t->err[0] = '\0';
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
	pkey = pkey_from_pub(t->pub);
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
		fail(t, ret, "cannot encode the public key as PEM");
	pthread_mutex_unlock(&t->lock);
	return ret;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Caller holds t->lock. */
static int sign_locked(struct mltpm *t, const uint8_t digest[32],
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
		return sw_sign(t, digest, sig);
	memcpy(d.buffer, digest, 32);
	rc = Esys_Sign(t->ectx, t->key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		       ESYS_TR_NONE, &d, &scheme, &ticket, &s);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(t, rc, "TPM2_Sign");
	if (s->sigAlg != TPM2_ALG_ECDSA ||
	    be32_from(tmp, s->signature.ecdsa.signatureR.buffer,
		      s->signature.ecdsa.signatureR.size) ||
	    be32_from(tmp + 32, s->signature.ecdsa.signatureS.buffer,
		      s->signature.ecdsa.signatureS.size) ||
	    ml_p256_sig_normalize(tmp))
		ret = fail(t, -EIO, "TPM returned a malformed ECDSA signature");
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
	ret = sign_locked(t, digest, sig);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

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
		return fail(t, -EBADMSG, "vote key file %s is not a meterlink "
			    "vote key file (bad magic or truncated); refusing "
			    "to replace it", path);
	crypto_hash_sha256(sum, b, len - 32);
	if (sodium_memcmp(sum, b + len - 32, 32))
		return fail(t, -EBADMSG, "vote key file %s is corrupt "
			    "(checksum mismatch: truncated or modified); "
			    "refusing to replace it: restore it from a backup "
			    "or remove it to create a NEW vote key", path);
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
	return fail(t, -EBADMSG, "vote key file %s is malformed; refusing to "
		    "replace it", path);
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
			return fail(t, -EIO, "cannot encode the sealed object");
		buf[off] = n >> 8;
		buf[off + 1] = n & 0xff;
		off += 2 + n;
		n = 0;
		if (Tss2_MU_TPM2B_PRIVATE_Marshal(&f->priv, buf + off + 2,
						  sizeof(buf) - off - 2 - 32,
						  &n))
			return fail(t, -EIO, "cannot encode the sealed object");
		buf[off] = n >> 8;
		buf[off + 1] = n & 0xff;
		off += 2 + n;
	}
	crypto_hash_sha256(buf + off, buf, off);
	off += 32;
	ret = write_atomic(t, path, buf, off);
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
		return tss_fail(t, rc, "TPM2_CreatePrimary(storage key)");
	}
	rc = Esys_StartAuthSession(t->ectx, *primary, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   NULL, TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256,
				   sess);
	if (rc != TSS2_RC_SUCCESS) {
		*sess = ESYS_TR_NONE;
		return tss_fail(t, rc, "TPM2_StartAuthSession");
	}
	rc = Esys_TRSess_SetAttributes(t->ectx, *sess, TPMA_SESSION_DECRYPT |
				       TPMA_SESSION_ENCRYPT |
				       TPMA_SESSION_CONTINUESESSION, 0xff);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(t, rc, "session attributes");
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
		ret = tss_fail(t, rc, "TPM2_Create(sealed vote key)");
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
		ret = fail(t, -EBADMSG, "vote key file %s: the TPM refuses the "
			   "sealed object (%s, 0x%x): sealed by another TPM, "
			   "owner hierarchy cleared, or modified; refusing to "
			   "replace it", path, Tss2_RC_Decode(rc),
			   (unsigned int)rc);
		goto out;
	}
	rc = Esys_Unseal(t->ectx, obj, sess, ESYS_TR_NONE, ESYS_TR_NONE,
			 &data);
	if (rc != TSS2_RC_SUCCESS) {
		ret = tss_fail(t, rc, "TPM2_Unseal(vote key)");
		goto out;
	}
	if (data->size != 32) {
		ret = fail(t, -EBADMSG, "vote key file %s: unsealed %u bytes, "
			   "expected a 32-byte seed", path, data->size);
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
	ret = read_file(t, path, &buf, &len, VK_MAX);
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
			ret = fail(t, -EPERM, "vote key file %s holds an "
				   "INSECURE software vote key; refusing it "
				   "with a TPM signing key", path);
			goto out;
		}
		if (f.kind == VK_KIND_TPM && t->sw) {
			ret = fail(t, -EPERM, "vote key file %s is sealed to a "
				   "TPM, but the insecure software key is in "
				   "use", path);
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
			ret = fail(t, -EBADMSG, "vote key file %s: the unsealed "
				   "seed does not give the recorded public "
				   "key", path);
			goto out;
		}
	}
	mltpm_vote_cert_digest(f.pk, digest);
	ret = sign_locked(t, digest, cert);
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
