/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meterlink: state shared by the driver's parts.
 */
#ifndef _METER_H
#define _METER_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/regmap.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/meterlink.h>

#include "convert.h"
#include "ring.h"
#include "scaling.h"

struct meter_chip;

enum meter_counter {
	METER_CNT_SAMPLES,
	METER_CNT_SPI_ERRORS,
	METER_CNT_CORRECTED,
	METER_CNT_INVALID,
	METER_CNT_IRQS,
	METER_CNT_SPURIOUS_IRQS,
	METER_CNT_MISSED_PERIODS,
	METER_CNT_IRQ_FAULTS,
	METER_CNT_NL_DROPS,
	METER_CNT_ACQ_NS,		/* not a count: ns spent in samples */
	METER_CNT_MAX,
};

struct meter_dev {
	struct device classdev;		/* /sys/class/meter/meterN, owns us */
	struct cdev cdev;
	int id;
	const struct meter_chip *chip;
	struct spi_device *spi;
	struct regmap *regmap;
	int irq;			/* 0 when the board wires none */
	/* the SPI device's name: the device itself may be gone before us */
	char bus_id[32];

	/* configuration; @dead is set once the SPI device is gone */
	struct mutex lock;
	bool dead;
	u32 mode;
	u64 period_ns;
	struct meterlink_calibration calib;
	struct meter_scaling scale;	/* set in probe, constant after */

	/* acquisition: one sample at a time, from the IRQ thread or the work */
	struct mutex io_lock;
	struct hrtimer timer;
	struct work_struct work;
	struct work_struct fallback_work;
	/* raw: the IRQ top half (hard-IRQ context even on PREEMPT_RT) takes it */
	raw_spinlock_t acq_lock;	/* the fields below: timer, IRQ, work */
	s64 due_rt, due_bt;
	s64 last_bt;			/* boot time of the last sample */
	bool missed;			/* flag the next record */
	bool irq_seen;			/* a sample came by interrupt */
	bool irq_arrived;		/* the top half ran (may be late) */
	bool irq_enabled;		/* enable_irq() balance */
	bool fallback_wanted;		/* cleared when the mode is set again */
	u64 timer_period;		/* poll period or IRQ watchdog */
	s64 irq_rt, irq_bt;		/* written in the hard-IRQ top half */
	unsigned int spurious_run;
	bool fault_pending;
	struct meter_energy import[METERLINK_MAX_PHASES];
	struct meter_energy export[METERLINK_MAX_PHASES];

	/* readings batched for the netlink "readings" group */
	struct mutex nl_lock;
	struct sk_buff *nl_skb;
	void *nl_hdr;
	unsigned int nl_count;
	u32 batch_count;
	u64 batch_ns;
	struct delayed_work nl_flush;
	s64 clock_offset;		/* realtime - boottime of the last record */
	u32 fault_flags;		/* of the last record */

	struct meter_ring ring;
	wait_queue_head_t wq;		/* readers wait here for records */
	atomic64_t cnt[METER_CNT_MAX];
	struct dentry *debugfs;
};

static inline void meter_count(struct meter_dev *m, enum meter_counter c)
{
	atomic64_inc(&m->cnt[c]);
}

static inline u64 meter_counter(struct meter_dev *m, enum meter_counter c)
{
	return atomic64_read(&m->cnt[c]);
}

static inline struct meter_dev *to_meter(struct device *dev)
{
	return container_of(dev, struct meter_dev, classdev);
}

/* sample.c */
void meter_sample(struct meter_dev *m, s64 rt, s64 bt, u32 flags);

/* acquisition.c */
int meter_acq_init(struct meter_dev *m);
void meter_acq_start(struct meter_dev *m);
void meter_acq_stop(struct meter_dev *m);
int meter_reconfigure(struct meter_dev *m, const u32 *mode,
		      const u64 *period_ns);

/* chardev.c */
int meter_chardev_init(void);
void meter_chardev_exit(void);
int meter_chardev_add(struct meter_dev *m, struct device *parent);
int meter_chardev_publish(struct meter_dev *m);
void meter_chardev_del(struct meter_dev *m);
struct meter_dev *meter_find(u32 id);
struct meter_dev *meter_next(u32 *id);
u32 meter_generation(void);
int meter_calib_set(struct meter_dev *m, const struct meterlink_calibration *c);
void meter_calib_get(struct meter_dev *m, struct meterlink_calibration *c);

/* debugfs.c */
void meter_debugfs_init(void);
void meter_debugfs_exit(void);
void meter_debugfs_add(struct meter_dev *m);
void meter_debugfs_del(struct meter_dev *m);

extern const struct attribute_group *meter_groups[];

#define METER_MIN_PERIOD_NS	(1 * NSEC_PER_MSEC)
#define METER_DEFAULT_PERIOD_NS	(100 * NSEC_PER_MSEC)

#endif /* _METER_H */
