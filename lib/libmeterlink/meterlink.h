/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmeterlink: the "meterlink" generic netlink family from user space.
 *
 * The kernel side is described by include/uapi/linux/meterlink.h and
 * Documentation/netlink/specs/meterlink.yaml; this library is a thin,
 * typed client of it on libnl-genl-3.
 *
 * Conventions, for every function below:
 *
 *  - The return value is 0 on success or a negative errno. A function that
 *    fails leaves its output arguments untouched (except for *out pointers,
 *    which are set to NULL) and frees whatever it allocated: there are no
 *    half-done results.
 *  - Errors the kernel reports are returned as the kernel's errno, exactly.
 *    The ones to expect:
 *      -ENOPROTOOPT  the "meterlink" family is not registered: the module
 *                    is not loaded (only ml_open() returns it);
 *      -EPERM        the operation or group needs CAP_NET_ADMIN;
 *      -ENODEV, -ENOENT  no device with that id (ml_is_no_device());
 *      -EINVAL, -ERANGE  an attribute the kernel refused (out of range,
 *                    unknown, wrong type); see ml_last_error_msg();
 *      -EOPNOTSUPP   the device cannot do it (e.g. IRQ mode without an IRQ);
 *      -EAGAIN       a device list kept changing during ML_DUMP_RETRIES
 *                    dumps in a row;
 *      -EPROTO       the kernel sent something this library cannot parse.
 *    libnl's own errors are mapped to the nearest errno (-ENOMEM, ...).
 *  - A struct ml handle is not thread safe: use one per thread, or lock.
 *  - Nothing here prints, exits or installs signal handlers.
 */
#ifndef METERLINK_LIB_H
#define METERLINK_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/meterlink.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How many times ml_dev_list() restarts a dump the kernel interrupted. */
#define ML_DUMP_RETRIES		5

struct ml;
struct ml_sub;

/* ---- connection ---- */

/*
 * Opens a generic netlink socket (extended ACKs on) and resolves the
 * "meterlink" family and its multicast groups. On success *out is a handle
 * to pass to ml_close(). -ENOPROTOOPT when the family does not exist (the
 * module is not loaded), -EPROTONOSUPPORT when it is older than
 * METERLINK_GENL_VERSION.
 */
int ml_open(struct ml **out);

/* Closes the handle. Subscriptions made from it stay valid. NULL is fine. */
void ml_close(struct ml *ml);

/*
 * The message of the last failed call on @ml: the kernel's extended ACK
 * message when it sent one (e.g. "period out of range"), else a message of
 * the library's, else "". Valid until the next call on @ml.
 */
const char *ml_last_error_msg(const struct ml *ml);

/* 1 if @err (a negative errno from this library) means "no such device". */
int ml_is_no_device(int err);

/* ---- devices ---- */

#define ML_STR_LEN	64

struct ml_dev {
	uint32_t id;			/* N of /dev/meterN */
	char name[ML_STR_LEN];		/* "meterN" */
	char chip[ML_STR_LEN];		/* "ade7953" */
	uint32_t chip_id;		/* enum meterlink_chip */
	char bus_id[ML_STR_LEN];	/* "spi0.1" */
	uint32_t nr_phases;
	uint32_t caps;			/* METERLINK_CAP_* */
	uint32_t mode;			/* enum meterlink_mode */
	uint64_t period_ns;
	uint64_t min_period_ns;
	uint64_t max_period_ns;
	uint32_t batch_count;		/* records per readings message */
	uint64_t batch_ns;		/* longest a record waits for its batch */
	uint32_t generation;		/* of the device list when this was read */
};

/*
 * All devices, sorted by id, in one consistent snapshot: a dump the kernel
 * marks interrupted (devices came or went during it) is restarted, up to
 * ML_DUMP_RETRIES times, then -EAGAIN. On success *devs is a malloc()ed
 * array of *n entries (NULL and 0 when there are none) for the caller to
 * free().
 */
int ml_dev_list(struct ml *ml, struct ml_dev **devs, size_t *n);

/* One device. -ENODEV (or -ENOENT) when there is no device @id. */
int ml_dev_get(struct ml *ml, uint32_t id, struct ml_dev *dev);

/* struct ml_dev_config.set: which fields to change */
#define ML_SET_PERIOD		(1U << 0)
#define ML_SET_MODE		(1U << 1)
#define ML_SET_BATCH_COUNT	(1U << 2)
#define ML_SET_BATCH_NS		(1U << 3)
#define ML_SET_ALL		0xfU

struct ml_dev_config {
	unsigned int set;		/* ML_SET_*, at least one */
	uint64_t period_ns;
	uint32_t mode;			/* enum meterlink_mode */
	uint32_t batch_count;		/* 1..METERLINK_BATCH_MAX */
	uint64_t batch_ns;		/* 1 ms .. 10 s */
};

/*
 * Changes the fields of @cfg named in @cfg->set, all in one request: the
 * kernel applies all of them or none. Needs CAP_NET_ADMIN (-EPERM).
 * -EINVAL without sending anything when @cfg->set is 0 or has unknown bits;
 * ranges are the kernel's to check (-EINVAL/-ERANGE, with a message).
 */
int ml_dev_set(struct ml *ml, uint32_t id, const struct ml_dev_config *cfg);

/* ---- calibration ---- */

/*
 * The per-phase gains of device @id, in the char device's structure:
 * @cal->nr_phases phases, @cal->flags and reserved fields zero.
 */
int ml_calib_get(struct ml *ml, uint32_t id, struct meterlink_calibration *cal);

/*
 * Sets the gains of phases 0..@cal->nr_phases-1 (each +-METERLINK_CALIB_MAX_PPM).
 * Needs CAP_NET_ADMIN. -EINVAL without sending anything when nr_phases is 0
 * or above METERLINK_MAX_PHASES. Changing one gain is a read-modify-write:
 * ml_calib_get(), change, ml_calib_set().
 */
int ml_calib_set(struct ml *ml, uint32_t id, const struct meterlink_calibration *cal);

/* ---- counters ---- */

struct ml_stats {
	uint32_t dev_id;
	uint64_t samples;		/* records produced */
	uint64_t spi_errors;
	uint64_t corrected;
	uint64_t invalid;
	uint64_t irqs;
	uint64_t spurious_irqs;
	uint64_t missed_periods;
	uint64_t irq_faults;
	uint64_t nl_drops;		/* readings messages not delivered */
};

/* Counters of device @id. Counters the kernel does not send read as 0. */
int ml_stats_get(struct ml *ml, uint32_t id, struct ml_stats *st);

/*
 * Counters of every device, sorted by dev_id; *st is a malloc()ed array of
 * *n entries (NULL and 0 when there are no devices) for the caller to free().
 */
int ml_stats_list(struct ml *ml, struct ml_stats **st, size_t *n);

/* ---- readings and events ---- */

/*
 * The records the ring of device @id still holds from @from_seq on (0: the
 * oldest), up to the newest one when the call started, in seq order: @fn
 * is called for each, and a non-zero return stops the call, which then
 * returns that value. A collector that was away asks for the records after
 * the last one it kept; records overwritten before the call are missing
 * (their seqs are skipped; compare the first seq with @from_seq). Needs
 * CAP_NET_ADMIN (-EPERM). -EINVAL: @from_seq is beyond the next record;
 * -ENODEV: no such device; -EINTR: devices came or went during the dump
 * (seqs may belong to a new device of that id: check and ask again).
 */
int ml_readings_get(struct ml *ml, uint32_t id, uint64_t from_seq,
		    int (*fn)(void *ctx, const struct meterlink_reading *r), void *ctx);

/* ml_subscribe() groups */
#define ML_GROUP_READINGS	(1U << 0)	/* needs CAP_NET_ADMIN */
#define ML_GROUP_EVENTS		(1U << 1)
#define ML_GROUP_ALL		0x3U

enum ml_event_type {
	ML_EVENT_DEV_ADD,	/* @dev: all fields */
	ML_EVENT_DEV_DEL,	/* @dev: id and name */
	ML_EVENT_FAULT,		/* @fault */
	ML_EVENT_OVERRUN,	/* @overrun_count */
	ML_EVENT_CLOCK_STEP,	/* @clock_step_ns; @dev_id: the device whose
				 * record showed the step (0 if not sent) */
};

struct ml_event {
	enum ml_event_type type;
	uint32_t dev_id;
	struct ml_dev dev;
	uint32_t fault;			/* enum meterlink_fault */
	uint64_t overrun_count;		/* records lost to netlink delivery */
	int64_t clock_step_ns;		/* how far CLOCK_REALTIME jumped */
};

enum ml_loss_kind {
	/*
	 * A gap in a device's seq: @lost records never reached this socket
	 * (the kernel could not build or queue them). @dev_id is the device.
	 */
	ML_LOSS_GAP,
	/*
	 * This socket's receive queue overflowed (recvmsg() said ENOBUFS):
	 * first reported once with @dev_id -1 and @lost 0, as soon as it is
	 * seen; then, after the records queued before the drop have been
	 * delivered, once per device whose next record shows it lost some,
	 * with that device's @dev_id and the exact count. Events may have
	 * been lost too. (The subscription sets NETLINK_BROADCAST_ERROR, so
	 * the kernel counts the drop in nl_drops and sends an OVERRUN event.)
	 */
	ML_LOSS_ENOBUFS,
};

/*
 * Callbacks of ml_sub_dispatch(); any may be NULL. Return 0 to go on; any
 * other value stops ml_sub_dispatch(), which returns it (use a negative
 * errno, or a positive value of your own). Stopping inside a message
 * discards the rest of its records without reporting them as lost.
 * @r is valid during the call only; version and size have been checked.
 */
struct ml_sub_ops {
	int (*reading)(void *ctx, uint32_t dev_id, const struct meterlink_reading *r);
	int (*event)(void *ctx, const struct ml_event *ev);
	int (*loss)(void *ctx, int64_t dev_id, uint64_t lost, enum ml_loss_kind kind);
};

/*
 * A new socket joined to @groups (ML_GROUP_*) of the family @ml resolved.
 * -EPERM when joining "readings" without CAP_NET_ADMIN; -EINVAL for 0 or
 * unknown bits. The subscription is independent of @ml afterwards.
 */
int ml_subscribe(struct ml *ml, unsigned int groups, struct ml_sub **out);

/* Closes the subscription's socket. NULL is fine. */
void ml_sub_close(struct ml_sub *sub);

/* The non-blocking socket to poll() for POLLIN before ml_sub_dispatch(). */
int ml_sub_fd(const struct ml_sub *sub);

/*
 * Asks for a receive buffer of @bytes (SO_RCVBUF, or SO_RCVBUFFORCE when
 * allowed). A larger buffer rides out longer stalls before ENOBUFS.
 */
int ml_sub_set_rcvbuf(struct ml_sub *sub, size_t bytes);

/*
 * Receives what is queued on the socket without blocking and calls @ops
 * for every reading (in seq order per device), event and loss, then
 * returns 0 when the queue is empty, or after 256 messages so that a busy
 * stream cannot starve the caller (poll again). Loss detection: the next
 * expected seq is tracked per device; the first record of a device only
 * sets it, and a seq lower than expected (the device was re-created)
 * resets it silently; DEV_ADD and DEV_DEL events forget the device. After
 * an overflow, see ML_LOSS_ENOBUFS. Errors: a callback's non-zero value,
 * -EPROTO after delivering everything else when a message or record could
 * not be parsed (skipped records then show as a GAP), or a recvmsg() errno.
 */
int ml_sub_dispatch(struct ml_sub *sub, const struct ml_sub_ops *ops, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* METERLINK_LIB_H */
