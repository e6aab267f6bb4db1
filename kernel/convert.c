// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: pure arithmetic from register codes to records.
 *
 * No floating point: every conversion is raw * num / den rounded to the
 * nearest integer, with calibration as a further parts-per-million factor,
 * and energy accumulates in nWh with the remainder of each division kept,
 * so that summing many small read-to-clear deltas gives exactly what one
 * large read would have.
 */
#include <linux/bits.h>
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "convert.h"

/* x * num / den, rounded to nearest; |x * num| must fit in 63 bits */
s64 meter_scale(s64 x, u32 num, u32 den)
{
	s64 p = x * num;

	return div_s64(p + (p < 0 ? -(s64)(den / 2) : (s64)(den / 2)), den);
}

/* the register's code as a number: sign- or zero-extended from its width */
s64 meter_decode(const struct meter_reg *r, u32 hi, u32 lo)
{
	u32 v = hi;

	if (r->flags & METER_REG_SPLIT)
		v = (hi << 16) | (lo & 0xffff);
	if (r->flags & METER_REG_SIGNED)
		return sign_extend32(v, r->bits - 1);
	return v & GENMASK(r->bits - 1, 0);
}

s64 meter_convert(const struct meter_conv *c, s64 raw, s32 ppm)
{
	u64 n = (u64)c->num * c->den;
	s64 v;

	if (c->reciprocal)	/* e.g. frequency from a period count */
		v = raw + 1 > 0 ? div64_s64(n + (raw + 1) / 2, raw + 1) : 0;
	else
		v = meter_scale(raw, c->num, c->den);
	return ppm ? meter_scale(v, 1000000 + ppm, 1000000) : v;
}

void meter_energy_add(struct meter_energy *e, const struct meter_conv *c,
		      u64 counts, s32 ppm)
{
	u64 x = counts * c->num * 1000;	/* nWh, in units of 1/den */
	u32 rem;

	if (ppm)
		x = mul_u64_u32_div(x, 1000000 + ppm, 1000000);
	e->rem += x;
	e->nwh += div_u64_rem(e->rem, c->den, &rem);
	e->rem = rem;
}

u64 meter_energy_uwh(const struct meter_energy *e)
{
	return div_u64(e->nwh, 1000);
}

/* values by enum meter_qty into the record's fields, each clamped to fit */
void meter_phase_fill(struct meterlink_phase *ph, const s64 *val)
{
	ph->voltage_uv = clamp_val(val[METER_Q_VOLTAGE], 0, U32_MAX);
	ph->current_ua = clamp_val(val[METER_Q_CURRENT], 0, U32_MAX);
	ph->active_mw = val[METER_Q_ACTIVE];
	ph->reactive_mvar = val[METER_Q_REACTIVE];
	ph->apparent_mva = val[METER_Q_APPARENT];
	ph->power_factor = clamp_val(val[METER_Q_PF], -1000000, 1000000);
	ph->frequency_mhz = clamp_val(val[METER_Q_FREQ], 0, U32_MAX);
}

/* a window that ends before it starts (a clock step) is no window */
u32 meter_uncertainty(s64 start_ns, s64 end_ns)
{
	return clamp_val(end_ns - start_ns, 0, U32_MAX);
}

void meter_record_init(struct meterlink_reading *r, u32 nr_phases, s64 rt,
		       s64 bt)
{
	memset(r, 0, sizeof(*r));
	r->version = METERLINK_READING_VERSION;
	r->size = sizeof(*r);
	r->nr_phases = nr_phases;
	r->realtime_ns = rt;
	r->boottime_ns = bt;
}
