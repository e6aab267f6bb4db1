/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mlnet: the validator transport of meterlink.
 *
 * Each node has one ROUTER socket bound to its own endpoint (everything it
 * receives) and one DEALER per peer connected to the peer's endpoint
 * (everything it sends). All connections use CURVE; a node's CURVE keypair
 * is derived from its Ed25519 ledger key, and a ZAP handler running in a
 * thread of the node admits only the CURVE keys derived from the Ed25519
 * keys on the allow-list (validators and registered followers). The
 * allow-list can be replaced at run time.
 *
 * What the caller gets from mlnet_recv() is only ever (authenticated
 * Ed25519 key of the sender, payload): messages from connections that did
 * not pass the ZAP handler, from keys that were removed from the
 * allow-list after their handshake, over a peer's rate limit, oversized
 * or badly framed are dropped and counted in struct mlnet_stats.
 * Documentation/ledger/transport.rst explains the choices.
 *
 * Not thread-safe: one thread calls every function of one node (the ZAP
 * thread is internal). Every function returns 0 or a negative errno.
 */
#ifndef MLNET_H
#define MLNET_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

/* Frame header on the wire (all integers big-endian):
 *   0  2  magic "mn"
 *   2  1  version (1)
 *   3  1  flags (0; other values are refused)
 *   4  4  payload length
 *   8  8  chain id
 *  16  -  payload
 */
#define MLNET_HDR_LEN		16
#define MLNET_VERSION		1
#define MLNET_MAX_PEERS		1024
#define MLNET_MAX_ALLOWED	4096

struct mlnet_cfg {
	uint64_t chain_id;
	const uint8_t *sk;		/* Ed25519 secret key, 64 bytes */
	const char *bind;		/* "tcp://10.1.0.1:7000", "tcp://127.0.0.1:*" */
	size_t max_msg;			/* payload bytes; 0: 16 MiB + 64 KiB */
	/* per-peer token buckets on receipt; 0 selects the default */
	uint32_t rate_msgs;		/* messages per second (default 2000) */
	uint32_t burst_msgs;		/* (default 4000) */
	uint64_t rate_bytes;		/* bytes per second (default 64 MiB) */
	uint64_t burst_bytes;		/* (default 2 * max_msg, >= max_msg + 16) */
	int rcv_hwm;			/* messages queued per peer (default 64) */
	int snd_hwm;			/* messages queued to a peer (default 1024) */
	int heartbeat_ms;		/* ZMTP PING interval (default 1000) */
	int reconnect_ms;		/* first reconnect delay (default 100) */
	int reconnect_max_ms;		/* its cap (default 2000) */
	int redial_ms;			/* after a refused handshake (1000) */
};

struct mlnet_peer {
	uint8_t key[ML_KEY_LEN];	/* Ed25519 */
	const char *endpoint;		/* where its ROUTER is bound */
};

struct mlnet_stats {
	/* receiving */
	uint64_t delivered;		/* handed to the caller */
	uint64_t not_allowed;		/* sender no longer on the allow-list */
	uint64_t unauthenticated;	/* no ZAP user id (never expected) */
	uint64_t rate_dropped;		/* over a token bucket */
	uint64_t oversize;		/* length over max_msg */
	uint64_t bad_frame;		/* header, length or frame count wrong */
	uint64_t wrong_chain;		/* chain id differs */
	/* handshakes (ZAP handler and ROUTER socket monitor) */
	uint64_t zap_allowed;
	uint64_t zap_denied;
	uint64_t accepted;		/* TCP connections accepted */
	uint64_t disconnected;		/* incl. ZMQ_MAXMSGSIZE violations */
	uint64_t handshake_failed;
	/* sending */
	uint64_t sent;
	uint64_t send_dropped;		/* peer not connected or queue full */
	uint64_t send_oversize;
};

struct mlnet_peer_stats {
	uint64_t delivered;
	uint64_t rate_dropped;
	uint64_t sent;
	uint64_t send_dropped;
	int connected;			/* our DEALER's handshake is done */
	uint64_t handshakes;		/* completed by our DEALER */
	uint64_t refused;		/* the peer refused our handshake */
	uint64_t redials;
};

struct mlnet;

/*
 * Binds the ROUTER after the ZAP handler is running. The allow-list starts
 * empty: nobody can connect until mlnet_set_allowed().
 */
int mlnet_open(const struct mlnet_cfg *cfg, struct mlnet **out);
void mlnet_close(struct mlnet *n);
/* The endpoint actually bound (a "*" port resolved), for tests. */
const char *mlnet_endpoint(const struct mlnet *n);
/* Our own Ed25519 public key. */
const uint8_t *mlnet_key(const struct mlnet *n);

/*
 * Replaces the set of peers we send to, all or nothing. Peers whose key and
 * endpoint are unchanged keep their connection; our own key is skipped.
 */
int mlnet_set_peers(struct mlnet *n, const struct mlnet_peer *peers, size_t np);
/*
 * Replaces the allow-list (@n keys of 32 bytes, duplicates allowed). New
 * handshakes are checked against it at once; messages already queued from
 * a removed key are dropped when read. Rate-limit state of keys that stay
 * is kept. -EINVAL if a key is not a valid Ed25519 point.
 */
int mlnet_set_allowed(struct mlnet *n, const uint8_t *keys, size_t nkeys);

/*
 * Queues @len bytes for the peer with key @to. Never blocks: -EAGAIN when
 * the peer is not connected or its queue is full (counted), -EMSGSIZE over
 * max_msg, -ENOENT for a key that is not a peer.
 *
 * libzmq gives up on a connection whose handshake the peer refused (its
 * allow-list did not hold our key yet, e.g. right after its restart), so
 * mlnet_send(), mlnet_recv() (which wakes up for it) and mlnet_stats()
 * redial such a peer once redial_ms have passed.
 */
int mlnet_send(struct mlnet *n, const uint8_t to[ML_KEY_LEN],
	       const void *buf, size_t len);
/* mlnet_send() to every peer; returns how many accepted it (>= 0). */
int mlnet_broadcast(struct mlnet *n, const void *buf, size_t len);

/*
 * Waits up to @timeout_ms (-1: forever, 0: poll) for one message that
 * passes every check. On 0, @from holds the sender's Ed25519 key and
 * @buf and @len the payload, valid until the next mlnet_recv() or
 * mlnet_close(). -EAGAIN on timeout.
 */
int mlnet_recv(struct mlnet *n, int timeout_ms, uint8_t from[ML_KEY_LEN],
	       const void **buf, size_t *len);

/*
 * A file descriptor that becomes readable when messages may be waiting
 * (libzmq's ZMQ_FD of the ROUTER socket), for a caller's own poll() loop.
 * Edge-triggered: after it fires, call mlnet_recv(n, 0, ...) until
 * -EAGAIN before polling again. Redials of refused peers happen only in
 * mlnet_send(), mlnet_recv() and mlnet_stats(), so such a loop calls one
 * of them at least every redial_ms.
 */
int mlnet_fd(struct mlnet *n);

void mlnet_stats(struct mlnet *n, struct mlnet_stats *s);
/* -ENOENT when @key is neither allowed nor a peer. */
int mlnet_peer_stats(struct mlnet *n, const uint8_t key[ML_KEY_LEN],
		     struct mlnet_peer_stats *s);

/* The framing alone, exported for the fuzzer and the tests. */
int mlnet_frame_encode(uint64_t chain_id, const void *payload, size_t len,
		       uint8_t hdr[MLNET_HDR_LEN]);
/*
 * Checks a received frame: -EBADMSG for a wrong header or a length that
 * does not match the frame, -EMSGSIZE over @max, -EXDEV for another chain.
 */
int mlnet_frame_decode(const uint8_t *buf, size_t len, uint64_t chain_id,
		       size_t max, const uint8_t **payload, size_t *plen);

#endif
