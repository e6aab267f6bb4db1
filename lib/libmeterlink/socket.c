// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The request socket: opening it, resolving the family and its groups,
 * sending a request and collecting the replies, and turning what went wrong
 * into an errno and a message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int mli_errno(int nlerr)
{
	static const struct { int nle, err; } map[] = {
		{ NLE_INTR, EINTR },		{ NLE_BAD_SOCK, EBADF },
		{ NLE_AGAIN, EAGAIN },		{ NLE_NOMEM, ENOMEM },
		{ NLE_EXIST, EEXIST },		{ NLE_INVAL, EINVAL },
		{ NLE_RANGE, ERANGE },		{ NLE_MSGSIZE, EMSGSIZE },
		{ NLE_OPNOTSUPP, EOPNOTSUPP },	{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
		{ NLE_OBJ_NOTFOUND, ENOENT },	{ NLE_NOATTR, ENOENT },
		{ NLE_MISSING_ATTR, EINVAL },	{ NLE_AF_MISMATCH, EAFNOSUPPORT },
		{ NLE_SEQ_MISMATCH, EPROTO },	{ NLE_MSG_OVERFLOW, EOVERFLOW },
		{ NLE_MSG_TRUNC, EMSGSIZE },	{ NLE_NOADDR, EADDRNOTAVAIL },
		{ NLE_SRCRT_NOSUPPORT, EOPNOTSUPP }, { NLE_MSG_TOOSHORT, EPROTO },
		{ NLE_MSGTYPE_NOSUPPORT, EPROTO }, { NLE_OBJ_MISMATCH, EPROTO },
		{ NLE_NOCACHE, ENOENT },	{ NLE_BUSY, EBUSY },
		{ NLE_PROTO_MISMATCH, EPROTONOSUPPORT }, { NLE_NOACCESS, EACCES },
		{ NLE_PERM, EPERM },		{ NLE_PKTLOC_FILE, ENOENT },
		{ NLE_PARSE_ERR, EPROTO },	{ NLE_NODEV, ENODEV },
		{ NLE_IMMUTABLE, EPERM },	{ NLE_DUMP_INTR, EAGAIN },
		{ NLE_ATTRSIZE, EPROTO },
	};
	int nle = nlerr < 0 ? -nlerr : nlerr;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == nle)
			return -map[i].err;
	return -EIO;
}

void mli_set_msg(struct ml *ml, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ml->errmsg, sizeof(ml->errmsg), fmt, ap);
	va_end(ap);
}

const char *ml_last_error_msg(const struct ml *ml)
{
	return ml ? ml->errmsg : "";
}

int ml_is_no_device(int err)
{
	return err == -ENODEV || err == -ENOENT;
}

struct nl_msg *mli_msg(struct ml *ml, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ml->family, 0, flags,
			 cmd, METERLINK_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nlattr *mli_attrs(struct nlmsghdr *nlh, int *len)
{
	if (!genlmsg_valid_hdr(nlh, 0)) {
		*len = 0;
		return NULL;
	}
	*len = genlmsg_attrlen(nlmsg_data(nlh), 0);
	return genlmsg_attrdata(nlmsg_data(nlh), 0);
}

int mli_get_u32(const struct nlattr *a, uint32_t *v)
{
	if (nla_len(a) < (int)sizeof(*v))
		return -EPROTO;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

int mli_get_u64(const struct nlattr *a, uint64_t *v)
{
	if (nla_len(a) < (int)sizeof(*v))
		return -EPROTO;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

int mli_get_str(const struct nlattr *a, char *dst, size_t len)
{
	const char *s = nla_data(a);
	size_t n = nla_len(a) > 0 ? (size_t)nla_len(a) : 0;

	if (!n || !memchr(s, 0, n))
		return -EPROTO;
	snprintf(dst, len, "%s", s);
	return 0;
}

/* ---- one request and its replies ---- */

struct req {
	struct ml *ml;
	int (*parse)(struct nlmsghdr *nlh, void *arg);
	void *arg;
	int err;		/* first error: kernel's or the parser's */
	bool done, intr;
};

/*
 * The extended ACK: NLMSGERR_ATTR_* after the nlmsgerr (and after the
 * echoed request unless the ACK is capped). A missing required attribute
 * comes without a message on some paths, so say which one.
 */
static void ack_tlvs(struct ml *ml, const struct nlmsghdr *nlh, size_t off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)NLMSG_ALIGN(off);
	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX,
				  (struct nlattr *)((char *)nlmsg_data(nlh) + NLMSG_ALIGN(off)),
				  len, NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		mli_get_str(tb[NLMSGERR_ATTR_MSG], ml->errmsg, sizeof(ml->errmsg));
	else if (tb[NLMSGERR_ATTR_MISS_TYPE])
		mli_set_msg(ml, "missing attribute %u",
			    nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]));
}

static void ext_ack(struct ml *ml, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	ack_tlvs(ml, nlh, off);
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct req *r = arg;

	(void)nla;
	ext_ack(r->ml, nlh);
	if (!r->err)
		r->err = e->error;
	r->done = true;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	int ret;

	if (!r->parse || r->err)
		return NL_SKIP;
	ret = r->parse(nlmsg_hdr(msg), r->arg);
	if (ret < 0)
		r->err = ret;
	/* keep reading to the end, so the socket stays in step */
	return NL_SKIP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

/* NLMSG_DONE carries the dump's error, if any, and extended ACK TLVs. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct req *r = arg;
	int err;

	if (nlmsg_datalen(nlh) >= (int)sizeof(err)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0 && !r->err) {
			r->err = err;
			ack_tlvs(r->ml, nlh, sizeof(err));
		}
	}
	r->done = true;
	return NL_STOP;
}

static int on_intr(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	(void)msg;
	r->intr = true;
	return NL_OK;
}

int mli_request(struct ml *ml, struct nl_msg *msg,
		int (*parse)(struct nlmsghdr *nlh, void *arg), void *arg)
{
	struct req r = { .ml = ml, .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int ret;

	ml->errmsg[0] = 0;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &r);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_intr, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);

	ret = nl_send_auto(ml->sk, msg);
	nlmsg_free(msg);
	while (ret >= 0 && !r.done)
		ret = nl_recvmsgs(ml->sk, cb);
	nl_cb_put(cb);

	if (r.err)
		return r.err;
	if (ret < 0) {
		mli_set_msg(ml, "netlink: %s", nl_geterror(ret));
		return mli_errno(ret);
	}
	if (r.intr)
		return -EINTR;
	return 0;
}

/* ---- resolving the family ---- */

static int parse_groups(struct ml *ml, struct nlattr *groups)
{
	struct nlattr *grp, *tb[CTRL_ATTR_MCAST_GRP_MAX + 1];
	char name[GENL_NAMSIZ];
	uint32_t id;
	int rem;

	nla_for_each_nested(grp, groups, rem) {
		if (nla_parse_nested(tb, CTRL_ATTR_MCAST_GRP_MAX, grp, NULL) < 0 ||
		    !tb[CTRL_ATTR_MCAST_GRP_NAME] || !tb[CTRL_ATTR_MCAST_GRP_ID] ||
		    mli_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME], name, sizeof(name)) ||
		    mli_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID], &id))
			return -EPROTO;
		if (!strcmp(name, METERLINK_MCGRP_READINGS))
			ml->readings_grp = id;
		else if (!strcmp(name, METERLINK_MCGRP_EVENTS))
			ml->events_grp = id;
	}
	return 0;
}

static int parse_family(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct ml *ml = arg;
	uint32_t version;
	uint16_t id;

	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_ID] || nla_len(tb[CTRL_ATTR_FAMILY_ID]) < 2)
		return -EPROTO;
	id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_VERSION] && !mli_get_u32(tb[CTRL_ATTR_VERSION], &version) &&
	    version < METERLINK_GENL_VERSION) {
		mli_set_msg(ml, "kernel family %s is version %u, need %u",
			    METERLINK_GENL_NAME, version, METERLINK_GENL_VERSION);
		return -EPROTONOSUPPORT;
	}
	ml->family = id;
	return tb[CTRL_ATTR_MCAST_GROUPS] ? parse_groups(ml, tb[CTRL_ATTR_MCAST_GROUPS]) : 0;
}

static int resolve(struct ml *ml)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			 CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, METERLINK_GENL_NAME) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = mli_request(ml, msg, parse_family, ml);
	if (ret == -ENOENT) {
		mli_set_msg(ml, "generic netlink family \"%s\" not found (module not loaded?)",
			    METERLINK_GENL_NAME);
		return -ENOPROTOOPT;
	}
	if (!ret && !ml->family)
		ret = -EPROTO;
	return ret;
}

int ml_open(struct ml **out)
{
	struct ml *ml;
	int one = 1, ret, fd;

	*out = NULL;
	ml = calloc(1, sizeof(*ml));
	if (!ml)
		return -ENOMEM;
	ml->sk = nl_socket_alloc();
	if (!ml->sk) {
		free(ml);
		return -ENOMEM;
	}
	ret = genl_connect(ml->sk);
	if (ret < 0) {
		ret = mli_errno(ret);
		goto fail;
	}
	fd = nl_socket_get_fd(ml->sk);
	/* Without these the kernel's explanation of an error never arrives. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
		ret = -errno;
		goto fail;
	}
	ret = resolve(ml);
	if (ret)
		goto fail;
	*out = ml;
	return 0;
fail:
	nl_socket_free(ml->sk);
	free(ml);
	return ret;
}

void ml_close(struct ml *ml)
{
	if (!ml)
		return;
	nl_socket_free(ml->sk);
	free(ml);
}
