// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: a ring of readings with one position per reader.
 *
 * The producer never waits: it overwrites the oldest record. A reader whose
 * position has been overwritten skips to the oldest record still held and
 * learns how many it lost; the sequence numbers show the gap.
 */
#include <linux/slab.h>
#include <linux/log2.h>

#include "ring.h"

int meter_ring_init(struct meter_ring *r, u32 size)
{
	if (!is_power_of_2(size))
		return -EINVAL;
	r->rec = kvcalloc(size, sizeof(*r->rec), GFP_KERNEL);
	if (!r->rec)
		return -ENOMEM;
	spin_lock_init(&r->lock);
	r->size = size;
	r->head = 0;
	return 0;
}

void meter_ring_free(struct meter_ring *r)
{
	kvfree(r->rec);
	r->rec = NULL;
}

/* Stamps @rec with the next sequence number, stores it, returns the seq. */
u64 meter_ring_push(struct meter_ring *r, struct meterlink_reading *rec)
{
	unsigned long flags;
	u64 seq;

	spin_lock_irqsave(&r->lock, flags);
	seq = r->head++;
	rec->seq = seq;
	r->rec[seq & (r->size - 1)] = *rec;
	spin_unlock_irqrestore(&r->lock, flags);
	return seq;
}

u64 meter_ring_head(struct meter_ring *r)
{
	unsigned long flags;
	u64 head;

	spin_lock_irqsave(&r->lock, flags);
	head = r->head;
	spin_unlock_irqrestore(&r->lock, flags);
	return head;
}

/* with r->lock held: records overwritten before a reader at @pos read them */
static u64 behind(struct meter_ring *r, u64 pos)
{
	return r->head - pos > r->size ? r->head - r->size - pos : 0;
}

u64 meter_ring_behind(struct meter_ring *r, u64 pos)
{
	unsigned long flags;
	u64 n;

	spin_lock_irqsave(&r->lock, flags);
	n = behind(r, pos);
	spin_unlock_irqrestore(&r->lock, flags);
	return n;
}

/*
 * Copies up to @max records from reader position *@pos into @out and
 * advances *@pos. Adds the number of records overwritten before the reader
 * got to them to *@lost. Returns the number of records copied.
 */
unsigned int meter_ring_copy(struct meter_ring *r, u64 *pos, u64 *lost,
			     struct meterlink_reading *out, unsigned int max)
{
	unsigned long flags;
	unsigned int n = 0;

	spin_lock_irqsave(&r->lock, flags);
	if (behind(r, *pos)) {
		*lost += behind(r, *pos);
		*pos = r->head - r->size;
	}
	while (n < max && *pos < r->head) {
		out[n++] = r->rec[*pos & (r->size - 1)];
		(*pos)++;
	}
	spin_unlock_irqrestore(&r->lock, flags);
	return n;
}

/*
 * Copies the record at *@pos, or the oldest one held when that has been
 * overwritten, if its seq is below @end. Returns 1 and sets *@pos to the
 * record's seq + 1, or 0 (nothing below @end). The producer's pace is not
 * a reader's: no loss is counted.
 */
int meter_ring_peek(struct meter_ring *r, u64 *pos, u64 end,
		    struct meterlink_reading *out)
{
	unsigned long flags;
	u64 p = *pos;
	int n = 0;

	spin_lock_irqsave(&r->lock, flags);
	if (behind(r, p))
		p = r->head - r->size;
	if (p < r->head && p < end) {
		*out = r->rec[p & (r->size - 1)];
		*pos = p + 1;
		n = 1;
	}
	spin_unlock_irqrestore(&r->lock, flags);
	return n;
}
