/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meterlink: the "meterlink" generic netlink family.
 */
#ifndef _METER_NETLINK_H
#define _METER_NETLINK_H

#include <linux/types.h>

struct meter_dev;
struct meterlink_reading;

int meter_nl_init(void);
void meter_nl_exit(void);
void meter_nl_dev_init(struct meter_dev *m);
void meter_nl_dev_added(struct meter_dev *m);
void meter_nl_dev_removed(struct meter_dev *m);
void meter_nl_reading(struct meter_dev *m, const struct meterlink_reading *r);
void meter_nl_fault(struct meter_dev *m, u32 fault);

#endif /* _METER_NETLINK_H */
