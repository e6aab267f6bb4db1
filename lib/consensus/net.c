// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mlnet: CURVE-secured ZeroMQ transport between validators (see net.h and
 * Documentation/ledger/transport.rst).
 *
 * Protocol facts used here:
 * - ZAP (rfc.zeromq.org/spec/27, see net_auth.c): the handler serves
 *   "inproc://zeromq.zap.01" in the server socket's context.
 * - The user id of the reply is attached to every message from that
 *   connection as the "User-Id" property (zmq_msg_gets(3)).
 * - zmq_socket_monitor(3), libzmq 4.3: each event is two frames, the
 *   first 6 bytes long (uint16 event, uint32 value, host byte order), the
 *   second the endpoint.
 * - libzmq 4.3 lets a CURVE server accept every client when no ZAP handler
 *   is bound (ZMQ_ZAP_ENFORCE_DOMAIN is a draft option, absent from
 *   Debian's build), so the handler is bound before the ROUTER, and a
 *   message without a user id is still dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "net_priv.h"

#define ZAP_ENDPOINT	"inproc://zeromq.zap.01"
#define MON_ENDPOINT	"inproc://mlnet.monitor"
#define MAX_MSG		(256u << 20)

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

int mlnet_frame_encode(uint64_t chain_id, const void *payload, size_t len,
		       uint8_t hdr[MLNET_HDR_LEN])
{
	(void)payload;
	if (len > MAX_MSG)
		return -EMSGSIZE;
	hdr[0] = 'm';
	hdr[1] = 'n';
	hdr[2] = MLNET_VERSION;
	hdr[3] = 0;
	put_be32(hdr + 4, (uint32_t)len);
	put_be64(hdr + 8, chain_id);
	return 0;
}

int mlnet_frame_decode(const uint8_t *buf, size_t len, uint64_t chain_id,
		       size_t max, const uint8_t **payload, size_t *plen)
{
	uint32_t n;

	if (len < MLNET_HDR_LEN || buf[0] != 'm' || buf[1] != 'n' ||
	    buf[2] != MLNET_VERSION || buf[3] != 0)
		return -EBADMSG;
	n = get_be32(buf + 4);
	if (n > max || len - MLNET_HDR_LEN > max)
		return -EMSGSIZE;
	if (n != len - MLNET_HDR_LEN)
		return -EBADMSG;
	if (get_be64(buf + 8) != chain_id)
		return -EXDEV;
	*payload = buf + MLNET_HDR_LEN;
	*plen = n;
	return 0;
}

/* --- peers --- */

static struct peer *peer_find(struct mlnet *n, const uint8_t *key)
{
	if (!n->npeers)
		return NULL;
	return bsearch(key, n->peers, n->npeers, sizeof(*n->peers), key_cmp);
}

static int setopt_int(void *s, int opt, int v)
{
	return zmq_setsockopt(s, opt, &v, sizeof(v));
}

static int common_opts(struct mlnet *n, void *s)
{
	int hb = n->cfg.heartbeat_ms;

	if (setopt_int(s, ZMQ_LINGER, 0) ||
	    setopt_int(s, ZMQ_HEARTBEAT_IVL, hb) ||
	    setopt_int(s, ZMQ_HEARTBEAT_TIMEOUT, 3 * hb) ||
	    setopt_int(s, ZMQ_HEARTBEAT_TTL, 3 * hb) ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, n->curve_sk,
			   sizeof(n->curve_sk)))
		return -1;
	return 0;
}

static int peer_connect(struct mlnet *n, struct peer *p)
{
	uint8_t server[crypto_box_PUBLICKEYBYTES];
	char mon[64];
	/* nothing is read from a DEALER, but CURVE handshake commands are */
	int64_t maxmsg = 4096;

	if (crypto_sign_ed25519_pk_to_curve25519(server, p->key))
		return -EINVAL;
	p->sock = zmq_socket(n->ctx, ZMQ_DEALER);
	if (!p->sock)
		return -errno;
	if (common_opts(n, p->sock) ||
	    zmq_setsockopt(p->sock, ZMQ_CURVE_PUBLICKEY, n->curve_pk,
			   sizeof(n->curve_pk)) ||
	    zmq_setsockopt(p->sock, ZMQ_CURVE_SERVERKEY, server,
			   sizeof(server)) ||
	    zmq_setsockopt(p->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) ||
	    setopt_int(p->sock, ZMQ_IMMEDIATE, 1) ||
	    setopt_int(p->sock, ZMQ_SNDHWM, n->cfg.snd_hwm) ||
	    setopt_int(p->sock, ZMQ_RCVHWM, 1) ||
	    setopt_int(p->sock, ZMQ_RECONNECT_IVL, n->cfg.reconnect_ms) ||
	    setopt_int(p->sock, ZMQ_RECONNECT_IVL_MAX, n->cfg.reconnect_max_ms) ||
	    zmq_connect(p->sock, p->endpoint)) {
		int err = errno == EINVAL || errno == EPROTONOSUPPORT ||
			  errno == ENOENT ? -EINVAL : -errno;

		zmq_close(p->sock);
		p->sock = NULL;
		return err;
	}
	snprintf(mon, sizeof(mon), "inproc://mlnet.peer.%u", n->mon_seq++);
	if (zmq_socket_monitor(p->sock, mon, ZMQ_EVENT_DISCONNECTED |
			       ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
			       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))
		return -errno;
	p->mon = zmq_socket(n->ctx, ZMQ_PAIR);
	if (!p->mon || zmq_connect(p->mon, mon))
		return -errno;
	return 0;
}

static void peer_close(struct peer *p)
{
	if (p->sock) {
		zmq_socket_monitor(p->sock, NULL, 0);
		zmq_close(p->sock);
	}
	if (p->mon)
		zmq_close(p->mon);
	p->sock = p->mon = NULL;
}

/* One monitor event: 0 and its id, or -1 when there is none. */
static int mon_event(void *mon, uint16_t *id)
{
	uint8_t ev[6];
	int more = 0;
	size_t sz = sizeof(more);
	int len = zmq_recv(mon, ev, sizeof(ev), ZMQ_DONTWAIT);

	if (len < 0)
		return -1;
	zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &sz);
	while (more) {
		char junk[64];

		if (zmq_recv(mon, junk, sizeof(junk), 0) < 0 ||
		    zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &sz))
			break;
	}
	*id = 0;
	if (len == sizeof(ev))
		memcpy(id, ev, sizeof(*id));
	return 0;
}

/* Follows the DEALER's state; redials after a refused handshake. */
static void peer_poll(struct mlnet *n, struct peer *p)
{
	uint16_t id;

	while (!mon_event(p->mon, &id)) {
		switch (id) {
		case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
			p->state = PEER_UP;
			p->handshakes++;
			break;
		case ZMQ_EVENT_DISCONNECTED:
			if (p->state == PEER_UP)
				p->state = PEER_DOWN;
			break;
		case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
			/* libzmq ends this session without reconnecting:
			 * session_base.cpp engine_error() terminates on a
			 * protocol error, and a refused handshake is one */
			p->state = PEER_REFUSED;
			p->refused_ns = now_ns();
			p->refused++;
			break;
		}
	}
	if (p->state == PEER_REFUSED &&
	    now_ns() - p->refused_ns >= (uint64_t)n->cfg.redial_ms * 1000000) {
		zmq_disconnect(p->sock, p->endpoint);
		if (!zmq_connect(p->sock, p->endpoint)) {
			p->state = PEER_DOWN;
			p->redials++;
		}
	}
}

/* Returns how many peers wait to be redialled. */
static int poll_peers(struct mlnet *n)
{
	size_t i;
	int refused = 0;

	for (i = 0; i < n->npeers; i++) {
		peer_poll(n, &n->peers[i]);
		refused += n->peers[i].state == PEER_REFUSED;
	}
	return refused;
}

static void peers_free(struct peer *p, size_t np, int close_socks)
{
	size_t i;

	for (i = 0; p && i < np; i++) {
		if (close_socks)
			peer_close(&p[i]);
		free(p[i].endpoint);
	}
	free(p);
}

int mlnet_set_peers(struct mlnet *n, const struct mlnet_peer *peers, size_t np)
{
	zmq_pollitem_t *items;
	struct peer *p, *old;
	size_t i, m = 0;
	int ret = 0;

	if (np > MLNET_MAX_PEERS || (np && !peers))
		return -EINVAL;
	p = calloc(np ? np : 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (i = 0; i < np; i++) {
		if (!peers[i].endpoint ||
		    !memcmp(peers[i].key, n->pk, ML_KEY_LEN))
			continue;
		memcpy(p[m].key, peers[i].key, ML_KEY_LEN);
		p[m].endpoint = strdup(peers[i].endpoint);
		if (!p[m++].endpoint) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	qsort(p, m, sizeof(*p), key_cmp);
	for (i = 0; i < m; i++) {
		if (i && !memcmp(p[i - 1].key, p[i].key, ML_KEY_LEN)) {
			ret = -EINVAL;	/* one key, two endpoints */
			goto fail;
		}
		old = peer_find(n, p[i].key);
		if (old && !strcmp(old->endpoint, p[i].endpoint))
			continue;	/* kept; its socket is moved below */
		ret = peer_connect(n, &p[i]);
		if (ret)
			goto fail;
	}
	items = realloc(n->items, (2 + m) * sizeof(*items));
	if (!items) {
		ret = -ENOMEM;
		goto fail;
	}
	n->items = items;
	/* nothing can fail from here: move kept sockets, close the rest */
	for (i = 0; i < m; i++) {
		old = p[i].sock ? NULL : peer_find(n, p[i].key);
		if (old) {
			struct peer keep = *old;

			keep.endpoint = p[i].endpoint;
			p[i] = keep;
			old->sock = old->mon = NULL;
		}
	}
	peers_free(n->peers, n->npeers, 1);
	n->peers = p;
	n->npeers = m;
	return 0;
fail:
	peers_free(p, m, 1);
	return ret;
}

int mlnet_send(struct mlnet *n, const uint8_t to[ML_KEY_LEN],
	       const void *buf, size_t len)
{
	struct peer *p = peer_find(n, to);
	zmq_msg_t m;
	int err;

	if (!p)
		return -ENOENT;
	peer_poll(n, p);
	if (len > n->cfg.max_msg) {
		n->st.send_oversize++;
		return -EMSGSIZE;
	}
	if (zmq_msg_init_size(&m, MLNET_HDR_LEN + len))
		return -ENOMEM;
	mlnet_frame_encode(n->cfg.chain_id, buf, len, zmq_msg_data(&m));
	if (len)
		memcpy((uint8_t *)zmq_msg_data(&m) + MLNET_HDR_LEN, buf, len);
	if (zmq_msg_send(&m, p->sock, ZMQ_DONTWAIT) < 0) {
		err = errno;
		zmq_msg_close(&m);
		if (err != EAGAIN)
			return -err;
		p->send_dropped++;
		n->st.send_dropped++;
		return -EAGAIN;
	}
	p->sent++;
	n->st.sent++;
	return 0;
}

int mlnet_broadcast(struct mlnet *n, const void *buf, size_t len)
{
	size_t i;
	int ok = 0, ret;

	if (len > n->cfg.max_msg) {
		n->st.send_oversize++;
		return -EMSGSIZE;
	}
	for (i = 0; i < n->npeers; i++) {
		ret = mlnet_send(n, n->peers[i].key, buf, len);
		if (!ret)
			ok++;
		else if (ret != -EAGAIN)
			return ret;
	}
	return ok;
}

/* --- receiving --- */

static void drain_monitor(struct mlnet *n)
{
	uint16_t id;

	while (!mon_event(n->mon, &id)) {
		switch (id) {
		case ZMQ_EVENT_ACCEPTED:
			n->st.accepted++;
			break;
		case ZMQ_EVENT_DISCONNECTED:
			n->st.disconnected++;
			break;
		case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
		case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
			n->st.handshake_failed++;
			break;
		}
	}
}

static void drain_more(void *s)
{
	int more = 1;
	size_t sz = sizeof(more);

	while (!zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz) && more) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		zmq_msg_recv(&m, s, 0);
		zmq_msg_close(&m);
	}
}

/*
 * Reads one message from the ROUTER: 0 when it passed every check,
 * 1 when it was dropped, -EAGAIN when there was none.
 */
static int read_one(struct mlnet *n, uint8_t from[ML_KEY_LEN],
		    const void **buf, size_t *len)
{
	zmq_msg_t id;
	const char *user;
	struct allowed *a;
	const uint8_t *p;
	size_t plen;
	int ret;

	zmq_msg_init(&id);
	if (zmq_msg_recv(&id, n->router, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&id);
		return -EAGAIN;
	}
	ret = zmq_msg_more(&id);
	zmq_msg_close(&id);
	if (!ret) {
		n->st.bad_frame++;
		return 1;
	}
	zmq_msg_close(&n->cur);
	zmq_msg_init(&n->cur);
	if (zmq_msg_recv(&n->cur, n->router, ZMQ_DONTWAIT) < 0) {
		n->st.bad_frame++;
		return 1;
	}
	if (zmq_msg_more(&n->cur)) {
		drain_more(n->router);
		n->st.bad_frame++;
		return 1;
	}
	user = zmq_msg_gets(&n->cur, "User-Id");
	if (!user || strlen(user) != 2 * ML_KEY_LEN ||
	    sodium_hex2bin(from, ML_KEY_LEN, user, 2 * ML_KEY_LEN,
			   NULL, NULL, NULL)) {
		n->st.unauthenticated++;
		return 1;
	}
	a = mlnet_allow_find(n, from);
	if (!a) {
		n->st.not_allowed++;
		return 1;
	}
	if (!mlnet_bucket_take(&n->cfg, &a->b, zmq_msg_size(&n->cur))) {
		a->rate_dropped++;
		n->st.rate_dropped++;
		return 1;
	}
	ret = mlnet_frame_decode(zmq_msg_data(&n->cur), zmq_msg_size(&n->cur),
				 n->cfg.chain_id, n->cfg.max_msg, &p, &plen);
	if (ret) {
		if (ret == -EMSGSIZE)
			n->st.oversize++;
		else if (ret == -EXDEV)
			n->st.wrong_chain++;
		else
			n->st.bad_frame++;
		return 1;
	}
	a->delivered++;
	n->st.delivered++;
	*buf = p;
	*len = plen;
	return 0;
}

int mlnet_recv(struct mlnet *n, int timeout_ms, uint8_t from[ML_KEY_LEN],
	       const void **buf, size_t *len)
{
	uint64_t wait_ns = (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000;
	uint64_t deadline = now_ns() + wait_ns;

	for (;;) {
		long wait = -1;
		size_t i;
		int ret;

		/* drain what is queued before sleeping */
		ret = read_one(n, from, buf, len);
		if (ret == 0)
			return 0;
		if (ret == 1 && (timeout_ms < 0 || now_ns() < deadline))
			continue;
		drain_monitor(n);
		if (timeout_ms >= 0) {
			uint64_t t = now_ns();

			if (t >= deadline)
				return -EAGAIN;
			wait = (long)((deadline - t + 999999) / 1000000);
		}
		/* a long wait must not hold up a redial; peers' monitor
		 * events wake us up to follow their state */
		if (poll_peers(n) && (wait < 0 || wait > n->cfg.redial_ms))
			wait = n->cfg.redial_ms;
		n->items[0] = (zmq_pollitem_t){ .socket = n->router,
						.events = ZMQ_POLLIN };
		n->items[1] = (zmq_pollitem_t){ .socket = n->mon,
						.events = ZMQ_POLLIN };
		for (i = 0; i < n->npeers; i++)
			n->items[2 + i] = (zmq_pollitem_t){
				.socket = n->peers[i].mon, .events = ZMQ_POLLIN };
		if (zmq_poll(n->items, (int)(2 + n->npeers), wait) < 0 &&
		    errno != EINTR)
			return -errno;
	}
}

int mlnet_fd(struct mlnet *n)
{
	int fd;
	size_t sz = sizeof(fd);

	if (zmq_getsockopt(n->router, ZMQ_FD, &fd, &sz))
		return -errno;
	return fd;
}

void mlnet_stats(struct mlnet *n, struct mlnet_stats *s)
{
	drain_monitor(n);
	poll_peers(n);
	pthread_mutex_lock(&n->zap_lock);
	n->st.zap_allowed = n->zap_allowed;
	n->st.zap_denied = n->zap_denied;
	pthread_mutex_unlock(&n->zap_lock);
	*s = n->st;
}

int mlnet_peer_stats(struct mlnet *n, const uint8_t key[ML_KEY_LEN],
		     struct mlnet_peer_stats *s)
{
	struct allowed *a = mlnet_allow_find(n, key);
	struct peer *p = peer_find(n, key);

	if (!a && !p)
		return -ENOENT;
	memset(s, 0, sizeof(*s));
	if (a) {
		s->delivered = a->delivered;
		s->rate_dropped = a->rate_dropped;
	}
	if (p) {
		peer_poll(n, p);
		s->sent = p->sent;
		s->send_dropped = p->send_dropped;
		s->connected = p->state == PEER_UP;
		s->handshakes = p->handshakes;
		s->refused = p->refused;
		s->redials = p->redials;
	}
	return 0;
}

const char *mlnet_endpoint(const struct mlnet *n)
{
	return n->endpoint;
}

const uint8_t *mlnet_key(const struct mlnet *n)
{
	return n->pk;
}

/* --- life cycle --- */

static int cfg_defaults(struct mlnet_cfg *c)
{
	if (!c->sk || !c->bind)
		return -EINVAL;
	if (!c->max_msg)
		c->max_msg = ML_MAX_BLOCK_BYTES + (64u << 10);
	if (!c->rate_msgs)
		c->rate_msgs = 2000;
	if (!c->burst_msgs)
		c->burst_msgs = 2 * c->rate_msgs;
	if (!c->rate_bytes)
		c->rate_bytes = 64ULL << 20;
	if (!c->burst_bytes)
		c->burst_bytes = 2 * (uint64_t)c->max_msg;
	if (!c->rcv_hwm)
		c->rcv_hwm = 64;
	if (!c->snd_hwm)
		c->snd_hwm = 1024;
	if (!c->heartbeat_ms)
		c->heartbeat_ms = 1000;
	if (!c->reconnect_ms)
		c->reconnect_ms = 100;
	if (!c->reconnect_max_ms)
		c->reconnect_max_ms = 2000;
	if (!c->redial_ms)
		c->redial_ms = 1000;
	/* a message must fit the byte bucket, or it could never pass */
	if (c->max_msg > MAX_MSG ||
	    c->rate_bytes > MAX_BURST || c->burst_bytes > MAX_BURST ||
	    c->burst_bytes < MLNET_HDR_LEN + c->max_msg ||
	    c->rcv_hwm < 0 || c->snd_hwm < 0 || c->heartbeat_ms < 0 ||
	    c->reconnect_ms < 0 || c->reconnect_max_ms < 0 || c->redial_ms < 0)
		return -EINVAL;
	return 0;
}

static int open_router(struct mlnet *n, const char *bind)
{
	/* Messages up to twice the limit are read and counted as oversize;
	 * beyond that libzmq cuts the connection before buffering them. */
	int64_t maxmsg = 2 * (int64_t)(MLNET_HDR_LEN + n->cfg.max_msg);
	size_t sz = sizeof(n->endpoint);

	n->router = zmq_socket(n->ctx, ZMQ_ROUTER);
	if (!n->router)
		return -errno;
	if (common_opts(n, n->router) ||
	    setopt_int(n->router, ZMQ_CURVE_SERVER, 1) ||
	    zmq_setsockopt(n->router, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN,
			   strlen(ZAP_DOMAIN)) ||
	    zmq_setsockopt(n->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) ||
	    setopt_int(n->router, ZMQ_RCVHWM, n->cfg.rcv_hwm) ||
	    zmq_socket_monitor(n->router, MON_ENDPOINT,
			       ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
			       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
		return -errno;
	n->mon = zmq_socket(n->ctx, ZMQ_PAIR);
	if (!n->mon || zmq_connect(n->mon, MON_ENDPOINT))
		return -errno;
	if (zmq_bind(n->router, bind))
		return errno == EADDRINUSE ? -EADDRINUSE : -EINVAL;
	if (zmq_getsockopt(n->router, ZMQ_LAST_ENDPOINT, n->endpoint, &sz))
		return -errno;
	return 0;
}

int mlnet_open(const struct mlnet_cfg *cfg, struct mlnet **out)
{
	struct mlnet *n;
	int ret;

	if (!cfg || !out || sodium_init() < 0)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->cfg = *cfg;
	zmq_msg_init(&n->cur);
	pthread_mutex_init(&n->zap_lock, NULL);
	ret = cfg_defaults(&n->cfg);
	if (ret)
		goto fail;
	memcpy(n->sk, cfg->sk, sizeof(n->sk));
	memcpy(n->pk, n->sk + 32, ML_KEY_LEN);
	n->cfg.sk = n->sk;
	n->cfg.bind = NULL;
	if (crypto_sign_ed25519_sk_to_curve25519(n->curve_sk, n->sk) ||
	    crypto_sign_ed25519_pk_to_curve25519(n->curve_pk, n->pk)) {
		ret = -EINVAL;
		goto fail;
	}
	ret = -ENOMEM;
	n->ctx = zmq_ctx_new();
	if (!n->ctx)
		goto fail;
	/* the handler must exist before the first handshake (see top) */
	n->zap = zmq_socket(n->ctx, ZMQ_REP);
	if (!n->zap || zmq_bind(n->zap, ZAP_ENDPOINT)) {
		ret = -errno;
		goto fail;
	}
	if (pthread_create(&n->zap_thread, NULL, mlnet_zap_main, n)) {
		ret = -EAGAIN;
		goto fail;
	}
	n->zap_running = 1;
	n->items = calloc(2, sizeof(*n->items));
	if (!n->items) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = open_router(n, cfg->bind);
	if (ret)
		goto fail;
	*out = n;
	return 0;
fail:
	mlnet_close(n);
	return ret;
}

void mlnet_close(struct mlnet *n)
{
	if (!n)
		return;
	zmq_msg_close(&n->cur);
	peers_free(n->peers, n->npeers, 1);
	if (n->router) {
		zmq_socket_monitor(n->router, NULL, 0);
		zmq_close(n->router);
	}
	if (n->mon)
		zmq_close(n->mon);
	if (n->ctx) {
		/* wakes the ZAP thread with ETERM; it closes its socket */
		zmq_ctx_shutdown(n->ctx);
		if (n->zap_running)
			pthread_join(n->zap_thread, NULL);
		else if (n->zap)
			zmq_close(n->zap);
		zmq_ctx_term(n->ctx);
	}
	pthread_mutex_destroy(&n->zap_lock);
	free(n->zkeys);
	free(n->allow);
	free(n->items);
	sodium_memzero(n->sk, sizeof(n->sk));
	sodium_memzero(n->curve_sk, sizeof(n->curve_sk));
	free(n);
}
