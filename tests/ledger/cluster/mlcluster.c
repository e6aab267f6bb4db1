// SPDX-License-Identifier: GPL-2.0
/*
 * mlcluster: the C half of the cluster scenarios (tests/ledger/cluster/).
 *
 *   mlcluster txs --key FILE --to HEX --chain-id N --nonce A --count C
 *                 [--amount X]
 *       signed transfers, one per line: "IDHEX TXHEX"
 *   mlcluster submit --ctl SOCKET [--timeout-ms T]
 *       reads "IDHEX TXHEX" lines on stdin, submits each through the
 *       node's control socket ({"cmd":"submit"}), prints the id of every
 *       transaction the node acknowledged; stops at the first broken
 *       connection (what was acknowledged until then is printed)
 *   mlcluster check [--acked FILE] [--total N | --genesis FILE]
 *                   [--evidence MIN] [--evidence-types LIST]
 *                   [--offender HEXKEY] [--same-height] [--min-height H]
 *                   DB...
 *       the invariants of a finished scenario, read from the nodes'
 *       SQLite ledgers with lib/ledger: identical chains (one block per
 *       height, each linked to the one before), every acknowledged
 *       transaction final exactly once, no transaction twice, equal state
 *       roots at equal heights, every chain at H or above (or all at
 *       the same height), the sum of balances conserved, on every
 *       chain at least MIN evidence transactions and one of each
 *       double-signed kind in LIST (a comma-separated subset of
 *       "proposal,prepare,commit"), against HEXKEY when given; prints
 *       one "# " line per finding and exits 1 on any violation
 *   mlcluster verify-rate
 *       Ed25519 verifies per second on one core
 *   mlcluster bench --db FILE --ctl SOCKET... [--rate TX/S] [--window N]
 *                   < TXLINES
 *       submits the transactions round-robin to the sockets (pipelined;
 *       at most TX/S per second when given; at most N submitted and not
 *       yet final when given), watches the ledger FILE for the blocks
 *       that carry them and prints "final N of M seconds S p50 MS p99 MS
 *       submitted S steady TX/S": steady is the rate of the blocks after
 *       the first that carried any of them (the pipeline filled), over
 *       the time from that first block to the last
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger.h"

#define LINE_MAX_LEN	(2 * ML_TX_MAX_LEN + 256)
#define BENCH_WINDOW	64

static void die(const char *fmt, const char *arg)
	__attribute__((noreturn));
static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "mlcluster: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

static int unhex(const char *s, size_t slen, uint8_t *b, size_t cap,
		 size_t *n)
{
	return sodium_hex2bin(b, cap, s, slen, NULL, n, NULL);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		die("not a number: %s", s);
	return v;
}

/* --- txs --- */
static int cmd_txs(int argc, char **argv)
{
	static const struct option o[] = {
		{ "key", 1, 0, 'k' }, { "to", 1, 0, 't' },
		{ "chain-id", 1, 0, 'c' }, { "nonce", 1, 0, 'n' },
		{ "count", 1, 0, 'N' }, { "amount", 1, 0, 'a' }, { 0 }
	};
	const char *keyf = NULL, *to = NULL;
	uint64_t chain = 0, nonce = 0, count = 1, amount = 1, i;
	uint8_t sk[64], id[ML_HASH_LEN], buf[ML_TX_MAX_LEN];
	char idh[2 * ML_HASH_LEN + 1], txh[2 * ML_TX_MAX_LEN + 1];
	struct ml_tx tx = { .kind = ML_TX_TRANSFER };
	size_t n, len;
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'k': keyf = optarg; break;
		case 't': to = optarg; break;
		case 'c': chain = num(optarg); break;
		case 'n': nonce = num(optarg); break;
		case 'N': count = num(optarg); break;
		case 'a': amount = num(optarg); break;
		default: return 2;
		}
	}
	if (!keyf || !to || !chain)
		die("txs: --key, --to and --chain-id are required%s", "");
	f = fopen(keyf, "rb");
	if (!f || fread(sk, 1, 64, f) != 64 || fgetc(f) != EOF)
		die("%s: not a 64-byte key file", keyf);
	fclose(f);
	if (unhex(to, strlen(to), tx.u.transfer.to, ML_KEY_LEN, &n) ||
	    n != ML_KEY_LEN)
		die("--to: not a 64-digit hex key: %s", to);
	tx.chain_id = chain;
	tx.u.transfer.amount = amount;
	for (i = 0; i < count; i++) {
		tx.nonce = nonce + i;
		if (ml_tx_sign(&tx, sk) ||
		    ml_tx_encode(&tx, buf, sizeof(buf), &len))
			die("cannot sign a transfer%s", "");
		ml_tx_id(&tx, id);
		hex(id, sizeof(id), idh);
		hex(buf, len, txh);
		printf("%s %s\n", idh, txh);
	}
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

/* --- the control socket --- */
struct ctl {
	int fd;
	char in[4096];
	size_t have;
};

static int ctl_open(struct ctl *c, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	c->have = 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a))) {
		int e = -errno;

		close(c->fd);
		return e;
	}
	return 0;
}

/* One request line out, one reply line back (NUL-terminated in @out). */
static int ctl_call(struct ctl *c, const char *req, char *out, size_t cap,
		    int timeout_ms)
{
	size_t len = strlen(req), off = 0;
	char *nl;

	while (off < len) {
		ssize_t w = send(c->fd, req + off, len - off, MSG_NOSIGNAL);

		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	while (!(nl = memchr(c->in, '\n', c->have))) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t r;

		if (c->have == sizeof(c->in))
			return -EMSGSIZE;
		if (poll(&p, 1, timeout_ms) != 1)
			return -ETIMEDOUT;
		r = recv(c->fd, c->in + c->have, sizeof(c->in) - c->have, 0);
		if (r <= 0)
			return r ? -errno : -ECONNRESET;
		c->have += (size_t)r;
	}
	len = (size_t)(nl - c->in);
	if (len >= cap)
		return -EMSGSIZE;
	memcpy(out, c->in, len);
	out[len] = 0;
	memmove(c->in, nl + 1, c->have - len - 1);
	c->have -= len + 1;
	return 0;
}

static int reply_ok(const char *r)
{
	return strstr(r, "\"ok\":true") || strstr(r, "\"ok\": true");
}

/* "IDHEX TXHEX" -> the two halves, NUL-terminated in place */
static int split(char *line, char **id, char **tx)
{
	char *sp = strchr(line, ' ');

	line[strcspn(line, "\r\n")] = 0;
	if (!sp || sp - line != 2 * ML_HASH_LEN)
		return -EINVAL;
	*sp = 0;
	*id = line;
	*tx = sp + 1;
	return 0;
}

static int cmd_submit(int argc, char **argv)
{
	static const struct option o[] = {
		{ "ctl", 1, 0, 'c' }, { "timeout-ms", 1, 0, 't' }, { 0 }
	};
	static char line[LINE_MAX_LEN], req[LINE_MAX_LEN + 64], rep[4096];
	const char *path = NULL;
	unsigned long acked = 0, refused = 0;
	int timeout = 5000, c, ret;
	struct ctl ctl;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 't': timeout = (int)num(optarg); break;
		default: return 2;
		}
	}
	if (!path)
		die("submit: --ctl is required%s", "");
	ret = ctl_open(&ctl, path);
	if (ret) {
		fprintf(stderr, "mlcluster: %s: %s\n", path, strerror(-ret));
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char *id, *tx;

		if (split(line, &id, &tx))
			die("submit: bad input line: %s", line);
		snprintf(req, sizeof(req), "{\"cmd\":\"submit\",\"tx\":\"%s\"}\n",
			 tx);
		ret = ctl_call(&ctl, req, rep, sizeof(rep), timeout);
		if (ret) {
			fprintf(stderr, "mlcluster: %s: %s after %lu acks\n",
				path, strerror(-ret), acked);
			break;
		}
		if (reply_ok(rep)) {
			printf("%s\n", id);
			fflush(stdout);
			acked++;
		} else {
			refused++;
			if (refused <= 3)
				fprintf(stderr, "mlcluster: %s: refused: %s\n",
					path, rep);
		}
	}
	close(ctl.fd);
	fprintf(stderr, "mlcluster: %s: %lu acknowledged, %lu refused\n", path,
		acked, refused);
	return ret ? 1 : 0;
}

/* --- reading a chain --- */
struct chain {
	const char *path;
	struct ml_ledger *l;
	uint64_t height;
	uint8_t (*hash)[ML_HASH_LEN];	/* [height], 1-based */
	uint8_t root[ML_HASH_LEN];
	int64_t total;
	uint64_t ev[4];		/* evidence transactions by vote type */
};

static int bad;

static void finding(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void finding(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# FAIL ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	bad = 1;
}

/* sorted ids with counts */
struct idset {
	uint8_t (*id)[ML_HASH_LEN];
	size_t n, cap;
};

static void idset_add(struct idset *s, const uint8_t *id)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->id = realloc(s->id, s->cap * ML_HASH_LEN);
		if (!s->id)
			die("out of memory%s", "");
	}
	memcpy(s->id[s->n++], id, ML_HASH_LEN);
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, ML_HASH_LEN);
}

static size_t idset_count(const struct idset *s, const uint8_t *id)
{
	const uint8_t (*p)[ML_HASH_LEN] = bsearch(id, s->id, s->n,
						  ML_HASH_LEN, cmp_id);
	size_t c = 0;

	if (!p)
		return 0;
	while (p > s->id && !memcmp(p[-1], id, ML_HASH_LEN))
		p--;
	while (p < s->id + s->n && !memcmp(*p, id, ML_HASH_LEN)) {
		p++;
		c++;
	}
	return c;
}

/* Reads @c's chain; its transactions go to @txs when not NULL. */
/* evidence counted only against this validator when set (--offender) */
static uint8_t offender[ML_KEY_LEN];
static int offender_set;

static int chain_load(struct chain *c, struct idset *txs)
{
	struct ml_ledger_info info;
	uint8_t prev[ML_HASH_LEN] = { 0 };
	uint64_t h;
	int ret;

	ret = ml_ledger_open(c->path, &c->l);
	if (ret) {
		finding("%s: cannot open the ledger: %s", c->path,
			strerror(-ret));
		return ret;
	}
	ret = ml_ledger_info(c->l, &info);
	ret = ret ? ret : ml_ledger_total(c->l, &c->total);
	if (ret) {
		finding("%s: cannot read the ledger: %s", c->path,
			strerror(-ret));
		return ret;
	}
	c->height = info.height;
	memset(c->ev, 0, sizeof(c->ev));
	memcpy(c->root, info.state_root, ML_HASH_LEN);
	c->hash = calloc(info.height + 1, ML_HASH_LEN);
	if (!c->hash)
		die("out of memory%s", "");
	for (h = 1; h <= info.height; h++) {
		struct ml_block b;
		uint8_t *buf;
		size_t len;
		uint32_t i;

		ret = ml_ledger_block(c->l, h, &buf, &len);
		if (ret) {
			finding("%s: block %" PRIu64 " missing: %s", c->path,
				h, strerror(-ret));
			return ret;
		}
		ret = ml_block_decode(buf, len, &b);
		free(buf);
		if (ret) {
			finding("%s: block %" PRIu64 " does not decode",
				c->path, h);
			return ret;
		}
		ml_block_hash(&b.hdr, c->hash[h]);
		if (b.hdr.height != h ||
		    (h > 1 && memcmp(b.hdr.prev_hash, prev, ML_HASH_LEN)))
			finding("%s: block %" PRIu64 " does not link to %" PRIu64,
				c->path, h, h - 1);
		memcpy(prev, c->hash[h], ML_HASH_LEN);
		for (i = 0; i < b.ntx; i++) {
			const struct ml_tx *t = &b.txs[i];
			uint8_t id[ML_HASH_LEN];

			if (txs) {
				ml_tx_id(t, id);
				idset_add(txs, id);
			}
			if (t->kind == ML_TX_EVIDENCE &&
			    t->u.evidence.type < 4 &&
			    (!offender_set ||
			     !memcmp(t->u.evidence.validator, offender,
				     ML_KEY_LEN)))
				c->ev[t->u.evidence.type]++;
		}
		ml_block_free(&b);
	}
	return 0;
}

/* The sum of balances a ledger made from the genesis file @path holds. */
static int64_t genesis_total(const char *path)
{
	char dir[] = "/tmp/mlcluster.XXXXXX", db[64];
	struct ml_genesis g;
	struct ml_ledger *l;
	uint8_t *buf;
	int64_t total = -1;
	long len;
	FILE *f = fopen(path, "rb");

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET))
		die("%s: cannot read the genesis", path);
	buf = malloc((size_t)len);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len ||
	    ml_genesis_decode(buf, (size_t)len, &g))
		die("%s: not a genesis file", path);
	fclose(f);
	free(buf);
	if (!mkdtemp(dir))
		die("cannot make a directory in /tmp%s", "");
	snprintf(db, sizeof(db), "%s/g.db", dir);
	if (ml_ledger_create(db, &g) || ml_ledger_open(db, &l) ||
	    ml_ledger_total(l, &total))
		die("%s: cannot make a ledger from it", path);
	ml_ledger_close(l);
	ml_genesis_free(&g);
	unlink(db);
	snprintf(db, sizeof(db), "%s/g.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/g.db-shm", dir);
	unlink(db);
	rmdir(dir);
	return total;
}

static int cmd_check(int argc, char **argv)
{
	static const struct option o[] = {
		{ "acked", 1, 0, 'a' }, { "total", 1, 0, 't' },
		{ "evidence", 1, 0, 'e' }, { "same-height", 0, 0, 's' },
		{ "genesis", 1, 0, 'g' }, { "min-height", 1, 0, 'm' },
		{ "offender", 1, 0, 'o' }, { "evidence-types", 1, 0, 'E' },
		{ 0 }
	};
	static const char *const vtype[4] = { NULL, "proposal", "prepare",
					      "commit" };
	unsigned int want_types = 0;
	char *tok, *save;
	const char *acked = NULL;
	int64_t total = -1;
	uint64_t want_ev = 0, ev = 0, h, nack = 0, missing = 0, twice = 0;
	uint64_t min_h = 0;
	int same = 0, c, i, n, longest = 0;
	struct idset txs = { 0 };
	struct chain *ch;
	char line[256];
	size_t k;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'a': acked = optarg; break;
		case 't': total = (int64_t)num(optarg); break;
		case 'e': want_ev = num(optarg); break;
		case 'E':
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				for (k = 1; k < 4 && strcmp(tok, vtype[k]); k++)
					;
				if (k == 4)
					die("--evidence-types: '%s' is not proposal, prepare or commit",
					    tok);
				want_types |= 1u << k;
			}
			break;
		case 's': same = 1; break;
		case 'g': total = genesis_total(optarg); break;
		case 'm': min_h = num(optarg); break;
		case 'o':
			if (unhex(optarg, strlen(optarg), offender,
				  sizeof(offender), &k) || k != ML_KEY_LEN)
				die("--offender: not a 64-digit hex key: %s",
				    optarg);
			offender_set = 1;
			break;
		default: return 2;
		}
	}
	n = argc - optind;
	if (n < 1)
		die("check: no database given%s", "");
	ch = calloc((size_t)n, sizeof(*ch));
	if (!ch)
		die("out of memory%s", "");
	for (i = 0; i < n; i++) {
		ch[i].path = argv[optind + i];
		if (chain_load(&ch[i], NULL))
			return 1;
		if (ch[i].height > ch[longest].height)
			longest = i;
	}
	/* the longest chain again, with its transactions */
	ml_ledger_close(ch[longest].l);
	free(ch[longest].hash);
	if (chain_load(&ch[longest], &txs))
		return 1;
	for (i = 0; i < n; i++) {
		printf("# %s: height %" PRIu64 "\n", ch[i].path, ch[i].height);
		for (h = 1; h <= ch[i].height; h++)
			if (memcmp(ch[i].hash[h], ch[longest].hash[h],
				   ML_HASH_LEN)) {
				finding("fork: %s and %s differ at height %" PRIu64,
					ch[i].path, ch[longest].path, h);
				break;
			}
		if (ch[i].height < min_h)
			finding("%s stopped at %" PRIu64 ", below %" PRIu64,
				ch[i].path, ch[i].height, min_h);
		if (same && ch[i].height != ch[longest].height)
			finding("%s stopped at %" PRIu64 ", %s is at %" PRIu64,
				ch[i].path, ch[i].height, ch[longest].path,
				ch[longest].height);
		if (ch[i].height == ch[longest].height &&
		    memcmp(ch[i].root, ch[longest].root, ML_HASH_LEN))
			finding("%s: state root differs at the same height",
				ch[i].path);
		for (k = 1, ev = 0; k < 4; k++) {
			ev += ch[i].ev[k];
			if ((want_types & (1u << k)) && !ch[i].ev[k])
				finding("%s: no evidence of two signed %ss",
					ch[i].path, vtype[k]);
		}
		if (ev < want_ev)
			finding("%s: %" PRIu64 " evidence transactions, want >= %" PRIu64,
				ch[i].path, ev, want_ev);
		if (ch[i].total != ch[longest].total ||
		    (total >= 0 && ch[i].total != total))
			finding("%s: balances sum to %" PRId64 ", want %" PRId64,
				ch[i].path, ch[i].total,
				total >= 0 ? total : ch[longest].total);
	}
	qsort(txs.id, txs.n, ML_HASH_LEN, cmp_id);
	for (k = 1; k < txs.n; k++)
		if (!memcmp(txs.id[k], txs.id[k - 1], ML_HASH_LEN) &&
		    (k < 2 || memcmp(txs.id[k], txs.id[k - 2], ML_HASH_LEN)))
			twice++;
	if (twice)
		finding("%" PRIu64 " transactions are final more than once",
			twice);
	if (acked) {
		FILE *f = fopen(acked, "r");

		if (!f)
			die("%s: cannot open", acked);
		while (fgets(line, sizeof(line), f)) {
			uint8_t id[ML_HASH_LEN];
			size_t len;

			line[strcspn(line, "\r\n ")] = 0;
			if (!*line)
				continue;
			if (unhex(line, strlen(line), id, sizeof(id), &len) ||
			    len != sizeof(id))
				die("bad id in the acked file: %s", line);
			nack++;
			if (idset_count(&txs, id) != 1 && missing++ < 3)
				finding("acknowledged %s final %zu times", line,
					idset_count(&txs, id));
		}
		fclose(f);
		if (missing)
			finding("%" PRIu64 " of %" PRIu64
				" acknowledged transactions not final exactly once",
				missing, nack);
	}
	for (k = 1, ev = 0; k < 4; k++)
		ev += ch[longest].ev[k];
	printf("# %d chains, height %" PRIu64 ", %zu transactions final, %" PRIu64
	       " acknowledged, %" PRIu64 " evidence (%" PRIu64 " proposal, %"
	       PRIu64 " prepare, %" PRIu64 " commit)\n", n, ch[longest].height,
	       txs.n, nack, ev, ch[longest].ev[1], ch[longest].ev[2],
	       ch[longest].ev[3]);
	for (i = 0; i < n; i++) {
		ml_ledger_close(ch[i].l);
		free(ch[i].hash);
	}
	free(ch);
	free(txs.id);
	return bad;
}

static int cmd_verify_rate(void)
{
	uint8_t pk[32], sk[64], sig[64], msg[ML_HASH_LEN] = { 1 };
	double t0 = now_s(), t;
	long n = 0;
	int i;

	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	do {
		for (i = 0; i < 200; i++)
			if (crypto_sign_verify_detached(sig, msg, sizeof(msg),
							pk))
				return 1;
		n += 200;
		t = now_s() - t0;
	} while (t < 1.0);
	printf("%.0f\n", n / t);
	return 0;
}

/* --- bench --- */
struct pend {
	uint8_t id[ML_HASH_LEN];
	double sent, final;
};

static int cmp_pend_id(const void *a, const void *b)
{
	return memcmp(((const struct pend *)a)->id, ((const struct pend *)b)->id,
		      ML_HASH_LEN);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Marks the transactions of blocks above *@seen final at @t. */
struct steady {
	double first, last;	/* when the first and last block were seen */
	size_t after_first;	/* transactions final after the first block */
};

static void scan(const char *db, uint64_t *seen, struct pend *p, size_t np,
		 double t, size_t *nfinal, struct steady *st)
{
	struct ml_ledger *l;
	uint8_t *buf;
	size_t len;

	if (ml_ledger_open(db, &l))
		return;
	while (!ml_ledger_block(l, *seen + 1, &buf, &len)) {
		struct ml_block b;
		uint32_t i;
		size_t had = *nfinal;

		if (!ml_block_decode(buf, len, &b)) {
			/* the timeline, for the post-mortem of a slow run */
			fprintf(stderr, "block %llu txs %u seen %.3f\n",
				(unsigned long long)b.hdr.height, b.ntx, t);
			for (i = 0; i < b.ntx; i++) {
				struct pend key, *x;

				ml_tx_id(&b.txs[i], key.id);
				x = bsearch(&key, p, np, sizeof(*p),
					    cmp_pend_id);
				if (x && !x->final) {
					x->final = t;
					(*nfinal)++;
				}
			}
			ml_block_free(&b);
		}
		if (*nfinal > had) {
			if (!st->first)
				st->first = t;
			else
				st->after_first += *nfinal - had;
			st->last = t;
		}
		free(buf);
		(*seen)++;
	}
	ml_ledger_close(l);
}

static int cmd_bench(int argc, char **argv)
{
	static const struct option o[] = {
		{ "db", 1, 0, 'd' }, { "ctl", 1, 0, 'c' },
		{ "timeout-s", 1, 0, 't' }, { "rate", 1, 0, 'r' },
		{ "window", 1, 0, 'w' }, { 0 }
	};
	static char line[LINE_MAX_LEN], req[LINE_MAX_LEN + 64];
	struct steady st = { 0 };
	size_t window = 0;
	const char *db = NULL, *paths[16];
	struct ctl ctl[16];
	size_t np = 0, cap = 0, nfinal = 0, i, nlat = 0, done = 0, refused = 0;
	size_t nxt[16], inflight[16] = { 0 }, sent = 0;
	double rate = 0;
	int nctl = 0, c;
	uint64_t seen = 0;
	double t0, tend, tsub, limit = 120, *lat, last_scan = 0;
	struct pend *p = NULL;
	char **lines = NULL;
	struct ml_ledger *l;
	struct ml_ledger_info info;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'c':
			if (nctl == 16)
				die("bench: at most 16 sockets%s", "");
			paths[nctl++] = optarg;
			break;
		case 't': limit = (double)num(optarg); break;
		case 'r': rate = (double)num(optarg); break;
		case 'w': window = (size_t)num(optarg); break;
		default: return 2;
		}
	}
	if (!db || !nctl)
		die("bench: --db and --ctl are required%s", "");
	while (fgets(line, sizeof(line), stdin)) {
		char *id, *tx;
		size_t n;

		if (split(line, &id, &tx))
			die("bench: bad input line: %s", line);
		if (np == cap) {
			cap = cap ? 2 * cap : 1024;
			p = realloc(p, cap * sizeof(*p));
			lines = realloc(lines, cap * sizeof(*lines));
			if (!p || !lines)
				die("out of memory%s", "");
		}
		memset(&p[np], 0, sizeof(p[np]));
		if (unhex(id, strlen(id), p[np].id, ML_HASH_LEN, &n))
			die("bench: bad id %s", id);
		lines[np] = strdup(tx);
		np++;
	}
	for (c = 0; c < nctl; c++)
		if (ctl_open(&ctl[c], paths[c]))
			die("bench: cannot connect to %s", paths[c]);
	if (ml_ledger_open(db, &l) || ml_ledger_info(l, &info))
		die("bench: cannot open %s", db);
	seen = info.height;
	ml_ledger_close(l);
	/* ids sorted for the scan; the lines keep the submission order */
	{
		struct pend *sorted = malloc(np * sizeof(*sorted));

		if (!sorted)
			die("out of memory%s", "");
		memcpy(sorted, p, np * sizeof(*p));
		qsort(sorted, np, sizeof(*sorted), cmp_pend_id);
		/* pipelined: up to BENCH_WINDOW requests in flight per
		 * socket, transaction i to socket i % nctl, so the client
		 * is not what limits the rate
		 */
		t0 = now_s();
		fprintf(stderr, "start %.3f\n", t0);
		for (c = 0; c < nctl; c++)
			nxt[c] = (size_t)c;
		while (done < np && now_s() - t0 < limit) {
			struct pollfd pf[16];

			for (c = 0; c < nctl; c++) {
				while (nxt[c] < np &&
				       inflight[c] < BENCH_WINDOW &&
				       (!window || sent - nfinal - refused < window) &&
				       (!rate || sent < rate * (now_s() - t0))) {
					struct pend key, *x;

					i = nxt[c];
					snprintf(req, sizeof(req),
						 "{\"cmd\":\"submit\",\"tx\":\"%s\"}\n",
						 lines[i]);
					memcpy(key.id, p[i].id, ML_HASH_LEN);
					x = bsearch(&key, sorted, np,
						    sizeof(*sorted), cmp_pend_id);
					x->sent = now_s();
					if (send(ctl[c].fd, req, strlen(req),
						 MSG_NOSIGNAL) !=
					    (ssize_t)strlen(req))
						die("bench: send to %s failed",
						    paths[c]);
					inflight[c]++;
					sent++;
					nxt[c] += (size_t)nctl;
				}
				pf[c] = (struct pollfd){ .fd = ctl[c].fd,
							 .events = POLLIN };
			}
			if (poll(pf, (nfds_t)nctl, rate ? 5 : 50) < 0)
				die("bench: poll: %s", strerror(errno));
			for (c = 0; c < nctl; c++) {
				ssize_t r;
				char *nl;

				if (!(pf[c].revents & (POLLIN | POLLHUP)))
					continue;
				r = recv(ctl[c].fd, ctl[c].in + ctl[c].have,
					 sizeof(ctl[c].in) - ctl[c].have, 0);
				if (r <= 0)
					die("bench: %s closed", paths[c]);
				ctl[c].have += (size_t)r;
				while ((nl = memchr(ctl[c].in, '\n',
						    ctl[c].have))) {
					size_t l = (size_t)(nl - ctl[c].in);

					*nl = 0;
					if (!reply_ok(ctl[c].in) && refused++ < 3)
						fprintf(stderr, "mlcluster: bench: refused: %s\n",
							ctl[c].in);
					/* (a refused one never becomes final) */
					memmove(ctl[c].in, nl + 1,
						ctl[c].have - l - 1);
					ctl[c].have -= l + 1;
					inflight[c]--;
					done++;
				}
			}
			if (now_s() - last_scan > 0.05) {
				last_scan = now_s();
				scan(db, &seen, sorted, np, last_scan, &nfinal, &st);
			}
		}
		tsub = now_s() - t0;
		while (nfinal + refused < np && now_s() - t0 < limit) {
			usleep(20000);
			scan(db, &seen, sorted, np, now_s(), &nfinal, &st);
		}
		tend = now_s();
		lat = calloc(np, sizeof(*lat));
		for (i = 0; i < np; i++)
			if (sorted[i].final)
				lat[nlat++] = (sorted[i].final - sorted[i].sent) * 1e3;
		qsort(lat, nlat, sizeof(*lat), cmp_double);
		printf("final %zu of %zu seconds %.3f p50 %.0f p99 %.0f submitted %.3f steady %.0f\n",
		       nfinal, np, tend - t0, nlat ? lat[nlat / 2] : -1.0,
		       nlat ? lat[nlat * 99 / 100] : -1.0, tsub,
		       st.last > st.first ?
		       (double)st.after_first / (st.last - st.first) : 0.0);
		free(lat);
		free(sorted);
	}
	for (i = 0; i < np; i++)
		free(lines[i]);
	free(lines);
	free(p);
	return nfinal == np ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc < 2)
		die("usage: mlcluster txs|submit|check|verify-rate|bench ...%s", "");
	argv++;
	argc--;
	if (!strcmp(argv[0], "txs"))
		return cmd_txs(argc, argv);
	if (!strcmp(argv[0], "submit"))
		return cmd_submit(argc, argv);
	if (!strcmp(argv[0], "check"))
		return cmd_check(argc, argv);
	if (!strcmp(argv[0], "verify-rate"))
		return cmd_verify_rate();
	if (!strcmp(argv[0], "bench"))
		return cmd_bench(argc, argv);
	die("unknown command %s", argv[0]);
	return 2;
}
