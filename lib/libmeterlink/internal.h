/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the library's files share and nothing else sees: the shared object
 * exports only the symbols listed in libmeterlink.map, so the mli_ names
 * stay inside (the static archive and the unit tests link them directly).
 */
#ifndef METERLINK_LIB_INTERNAL_H
#define METERLINK_LIB_INTERNAL_H

#include <stdbool.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "meterlink.h"

struct ml {
	struct nl_sock *sk;
	int family;
	uint32_t readings_grp;		/* 0 when the kernel has no such group */
	uint32_t events_grp;
	char errmsg[256];
};

/* Per-device seq tracking of a subscription. */
struct mli_seq {
	uint32_t dev_id;
	uint64_t next;			/* seq expected next */
	bool resync;			/* its loss in an overflow is still to be counted */
};

struct ml_sub {
	struct nl_sock *sk;
	int family;
	struct mli_seq *seqs;
	size_t nr_seqs, cap_seqs;
	bool draining;			/* overflowed; the queue is not yet empty */
	unsigned char *buf;
	size_t buf_len;
};

/* "-errno" from a libnl error code (a negative NLE_*). */
int mli_errno(int nlerr);

/* Records a library message for ml_last_error_msg(). */
void mli_set_msg(struct ml *ml, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A request for @cmd of the family with genetlink header; NULL: no memory. */
struct nl_msg *mli_msg(struct ml *ml, uint8_t cmd, int flags);

/*
 * Sends @msg (always freed), then calls @parse for every reply message until
 * the ACK or the end of the dump. Returns 0, the kernel's -errno (message in
 * ml->errmsg), @parse's first negative value, -EINTR when a dump came back
 * marked interrupted (NLM_F_DUMP_INTR), or a mapped libnl error.
 */
int mli_request(struct ml *ml, struct nl_msg *msg,
		int (*parse)(struct nlmsghdr *nlh, void *arg), void *arg);

/* The attributes of a meterlink message (after the genetlink header). */
struct nlattr *mli_attrs(struct nlmsghdr *nlh, int *len);

/* Typed attribute readers: 0 or -EPROTO when the payload is too short. */
int mli_get_u32(const struct nlattr *a, uint32_t *v);
int mli_get_u64(const struct nlattr *a, uint64_t *v);
int mli_get_str(const struct nlattr *a, char *dst, size_t len);

/* The device attributes of a DEV_GET reply or DEV_ADD/DEV_DEL event. */
int mli_parse_dev(struct nlattr *attrs, int len, struct ml_dev *dev,
		  bool need_all);

/* Handles one message from the subscription socket (tests call it too). */
int mli_sub_handle(struct ml_sub *sub, struct nlmsghdr *nlh,
		   const struct ml_sub_ops *ops, void *ctx);
/* The socket overflowed: report it and mark every device for resync. */
int mli_sub_overflow(struct ml_sub *sub, const struct ml_sub_ops *ops, void *ctx);
/* The socket's queue was found empty (recvmsg() said EAGAIN). */
void mli_sub_drained(struct ml_sub *sub);
/* A subscription without a socket, for the unit tests. */
struct ml_sub *mli_sub_alloc(int family);

#endif /* METERLINK_LIB_INTERNAL_H */
