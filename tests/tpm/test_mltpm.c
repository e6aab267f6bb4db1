// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mltpm against a real swtpm: key creation and persistence, signatures
 * checked by the ledger's verifier and by the openssl command line, the
 * sealed vote key, corrupt files, bad TCTI strings, the insecure software
 * key and the injected signing delay.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "../../lib/ledger/ledger.h"
#include "../../lib/mltpm/mltpm.h"
#include "swtpm.h"

static struct swtpm tpm;	/* shared by the tests that need no restart */
static char workdir[256];

static const uint8_t half_n[32] = {
	0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00,
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42,
	0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
};

static const char *wpath(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", workdir, name);
	return buf[i];
}

static struct mltpm *open_tpm(const struct swtpm *s, uint32_t handle)
{
	struct mltpm_opts o = { .tcti = s->tcti, .key_handle = handle };
	struct mltpm *t = NULL;
	int ret = mltpm_open(&o, &t);

	if (ret)
		fail_msg("mltpm_open(%s): %d %s", s->tcti, ret,
			 mltpm_error(NULL));
	assert_null(mltpm_warning(t));
	return t;
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static size_t read_bytes(const char *path, uint8_t *b, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(b, 1, cap, f);
	fclose(f);
	return n;
}

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void sig_to_der_file(const uint8_t sig[64], const char *path)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	uint8_t der[80], *p = der;
	int len;

	assert_non_null(es);
	assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
					BN_bin2bn(sig + 32, 32, NULL)), 1);
	len = i2d_ECDSA_SIG(es, &p);
	assert_true(len > 0);
	write_bytes(path, der, (size_t)len);
	ECDSA_SIG_free(es);
}

static void assert_low_s(const uint8_t sig[64])
{
	uint8_t copy[64];

	assert_true(memcmp(sig + 32, half_n, 32) <= 0);
	memcpy(copy, sig, 64);
	assert_int_equal(ml_p256_sig_normalize(copy), 0);
	assert_memory_equal(copy, sig, 64);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Key created on first open, the same on re-open and after a restart of
 * swtpm on the same state; another TPM gives another key. */
static void test_key_persistence(void **state)
{
	uint8_t a[64], b[64], c[64], d[64];
	struct swtpm s, other;
	struct mltpm *t;

	(void)state;
	assert_int_equal(swtpm_start_new(&s), 0);
	t = open_tpm(&s, 0);
	assert_int_equal(mltpm_pubkey(t, a), 0);
	mltpm_close(t);
	t = open_tpm(&s, 0);
	assert_int_equal(mltpm_pubkey(t, b), 0);
	mltpm_close(t);
	assert_memory_equal(a, b, 64);

	swtpm_stop(&s);
	assert_int_equal(swtpm_start(&s), 0);
	t = open_tpm(&s, 0);
	assert_int_equal(mltpm_pubkey(t, c), 0);
	mltpm_close(t);
	assert_memory_equal(a, c, 64);

	/* the handle is really persistent: tpm2-tools sees it there */
	assert_int_equal(run("TPM2TOOLS_TCTI='%s' tpm2_readpublic "
			     "-c 0x%08x >/dev/null 2>&1", s.tcti,
			     MLTPM_DEFAULT_KEY_HANDLE), 0);

	assert_int_equal(swtpm_start_new(&other), 0);
	t = open_tpm(&other, 0);
	assert_int_equal(mltpm_pubkey(t, d), 0);
	mltpm_close(t);
	assert_memory_not_equal(a, d, 64);
	swtpm_destroy(&other);
	swtpm_destroy(&s);
}

/* Many report digests: low-s, verified by the ledger and by mltpm's own
 * verifier; a changed report fails. */
static void test_sign_many_ledger_verify(void **state)
{
	struct ml_meter_report r;
	uint8_t pub[64], d[32];
	struct mltpm *t;
	int i;

	(void)state;
	t = open_tpm(&tpm, 0);
	assert_int_equal(mltpm_pubkey(t, pub), 0);
	for (i = 0; i < 300; i++) {
		memset(&r, 0, sizeof(r));
		r.chain_id = 7;
		randombytes_buf(r.meter, sizeof(r.meter));
		r.interval_len = 900;
		r.interval_start = 900ull * (1000000 + i);
		r.import_wh = (uint64_t)i * 13;
		r.export_wh = (uint64_t)i * 7;
		randombytes_buf(r.readings_root, sizeof(r.readings_root));
		ml_report_digest(&r, d);
		assert_int_equal(mltpm_sign_digest(t, d, r.sig), 0);
		assert_low_s(r.sig);
		assert_int_equal(ml_report_verify(&r, pub), 0);
		assert_int_equal(mltpm_verify_digest(pub, d, r.sig), 0);
		r.import_wh++;
		assert_int_not_equal(ml_report_verify(&r, pub), 0);
		d[i % 32] ^= 1;
		assert_int_equal(mltpm_verify_digest(pub, d, r.sig), -EPERM);
	}
	mltpm_close(t);
}

/* The PEM export is the same point, and the openssl command line verifies
 * the signatures against it (both over the message and over the digest). */
static void test_openssl_cli_verify(void **state)
{
	const char *pem_path = wpath("pub.pem"), *msg = wpath("msg.bin"),
		   *dg = wpath("digest.bin"), *sig_path = wpath("sig.der");
	uint8_t pub[64], m[100], d[32], sig[64], x[32], y[32];
	BIGNUM *bx = NULL, *by = NULL;
	EVP_PKEY *pk;
	char *pem = NULL;
	struct mltpm *t;
	BIO *bio;
	int i;

	(void)state;
	t = open_tpm(&tpm, 0);
	assert_int_equal(mltpm_pubkey(t, pub), 0);
	assert_int_equal(mltpm_pubkey_pem(t, &pem), 0);
	assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
	bio = BIO_new_mem_buf(pem, -1);
	pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	assert_non_null(pk);
	assert_true(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &bx));
	assert_true(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &by));
	assert_int_equal(BN_bn2binpad(bx, x, 32), 32);
	assert_int_equal(BN_bn2binpad(by, y, 32), 32);
	assert_memory_equal(x, pub, 32);
	assert_memory_equal(y, pub + 32, 32);
	BN_free(bx);
	BN_free(by);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	write_bytes(pem_path, pem, strlen(pem));
	free(pem);

	for (i = 0; i < 40; i++) {
		randombytes_buf(m, sizeof(m));
		crypto_hash_sha256(d, m, sizeof(m));
		assert_int_equal(mltpm_sign_digest(t, d, sig), 0);
		assert_low_s(sig);
		sig_to_der_file(sig, sig_path);
		write_bytes(msg, m, sizeof(m));
		write_bytes(dg, d, sizeof(d));
		assert_int_equal(run("openssl dgst -sha256 -verify '%s' "
				     "-signature '%s' '%s' >/dev/null",
				     pem_path, sig_path, msg), 0);
		assert_int_equal(run("openssl pkeyutl -verify -pubin -inkey "
				     "'%s' -sigfile '%s' -in '%s' >/dev/null",
				     pem_path, sig_path, dg), 0);
		/* and it does say no */
		m[i] ^= 0x80;
		write_bytes(msg, m, sizeof(m));
		assert_int_equal(run("openssl dgst -sha256 -verify '%s' "
				     "-signature '%s' '%s' >/dev/null 2>&1",
				     pem_path, sig_path, msg), 1);
	}
	mltpm_close(t);
}

static void assert_vote_key_ok(const uint8_t sk[64], const uint8_t pk[32],
			       const uint8_t cert[64], const uint8_t pub[64])
{
	uint8_t pk2[32], sig[64];
	const uint8_t msg[] = "vote";

	assert_int_equal(crypto_sign_ed25519_sk_to_pk(pk2, sk), 0);
	assert_memory_equal(pk, pk2, 32);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg),
						     pk), 0);
	assert_int_equal(mltpm_vote_cert_verify(pub, pk, cert), 0);
	assert_low_s(cert);
	pk2[0] ^= 1;
	assert_int_equal(mltpm_vote_cert_verify(pub, pk2, cert), -EPERM);
}

static int contains(const uint8_t *hay, size_t n, const uint8_t *needle,
		    size_t m)
{
	size_t i;

	for (i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return 1;
	return 0;
}

/* Sealed on first use, unsealed later (also after an swtpm restart); the
 * seed is not in the file; the cert verifies. */
static void test_vote_key_seal_unseal(void **state)
{
	uint8_t sk[64], pk[32], cert[64], sk2[64], pk2[32], cert2[64];
	uint8_t pub[64], file[4096];
	const char *path;
	struct swtpm s;
	struct stat st;
	struct mltpm *t;
	size_t n;

	(void)state;
	assert_int_equal(swtpm_start_new(&s), 0);
	path = wpath("vote.key");
	unlink(path);
	t = open_tpm(&s, 0);
	assert_int_equal(mltpm_pubkey(t, pub), 0);
	assert_int_equal(mltpm_vote_key(t, path, sk, pk, cert), 0);
	assert_vote_key_ok(sk, pk, cert, pub);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	n = read_bytes(path, file, sizeof(file));
	assert_false(contains(file, n, sk, 32));	/* seed */
	assert_true(contains(file, n, pk, 32));

	assert_int_equal(mltpm_vote_key(t, path, sk2, pk2, cert2), 0);
	assert_memory_equal(sk, sk2, 64);
	assert_memory_equal(pk, pk2, 32);
	assert_vote_key_ok(sk2, pk2, cert2, pub);
	mltpm_close(t);

	swtpm_stop(&s);
	assert_int_equal(swtpm_start(&s), 0);
	t = open_tpm(&s, 0);
	memset(sk2, 0, sizeof(sk2));
	assert_int_equal(mltpm_vote_key(t, path, sk2, pk2, cert2), 0);
	assert_memory_equal(sk, sk2, 64);
	assert_vote_key_ok(sk2, pk2, cert2, pub);
	mltpm_close(t);
	swtpm_destroy(&s);
	unlink(path);
}

/* Every broken file is an error that names the file, keeps it unchanged
 * and does not create a new key. */
static void expect_vote_key_refused(struct mltpm *t, const char *path,
				    const uint8_t *content, size_t n,
				    const char *what)
{
	uint8_t sk[64], pk[32], cert[64], after[4096];
	int ret;

	write_bytes(path, content, n);
	ret = mltpm_vote_key(t, path, sk, pk, cert);
	if (ret >= 0)
		fail_msg("%s: accepted", what);
	assert_non_null(strstr(mltpm_error(t), path));
	assert_true(strstr(mltpm_error(t), "refus") != NULL ||
		    strstr(mltpm_error(t), "INSECURE") != NULL);
	assert_int_equal(read_bytes(path, after, sizeof(after)), n);
	assert_memory_equal(after, content, n);
}

static void test_vote_key_tampered(void **state)
{
	uint8_t sk[64], pk[32], cert[64], good[4096], bad[4096];
	const char *path = wpath("vote-tamper.key");
	const char *path2 = wpath("vote-other.key");
	struct swtpm other;
	struct mltpm *t;
	size_t n;

	(void)state;
	unlink(path);
	t = open_tpm(&tpm, 0);
	assert_int_equal(mltpm_vote_key(t, path, sk, pk, cert), 0);
	n = read_bytes(path, good, sizeof(good));
	assert_true(n > 100);

	memcpy(bad, good, n);
	bad[n / 2] ^= 0x01;
	expect_vote_key_refused(t, path, bad, n, "flipped byte");
	expect_vote_key_refused(t, path, good, n - 1, "one byte short");
	expect_vote_key_refused(t, path, good, n / 2, "truncated");
	expect_vote_key_refused(t, path, good, 0, "empty");
	memcpy(bad, good, n);
	bad[0] = 'X';
	expect_vote_key_refused(t, path, bad, n, "bad magic");
	/* modified sealed blob with a recomputed checksum: the TPM's own
	 * integrity check refuses it */
	memcpy(bad, good, n);
	bad[n - 40] ^= 0x01;
	crypto_hash_sha256(bad + n - 32, bad, n - 32);
	expect_vote_key_refused(t, path, bad, n, "modified sealed blob");
	assert_non_null(strstr(mltpm_error(t), "TPM refuses"));
	/* a recorded public key that does not match the sealed seed */
	memcpy(bad, good, n);
	bad[9] ^= 0x01;
	crypto_hash_sha256(bad + n - 32, bad, n - 32);
	write_bytes(path, bad, n);
	assert_int_equal(mltpm_vote_key(t, path, sk, pk, cert), -EBADMSG);
	assert_non_null(strstr(mltpm_error(t), "recorded public key"));
	mltpm_close(t);

	/* a file sealed to another TPM */
	assert_int_equal(swtpm_start_new(&other), 0);
	unlink(path2);
	t = open_tpm(&other, 0);
	assert_int_equal(mltpm_vote_key(t, path2, sk, pk, cert), 0);
	mltpm_close(t);
	swtpm_destroy(&other);
	n = read_bytes(path2, good, sizeof(good));
	t = open_tpm(&tpm, 0);
	expect_vote_key_refused(t, path2, good, n, "sealed to another TPM");
	assert_non_null(strstr(mltpm_error(t), "another TPM"));

	/* a dangling symlink at the path: not followed, not replaced */
	unlink(path);
	assert_int_equal(symlink("vote-elsewhere.key", path), 0);
	assert_int_equal(mltpm_vote_key(t, path, sk, pk, cert), -EEXIST);
	assert_non_null(strstr(mltpm_error(t), "not replaced"));
	assert_int_equal(access(wpath("vote-elsewhere.key"), F_OK), -1);
	assert_int_equal(readlink(path, (char *)bad, sizeof(bad)),
			 strlen("vote-elsewhere.key"));

	/* unreadable location: a clear error, nothing created */
	assert_int_equal(mltpm_vote_key(t, wpath("no-such-dir/vote.key"), sk,
					pk, cert), -ENOENT);
	assert_non_null(strstr(mltpm_error(t), "no-such-dir"));
	mltpm_close(t);
	unlink(path);
	unlink(path2);
}

static void expect_open_fails(const struct mltpm_opts *o, const char *needle)
{
	struct mltpm *t = (struct mltpm *)1;
	int ret = mltpm_open(o, &t);

	assert_true(ret < 0);
	assert_null(t);
	if (!strstr(mltpm_error(NULL), needle))
		fail_msg("error \"%s\" lacks \"%s\"", mltpm_error(NULL), needle);
}

static void test_bad_tcti_and_handle(void **state)
{
	struct mltpm_opts o = { 0 };
	char tcti[96];
	int port;

	(void)state;
	o.tcti = "nonsense:foo";
	expect_open_fails(&o, "nonsense:foo");
	o.tcti = "swtpm:host=127.0.0.1,port=notaport";
	expect_open_fails(&o, "TCTI");
	/* nobody listening */
	port = swtpm_free_port();
	assert_true(port > 0);
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", port);
	o.tcti = tcti;
	expect_open_fails(&o, tcti);

	o.tcti = tpm.tcti;
	o.key_handle = 0x01000000;
	expect_open_fails(&o, "not an owner persistent handle");
	o.key_handle = 0x81800000;	/* platform range */
	expect_open_fails(&o, "0x81800000");
	assert_int_equal(mltpm_open(NULL, NULL), -EINVAL);
}

/* A storage key persisted at the handle is refused, not used. */
static void test_foreign_object_at_handle(void **state)
{
	struct mltpm_opts o = { .tcti = tpm.tcti, .key_handle = 0x81000020 };
	struct mltpm *t = NULL;

	(void)state;
	assert_int_equal(run("cd '%s' && export TPM2TOOLS_TCTI='%s' && "
			     "tpm2_createprimary -C o -G ecc -c prim.ctx "
			     ">/dev/null && tpm2_evictcontrol -C o -c "
			     "prim.ctx 0x81000020 >/dev/null && tpm2_flushcontext -t",
			     workdir, tpm.tcti), 0);
	assert_int_equal(mltpm_open(&o, &t), -EEXIST);
	assert_null(t);
	assert_non_null(strstr(mltpm_error(NULL), "0x81000020"));
	assert_non_null(strstr(mltpm_error(NULL), "not an unrestricted"));
	/* and it is still there, not overwritten */
	assert_int_equal(run("TPM2TOOLS_TCTI='%s' tpm2_readpublic -c 0x81000020 "
			     "| grep -q 'decrypt'", tpm.tcti), 0);
}

static void test_software_key(void **state)
{
	const char *kp = wpath("insecure.pem"), *vp = wpath("sw-vote.key");
	uint8_t pub[64], pub2[64], d[32], sig[64], sk[64], pk[32], cert[64];
	struct mltpm_opts o = { .tcti = "nonsense:only-tpm-would-fail" };
	struct mltpm *t = NULL;
	struct stat st;
	int i;

	(void)state;
	unlink(kp);
	unlink(vp);
	o.insecure_software_key = kp;
	assert_int_equal(mltpm_open(&o, &t), 0);
	assert_non_null(mltpm_warning(t));
	assert_non_null(strstr(mltpm_warning(t), "INSECURE"));
	assert_non_null(strstr(mltpm_warning(t), kp));
	assert_int_equal(stat(kp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(mltpm_pubkey(t, pub), 0);
	for (i = 0; i < 50; i++) {
		randombytes_buf(d, sizeof(d));
		assert_int_equal(mltpm_sign_digest(t, d, sig), 0);
		assert_low_s(sig);
		assert_int_equal(mltpm_verify_digest(pub, d, sig), 0);
	}
	assert_int_equal(mltpm_vote_key(t, vp, sk, pk, cert), 0);
	assert_vote_key_ok(sk, pk, cert, pub);
	mltpm_close(t);

	t = NULL;
	assert_int_equal(mltpm_open(&o, &t), 0);
	assert_int_equal(mltpm_pubkey(t, pub2), 0);
	assert_memory_equal(pub, pub2, 64);
	mltpm_close(t);
	/* the openssl CLI agrees it is a P-256 key */
	assert_int_equal(run("openssl pkey -in '%s' -noout -text | grep -q "
			     "prime256v1", kp), 0);

	/* a TPM never accepts the insecure vote key file */
	t = open_tpm(&tpm, 0);
	assert_int_equal(mltpm_vote_key(t, vp, sk, pk, cert), -EPERM);
	assert_non_null(strstr(mltpm_error(t), "INSECURE"));
	mltpm_close(t);

	/* not PEM; another curve */
	write_bytes(kp, "hello\n", 6);
	expect_open_fails(&o, "not a PEM private key");
	assert_int_equal(run("openssl genpkey -algorithm ed25519 -out '%s' "
			     "2>/dev/null", kp), 0);
	expect_open_fails(&o, "not a NIST P-256");
	assert_int_equal(run("openssl ecparam -name secp384r1 -genkey -noout "
			     "-out '%s' 2>/dev/null", kp), 0);
	expect_open_fails(&o, "not a NIST P-256");
	o.insecure_software_key = wpath("no-such-dir/k.pem");
	expect_open_fails(&o, "no-such-dir");
	unlink(kp);
	unlink(vp);
}

/* Lower bound only: n signatures take at least n * delay. */
static void test_sign_delay(void **state)
{
	struct mltpm_opts o = { .tcti = tpm.tcti, .sign_delay_ms = 60 };
	uint8_t d[32] = { 1 }, sig[64], pub[64];
	struct mltpm *t = NULL;
	double t0;
	int i;

	(void)state;
	assert_int_equal(mltpm_open(&o, &t), 0);
	assert_int_equal(mltpm_pubkey(t, pub), 0);
	t0 = now_s();
	for (i = 0; i < 5; i++)
		assert_int_equal(mltpm_sign_digest(t, d, sig), 0);
	assert_true(now_s() - t0 >= 5 * 0.060);
	assert_int_equal(mltpm_verify_digest(pub, d, sig), 0);
	mltpm_close(t);
}

/* swtpm killed under an open handle: an error, not a crash or hang. */
static void test_tpm_gone(void **state)
{
	uint8_t d[32] = { 2 }, sig[64];
	struct swtpm s;
	struct mltpm *t;

	(void)state;
	assert_int_equal(swtpm_start_new(&s), 0);
	t = open_tpm(&s, 0);
	assert_int_equal(mltpm_sign_digest(t, d, sig), 0);
	swtpm_stop(&s);
	assert_true(mltpm_sign_digest(t, d, sig) < 0);
	assert_non_null(strstr(mltpm_error(t), "TPM2_Sign"));
	mltpm_close(t);
	swtpm_destroy(&s);
}

struct signer {
	struct mltpm *t;
	uint8_t pub[64];
	int id, bad;
};

static void *sign_thread(void *arg)
{
	struct signer *sg = arg;
	uint8_t d[32], sig[64];
	int i;

	for (i = 0; i < 60; i++) {
		memset(d, 0, sizeof(d));
		d[0] = (uint8_t)sg->id;
		d[1] = (uint8_t)i;
		if (mltpm_sign_digest(sg->t, d, sig) ||
		    mltpm_verify_digest(sg->pub, d, sig))
			sg->bad++;
	}
	return NULL;
}

/* One handle shared by threads (settled signs off its ingestion thread):
 * the internal lock serializes the TPM commands. */
static void test_threads_share_handle(void **state)
{
	struct signer sg[3];
	pthread_t th[3];
	struct mltpm *t;
	int i;

	(void)state;
	t = open_tpm(&tpm, 0);
	for (i = 0; i < 3; i++) {
		sg[i].t = t;
		sg[i].id = i;
		sg[i].bad = 0;
		assert_int_equal(mltpm_pubkey(t, sg[i].pub), 0);
		assert_int_equal(pthread_create(&th[i], NULL, sign_thread,
						&sg[i]), 0);
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(sg[i].bad, 0);
	}
	mltpm_close(t);
}

static int group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	if (sodium_init() < 0)
		return -1;
	snprintf(workdir, sizeof(workdir), "%s/mltpm-test.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(workdir))
		return -1;
	if (swtpm_start_new(&tpm)) {
		fprintf(stderr, "cannot start swtpm (is it installed?)\n");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	swtpm_destroy(&tpm);
	return run("rm -rf '%s'", workdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_persistence),
		cmocka_unit_test(test_sign_many_ledger_verify),
		cmocka_unit_test(test_openssl_cli_verify),
		cmocka_unit_test(test_vote_key_seal_unseal),
		cmocka_unit_test(test_vote_key_tampered),
		cmocka_unit_test(test_bad_tcti_and_handle),
		cmocka_unit_test(test_foreign_object_at_handle),
		cmocka_unit_test(test_software_key),
		cmocka_unit_test(test_sign_delay),
		cmocka_unit_test(test_threads_share_handle),
		cmocka_unit_test(test_tpm_gone),
	};

	return cmocka_run_group_tests_name("mltpm", tests, group_setup,
					   group_teardown);
}
