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
#include <linux/errno.h>
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

/*
 * (a * b + add) / d and its remainder, exact, through a 128-bit
 * intermediate: the board scaling's ratios need more than 64 bits before
 * the division. -EOVERFLOW when the quotient does not fit 64 bits.
 */
int meter_mul_div(u64 a, u64 b, u64 add, u64 d, u64 *q, u64 *rem)
{
	u64 p0 = (u64)(u32)a * (u32)b, p1 = (u64)(u32)a * (b >> 32);
	u64 p2 = (a >> 32) * (u32)b, p3 = (a >> 32) * (b >> 32);
	u64 mid = (p0 >> 32) + (u32)p1 + (u32)p2;
	u64 lo = (mid << 32) | (u32)p0;
	u64 hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
	u64 r, quot = 0;
	int i;

	lo += add;
	hi += lo < add;
	if (!d || hi >= d)
		return -EOVERFLOW;
	if (!hi) {
		*q = div64_u64_rem(lo, d, rem);
		return 0;
	}
	/* long division, one bit at a time; the remainder stays below d */
	r = hi;
	for (i = 63; i >= 0; i--) {
		bool top = r >> 63;

		r = (r << 1) | ((lo >> i) & 1);
		quot <<= 1;
		if (top || r >= d) {
			r -= d;
			quot |= 1;
		}
	}
	*q = quot;
	*rem = r;
	return 0;
}

/* x * r, rounded to nearest (half away from zero); saturates */
s64 meter_ratio_scale(s64 x, const struct meter_ratio *r)
{
	u64 ux = x < 0 ? -(u64)x : x, q, rem;

	if (meter_mul_div(ux, r->num, r->den / 2, r->den, &q, &rem) ||
	    q > S64_MAX)
		q = S64_MAX;
	return x < 0 ? -(s64)q : (s64)q;
}

/* the board-scaled conversion, then calibration */
s64 meter_ratio_convert(const struct meter_ratio *r, s64 raw, s32 ppm)
{
	s64 v = meter_ratio_scale(raw, r);

	return ppm ? meter_scale(v, 1000000 + ppm, 1000000) : v;
}

/*
 * @r is nWh per count. The calibration factor (1e6 + ppm) / 1e6 is part of
 * the exact product, so the remainder, in units of 1 / (den * 1e6) nWh,
 * loses nothing whatever the calibration. meter_scaling_derive() bounds
 * den and one read's energy so that neither overflows.
 */
void meter_energy_add(struct meter_energy *e, const struct meter_ratio *r,
		      u64 counts, s32 ppm)
{
	u64 q, rem;

	if (meter_mul_div(counts * (u64)(1000000 + ppm), r->num, e->rem,
			  r->den * 1000000, &q, &rem))
		return;		/* excluded by the bounds */
	e->nwh += q;
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
