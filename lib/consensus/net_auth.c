// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mlnet admission: the ZAP handler thread, the allow-list it reads and the
 * per-key token buckets (see net.h and Documentation/ledger/transport.rst).
 *
 * ZAP (rfc.zeromq.org/spec/27): the handler binds a REP socket on
 * "inproc://zeromq.zap.01" in the context of the server socket. A request
 * is version "1.0", request id, domain, address, routing id, mechanism,
 * then the credentials (CURVE: the client's 32-byte long-term public key).
 * The reply is version, request id, status code ("200" admits, "400"
 * refuses), status text, user id, metadata. libzmq attaches the user id to
 * every message of that connection as the "User-Id" property.
 */
#include <errno.h>
#include <stdlib.h>

#include <zmq.h>

#include "net_priv.h"

/* --- token buckets --- */

static void refill(uint64_t *tok, uint64_t rate, uint64_t burst, uint64_t dt)
{
	uint64_t cap = burst * NS;

	if (*tok >= cap || dt >= (cap - *tok) / rate)
		*tok = cap;
	else
		*tok += dt * rate;
}

void mlnet_bucket_fill(const struct mlnet_cfg *c, struct bucket *b)
{
	b->msgs = (uint64_t)c->burst_msgs * NS;
	b->bytes = c->burst_bytes * NS;
	b->last_ns = now_ns();
}

/* Takes one message of @len bytes if both buckets hold enough. */
int mlnet_bucket_take(const struct mlnet_cfg *c, struct bucket *b, size_t len)
{
	uint64_t t = now_ns();
	uint64_t cost = (uint64_t)len * NS;

	refill(&b->msgs, c->rate_msgs, c->burst_msgs, t - b->last_ns);
	refill(&b->bytes, c->rate_bytes, c->burst_bytes, t - b->last_ns);
	b->last_ns = t;
	if (b->msgs < NS || b->bytes < cost)
		return 0;
	b->msgs -= NS;
	b->bytes -= cost;
	return 1;
}

/* --- the ZAP handler thread --- */

static int zkey_cmp(const void *a, const void *b)
{
	return memcmp(a, b, crypto_box_PUBLICKEYBYTES);
}

/* Returns 1 and the Ed25519 key if @curve belongs to an allowed key. */
static int zap_lookup(struct mlnet *n, const uint8_t *curve, uint8_t ed[32])
{
	struct zap_key *z;
	int ok = 0;

	pthread_mutex_lock(&n->zap_lock);
	z = n->nzkeys ? bsearch(curve, n->zkeys, n->nzkeys, sizeof(*z),
				zkey_cmp) : NULL;
	if (z) {
		memcpy(ed, z->ed, ML_KEY_LEN);
		ok = 1;
		n->zap_allowed++;
	} else {
		n->zap_denied++;
	}
	pthread_mutex_unlock(&n->zap_lock);
	return ok;
}

#define ZAP_FRAMES	8
#define ZAP_FRAME_MAX	256

struct zap_req {
	uint8_t f[ZAP_FRAMES][ZAP_FRAME_MAX];
	size_t len[ZAP_FRAMES];
	int nf;
	int truncated;
};

static int frame_is(const struct zap_req *r, int i, const char *s)
{
	return i < r->nf && r->len[i] == strlen(s) &&
	       !memcmp(r->f[i], s, r->len[i]);
}

/* 0 when a whole request was read; -1 when the context is ending. */
static int zap_read(void *s, struct zap_req *r)
{
	int more = 1;
	size_t sz = sizeof(more);

	r->nf = 0;
	r->truncated = 0;
	while (more) {
		uint8_t junk[ZAP_FRAME_MAX];
		int i = r->nf < ZAP_FRAMES ? r->nf : -1;
		int len = zmq_recv(s, i >= 0 ? r->f[i] : junk, ZAP_FRAME_MAX, 0);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (i < 0 || len > ZAP_FRAME_MAX)
			r->truncated = 1;
		if (i >= 0) {
			r->len[i] = len > ZAP_FRAME_MAX ? ZAP_FRAME_MAX
						    : (size_t)len;
			r->nf++;
		}
		if (zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz))
			return -1;
	}
	return 0;
}

static void zap_reply(void *s, const struct zap_req *r, const char *code,
		      const char *user)
{
	const uint8_t *id = r->nf > 1 ? r->f[1] : NULL;
	size_t idlen = r->nf > 1 ? r->len[1] : 0;

	zmq_send(s, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(s, id, idlen, ZMQ_SNDMORE);
	zmq_send(s, code, 3, ZMQ_SNDMORE);
	zmq_send(s, code[0] == '2' ? "OK" : "refused", code[0] == '2' ? 2 : 7,
		 ZMQ_SNDMORE);
	zmq_send(s, user, strlen(user), ZMQ_SNDMORE);
	zmq_send(s, "", 0, 0);
}

void *mlnet_zap_main(void *arg)
{
	struct mlnet *n = arg;
	struct zap_req *r = malloc(sizeof(*r));

	while (r && !zap_read(n->zap, r)) {
		uint8_t ed[ML_KEY_LEN];
		char user[2 * ML_KEY_LEN + 1];

		/* frames: version, id, domain, address, routing id,
		 * mechanism, credentials */
		if (r->truncated || r->nf != 7 || !frame_is(r, 0, "1.0") ||
		    !frame_is(r, 2, ZAP_DOMAIN) || !frame_is(r, 5, "CURVE") ||
		    r->len[6] != crypto_box_PUBLICKEYBYTES) {
			pthread_mutex_lock(&n->zap_lock);
			n->zap_denied++;
			pthread_mutex_unlock(&n->zap_lock);
			zap_reply(n->zap, r, "400", "");
			continue;
		}
		if (!zap_lookup(n, r->f[6], ed)) {
			zap_reply(n->zap, r, "400", "");
			continue;
		}
		sodium_bin2hex(user, sizeof(user), ed, ML_KEY_LEN);
		zap_reply(n->zap, r, "200", user);
	}
	free(r);
	zmq_close(n->zap);
	return NULL;
}

/* --- the allow-list --- */

struct allowed *mlnet_allow_find(struct mlnet *n, const uint8_t *key)
{
	if (!n->nallow)
		return NULL;
	return bsearch(key, n->allow, n->nallow, sizeof(*n->allow), key_cmp);
}

int mlnet_set_allowed(struct mlnet *n, const uint8_t *keys, size_t nkeys)
{
	struct allowed *a;
	struct zap_key *z, *old;
	size_t i, m = 0;

	if (nkeys > MLNET_MAX_ALLOWED || (nkeys && !keys))
		return -EINVAL;
	a = calloc(nkeys ? nkeys : 1, sizeof(*a));
	z = calloc(nkeys ? nkeys : 1, sizeof(*z));
	if (!a || !z) {
		free(a);
		free(z);
		return -ENOMEM;
	}
	for (i = 0; i < nkeys; i++)
		memcpy(a[i].ed, keys + i * ML_KEY_LEN, ML_KEY_LEN);
	qsort(a, nkeys, sizeof(*a), key_cmp);
	for (i = 0; i < nkeys; i++) {
		struct allowed *prev;

		if (m && !memcmp(a[m - 1].ed, a[i].ed, ML_KEY_LEN))
			continue;
		a[m] = a[i];
		memcpy(z[m].ed, a[m].ed, ML_KEY_LEN);
		if (crypto_sign_ed25519_pk_to_curve25519(z[m].curve, a[m].ed))
			goto inval;
		prev = mlnet_allow_find(n, a[m].ed);
		if (prev) {
			a[m].b = prev->b;
			a[m].delivered = prev->delivered;
			a[m].rate_dropped = prev->rate_dropped;
		} else {
			mlnet_bucket_fill(&n->cfg, &a[m].b);
		}
		m++;
	}
	qsort(z, m, sizeof(*z), zkey_cmp);
	/* P and -P map to one X25519 key; refuse the ambiguity */
	for (i = 1; i < m; i++)
		if (!zkey_cmp(&z[i - 1], &z[i]))
			goto inval;

	pthread_mutex_lock(&n->zap_lock);
	old = n->zkeys;
	n->zkeys = z;
	n->nzkeys = m;
	pthread_mutex_unlock(&n->zap_lock);
	free(old);
	free(n->allow);
	n->allow = a;
	n->nallow = m;
	return 0;
inval:
	free(a);
	free(z);
	return -EINVAL;
}
