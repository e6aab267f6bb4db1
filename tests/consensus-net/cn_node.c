// SPDX-License-Identifier: GPL-2.0
/*
 * One mlnet node for the network-namespace test (netns.sh).
 *
 *   cn_node INDEX BIND N ENDPOINT-0 ... ENDPOINT-(N-1)
 *
 * Node i has the key cn_key(i + 1), allows the keys of all N nodes and
 * sends "hello <i> <seq> <phase>" to the others every 50 ms. Each message
 * received is printed as "recv <from> <seq> <phase>", where <from> is the
 * index of the authenticated sender key. SIGUSR1 increments the phase;
 * SIGTERM prints the counters and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"
#include "keys.h"

#define CHAIN	0x6d6c2d6e65743031ULL
#define MAXN	8

static volatile sig_atomic_t phase, stop;

static void on_usr1(int sig)
{
	(void)sig;
	phase++;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct cn_key k[MAXN];
	struct mlnet_peer p[MAXN];
	uint8_t keys[MAXN * 32];
	struct mlnet_cfg c = { .chain_id = CHAIN };
	struct mlnet_stats st;
	struct mlnet *n;
	uint64_t seq = 0, next = 0;
	int self, nn, i, ret;

	if (argc < 4 || (nn = atoi(argv[3])) < 1 || nn > MAXN ||
	    argc != 4 + nn || (self = atoi(argv[1])) < 0 || self >= nn) {
		fprintf(stderr, "usage: cn_node INDEX BIND N ENDPOINT...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (sodium_init() < 0)
		return 1;
	for (i = 0; i < nn; i++) {
		cn_key(&k[i], (uint8_t)(i + 1));
		memcpy(keys + 32 * i, k[i].pk, 32);
		memcpy(p[i].key, k[i].pk, 32);
		p[i].endpoint = argv[4 + i];
	}
	c.sk = k[self].sk;
	c.bind = argv[2];
	ret = mlnet_open(&c, &n);
	if (!ret)
		ret = mlnet_set_allowed(n, keys, (size_t)nn);
	if (!ret)
		ret = mlnet_set_peers(n, p, (size_t)nn);
	if (ret) {
		fprintf(stderr, "cn_node %d: %s on %s\n", self, strerror(-ret), argv[2]);
		return 1;
	}
	printf("up %d %s\n", self, mlnet_endpoint(n));
	while (!stop) {
		uint8_t from[32];
		const void *buf;
		size_t len;

		if (ms_now() >= next) {
			char msg[64];
			int l = snprintf(msg, sizeof(msg), "hello %d %llu %d", self,
					 (unsigned long long)seq++, (int)phase);

			mlnet_broadcast(n, msg, (size_t)l);
			next = ms_now() + 50;
		}
		if (mlnet_recv(n, 50, from, &buf, &len))
			continue;
		for (i = 0; i < nn; i++)
			if (!memcmp(from, k[i].pk, 32))
				break;
		printf("recv %d %.*s\n", i, (int)len, (const char *)buf);
	}
	mlnet_stats(n, &st);
	printf("stats delivered=%llu sent=%llu send_dropped=%llu bad_frame=%llu "
	       "not_allowed=%llu zap_denied=%llu disconnected=%llu\n",
	       (unsigned long long)st.delivered, (unsigned long long)st.sent,
	       (unsigned long long)st.send_dropped, (unsigned long long)st.bad_frame,
	       (unsigned long long)st.not_allowed, (unsigned long long)st.zap_denied,
	       (unsigned long long)st.disconnected);
	mlnet_close(n);
	return 0;
}
