// SPDX-License-Identifier: GPL-2.0
/*
 * mlnode: a meterlink consensus node as a process, and its helpers.
 *
 *   mlnode genesis --out FILE --chain-id N --interval S --settle-delay S
 *                  --validator HEXKEY [--validator ...] [--operator HEXKEY]
 *                  [--account HEXKEY:BALANCE ...] [--time UNIX]
 *   mlnode keygen --out FILE
 *   mlnode pubkey --key FILE
 *   mlnode transfer --key FILE --genesis FILE --to HEXKEY --amount N
 *                   --nonce N [--out FILE|-]
 *   mlnode vote --key FILE --genesis FILE --subject HEXKEY
 *               --action add|remove --nonce N [--out FILE|-]
 *   mlnode run --key FILE --genesis FILE --db FILE --signstate FILE
 *              --listen ENDPOINT --peers FILE [--block-ms N] [--ctl SOCKET]
 *              [--repair] [--pidfile FILE]
 *   mlnode submit --ctl SOCKET --tx FILE|-
 *   mlnode status --ctl SOCKET [-j]
 *   mlnode dump --db FILE [--txs]
 *
 * Exit codes: 0 done (run: SIGTERM/SIGINT), 1 runtime error, 2 usage or
 * configuration error, 3 damaged database (run without --repair).
 * Documentation/ledger/consensus.rst, "The mlnode program".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <jansson.h>
#include <sodium.h>

#include "ctl.h"
#include "ledger.h"
#include "node.h"

#define EX_RUNTIME	1
#define EX_USAGE	2
#define EX_DAMAGED	3
#define MAX_CLIENTS	16

static const char *cmd_name = "mlnode";
static char tag[9] = "--------";

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mlnode %s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (mlnode --help)\n");
	return EX_USAGE;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mlnode %s: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EX_RUNTIME;
}

static void help(FILE *f)
{
	fputs("usage:\n"
	      "  mlnode genesis --out FILE --chain-id N --interval S --settle-delay S\n"
	      "                 --validator HEXKEY [--validator HEXKEY ...] [--operator HEXKEY]\n"
	      "                 [--account HEXKEY:BALANCE ...] [--time UNIX]\n"
	      "  mlnode keygen --out FILE\n"
	      "  mlnode pubkey --key FILE\n"
	      "  mlnode transfer --key FILE --genesis FILE --to HEXKEY --amount N --nonce N\n"
	      "                  [--out FILE|-]\n"
	      "  mlnode vote --key FILE --genesis FILE --subject HEXKEY --action add|remove\n"
	      "              --nonce N [--out FILE|-]\n"
	      "  mlnode run --key FILE --genesis FILE --db FILE --signstate FILE\n"
	      "             --listen ENDPOINT --peers FILE [--block-ms N] [--ctl SOCKET]\n"
	      "             [--repair] [--pidfile FILE]\n"
	      "  mlnode submit --ctl SOCKET --tx FILE|-\n"
	      "  mlnode status --ctl SOCKET [-j]\n"
	      "  mlnode dump --db FILE [--txs]\n"
	      "exit codes: 0 ok, 1 runtime error, 2 usage/config error, 3 damaged database\n",
	      f);
}

/* --- argument helpers --- */

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || *v > max)
		return -EINVAL;
	return 0;
}

static int parse_key(const char *s, uint8_t key[ML_KEY_LEN])
{
	size_t bl;

	if (strlen(s) != 2 * ML_KEY_LEN ||
	    sodium_hex2bin(key, ML_KEY_LEN, s, strlen(s), NULL, &bl, NULL) ||
	    bl != ML_KEY_LEN || crypto_core_ed25519_is_valid_point(key) != 1)
		return -EINVAL;
	return 0;
}

static int read_all(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	for (;;) {
		if (n == cap) {
			char c;

			r = read(fd, &c, 1);
			if (r > 0) {
				if (fd)
					close(fd);
				return -EFBIG;
			}
			break;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;

			if (fd)
				close(fd);
			return e;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	if (fd)
		close(fd);
	*len = n;
	return 0;
}

/* A 64-byte raw Ed25519 secret key whose public half matches its seed. */
static int load_key(const char *path, uint8_t sk[64])
{
	uint8_t pk[32], sk2[64];
	size_t len;
	int ret = read_all(path, sk, 64, &len);

	if (ret == -EFBIG || (!ret && len != 64)) {
		fprintf(stderr, "mlnode %s: %s: not a key file (64 bytes expected)\n",
			cmd_name, path);
		return -EINVAL;
	}
	if (ret) {
		fprintf(stderr, "mlnode %s: %s: %s\n", cmd_name, path, strerror(-ret));
		return ret;
	}
	crypto_sign_seed_keypair(pk, sk2, sk);
	ret = memcmp(sk2, sk, 64) ? -EINVAL : 0;
	sodium_memzero(sk2, sizeof(sk2));
	if (ret)
		fprintf(stderr, "mlnode %s: %s: the public half does not match the seed\n",
			cmd_name, path);
	return ret;
}

static int write_new(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	const uint8_t *p = buf;
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t r = write(fd, p + off, len - off);

		if (r < 0) {
			int e = -errno;

			close(fd);
			unlink(path);
			return e;
		}
		off += (size_t)r;
	}
	if (fsync(fd) || close(fd)) {
		unlink(path);
		return -EIO;
	}
	return 0;
}

/* The command line of one subcommand: only the options it names. */
/* how often an option may be repeated (--account of a genesis) */
#define OPT_MAX_MULTI	1024

struct opt {
	const char *name;
	int has_arg;
	int multi;
	int n;
	const char *v[OPT_MAX_MULTI];
};

static int get_opts(int argc, char **argv, struct opt *o, size_t no)
{
	int i;
	size_t j;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "--", 2) && strcmp(a, "-j"))
			return usage("unexpected argument '%s'", a);
		for (j = 0; j < no; j++)
			if (!strcmp(a + (a[1] == 'j' ? 1 : 2), o[j].name))
				break;
		if (j == no)
			return usage("unknown option '%s'", a);
		if (o[j].n && !o[j].multi)
			return usage("%s given twice", a);
		if (o[j].n == (int)(sizeof(o[j].v) / sizeof(o[j].v[0])))
			return usage("%s given too often", a);
		if (o[j].has_arg) {
			if (i + 1 >= argc)
				return usage("%s needs a value", a);
			o[j].v[o[j].n++] = argv[++i];
		} else {
			o[j].v[o[j].n++] = "";
		}
	}
	return 0;
}

static const char *one(const struct opt *o)
{
	return o->n ? o->v[0] : NULL;
}

/* --- genesis, keygen, pubkey, transfer --- */

static int acct_cmp(const void *a, const void *b)
{
	return memcmp(((const struct ml_genesis_account *)a)->key,
		      ((const struct ml_genesis_account *)b)->key, ML_KEY_LEN);
}

static struct ml_genesis_account *acct_get(struct ml_genesis *g,
					   const uint8_t *key)
{
	uint32_t i;

	for (i = 0; i < g->naccounts; i++)
		if (!memcmp(g->accounts[i].key, key, ML_KEY_LEN))
			return &g->accounts[i];
	memcpy(g->accounts[g->naccounts].key, key, ML_KEY_LEN);
	return &g->accounts[g->naccounts++];
}

static int cmd_genesis(int argc, char **argv)
{
	struct opt o[] = {
		{ "out", 1, 0, 0, { 0 } }, { "chain-id", 1, 0, 0, { 0 } },
		{ "interval", 1, 0, 0, { 0 } }, { "settle-delay", 1, 0, 0, { 0 } },
		{ "validator", 1, 1, 0, { 0 } }, { "operator", 1, 0, 0, { 0 } },
		{ "account", 1, 1, 0, { 0 } }, { "time", 1, 0, 0, { 0 } },
	};
	struct ml_genesis g = { .interval_len = 900 };
	static struct ml_genesis_account accts[3 * OPT_MAX_MULTI];
	uint8_t key[ML_KEY_LEN], *enc;
	uint64_t v;
	size_t len;
	int i, ret;

	ret = get_opts(argc, argv, o, sizeof(o) / sizeof(o[0]));
	if (ret)
		return ret;
	if (!one(&o[0]) || !one(&o[1]) || !one(&o[2]) || !one(&o[3]) || !o[4].n)
		return usage("needs --out, --chain-id, --interval, --settle-delay and --validator");
	memset(accts, 0, sizeof(accts));
	g.accounts = accts;
	if (parse_u64(one(&o[1]), UINT64_MAX, &g.chain_id))
		return usage("--chain-id '%s': not a number", one(&o[1]));
	if (parse_u64(one(&o[2]), 86400, &v) || !v)
		return usage("--interval '%s': seconds, 1..86400", one(&o[2]));
	g.interval_len = (uint32_t)v;
	if (parse_u64(one(&o[3]), 7 * 86400, &v))
		return usage("--settle-delay '%s': seconds, 0..604800", one(&o[3]));
	g.settle_delay = (uint32_t)v;
	g.time = (uint64_t)time(NULL);
	if (one(&o[7]) && parse_u64(one(&o[7]), UINT64_MAX >> 1, &g.time))
		return usage("--time '%s': unix seconds", one(&o[7]));
	for (i = 0; i < o[4].n; i++) {
		struct ml_genesis_account *a;

		if (parse_key(o[4].v[i], key))
			return usage("--validator '%s': not an Ed25519 public key (64 hex digits)",
				     o[4].v[i]);
		a = acct_get(&g, key);
		if (a->roles & ML_ROLE_VALIDATOR)
			return usage("--validator %s given twice", o[4].v[i]);
		a->roles |= ML_ROLE_VALIDATOR;
	}
	if (one(&o[5])) {
		if (parse_key(one(&o[5]), key))
			return usage("--operator '%s': not an Ed25519 public key",
				     one(&o[5]));
	} else {
		parse_key(o[4].v[0], key);	/* the first validator */
	}
	acct_get(&g, key)->roles |= ML_ROLE_OPERATOR;
	memcpy(g.fee_account, key, ML_KEY_LEN);
	for (i = 0; i < o[6].n; i++) {
		const char *s = o[6].v[i], *c = strchr(s, ':');
		struct ml_genesis_account *a;
		char hex[2 * ML_KEY_LEN + 1];

		if (!c || c - s != 2 * ML_KEY_LEN)
			return usage("--account '%s': HEXKEY:BALANCE expected", s);
		memcpy(hex, s, 2 * ML_KEY_LEN);
		hex[2 * ML_KEY_LEN] = 0;
		if (parse_key(hex, key))
			return usage("--account '%s': not an Ed25519 public key", s);
		if (parse_u64(c + 1, ML_MAX_AMOUNT, &v))
			return usage("--account '%s': balance 0..%llu micro-credits",
				     s, (unsigned long long)ML_MAX_AMOUNT);
		a = acct_get(&g, key);
		if (a->balance)
			return usage("--account for %.16s... given twice", s);
		a->balance = v;
	}
	qsort(g.accounts, g.naccounts, sizeof(*g.accounts), acct_cmp);
	ret = ml_genesis_encode(&g, &enc, &len);
	if (ret)
		return usage("these parameters make no valid genesis: %s",
			     strerror(-ret));
	ret = write_new(one(&o[0]), enc, len, 0644);
	free(enc);
	if (ret == -EEXIST)
		return usage("--out %s exists already", one(&o[0]));
	if (ret)
		return fail("%s: %s", one(&o[0]), strerror(-ret));
	return 0;
}

static int cmd_keygen(int argc, char **argv)
{
	struct opt o[] = { { "out", 1, 0, 0, { 0 } } };
	uint8_t pk[32], sk[64];
	char hex[65];
	int ret;

	ret = get_opts(argc, argv, o, 1);
	if (ret)
		return ret;
	if (!one(&o[0]))
		return usage("needs --out FILE");
	crypto_sign_keypair(pk, sk);
	ret = write_new(one(&o[0]), sk, sizeof(sk), 0600);
	sodium_memzero(sk, sizeof(sk));
	if (ret == -EEXIST)
		return usage("--out %s exists already", one(&o[0]));
	if (ret)
		return fail("%s: %s", one(&o[0]), strerror(-ret));
	puts(sodium_bin2hex(hex, sizeof(hex), pk, 32));
	return 0;
}

static int cmd_pubkey(int argc, char **argv)
{
	struct opt o[] = { { "key", 1, 0, 0, { 0 } } };
	uint8_t sk[64];
	char hex[65];
	int ret;

	ret = get_opts(argc, argv, o, 1);
	if (ret)
		return ret;
	if (!one(&o[0]))
		return usage("needs --key FILE");
	if (load_key(one(&o[0]), sk))
		return EX_USAGE;
	puts(sodium_bin2hex(hex, sizeof(hex), sk + 32, 32));
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

static int load_genesis(const char *path, struct ml_genesis *g)
{
	static uint8_t buf[1 << 22];
	size_t len;
	int ret = read_all(path, buf, sizeof(buf), &len);

	if (ret) {
		fprintf(stderr, "mlnode %s: %s: %s\n", cmd_name, path, strerror(-ret));
		return ret;
	}
	ret = ml_genesis_decode(buf, len, g);
	if (ret)
		fprintf(stderr, "mlnode %s: %s: not a genesis file\n", cmd_name,
			path);
	return ret;
}

/* Signs, encodes and writes @tx (its chain id from the genesis file). */
static int emit_tx(struct ml_tx *tx, const char *key, const char *genesis,
		   const char *out)
{
	struct ml_genesis g;
	uint8_t sk[64], buf[ML_TX_MAX_LEN], id[ML_HASH_LEN];
	char hex[2 * ML_HASH_LEN + 1];
	size_t len;
	int ret;

	if (load_key(key, sk) || load_genesis(genesis, &g))
		return EX_USAGE;
	tx->chain_id = g.chain_id;
	ml_genesis_free(&g);
	memcpy(tx->sender, sk + 32, ML_KEY_LEN);
	ret = ml_tx_sign(tx, sk);
	sodium_memzero(sk, sizeof(sk));
	ret = ret ? ret : ml_tx_encode(tx, buf, sizeof(buf), &len);
	if (ret)
		return fail("cannot make the transaction: %s", strerror(-ret));
	if (!out || !strcmp(out, "-")) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
			return fail("stdout: write error");
		return 0;
	}
	ret = write_new(out, buf, len, 0644);
	if (ret == -EEXIST)
		return usage("--out %s exists already", out);
	if (ret)
		return fail("%s: %s", out, strerror(-ret));
	ml_tx_id(tx, id);
	puts(sodium_bin2hex(hex, sizeof(hex), id, sizeof(id)));
	return 0;
}

static int cmd_transfer(int argc, char **argv)
{
	struct opt o[] = {
		{ "key", 1, 0, 0, { 0 } }, { "genesis", 1, 0, 0, { 0 } },
		{ "to", 1, 0, 0, { 0 } }, { "amount", 1, 0, 0, { 0 } },
		{ "nonce", 1, 0, 0, { 0 } }, { "out", 1, 0, 0, { 0 } },
	};
	struct ml_tx tx = { .kind = ML_TX_TRANSFER };
	int ret, i;

	ret = get_opts(argc, argv, o, sizeof(o) / sizeof(o[0]));
	if (ret)
		return ret;
	for (i = 0; i < 5; i++)
		if (!one(&o[i]))
			return usage("needs --key, --genesis, --to, --amount and --nonce");
	if (parse_key(one(&o[2]), tx.u.transfer.to))
		return usage("--to '%s': not an Ed25519 public key", one(&o[2]));
	if (parse_u64(one(&o[3]), ML_MAX_AMOUNT, &tx.u.transfer.amount) ||
	    !tx.u.transfer.amount)
		return usage("--amount '%s': 1..%llu micro-credits", one(&o[3]),
			     (unsigned long long)ML_MAX_AMOUNT);
	if (parse_u64(one(&o[4]), UINT64_MAX, &tx.nonce))
		return usage("--nonce '%s': not a number", one(&o[4]));
	return emit_tx(&tx, one(&o[0]), one(&o[1]), one(&o[5]));
}

static int cmd_vote(int argc, char **argv)
{
	struct opt o[] = {
		{ "key", 1, 0, 0, { 0 } }, { "genesis", 1, 0, 0, { 0 } },
		{ "subject", 1, 0, 0, { 0 } }, { "action", 1, 0, 0, { 0 } },
		{ "nonce", 1, 0, 0, { 0 } }, { "out", 1, 0, 0, { 0 } },
	};
	struct ml_tx tx = { .kind = ML_TX_VALIDATOR_VOTE };
	int ret, i;

	ret = get_opts(argc, argv, o, sizeof(o) / sizeof(o[0]));
	if (ret)
		return ret;
	for (i = 0; i < 5; i++)
		if (!one(&o[i]))
			return usage("needs --key, --genesis, --subject, --action and --nonce");
	if (parse_key(one(&o[2]), tx.u.vote.subject))
		return usage("--subject '%s': not an Ed25519 public key", one(&o[2]));
	if (!strcmp(one(&o[3]), "add"))
		tx.u.vote.action = ML_VOTE_ADD;
	else if (!strcmp(one(&o[3]), "remove"))
		tx.u.vote.action = ML_VOTE_REMOVE;
	else
		return usage("--action '%s': add or remove", one(&o[3]));
	if (parse_u64(one(&o[4]), UINT64_MAX, &tx.nonce))
		return usage("--nonce '%s': not a number", one(&o[4]));
	return emit_tx(&tx, one(&o[0]), one(&o[1]), one(&o[5]));
}

/* --- run --- */

struct client {
	int fd;
	bool discard;	/* refused: read to the end, then close */
	size_t len;
	char buf[CTL_MAX_LINE + 1];
};

struct run {
	struct mlnode *node;
	int lfd;
	struct client cl[MAX_CLIENTS];
};

static const char *prio_name(int prio)
{
	return prio <= LOG_ERR ? "error" : prio == LOG_WARNING ? "warning" :
	       prio == LOG_NOTICE ? "notice" : "info";
}

static void node_log(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "mlnode[%s] %s: %s\n", tag, prio_name(prio), msg);
}

static int ctl_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);	/* left by an earlier run */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		int e = -errno;

		close(fd);
		return e;
	}
	chmod(path, 0660);
	return fd;
}

static void send_all(int fd, const char *s, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t r = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (r <= 0)
			break;	/* a client that does not read loses replies */
		off += (size_t)r;
	}
}

/*
 * The replies to the requests of one read go out in one send(): a client
 * that pipelines submissions costs a syscall per read, not per request.
 */
static struct {
	int fd;
	size_t len;
	char buf[16384];
} rq = { .fd = -1 };

static void reply_flush(void)
{
	if (rq.fd >= 0 && rq.len)
		send_all(rq.fd, rq.buf, rq.len);
	rq.len = 0;
}

static void reply(int fd, const char *s, size_t len)
{
	if (fd != rq.fd) {
		send_all(fd, s, len);
		return;
	}
	if (rq.len + len > sizeof(rq.buf))
		reply_flush();
	if (len > sizeof(rq.buf)) {
		send_all(fd, s, len);
		return;
	}
	memcpy(rq.buf + rq.len, s, len);
	rq.len += len;
}

static void send_json(int fd, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	size_t len;

	json_decref(o);
	if (!s)
		return;
	len = strlen(s);
	s[len++] = '\n';	/* json_dumps' terminating NUL */
	reply(fd, s, len);
	free(s);
}

static void reply_err(int fd, const char *msg)
{
	send_json(fd, json_pack("{s:b,s:s}", "ok", 0, "error", msg));
}

static const char *submit_error(int err)
{
	switch (err) {
	case -EXDEV:
		return "another chain";
	case -EINVAL:
		return "invalid transaction";
	case -ENOENT:
		return "unknown sender";
	case -EALREADY:
		return "nonce already used";
	case -ERANGE:
		return "nonce too far ahead";
	case -EEXIST:
		return "duplicate (already pooled)";
	case -EPERM:
		return "bad signature";
	case -ENOSPC:
		return "mempool full";
	}
	return strerror(-err);
}

static void ctl_line(struct run *r, int fd, const char *line, size_t len)
{
	struct mlnode_status st;
	struct ctl_req q;
	char err[256];
	int ret;

	if (ctl_parse(line, len, &q, err, sizeof(err))) {
		reply_err(fd, err);
		return;
	}
	if (q.cmd == CTL_SUBMIT) {
		static const char ok[] = "{\"ok\":true}\n";

		ret = mlnode_submit(r->node, &q.tx);
		if (ret)
			reply_err(fd, submit_error(ret));
		else
			reply(fd, ok, sizeof(ok) - 1);
		return;
	}
	mlnode_status(r->node, &st);
	send_json(fd, json_pack("{s:b,s:I,s:i,s:b,s:i,s:I,s:I,s:I,s:I,s:I}", "ok", 1,
				"height", (json_int_t)st.height,
				"round", (int)st.round,
				"validator", st.validator,
				"peers", (int)st.peers_connected,
				"mempool", (json_int_t)st.mempool,
				"sig_verifies", (json_int_t)st.sig_verifies,
				"sig_cached", (json_int_t)st.sig_cached,
				"executions", (json_int_t)st.executions,
				"exec_reused", (json_int_t)st.exec_reused));
}

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->discard = false;
}

static void client_read(struct run *r, struct client *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, CTL_MAX_LINE + 1 - c->len,
				 MSG_DONTWAIT);
		/* (discarding: len stays 0, so the whole buffer is used) */
		size_t off = 0;
		char *nl;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_close(c);
			return;
		}
		if (c->discard)
			continue;
		c->len += (size_t)n;
		rq.fd = c->fd;
		while ((nl = memchr(c->buf + off, '\n', c->len - off))) {
			size_t l = (size_t)(nl - (c->buf + off));

			ctl_line(r, c->fd, c->buf + off, l);
			off += l + 1;
		}
		reply_flush();
		rq.fd = -1;
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
		if (c->len > CTL_MAX_LINE) {
			/* closing with unread bytes would reset the
			 * connection and lose the reply
			 */
			reply_err(c->fd, "request longer than 4096 bytes");
			shutdown(c->fd, SHUT_WR);
			c->discard = true;
			c->len = 0;
		}
	}
}

static int run_loop(struct run *r, int sfd)
{
	struct pollfd p[3 + MAX_CLIENTS];
	int i, np, ret, nfd = mlnode_fd(r->node);

	if (nfd < 0)
		return fail("node fd: %s", strerror(-nfd));
	for (;;) {
		p[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = nfd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = r->lfd, .events = POLLIN };
		np = 3;
		for (i = 0; i < MAX_CLIENTS; i++)
			p[np++] = (struct pollfd){ .fd = r->cl[i].fd,
						   .events = POLLIN };
		ret = poll(p, (nfds_t)np, mlnode_timeout_ms(r->node));
		if (ret < 0 && errno != EINTR)
			return fail("poll: %s", strerror(errno));
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				node_log(NULL, LOG_INFO, "signal: stopping");
				return 0;
			}
		}
		ret = mlnode_process(r->node);
		if (ret)
			return fail("%s", strerror(-ret));
		if (r->lfd >= 0 && (p[2].revents & POLLIN)) {
			int fd = accept4(r->lfd, NULL, NULL,
					 SOCK_CLOEXEC | SOCK_NONBLOCK);

			for (i = 0; fd >= 0 && i < MAX_CLIENTS; i++)
				if (r->cl[i].fd < 0) {
					r->cl[i].fd = fd;
					r->cl[i].len = 0;
					fd = -1;
				}
			if (fd >= 0) {
				reply_err(fd, "too many control clients");
				close(fd);
			}
		}
		for (i = 0; i < MAX_CLIENTS; i++)
			if (r->cl[i].fd >= 0 &&
			    (p[3 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				client_read(r, &r->cl[i]);
	}
}

static int cmd_run(int argc, char **argv)
{
	struct opt o[] = {
		{ "key", 1, 0, 0, { 0 } }, { "genesis", 1, 0, 0, { 0 } },
		{ "db", 1, 0, 0, { 0 } }, { "signstate", 1, 0, 0, { 0 } },
		{ "listen", 1, 0, 0, { 0 } }, { "peers", 1, 0, 0, { 0 } },
		{ "block-ms", 1, 0, 0, { 0 } }, { "ctl", 1, 0, 0, { 0 } },
		{ "repair", 0, 0, 0, { 0 } }, { "pidfile", 1, 0, 0, { 0 } },
	};
	struct mlnode_cfg cfg = { .log = node_log };
	struct mlnode_peer *peers = NULL;
	struct run r = { .lfd = -1 };
	char err[512];
	sigset_t ss;
	uint64_t v;
	int i, ret, sfd, code;

	ret = get_opts(argc, argv, o, sizeof(o) / sizeof(o[0]));
	if (ret)
		return ret;
	for (i = 0; i < 6; i++)
		if (!one(&o[i]))
			return usage("needs --%s", o[i].name);
	if (one(&o[6])) {
		/* block times are whole seconds and strictly increasing:
		 * faster blocks would run ahead of the clock
		 */
		if (parse_u64(one(&o[6]), 600000, &v) || v < 1000)
			return usage("--block-ms '%s': 1000..600000", one(&o[6]));
		cfg.block_period_ms = (uint32_t)v;
	}
	if (load_key(one(&o[0]), cfg.sk))
		return EX_USAGE;
	sodium_bin2hex(tag, sizeof(tag), cfg.sk + 32, 4);
	if (strlen(one(&o[4])) >= MLNODE_ENDPOINT_MAX ||
	    (strncmp(one(&o[4]), "tcp://", 6) && strncmp(one(&o[4]), "ipc://", 6)))
		return usage("--listen '%s': tcp://HOST:PORT or ipc://PATH",
			     one(&o[4]));
	ret = mlnode_peers_load(one(&o[5]), &peers, &cfg.npeers, err, sizeof(err));
	if (ret)
		return usage("--peers: %s", err);
	cfg.peers = peers;
	cfg.genesis_path = one(&o[1]);
	cfg.db_path = one(&o[2]);
	cfg.signstate_path = one(&o[3]);
	cfg.listen = one(&o[4]);
	cfg.repair = o[8].n > 0;
	for (i = 0; i < MAX_CLIENTS; i++)
		r.cl[i].fd = -1;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		free(peers);
		return fail("signalfd: %s", strerror(errno));
	}
	ret = mlnode_open(&cfg, &r.node);
	sodium_memzero(cfg.sk, sizeof(cfg.sk));
	free(peers);
	if (ret) {
		code = ret == -EUCLEAN ? EX_DAMAGED :
		       ret == -EINVAL || ret == -EXDEV ? EX_USAGE : EX_RUNTIME;
		node_log(NULL, LOG_ERR, code == EX_DAMAGED ?
			 "damaged database or sign state: not starting" :
			 "cannot start");
		close(sfd);
		return code;
	}
	if (one(&o[7])) {
		r.lfd = ctl_listen(one(&o[7]));
		if (r.lfd < 0) {
			mlnode_close(r.node);
			close(sfd);
			return usage("--ctl %s: %s", one(&o[7]), strerror(-r.lfd));
		}
	}
	if (one(&o[9])) {
		FILE *f = fopen(one(&o[9]), "w");

		if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f)) {
			mlnode_close(r.node);
			close(sfd);
			return usage("--pidfile %s: cannot write", one(&o[9]));
		}
	}
	node_log(NULL, LOG_INFO, "running");
	code = run_loop(&r, sfd);
	for (i = 0; i < MAX_CLIENTS; i++)
		if (r.cl[i].fd >= 0)
			close(r.cl[i].fd);
	if (r.lfd >= 0) {
		close(r.lfd);
		unlink(one(&o[7]));
	}
	mlnode_close(r.node);
	if (one(&o[9]))
		unlink(one(&o[9]));
	close(sfd);
	return code;
}

/* --- submit, status --- */

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* One request, one reply line; returns the reply object or NULL. */
static json_t *ctl_call(const char *path, json_t *req)
{
	char *s = json_dumps(req, JSON_COMPACT), buf[CTL_MAX_LINE + 1];
	size_t len = 0;
	json_t *rep;
	int fd;

	json_decref(req);
	if (!s)
		return NULL;
	fd = ctl_connect(path);
	if (fd < 0) {
		fail("%s: %s", path, strerror(-fd));
		free(s);
		return NULL;
	}
	if (dprintf(fd, "%s\n", s) < 0) {
		fail("%s: %s", path, strerror(errno));
		free(s);
		close(fd);
		return NULL;
	}
	free(s);
	while (len < CTL_MAX_LINE && !memchr(buf, '\n', len)) {
		ssize_t r = read(fd, buf + len, CTL_MAX_LINE - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	rep = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, NULL);
	if (!json_is_object(rep)) {
		json_decref(rep);
		fail("%s: no reply", path);
		return NULL;
	}
	return rep;
}

static int cmd_submit(int argc, char **argv)
{
	struct opt o[] = { { "ctl", 1, 0, 0, { 0 } }, { "tx", 1, 0, 0, { 0 } } };
	uint8_t buf[ML_TX_MAX_LEN];
	char hex[2 * ML_TX_MAX_LEN + 1];
	struct ml_tx tx;
	json_t *rep;
	size_t len;
	int ret;

	ret = get_opts(argc, argv, o, 2);
	if (ret)
		return ret;
	if (!one(&o[0]) || !one(&o[1]))
		return usage("needs --ctl SOCKET and --tx FILE|-");
	ret = read_all(one(&o[1]), buf, sizeof(buf), &len);
	if (ret)
		return usage("--tx %s: %s", one(&o[1]), ret == -EFBIG ?
			     "longer than a transaction" : strerror(-ret));
	if (ml_tx_decode(buf, len, &tx))
		return usage("--tx %s: not an encoded transaction", one(&o[1]));
	sodium_bin2hex(hex, sizeof(hex), buf, len);
	rep = ctl_call(one(&o[0]), json_pack("{s:s,s:s}", "cmd", "submit",
					     "tx", hex));
	if (!rep)
		return EX_RUNTIME;
	if (json_is_true(json_object_get(rep, "ok"))) {
		puts("ok");
		ret = 0;
	} else {
		const char *e = json_string_value(json_object_get(rep, "error"));

		ret = fail("refused: %s", e ? e : "(no reason)");
	}
	json_decref(rep);
	return ret;
}

static int cmd_status(int argc, char **argv)
{
	struct opt o[] = { { "ctl", 1, 0, 0, { 0 } }, { "j", 0, 0, 0, { 0 } } };
	json_t *rep;
	int ret;

	ret = get_opts(argc, argv, o, 2);
	if (ret)
		return ret;
	if (!one(&o[0]))
		return usage("needs --ctl SOCKET");
	rep = ctl_call(one(&o[0]), json_pack("{s:s}", "cmd", "status"));
	if (!rep)
		return EX_RUNTIME;
	if (!json_is_true(json_object_get(rep, "ok"))) {
		json_decref(rep);
		return fail("status refused");
	}
	if (o[1].n) {
		char *s = json_dumps(rep, JSON_COMPACT);

		puts(s ? s : "{}");
		free(s);
	} else {
		printf("height %" JSON_INTEGER_FORMAT " round %" JSON_INTEGER_FORMAT
		       " validator %s peers %" JSON_INTEGER_FORMAT
		       " mempool %" JSON_INTEGER_FORMAT "\n",
		       json_integer_value(json_object_get(rep, "height")),
		       json_integer_value(json_object_get(rep, "round")),
		       json_is_true(json_object_get(rep, "validator")) ? "yes" : "no",
		       json_integer_value(json_object_get(rep, "peers")),
		       json_integer_value(json_object_get(rep, "mempool")));
	}
	json_decref(rep);
	return 0;
}

/* --- dump --- */

static int cmd_dump(int argc, char **argv)
{
	struct opt o[] = { { "db", 1, 0, 0, { 0 } }, { "txs", 0, 0, 0, { 0 } } };
	struct ml_ledger_info info;
	struct ml_ledger *l;
	struct stat st;
	uint64_t h;
	int ret;

	ret = get_opts(argc, argv, o, 2);
	if (ret)
		return ret;
	if (!one(&o[0]))
		return usage("needs --db FILE");
	if (stat(one(&o[0]), &st))
		return usage("--db %s: %s", one(&o[0]), strerror(errno));
	ret = ml_ledger_open(one(&o[0]), &l);
	if (ret)
		return fail("%s: %s", one(&o[0]), strerror(-ret));
	ret = ml_ledger_info(l, &info);
	for (h = 1; !ret && h <= info.height; h++) {
		uint8_t *buf, hash[ML_HASH_LEN], id[ML_HASH_LEN];
		char hex[2 * ML_HASH_LEN + 1];
		struct ml_block b;
		size_t len;
		uint32_t i;

		ret = ml_ledger_block(l, h, &buf, &len);
		if (ret)
			break;
		ret = ml_block_decode(buf, len, &b);
		free(buf);
		if (ret)
			break;
		ml_block_hash(&b.hdr, hash);
		printf("%" PRIu64 " %s %u\n", h,
		       sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash)), b.ntx);
		for (i = 0; o[1].n && i < b.ntx; i++) {
			ml_tx_id(&b.txs[i], id);
			printf("tx %" PRIu64 " %s\n", h,
			       sodium_bin2hex(hex, sizeof(hex), id, sizeof(id)));
		}
		ml_block_free(&b);
	}
	ml_ledger_close(l);
	if (ret)
		return fail("%s: block %" PRIu64 ": %s", one(&o[0]), h,
			    strerror(-ret));
	return fflush(stdout) ? fail("stdout: write error") : 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "genesis", cmd_genesis }, { "keygen", cmd_keygen },
	{ "pubkey", cmd_pubkey }, { "transfer", cmd_transfer },
	{ "vote", cmd_vote },
	{ "run", cmd_run }, { "submit", cmd_submit },
	{ "status", cmd_status }, { "dump", cmd_dump },
};

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc < 2) {
		help(stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help(stdout);
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "mlnode: libsodium does not initialise\n");
		return EX_RUNTIME;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			cmd_name = cmds[i].name;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "mlnode: unknown command '%s' (mlnode --help)\n", argv[1]);
	return EX_USAGE;
}
