/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meterlink: pure arithmetic from register codes to records, kept apart
 * from the I/O so that KUnit can check every edge of it.
 */
#ifndef _METER_CONVERT_H
#define _METER_CONVERT_H

#include <linux/types.h>
#include <linux/meterlink.h>

#include "chip.h"

/* 64-bit energy accumulator in nWh, with the sub-nWh remainder kept exact */
struct meter_energy {
	u64 nwh;
	u64 rem;	/* in units of 1 / (ratio.den * 1000000) nWh */
};

s64 meter_scale(s64 x, u32 num, u32 den);
s64 meter_decode(const struct meter_reg *r, u32 hi, u32 lo);
s64 meter_convert(const struct meter_conv *c, s64 raw, s32 ppm);
int meter_mul_div(u64 a, u64 b, u64 add, u64 d, u64 *q, u64 *rem);
s64 meter_ratio_scale(s64 x, const struct meter_ratio *r);
s64 meter_ratio_convert(const struct meter_ratio *r, s64 raw, s32 ppm);
void meter_energy_add(struct meter_energy *e, const struct meter_ratio *r,
		      u64 counts, s32 ppm);
u64 meter_energy_uwh(const struct meter_energy *e);
void meter_phase_fill(struct meterlink_phase *ph, const s64 *val);
u32 meter_uncertainty(s64 start_ns, s64 end_ns);
void meter_record_init(struct meterlink_reading *r, u32 nr_phases, s64 rt,
		       s64 bt);

#endif /* _METER_CONVERT_H */
