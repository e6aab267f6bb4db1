/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meterlink: a ring of readings with one position per reader.
 */
#ifndef _METER_RING_H
#define _METER_RING_H

#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/meterlink.h>

struct meter_ring {
	spinlock_t lock;	/* producer against readers */
	struct meterlink_reading *rec;
	u32 size;		/* power of two */
	u64 head;		/* seq of the next record */
};

int meter_ring_init(struct meter_ring *r, u32 size);
void meter_ring_free(struct meter_ring *r);
u64 meter_ring_push(struct meter_ring *r, struct meterlink_reading *rec);
u64 meter_ring_head(struct meter_ring *r);
u64 meter_ring_behind(struct meter_ring *r, u64 pos);
unsigned int meter_ring_copy(struct meter_ring *r, u64 *pos, u64 *lost,
			     struct meterlink_reading *out, unsigned int max);
int meter_ring_peek(struct meter_ring *r, u64 *pos, u64 end,
		    struct meterlink_reading *out);

#endif /* _METER_RING_H */
