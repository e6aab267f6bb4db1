// SPDX-License-Identifier: GPL-2.0
/*
 * Account key files (keyfile.h). Version 1, 144 bytes, integers
 * little-endian:
 *
 *   0   8  magic "MLACCTKY"
 *   8   1  version (1)
 *   9   1  KDF (1: crypto_pwhash_ALG_ARGON2ID13)
 *  10   2  zero
 *  12   4  opslimit
 *  16   8  memlimit, bytes
 *  24  16  salt
 *  40  24  secretbox nonce
 *  64  32  Ed25519 public key (the account id)
 *  96  48  crypto_secretbox_easy(seed): 16-byte MAC, 32-byte seed
 *
 * The secretbox key is crypto_pwhash(passphrase, salt, opslimit,
 * memlimit). The public key in the clear lets a reader check, after
 * decryption, that the seed and the account id belong together; a file
 * whose header was edited fails either the MAC or that check.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "keyfile.h"

#define PASS_MAX	1024

/* What a reader accepts: libsodium's minimum up to its "sensitive" level,
 * so a file cannot make ledgerctl spend more than 1 GiB or 4 passes. */
#define OPS_MIN		crypto_pwhash_OPSLIMIT_MIN
#define OPS_MAX		crypto_pwhash_OPSLIMIT_SENSITIVE
#define MEM_MIN		crypto_pwhash_MEMLIMIT_MIN
#define MEM_MAX		crypto_pwhash_MEMLIMIT_SENSITIVE

static void put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The first line of @path, without its newline. */
static int pass_from_file(struct lc *c, const char *path, char *buf)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return lc_err(c, errno == ENOENT ? LC_EXIT_NOTFOUND : LC_EXIT_FAIL,
			      "passphrase file %s: %s", path, strerror(errno));
	n = read(fd, buf, PASS_MAX);
	close(fd);
	if (n < 0)
		return lc_err(c, LC_EXIT_FAIL, "passphrase file %s: %s", path,
			      strerror(errno));
	buf[n < PASS_MAX ? n : PASS_MAX - 1] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	if (!*buf)
		return lc_err(c, LC_EXIT_USAGE, "passphrase file %s: the first "
			      "line is empty", path);
	return 0;
}

static int ask(struct lc *c, int fd, const char *prompt, char *buf)
{
	struct termios old, quiet;
	ssize_t n, got = 0;
	int ret = 0;

	if (tcgetattr(fd, &old))
		return lc_err(c, LC_EXIT_USAGE, "no terminal to ask for the "
			      "passphrase: use --passphrase-file FILE");
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	if (write(fd, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(fd, TCSANOW, &quiet))
		return lc_err(c, LC_EXIT_FAIL, "terminal: %s", strerror(errno));
	while (got < PASS_MAX - 1 && (n = read(fd, buf + got, 1)) == 1 &&
	       buf[got] != '\n')
		got++;
	buf[got] = 0;
	tcsetattr(fd, TCSANOW, &old);
	if (!got)
		ret = lc_err(c, LC_EXIT_USAGE, "empty passphrase");
	return ret;
}

/* --passphrase-file, else the terminal (twice when @confirm). */
static int get_pass(struct lc *c, bool confirm, char *buf)
{
	char again[PASS_MAX];
	int fd, ret;

	if (c->passfile)
		return pass_from_file(c, c->passfile, buf);
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return lc_err(c, LC_EXIT_USAGE, "no terminal to ask for the "
			      "passphrase: use --passphrase-file FILE or "
			      "LEDGERCTL_PASSPHRASE_FILE");
	ret = ask(c, fd, "Passphrase: ", buf);
	if (!ret && confirm) {
		ret = ask(c, fd, "Passphrase again: ", again);
		if (!ret && strcmp(buf, again))
			ret = lc_err(c, LC_EXIT_USAGE, "the passphrases differ");
		sodium_memzero(again, sizeof(again));
	}
	close(fd);
	return ret;
}

static int derive(const char *pass, const uint8_t *salt, uint64_t ops,
		  uint64_t mem, uint8_t key[crypto_secretbox_KEYBYTES])
{
	return crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, strlen(pass),
			     salt, ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13);
}

static int write_new(struct lc *c, const char *path, const uint8_t *buf,
		     size_t len)
{
	char *tmp, *dup = strdup(path);
	size_t n = strlen(path) + 16;
	int fd, dfd, ret = 0;

	tmp = malloc(n);
	if (!tmp || !dup) {
		free(tmp);
		free(dup);
		return lc_err(c, LC_EXIT_FAIL, "out of memory");
	}
	snprintf(tmp, n, "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp);	/* mode 0600 */
	if (fd < 0) {
		ret = lc_err(c, errno == ENOENT ? LC_EXIT_NOTFOUND : LC_EXIT_FAIL,
			     "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) || write(fd, buf, len) != (ssize_t)len ||
	    fsync(fd)) {
		ret = lc_err(c, LC_EXIT_FAIL, "writing %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	/* link() rather than rename(): an existing key is never replaced */
	if (link(tmp, path))
		ret = errno == EEXIST ?
		      lc_err(c, LC_EXIT_FAIL, "%s exists; move it away or choose "
			     "another name", path) :
		      lc_err(c, LC_EXIT_FAIL, "%s: %s", path, strerror(errno));
	unlink(tmp);
	dfd = open(dirname(dup), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	free(tmp);
	free(dup);
	return ret;
}

int kf_create(struct lc *c, const char *path, enum kf_level level,
	      struct kf_key *out)
{
	static const uint64_t ops[] = {
		crypto_pwhash_OPSLIMIT_INTERACTIVE,
		crypto_pwhash_OPSLIMIT_MODERATE,
		crypto_pwhash_OPSLIMIT_SENSITIVE,
	};
	static const uint64_t mem[] = {
		crypto_pwhash_MEMLIMIT_INTERACTIVE,
		crypto_pwhash_MEMLIMIT_MODERATE,
		crypto_pwhash_MEMLIMIT_SENSITIVE,
	};
	uint8_t f[KF_LEN] = { 0 }, seed[32], key[crypto_secretbox_KEYBYTES];
	char pass[PASS_MAX];
	int ret;

	if (!access(path, F_OK))
		return lc_err(c, LC_EXIT_FAIL, "%s exists; move it away or "
			      "choose another name", path);
	ret = get_pass(c, true, pass);
	if (ret)
		goto out;
	memcpy(f, KF_MAGIC, 8);
	f[8] = KF_VERSION;
	f[9] = KF_ALG_ARGON2ID;
	put_le(f + 12, ops[level], 4);
	put_le(f + 16, mem[level], 8);
	randombytes_buf(f + 24, 16);
	randombytes_buf(f + 40, 24);
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(out->pk, out->sk, seed);
	memcpy(f + 64, out->pk, 32);
	if (derive(pass, f + 24, ops[level], mem[level], key)) {
		ret = lc_err(c, LC_EXIT_FAIL, "not enough memory for the key "
			     "derivation (%llu MiB)",
			     (unsigned long long)(mem[level] >> 20));
		goto out;
	}
	crypto_secretbox_easy(f + 96, seed, sizeof(seed), f + 40, key);
	out->opslimit = ops[level];
	out->memlimit = mem[level];
	ret = write_new(c, path, f, sizeof(f));
out:
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(key, sizeof(key));
	if (ret)
		kf_wipe(out);
	return ret;
}

static int read_file(struct lc *c, const char *path, uint8_t f[KF_LEN])
{
	ssize_t n;
	uint8_t extra;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return lc_err(c, errno == ENOENT ? LC_EXIT_NOTFOUND : LC_EXIT_FAIL,
			      "key file %s: %s", path, strerror(errno));
	n = read(fd, f, KF_LEN);
	if (n == KF_LEN && read(fd, &extra, 1) != 0)
		n = KF_LEN + 1;
	close(fd);
	if (n < 0)
		return lc_err(c, LC_EXIT_FAIL, "key file %s: %s", path,
			      strerror(errno));
	if (n < 9 || memcmp(f, KF_MAGIC, 8))
		return lc_err(c, LC_EXIT_DAMAGED, "%s is not a ledgerctl key file",
			      path);
	if (f[8] != KF_VERSION)
		return lc_err(c, LC_EXIT_DAMAGED, "key file %s has version %u; "
			      "this ledgerctl reads version %u", path, f[8],
			      KF_VERSION);
	if (n < KF_LEN)
		return lc_err(c, LC_EXIT_DAMAGED, "key file %s is truncated (%zd "
			      "of %d bytes); restore it from a backup", path, n,
			      KF_LEN);
	if (n > KF_LEN)
		return lc_err(c, LC_EXIT_DAMAGED, "key file %s is longer than %d "
			      "bytes; restore it from a backup", path, KF_LEN);
	return 0;
}

int kf_load(struct lc *c, const char *path, struct kf_key *out)
{
	uint8_t f[KF_LEN], seed[32], key[crypto_secretbox_KEYBYTES];
	char pass[PASS_MAX];
	uint64_t ops, mem;
	int ret;

	ret = read_file(c, path, f);
	if (ret)
		return ret;
	ops = get_le(f + 12, 4);
	mem = get_le(f + 16, 8);
	if (f[9] != KF_ALG_ARGON2ID || f[10] || f[11] || ops < OPS_MIN ||
	    ops > OPS_MAX || mem < MEM_MIN || mem > MEM_MAX)
		return lc_err(c, LC_EXIT_DAMAGED, "key file %s: key derivation "
			      "parameters out of range; the file is damaged", path);
	ret = get_pass(c, false, pass);
	if (ret)
		goto out;
	if (derive(pass, f + 24, ops, mem, key)) {
		ret = lc_err(c, LC_EXIT_FAIL, "not enough memory for the key "
			     "derivation (%llu MiB)", (unsigned long long)(mem >> 20));
		goto out;
	}
	if (crypto_secretbox_open_easy(seed, f + 96, 48, f + 40, key)) {
		ret = lc_err(c, LC_EXIT_PASSPHRASE, "wrong passphrase for %s (or "
			     "the file was changed)", path);
		goto out;
	}
	crypto_sign_seed_keypair(out->pk, out->sk, seed);
	out->opslimit = ops;
	out->memlimit = mem;
	if (sodium_memcmp(out->pk, f + 64, 32)) {
		kf_wipe(out);
		ret = lc_err(c, LC_EXIT_DAMAGED, "key file %s: the public key does "
			     "not match the secret key; the file was changed", path);
	}
out:
	sodium_memzero(pass, sizeof(pass));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(key, sizeof(key));
	return ret;
}

void kf_wipe(struct kf_key *k)
{
	sodium_memzero(k->sk, sizeof(k->sk));
}
