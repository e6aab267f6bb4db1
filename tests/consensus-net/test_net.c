// SPDX-License-Identifier: GPL-2.0
/*
 * mlnet over real TCP sockets on loopback: CURVE handshakes, the ZAP
 * allow-list, size limits, rate limits, restarts and garbage. Every wait
 * is bounded (DEADLINE_MS) and fails the test when it runs out; nothing
 * asserts how long anything took.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>
#include <zmq.h>

#include "helpers.h"
#include "keys.h"
#include "net.h"

#define CHAIN		0x6d6c2d6e65743031ULL	/* "ml-net01" */
#define DEADLINE_MS	20000

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static struct mlnet *node_open(const struct cn_key *k, const char *bind,
			       const struct mlnet_cfg *tmpl)
{
	struct mlnet_cfg c = { 0 };
	struct mlnet *n = NULL;

	if (tmpl)
		c = *tmpl;
	c.chain_id = CHAIN;
	c.sk = k->sk;
	c.bind = bind;
	/* slow heartbeats: on a loaded machine a fast ZMTP heartbeat
	 * timeout would cut connections (losing what they queued) in tests
	 * that count every message; peers that close are seen at once */
	if (!c.heartbeat_ms)
		c.heartbeat_ms = 10000;
	assert_int_equal(mlnet_open(&c, &n), 0);
	return n;
}

static void allow(struct mlnet *n, const struct cn_key *k, int nk)
{
	uint8_t keys[8 * 32];
	int i;

	for (i = 0; i < nk; i++)
		memcpy(keys + 32 * i, k[i].pk, 32);
	assert_int_equal(mlnet_set_allowed(n, keys, (size_t)nk), 0);
}

static void peer(struct mlnet *n, struct mlnet **to, int nt)
{
	struct mlnet_peer p[8];
	int i;

	for (i = 0; i < nt; i++) {
		memcpy(p[i].key, mlnet_key(to[i]), 32);
		p[i].endpoint = mlnet_endpoint(to[i]);
	}
	assert_int_equal(mlnet_set_peers(n, p, (size_t)nt), 0);
}

/*
 * Receives everything that arrives within @ms; counts per sender index
 * the messages whose payload is @only (all when NULL).
 */
static int drain_only(struct mlnet *n, const struct cn_key *k, int nk,
		      int *cnt, int ms, const char *only)
{
	uint8_t from[32];
	const void *buf;
	size_t len;
	int total = 0, i;

	while (!mlnet_recv(n, ms, from, &buf, &len)) {
		for (i = 0; i < nk; i++)
			if (!memcmp(from, k[i].pk, 32))
				break;
		assert_true(i < nk);	/* only known senders */
		if (only && (len != strlen(only) || memcmp(buf, only, len)))
			continue;
		cnt[i]++;
		total++;
	}
	return total;
}

static int drain(struct mlnet *n, const struct cn_key *k, int nk, int *cnt,
		 int ms)
{
	return drain_only(n, k, nk, cnt, ms, NULL);
}

/* Drains until sender @idx was heard @want times; fails at the deadline. */
static void drain_until(struct mlnet *n, const struct cn_key *k, int nk,
			int *cnt, int idx, int want)
{
	uint64_t end = ms_now() + DEADLINE_MS;

	while (cnt[idx] < want) {
		assert_true(ms_now() < end);
		drain(n, k, nk, cnt, 50);
	}
}

/* Sends "hello <i>" from everyone until everyone heard from everyone. */
static void exchange(struct mlnet **n, const struct cn_key *k, int nn)
{
	uint64_t end = ms_now() + DEADLINE_MS;
	int heard[4][4] = { { 0 } };
	int done = 0, i, j;

	while (!done) {
		assert_true(ms_now() < end);
		for (i = 0; i < nn; i++) {
			char msg[32];
			int len = snprintf(msg, sizeof(msg), "hello %d", i);

			mlnet_broadcast(n[i], msg, (size_t)len);
		}
		for (i = 0; i < nn; i++) {
			uint8_t from[32];
			const void *buf;
			size_t len;

			while (!mlnet_recv(n[i], 20, from, &buf, &len)) {
				char want[32];

				for (j = 0; j < nn; j++)
					if (!memcmp(from, k[j].pk, 32))
						break;
				assert_true(j < nn && j != i);
				/* queued while a peer was down, delivered
				 * after its restart */
				if (len == 4 && !memcmp(buf, "gone", 4))
					continue;
				/* the payload says who sent it: the key
				 * we were given is the authenticated one */
				snprintf(want, sizeof(want), "hello %d", j);
				assert_int_equal(len, strlen(want));
				assert_memory_equal(buf, want, len);
				heard[i][j]++;
			}
		}
		done = 1;
		for (i = 0; i < nn; i++)
			for (j = 0; j < nn; j++)
				if (i != j && !heard[i][j])
					done = 0;
	}
}

/* Node 0 allows the first @allow0 keys, the others all three. */
static void three_nodes_ex(struct mlnet **n, struct cn_key *k,
			   const struct mlnet_cfg *tmpl, int allow0)
{
	int i;

	for (i = 0; i < 3; i++) {
		cn_key(&k[i], (uint8_t)(i + 1));
		n[i] = node_open(&k[i], "tcp://127.0.0.1:*", tmpl);
	}
	/* every allow-list before any dialling, so no handshake is refused
	 * by a list that is still empty */
	for (i = 0; i < 3; i++)
		allow(n[i], k, i ? 3 : allow0);
	for (i = 0; i < 3; i++)
		peer(n[i], n, 3);	/* our own key is skipped */
}

static void three_nodes(struct mlnet **n, struct cn_key *k,
			const struct mlnet_cfg *tmpl)
{
	three_nodes_ex(n, k, tmpl, 3);
}

static void test_curve_handshake_three_nodes(void **state)
{
	struct mlnet *n[3];
	struct cn_key k[3];
	struct mlnet_stats st;
	int i;

	(void)state;
	three_nodes(n, k, NULL);
	exchange(n, k, 3);
	/* setting the same peers again keeps the connections: with
	 * ZMQ_IMMEDIATE a new socket would refuse to queue at once */
	peer(n[0], n, 3);
	assert_int_equal(mlnet_send(n[0], k[1].pk, "again", 5), 0);
	assert_int_equal(mlnet_send(n[0], k[2].pk, "again", 5), 0);
	for (i = 0; i < 3; i++) {
		mlnet_stats(n[i], &st);
		assert_true(st.zap_allowed >= 2);
		assert_int_equal(st.zap_denied, 0);
		assert_int_equal(st.bad_frame + st.unauthenticated + st.not_allowed, 0);
		mlnet_close(n[i]);
	}
}

/* A DEALER speaking CURVE with the curve keys derived from @k. */
static void *raw_dealer(void *ctx, const struct cn_key *k, struct mlnet *to)
{
	uint8_t cpk[32], csk[32], server[32];
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	int zero = 0, one = 1, ivl = 50;

	assert_non_null(s);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(cpk, k->pk), 0);
	assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(csk, k->sk), 0);
	assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(server, mlnet_key(to)), 0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, cpk, 32), 0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, csk, 32), 0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, 32), 0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(int)), 0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof(int)), 0);
	assert_int_equal(zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof(int)), 0);
	assert_int_equal(zmq_connect(s, mlnet_endpoint(to)), 0);
	return s;
}

/* Sends one frame on @s, waiting for the connection to be up. */
static void raw_send(void *s, const void *buf, size_t len, int flags)
{
	uint64_t end = ms_now() + DEADLINE_MS;

	while (zmq_send(s, buf, len, ZMQ_DONTWAIT | flags) < 0) {
		assert_int_equal(errno, EAGAIN);
		assert_true(ms_now() < end);
		sleep_ms(10);
	}
}

static size_t frame(uint8_t *out, const void *p, size_t len)
{
	assert_int_equal(mlnet_frame_encode(CHAIN, p, len, out), 0);
	memcpy(out + MLNET_HDR_LEN, p, len);
	return MLNET_HDR_LEN + len;
}

static void test_unknown_key_refused(void **state)
{
	struct cn_key ka, kb, kx;
	struct mlnet *a, *b, *x;
	struct cn_key known[2];
	struct mlnet_stats st;
	struct mlnet_peer_stats ps;
	int cnt[3] = { 0 }, i, sent_b = 0, tries = 200, zero = 0;
	void *ctx, *plain;
	uint8_t fr[64];
	struct cn_key all[3];
	uint64_t end;

	(void)state;
	cn_key(&ka, 1);
	cn_key(&kb, 2);
	cn_key(&kx, 66);
	a = node_open(&ka, "tcp://127.0.0.1:*", NULL);
	b = node_open(&kb, "tcp://127.0.0.1:*", NULL);
	x = node_open(&kx, "tcp://127.0.0.1:*", NULL);
	known[0] = ka;
	known[1] = kb;
	allow(a, known, 2);
	allow(b, known, 2);
	peer(b, &a, 1);
	peer(x, &a, 1);
	/* and a client without CURVE at all */
	ctx = zmq_ctx_new();
	plain = zmq_socket(ctx, ZMQ_DEALER);
	assert_int_equal(zmq_setsockopt(plain, ZMQ_LINGER, &zero, sizeof(zero)), 0);
	assert_int_equal(zmq_connect(plain, mlnet_endpoint(a)), 0);

	/* b gets through; wait until it did, so x had time too */
	end = ms_now() + DEADLINE_MS;
	all[0] = ka;
	all[1] = kb;
	all[2] = kx;
	for (;;) {
		struct mlnet_peer_stats xs;

		mlnet_stats(a, &st);
		assert_int_equal(mlnet_peer_stats(x, ka.pk, &xs), 0);
		/* x refused by ZAP, the plain client by the mechanism */
		if (cnt[1] >= 20 && st.zap_denied >= 1 &&
		    st.handshake_failed >= 2 && xs.refused >= 1)
			break;
		assert_true(ms_now() < end);
		for (i = 0; i < 10; i++) {
			mlnet_send(x, ka.pk, "intruder", 8);
			if (!mlnet_send(b, ka.pk, "member", 6))
				sent_b++;
		}
		frame(fr, "plain", 5);
		zmq_send(plain, fr, MLNET_HDR_LEN + 5, ZMQ_DONTWAIT);
		drain(a, all, 3, cnt, 20);
	}
	for (i = 0; i < tries; i++)
		mlnet_send(x, ka.pk, "intruder", 8);
	drain_until(a, all, 3, cnt, 1, sent_b);
	drain(a, all, 3, cnt, 300);
	assert_int_equal(cnt[2], 0);		/* nothing from x */
	assert_int_equal(cnt[1], sent_b);	/* everything from b */
	mlnet_stats(a, &st);
	assert_int_equal(st.delivered, (uint64_t)sent_b);
	assert_int_equal(st.unauthenticated + st.not_allowed, 0);
	/* x never had a connection to queue on: every send was refused */
	assert_int_equal(mlnet_peer_stats(x, ka.pk, &ps), 0);
	assert_int_equal(ps.sent, 0);
	assert_true(ps.send_dropped >= (uint64_t)tries);
	assert_true(ps.refused >= 1);
	assert_int_equal(ps.handshakes, 0);
	assert_int_equal(mlnet_peer_stats(a, kx.pk, &ps), -ENOENT);

	zmq_close(plain);
	zmq_ctx_term(ctx);
	mlnet_close(x);
	mlnet_close(b);
	mlnet_close(a);
}

static void test_allow_list_change_takes_effect(void **state)
{
	struct mlnet *n[3];
	struct cn_key k[3];
	struct mlnet_stats st;
	int cnt[3] = { 0 }, i;
	uint64_t end;

	(void)state;
	three_nodes_ex(n, k, NULL, 2);	/* node 0 admits 0 and 1, not 2 */
	end = ms_now() + DEADLINE_MS;
	for (;;) {
		struct mlnet_peer_stats ps;

		assert_int_equal(mlnet_peer_stats(n[2], k[0].pk, &ps), 0);
		if (cnt[1] >= 10 && ps.refused >= 1)
			break;
		assert_true(ms_now() < end);
		mlnet_send(n[1], k[0].pk, "b", 1);
		mlnet_send(n[2], k[0].pk, "c", 1);
		drain(n[0], k, 3, cnt, 20);
	}
	assert_int_equal(cnt[2], 0);

	/* add 2: its client dials again after the refusal and gets in; a
	 * node that only waits in mlnet_recv() redials too */
	allow(n[0], k, 3);
	{
		struct mlnet_peer_stats ps;
		uint8_t from[32];
		const void *buf;
		size_t len;

		assert_int_equal(mlnet_recv(n[2], 5000, from, &buf, &len), -EAGAIN);
		assert_int_equal(mlnet_peer_stats(n[2], k[0].pk, &ps), 0);
		assert_true(ps.connected);
	}
	end = ms_now() + DEADLINE_MS;
	while (!cnt[2]) {
		assert_true(ms_now() < end);
		mlnet_send(n[2], k[0].pk, "c", 1);
		drain(n[0], k, 3, cnt, 20);
	}

	/* libzmq gave up after the refusal; mlnet dialled again */
	{
		struct mlnet_peer_stats ps;

		assert_int_equal(mlnet_peer_stats(n[2], k[0].pk, &ps), 0);
		assert_true(ps.refused >= 1);
		assert_true(ps.redials >= 1);
		assert_true(ps.connected);
	}

	/* remove 1: its open connection stays, its messages do not pass */
	{
		struct cn_key keep[2] = { k[0], k[2] };

		allow(n[0], keep, 2);
	}
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < 50; i++) {
		assert_int_equal(mlnet_send(n[1], k[0].pk, "b", 1), 0);
		assert_int_equal(mlnet_send(n[2], k[0].pk, "c", 1), 0);
		drain(n[0], k, 3, cnt, 10);
	}
	/* 2's messages, sent after 1's on a busy node, all get through */
	drain_until(n[0], k, 3, cnt, 2, 50);
	drain(n[0], k, 3, cnt, 300);
	assert_int_equal(cnt[1], 0);
	mlnet_stats(n[0], &st);
	assert_true(st.not_allowed > 0);
	for (i = 0; i < 3; i++)
		mlnet_close(n[i]);
}

static void test_oversized_dropped_and_counted(void **state)
{
	struct mlnet_cfg c = { .max_msg = 1024 };
	struct cn_key ka, kb, k[2];
	struct mlnet *a, *b;
	struct mlnet_stats st;
	static uint8_t big[4096], fr[4096 + MLNET_HDR_LEN];
	int cnt[2] = { 0 };
	void *ctx, *s;
	size_t len;
	uint64_t end;

	(void)state;
	cn_key(&ka, 1);
	cn_key(&kb, 2);
	k[0] = ka;
	k[1] = kb;
	a = node_open(&ka, "tcp://127.0.0.1:*", &c);
	b = node_open(&kb, "tcp://127.0.0.1:*", &c);
	allow(a, k, 2);
	peer(b, &a, 1);
	/* the sender refuses too */
	assert_int_equal(mlnet_send(b, ka.pk, big, 1025), -EMSGSIZE);
	assert_int_equal(mlnet_broadcast(b, big, 1025), -EMSGSIZE);
	mlnet_stats(b, &st);
	assert_int_equal(st.send_oversize, 2);

	ctx = zmq_ctx_new();
	s = raw_dealer(ctx, &kb, a);
	/* one byte over the limit: read, dropped, counted */
	len = frame(fr, big, 1025);
	raw_send(s, fr, len, 0);
	len = frame(fr, "ok1", 3);
	raw_send(s, fr, len, 0);
	drain_until(a, k, 2, cnt, 1, 1);
	assert_int_equal(drain(a, k, 2, cnt, 100), 0);
	mlnet_stats(a, &st);
	assert_int_equal(st.oversize, 1);

	/* over twice the limit: libzmq cuts the connection (ZMQ_MAXMSGSIZE) */
	len = frame(fr, big, 4096);
	raw_send(s, fr, len, 0);
	end = ms_now() + DEADLINE_MS;
	do {
		assert_true(ms_now() < end);
		mlnet_stats(a, &st);
		drain(a, k, 2, cnt, 20);
	} while (!st.disconnected);
	assert_int_equal(cnt[1], 1);
	/* and the peer comes back by itself */
	len = frame(fr, "ok2", 3);
	while (cnt[1] < 2) {
		assert_true(ms_now() < end);
		raw_send(s, fr, len, 0);
		drain(a, k, 2, cnt, 50);
	}
	mlnet_stats(a, &st);
	assert_int_equal(st.oversize, 1);
	zmq_close(s);
	zmq_ctx_term(ctx);
	mlnet_close(b);
	mlnet_close(a);
}

static void test_flooding_peer_rate_limited(void **state)
{
	struct mlnet_cfg c = { .rate_msgs = 50, .burst_msgs = 100 };
	struct mlnet *n[3];
	struct cn_key k[3];
	struct mlnet_peer_stats flood, normal;
	int cnt[3] = { 0 }, i, normal_sent = 0;
	uint64_t t0, end;

	(void)state;
	three_nodes(n, k, &c);
	t0 = ms_now();	/* buckets of node 0 are full from here on */
	exchange(n, k, 3);
	memset(cnt, 0, sizeof(cnt));
	/* node 2 floods node 0, node 1 sends a message now and then */
	end = ms_now() + DEADLINE_MS;
	for (i = 0; i < 5000; i++) {
		mlnet_send(n[2], k[0].pk, "flood", 5);
		if (i % 250 == 0) {
			while (mlnet_send(n[1], k[0].pk, "normal", 6))
				assert_true(ms_now() < end);
			normal_sent++;
		}
		if (i % 100 == 0)
			drain_only(n[0], k, 3, cnt, 0, "normal");
	}
	end = ms_now() + DEADLINE_MS;
	while (cnt[1] < normal_sent) {
		assert_true(ms_now() < end);
		drain_only(n[0], k, 3, cnt, 50, "normal");
	}
	drain_only(n[0], k, 3, cnt, 500, "normal");
	assert_int_equal(cnt[1], normal_sent);
	assert_int_equal(mlnet_peer_stats(n[0], k[1].pk, &normal), 0);
	assert_int_equal(mlnet_peer_stats(n[0], k[2].pk, &flood), 0);
	assert_int_equal(normal.rate_dropped, 0);
	assert_true(flood.rate_dropped > 0);
	/* what passed never exceeds burst + rate * elapsed (+ the exchange) */
	assert_true(flood.delivered <= 100 + 50 * (ms_now() - t0) / 1000 + 1);
	for (i = 0; i < 3; i++)
		mlnet_close(n[i]);
}

static void test_peer_restart_same_endpoint(void **state)
{
	struct mlnet *n[3];
	struct cn_key k[3];
	char ep[256];
	int i;

	(void)state;
	three_nodes(n, k, NULL);
	exchange(n, k, 3);
	snprintf(ep, sizeof(ep), "%s", mlnet_endpoint(n[1]));
	mlnet_close(n[1]);
	for (i = 0; i < 20; i++)	/* into the void, or dropped */
		mlnet_broadcast(n[0], "gone", 4);
	sleep_ms(300);
	n[1] = node_open(&k[1], ep, NULL);
	assert_string_equal(mlnet_endpoint(n[1]), ep);
	allow(n[1], k, 3);
	peer(n[1], n, 3);
	exchange(n, k, 3);
	for (i = 0; i < 3; i++)
		mlnet_close(n[i]);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_garbage_from_authenticated_peer(void **state)
{
	struct mlnet_cfg c = { .max_msg = 512, .rate_msgs = 1000000,
			       .burst_msgs = 1000000, .burst_bytes = 1 << 30 };
	struct cn_key ka, kb, k[2];
	struct mlnet *a;
	struct mlnet_stats st;
	uint8_t buf[2048];
	uint64_t seed = 0x1234567, end;
	int cnt[2] = { 0 }, i, garbage = 0;
	void *ctx, *s;
	size_t len;

	(void)state;
	cn_key(&ka, 1);
	cn_key(&kb, 2);
	k[0] = ka;
	k[1] = kb;
	a = node_open(&ka, "tcp://127.0.0.1:*", &c);
	allow(a, k, 2);
	ctx = zmq_ctx_new();
	s = raw_dealer(ctx, &kb, a);
	for (i = 0; i < 2000; i++) {
		size_t j;

		len = rnd(&seed) % 1000;
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rnd(&seed);
		if (i % 7 == 0 && len >= MLNET_HDR_LEN) {
			/* a plausible header with a random length */
			frame(buf, buf + MLNET_HDR_LEN, len - MLNET_HDR_LEN);
			buf[4 + rnd(&seed) % 4] ^= (uint8_t)(1 + rnd(&seed) % 255);
		}
		raw_send(s, buf, len, 0);
		garbage++;
	}
	/* multipart messages and the wrong chain */
	raw_send(s, "a", 1, ZMQ_SNDMORE);
	raw_send(s, "b", 1, 0);
	garbage++;
	len = frame(buf, "x", 1);
	buf[15] ^= 1;
	raw_send(s, buf, len, 0);
	garbage++;
	len = frame(buf, "valid", 5);
	raw_send(s, buf, len, 0);
	end = ms_now() + DEADLINE_MS;
	while (!cnt[1]) {
		assert_true(ms_now() < end);
		drain(a, k, 2, cnt, 50);
	}
	assert_int_equal(cnt[1], 1);
	mlnet_stats(a, &st);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.wrong_chain, 1);
	assert_int_equal(st.disconnected, 0);	/* so nothing was lost */
	assert_int_equal(st.bad_frame + st.oversize + st.wrong_chain, garbage);
	zmq_close(s);
	zmq_ctx_term(ctx);
	mlnet_close(a);
}

static void test_bad_arguments_refused(void **state)
{
	struct cn_key ka, kb;
	struct mlnet_cfg c = { .chain_id = CHAIN };
	struct mlnet *a = NULL;
	struct mlnet_peer p;
	uint8_t bad[64];
	const void *buf;
	size_t len;

	(void)state;
	cn_key(&ka, 1);
	cn_key(&kb, 2);
	assert_int_equal(mlnet_open(&c, &a), -EINVAL);		/* no key */
	c.sk = ka.sk;
	c.bind = "tcp://127.0.0.1:*";
	c.max_msg = 1000;
	c.burst_bytes = 999;					/* < max_msg */
	assert_int_equal(mlnet_open(&c, &a), -EINVAL);
	c.burst_bytes = 0;
	c.bind = "nonsense://x";
	assert_int_equal(mlnet_open(&c, &a), -EINVAL);
	c.bind = "tcp://127.0.0.1:*";
	assert_int_equal(mlnet_open(&c, &a), 0);

	/* a key that is not a curve point, and a small-order one */
	memset(bad, 0xff, sizeof(bad));
	memcpy(bad + 32, ka.pk, 32);
	assert_int_equal(mlnet_set_allowed(a, bad, 2), -EINVAL);
	memset(bad, 0, 32);
	bad[0] = 1;	/* the neutral element */
	assert_int_equal(mlnet_set_allowed(a, bad, 1), -EINVAL);

	memcpy(p.key, kb.pk, 32);
	p.endpoint = "tcp://127.0.0.1:1";
	assert_int_equal(mlnet_set_peers(a, &p, 1), 0);
	p.endpoint = "bogus";
	assert_int_equal(mlnet_set_peers(a, &p, 1), -EINVAL);
	{
		struct mlnet_peer two[2] = { p, p };

		two[0].endpoint = "tcp://127.0.0.1:1";
		two[1].endpoint = "tcp://127.0.0.1:2";	/* one key, two places */
		assert_int_equal(mlnet_set_peers(a, two, 2), -EINVAL);
	}
	/* the old peer set survived the failed call */
	assert_int_equal(mlnet_send(a, kb.pk, "x", 1), -EAGAIN);
	assert_int_equal(mlnet_send(a, bad, "x", 1), -ENOENT);
	assert_int_equal(mlnet_recv(a, 0, bad, &buf, &len), -EAGAIN);
	mlnet_close(a);
}

/* The allow-list is the validator set as the ledger stores it. */
static void test_allow_list_from_ledger_validators(void **state)
{
	static struct th_chain c;
	struct th_opts o = { .nval = 4, .nusers = 1, .user_balance = 1 };
	struct cn_key k[3];
	struct mlnet *n[3];
	uint8_t *keys;
	size_t nv;
	int i;

	(void)state;
	assert_int_equal(th_chain_init(&c, &o), 0);
	assert_int_equal(ml_ledger_validators(c.l, &keys, &nv), 0);
	assert_int_equal(nv, 4);
	for (i = 0; i < 3; i++) {
		memcpy(k[i].pk, c.val[i].pk, 32);
		memcpy(k[i].sk, c.val[i].sk, 64);
		n[i] = node_open(&k[i], "tcp://127.0.0.1:*", NULL);
		assert_int_equal(mlnet_set_allowed(n[i], keys, nv), 0);
	}
	for (i = 0; i < 3; i++)
		peer(n[i], n, 3);
	exchange(n, k, 3);
	for (i = 0; i < 3; i++)
		mlnet_close(n[i]);
	free(keys);
	th_chain_free(&c);
}

static void test_frame_codec(void **state)
{
	uint8_t f[MLNET_HDR_LEN + 4];
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(frame(f, "abcd", 4), sizeof(f));
	assert_int_equal(mlnet_frame_decode(f, sizeof(f), CHAIN, 4, &p, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "abcd", 4);
	assert_int_equal(mlnet_frame_decode(f, sizeof(f), CHAIN, 3, &p, &n), -EMSGSIZE);
	assert_int_equal(mlnet_frame_decode(f, sizeof(f), CHAIN + 1, 4, &p, &n), -EXDEV);
	assert_int_equal(mlnet_frame_decode(f, sizeof(f) - 1, CHAIN, 4, &p, &n), -EBADMSG);
	assert_int_equal(mlnet_frame_decode(f, 3, CHAIN, 4, &p, &n), -EBADMSG);
	f[3] = 1;	/* unknown flag */
	assert_int_equal(mlnet_frame_decode(f, sizeof(f), CHAIN, 4, &p, &n), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_codec),
		cmocka_unit_test(test_bad_arguments_refused),
		cmocka_unit_test(test_curve_handshake_three_nodes),
		cmocka_unit_test(test_allow_list_from_ledger_validators),
		cmocka_unit_test(test_unknown_key_refused),
		cmocka_unit_test(test_allow_list_change_takes_effect),
		cmocka_unit_test(test_oversized_dropped_and_counted),
		cmocka_unit_test(test_flooding_peer_rate_limited),
		cmocka_unit_test(test_peer_restart_same_endpoint),
		cmocka_unit_test(test_garbage_from_authenticated_peer),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("mlnet", tests, NULL, NULL);
}
