/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What net.c and net_auth.c share; not part of the API. */
#ifndef MLNET_PRIV_H
#define MLNET_PRIV_H

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#include "net.h"

#define ZAP_DOMAIN	"meterlink"
#define NS		1000000000ULL
#define MAX_BURST	10000000000ULL	/* keeps burst * NS in 64 bits */

struct bucket {
	uint64_t msgs, bytes;	/* tokens, scaled by NS */
	uint64_t last_ns;
};

struct allowed {
	uint8_t ed[ML_KEY_LEN];
	struct bucket b;
	uint64_t delivered, rate_dropped;
};

/* What the ZAP thread reads, under zap_lock. */
struct zap_key {
	uint8_t curve[crypto_box_PUBLICKEYBYTES];
	uint8_t ed[ML_KEY_LEN];
};

enum { PEER_DOWN, PEER_UP, PEER_REFUSED };

struct peer {
	uint8_t key[ML_KEY_LEN];
	char *endpoint;
	void *sock, *mon;	/* DEALER and its monitor */
	int state;
	uint64_t refused_ns;
	uint64_t sent, send_dropped, handshakes, refused, redials;
};

struct mlnet {
	struct mlnet_cfg cfg;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t pk[ML_KEY_LEN];
	uint8_t curve_pk[crypto_box_PUBLICKEYBYTES];
	uint8_t curve_sk[crypto_box_SECRETKEYBYTES];
	char endpoint[256];

	void *ctx, *router, *mon, *zap;
	unsigned int mon_seq;	/* names the peers' monitor endpoints */
	pthread_t zap_thread;
	int zap_running;
	zmq_msg_t cur;		/* the message last handed out */

	struct allowed *allow;	/* sorted by ed */
	size_t nallow;
	struct peer *peers;	/* sorted by key */
	size_t npeers;
	zmq_pollitem_t *items;	/* ROUTER, its monitor, each peer's monitor */

	pthread_mutex_t zap_lock;
	struct zap_key *zkeys;	/* sorted by curve */
	size_t nzkeys;
	uint64_t zap_allowed, zap_denied;

	struct mlnet_stats st;
};
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static inline int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ML_KEY_LEN);
}

/* net_auth.c */
void mlnet_bucket_fill(const struct mlnet_cfg *c, struct bucket *b);
int mlnet_bucket_take(const struct mlnet_cfg *c, struct bucket *b, size_t len);
struct allowed *mlnet_allow_find(struct mlnet *n, const uint8_t *key);
void *mlnet_zap_main(void *arg);

#endif
