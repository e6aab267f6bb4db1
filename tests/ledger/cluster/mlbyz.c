// SPDX-License-Identifier: GPL-2.0
/*
 * mlbyz: a byzantine validator for the cluster scenarios
 * (tests/ledger/cluster/cluster.sh, scenario "byzantine"). Test-only:
 * built by cluster.mk, never installed.
 *
 *   mlbyz --key FILE --genesis FILE --db FILE --signstate FILE
 *         --listen ENDPOINT --peers FILE [--block-ms N]
 *
 * It runs the real engine (lib/consensus) on its own ledger over the real
 * transport (net.c: CURVE, admitted by the honest nodes' ZAP handler as the
 * validator it is), so it follows the chain, syncs and votes like a node
 * does, and lies on top of that. Every message the engine signs passes
 * through send_cb() below before it leaves:
 *
 *   PROPOSAL  a second block for the same (height, round) is built on the
 *             same ledger (block time one second later, so another hash,
 *             yet valid) and signed too. The peers in odd places of the
 *             peers file get the second proposal first, the others the
 *             engine's first: the honest nodes are split between two
 *             valid blocks, and each of them sees both.
 *   PREPARE   after the engine's PREPARE for block X, at once: a PREPARE
 *             for another block Y (the other proposal when both are ours,
 *             else a hash derived from X), and a COMMIT for X and one for
 *             Y (each with a valid seal), without waiting for a prepared
 *             quorum. The engine's own COMMIT, later, repeats the first.
 *
 * An honest engine keeps the first signed vote or proposal of a validator
 * per (kind, round) and records a second one naming another block as
 * evidence (engine.c rec_add); one connection delivers in order, so the
 * honest nodes count the first and see the lie second. The commits go
 * out with the prepares because an honest node that has finalized the
 * height already ignores votes for it (stale): sent when the engine
 * commits, they would often come too late to be seen as a double commit.
 * The votes of the honest nodes alone are a quorum (3 of 4), so the chain
 * goes on whatever this node does, and they never finalize two blocks:
 * the lies add one vote to a block, and a quorum needs two honest ones.
 *
 * Logs one line per lie on stderr; on SIGTERM or SIGINT prints
 * "mlbyz: equivocated: P proposals, V prepares, C commits" and exits 0.
 * Bad arguments: a message and exit 2; a setup failure: exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "consensus.h"
#include "hash.h"
#include "ledger.h"
#include "net.h"
#include "node.h"

struct byz {
	uint8_t sk[64], pk[ML_KEY_LEN];
	struct ml_ledger *l;
	struct mlnet *net;
	struct mlnode_peer *peers;
	size_t npeers;
	uint64_t timer;
	/* our last pair of proposals: the lie's hash for our own votes */
	uint64_t prop_h;
	uint32_t prop_r;
	uint8_t prop_a[ML_HASH_LEN], prop_b[ML_HASH_LEN];
	int have_prop;
	uint64_t vote_h;	/* the last (height, round) we lied in */
	uint32_t vote_r;
	int have_vote;
	unsigned long nprop, nprep, ncommit;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void blog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void blog(const char *fmt, ...)
{
	va_list ap;

	fputs("mlbyz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (64L << 20) ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* Sends @m signed by us to one peer (@to) or to every peer. */
static void send_signed(struct byz *b, struct ml_cs_msg *m, const uint8_t *to)
{
	uint8_t *buf;
	size_t len, i;

	ml_cs_msg_sign(m, b->sk);
	if (ml_cs_msg_encode(m, &buf, &len)) {
		blog("cannot encode a %u message", m->type);
		return;
	}
	for (i = 0; i < b->npeers; i++)
		if (!to || !memcmp(to, b->peers[i].key, ML_KEY_LEN))
			mlnet_send(b->net, b->peers[i].key, buf, len);
	free(buf);
}

static void send_raw(struct byz *b, const uint8_t *to, const uint8_t *msg,
		     size_t len)
{
	size_t i;

	for (i = 0; i < b->npeers; i++)
		if (!to || !memcmp(to, b->peers[i].key, ML_KEY_LEN))
			mlnet_send(b->net, b->peers[i].key, msg, len);
}

/*
 * The second block of a proposal: the engine's with a block time one
 * second later, executed on our ledger for its roots. 0 and the encoded
 * block in @m2 (block, block_len, hash), or a negative errno.
 */
static int other_block(struct byz *b, const struct ml_cs_msg *m,
		       struct ml_cs_msg *m2)
{
	struct ml_block blk;
	uint8_t *buf;
	size_t len;
	int ret;

	ret = ml_block_decode(m->block, m->block_len, &blk);
	if (ret)
		return ret;
	blk.hdr.time++;
	ret = ml_ledger_build_block(b->l, &blk);
	ret = ret ? ret : ml_block_encode(&blk, &buf, &len);
	if (!ret) {
		ml_block_hash(&blk.hdr, m2->hash);
		m2->block = buf;
		m2->block_len = (uint32_t)len;
	}
	ml_block_free(&blk);
	return ret;
}

static void lie_proposal(struct byz *b, struct ml_cs_msg *m,
			 const uint8_t *msg, size_t len)
{
	struct ml_cs_msg m2 = *m;
	uint8_t *buf2;
	size_t len2, i;
	int ret;

	ret = other_block(b, m, &m2);
	if (ret) {
		blog("proposal %" PRIu64 "/%u: no second block (%s)",
		     m->height, m->round, strerror(-ret));
		send_raw(b, NULL, msg, len);
		return;
	}
	ml_cs_msg_sign(&m2, b->sk);
	ret = ml_cs_msg_encode(&m2, &buf2, &len2);
	if (ret) {
		free(m2.block);
		send_raw(b, NULL, msg, len);
		return;
	}
	for (i = 0; i < b->npeers; i++) {
		const uint8_t *k = b->peers[i].key;

		if (i % 2) {
			mlnet_send(b->net, k, buf2, len2);
			mlnet_send(b->net, k, msg, len);
		} else {
			mlnet_send(b->net, k, msg, len);
			mlnet_send(b->net, k, buf2, len2);
		}
	}
	if (!b->have_prop || b->prop_h != m->height || b->prop_r != m->round) {
		b->nprop++;	/* not a re-send of the engine's */
		blog("two proposals at %" PRIu64 "/%u", m->height, m->round);
	}
	b->prop_h = m->height;
	b->prop_r = m->round;
	memcpy(b->prop_a, m->hash, ML_HASH_LEN);
	memcpy(b->prop_b, m2.hash, ML_HASH_LEN);
	b->have_prop = 1;
	free(buf2);
	free(m2.block);
}

/* A COMMIT for @hash: the seal as engine.c seal_msg() makes it. */
static void send_commit(struct byz *b, const struct ml_cs_msg *prep,
			const uint8_t hash[ML_HASH_LEN])
{
	struct ml_cs_msg c = { .type = ML_CS_COMMIT, .chain_id = prep->chain_id,
			       .height = prep->height, .round = prep->round };
	uint8_t seal[64];
	size_t dl = strlen(ML_DOMAIN_COMMIT);

	memcpy(c.hash, hash, ML_HASH_LEN);
	memcpy(seal, ML_DOMAIN_COMMIT, dl);
	memcpy(seal + dl, hash, ML_HASH_LEN);
	crypto_sign_detached(c.seal, NULL, seal, dl + ML_HASH_LEN, b->sk);
	send_signed(b, &c, NULL);
}

/* After the engine's PREPARE @m (sent already): the lies of its round. */
static void lie_votes(struct byz *b, const struct ml_cs_msg *m)
{
	struct ml_cs_msg m2 = *m;

	if (b->have_vote && b->vote_h == m->height && b->vote_r == m->round)
		return;
	if (b->have_prop && b->prop_h == m->height && b->prop_r == m->round)
		memcpy(m2.hash, memcmp(m->hash, b->prop_a, ML_HASH_LEN) ?
		       b->prop_a : b->prop_b, ML_HASH_LEN);
	else	/* a block nobody proposed */
		crypto_generichash(m2.hash, ML_HASH_LEN, m->hash, ML_HASH_LEN,
				   (const uint8_t *)"mlbyz", 5);
	send_signed(b, &m2, NULL);
	send_commit(b, m, m->hash);
	send_commit(b, m, m2.hash);
	b->vote_h = m->height;
	b->vote_r = m->round;
	b->have_vote = 1;
	b->nprep++;
	b->ncommit++;
	blog("two prepares and two commits at %" PRIu64 "/%u", m->height,
	     m->round);
}

static void send_cb(void *ctx, const uint8_t *to, const uint8_t *msg,
		    size_t len)
{
	struct byz *b = ctx;
	struct ml_cs_msg m;

	if (ml_cs_msg_decode(msg, len, &m)) {
		send_raw(b, to, msg, len);
		return;
	}
	if (to || memcmp(m.sender, b->pk, ML_KEY_LEN)) {
		send_raw(b, to, msg, len);
	} else if (m.type == ML_CS_PROPOSAL) {
		lie_proposal(b, &m, msg, len);
	} else if (m.type == ML_CS_PREPARE) {
		send_raw(b, NULL, msg, len);	/* counted: it comes first */
		lie_votes(b, &m);
	} else {
		send_raw(b, NULL, msg, len);
	}
	ml_cs_msg_free(&m);
}

static void timer_cb(void *ctx, uint64_t deadline_ms)
{
	((struct byz *)ctx)->timer = deadline_ms ? deadline_ms : 1;
}

static uint64_t time_cb(void *ctx)
{
	(void)ctx;
	return (uint64_t)time(NULL);
}

static void log_cb(void *ctx, const char *msg)
{
	(void)ctx;
	blog("engine: %s", msg);
}

static int usage(const char *why, const char *arg)
{
	fprintf(stderr, "mlbyz: ");
	fprintf(stderr, why, arg);
	fprintf(stderr, "\nusage: mlbyz --key FILE --genesis FILE --db FILE --signstate FILE --listen ENDPOINT --peers FILE [--block-ms N]\n");
	return 2;
}

static int load_key(const char *path, uint8_t sk[64], uint8_t pk[32])
{
	uint8_t sk2[64], *buf;
	size_t len;
	int ret = read_file(path, &buf, &len);

	if (ret) {
		fprintf(stderr, "mlbyz: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	ret = -EINVAL;
	if (len == 64) {
		memcpy(sk, buf, 64);
		crypto_sign_seed_keypair(pk, sk2, sk);
		ret = memcmp(sk2, sk, 64) ? -EINVAL : 0;
		sodium_memzero(sk2, sizeof(sk2));
	}
	sodium_memzero(buf, len);
	free(buf);
	if (ret)
		fprintf(stderr, "mlbyz: %s: not a key file (64 bytes, the public half matching the seed)\n",
			path);
	return ret;
}

static int open_ledger(const char *genesis, const char *db,
		       struct ml_ledger **l, uint64_t *chain_id)
{
	struct ml_genesis g;
	uint8_t *enc;
	size_t len;
	int ret = read_file(genesis, &enc, &len);

	if (ret) {
		fprintf(stderr, "mlbyz: %s: %s\n", genesis, strerror(-ret));
		return ret;
	}
	ret = ml_genesis_decode(enc, len, &g);
	free(enc);
	if (ret) {
		fprintf(stderr, "mlbyz: %s: not a genesis file\n", genesis);
		return ret;
	}
	*chain_id = g.chain_id;
	if (access(db, F_OK))
		ret = ml_ledger_create(db, &g);
	ml_genesis_free(&g);
	ret = ret ? ret : ml_ledger_open(db, l);
	if (ret)
		fprintf(stderr, "mlbyz: %s: %s\n", db, strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option o[] = {
		{ "key", 1, 0, 'k' }, { "genesis", 1, 0, 'g' },
		{ "db", 1, 0, 'd' }, { "signstate", 1, 0, 's' },
		{ "listen", 1, 0, 'l' }, { "peers", 1, 0, 'p' },
		{ "block-ms", 1, 0, 'b' }, { 0 }
	};
	const char *key = NULL, *genesis = NULL, *db = NULL, *ss = NULL;
	const char *listen = NULL, *peers = NULL;
	struct ml_cs_ops ops = { .send = send_cb, .set_timer = timer_cb,
				 .unix_time = time_cb, .log = log_cb };
	struct ml_cs_config cc = { 0 };
	struct mlnet_cfg nc = { 0 };
	struct mlnet_peer *np;
	struct byz b = { 0 };
	struct ml_cs *cs = NULL;
	uint8_t *allow;
	uint64_t chain_id, next_tick = 0;
	unsigned long block_ms = 1000;
	char err[256], *end;
	size_t i;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case 'g': genesis = optarg; break;
		case 'd': db = optarg; break;
		case 's': ss = optarg; break;
		case 'l': listen = optarg; break;
		case 'p': peers = optarg; break;
		case 'b':
			errno = 0;
			block_ms = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || block_ms < 1 ||
			    block_ms > 60000)
				return usage("--block-ms '%s': not a number of milliseconds in 1..60000",
					     optarg);
			break;
		default:
			return usage("unknown option%s", "");
		}
	}
	if (optind != argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (!key || !genesis || !db || !ss || !listen || !peers)
		return usage("--key, --genesis, --db, --signstate, --listen and --peers are all needed%s",
			     "");
	if (sodium_init() < 0)
		return 1;
	if (load_key(key, b.sk, b.pk))
		return 2;
	ret = mlnode_peers_load(peers, &b.peers, &b.npeers, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "mlbyz: %s\n", err);
		return 2;
	}
	if (open_ledger(genesis, db, &b.l, &chain_id))
		return 1;
	nc.chain_id = chain_id;
	nc.sk = b.sk;
	nc.bind = listen;
	nc.max_msg = ML_CS_MAX_MSG;
	ret = mlnet_open(&nc, &b.net);
	if (ret) {
		fprintf(stderr, "mlbyz: cannot listen on %s: %s\n", listen,
			strerror(-ret));
		return 1;
	}
	np = calloc(b.npeers + 1, sizeof(*np));
	allow = calloc(b.npeers + 1, ML_KEY_LEN);
	if (!np || !allow)
		return 1;
	for (i = 0; i < b.npeers; i++) {
		memcpy(np[i].key, b.peers[i].key, ML_KEY_LEN);
		np[i].endpoint = b.peers[i].endpoint;
		memcpy(allow + i * ML_KEY_LEN, b.peers[i].key, ML_KEY_LEN);
	}
	ret = mlnet_set_peers(b.net, np, b.npeers);
	ret = ret ? ret : mlnet_set_allowed(b.net, allow, b.npeers);
	free(np);
	free(allow);
	if (ret) {
		fprintf(stderr, "mlbyz: peers: %s\n", strerror(-ret));
		return 1;
	}
	memcpy(cc.sk, b.sk, sizeof(cc.sk));
	cc.state_path = ss;
	cc.block_period_ms = (uint32_t)block_ms;
	cc.timeout_base_ms = 1000;	/* node.h MLNODE_TIMEOUT_*_MS */
	cc.timeout_cap_ms = 8000;
	cc.max_drift_s = 10;
	cc.max_block_txs = 1024;
	ret = ml_cs_create(&cc, b.l, &ops, &b, mono_ms(), &cs);
	sodium_memzero(&cc, sizeof(cc));
	if (ret) {
		fprintf(stderr, "mlbyz: consensus engine: %s\n", strerror(-ret));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	blog("running as %02x%02x%02x%02x on %s, %zu peers", b.pk[0], b.pk[1],
	     b.pk[2], b.pk[3], listen, b.npeers);
	while (!stop) {
		struct pollfd p = { .fd = mlnet_fd(b.net), .events = POLLIN };
		uint8_t from[ML_KEY_LEN];
		const void *buf;
		size_t len;
		uint64_t now = mono_ms();
		int t = 100;

		if (b.timer)
			t = b.timer <= now ? 0 :
			    (int)(b.timer - now < 100 ? b.timer - now : 100);
		poll(&p, 1, t);
		while (!stop && !mlnet_recv(b.net, 0, from, &buf, &len)) {
			const uint8_t *q = buf;

			if (len && q[0] == ML_CS_VERSION)	/* not tx gossip */
				ml_cs_receive(cs, from, q, len, mono_ms());
		}
		now = mono_ms();
		if (b.timer && now >= b.timer) {
			b.timer = 0;
			ml_cs_timer(cs, now);
		}
		if (now >= next_tick) {	/* redials refused peers */
			struct mlnet_stats st;

			next_tick = now + 500;
			mlnet_stats(b.net, &st);
		}
	}
	printf("mlbyz: equivocated: %lu proposals, %lu prepares, %lu commits\n",
	       b.nprop, b.nprep, b.ncommit);
	fflush(stdout);
	ml_cs_destroy(cs);
	mlnet_close(b.net);
	ml_ledger_close(b.l);
	free(b.peers);
	sodium_memzero(b.sk, sizeof(b.sk));
	return 0;
}
