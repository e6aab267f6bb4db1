// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: read one sample from the chip and turn it into a record.
 *
 * Every register read is checked against the chip's own echo of the last
 * word it sent (LAST_RWDATA on the ADE7953, LastSPIData on the ATM90E32):
 * a word corrupted on the wire is detected and the majority of three
 * copies is taken. A failed transfer flags the record; the chip keeps
 * accumulating energy in a register that was not read, so no energy is
 * lost, only attributed to the next good sample.
 */
#include <linux/bitops.h>
#include <linux/math64.h>
#include <linux/regmap.h>
#include <linux/timekeeping.h>

#include "chip.h"
#include "meter.h"

int meter_reg_read(struct meter_dev *m, unsigned int reg, unsigned int *val)
{
	int ret = regmap_read(m->regmap, reg, val);

	if (ret)
		meter_count(m, METER_CNT_SPI_ERRORS);
	return ret;
}

int meter_reg_write(struct meter_dev *m, unsigned int reg, unsigned int val)
{
	int ret = regmap_write(m->regmap, reg, val);

	if (ret)
		meter_count(m, METER_CNT_SPI_ERRORS);
	return ret;
}

/* A write the chip ignored (write-protect, wrong chip) is an error. */
int meter_reg_write_checked(struct meter_dev *m, unsigned int reg,
			    unsigned int val)
{
	unsigned int last;
	int ret;

	ret = meter_reg_write(m, reg, val);
	if (!ret)
		ret = meter_reg_read(m, m->chip->last_data_reg(reg), &last);
	if (!ret && last != val) {
		dev_err(&m->spi->dev, "write of %#x to register %#x not taken (chip echoes %#x)\n",
			val, reg, last);
		ret = -EIO;
	}
	return ret;
}

static int read_checked(struct meter_dev *m, unsigned int reg,
			unsigned int *val, u32 *flags)
{
	unsigned int last = m->chip->last_data_reg(reg);
	unsigned int v1, v2, v3;

	if (meter_reg_read(m, reg, &v1)) {
		*flags |= METERLINK_F_SPI_ERROR;
		return -EIO;
	}
	*val = v1;
	if (meter_reg_read(m, last, &v2)) {
		*flags |= METERLINK_F_SPI_ERROR;
		return 0;	/* the register was read (and maybe cleared) */
	}
	if (v1 == v2)
		return 0;
	if (meter_reg_read(m, last, &v3)) {
		*flags |= METERLINK_F_SPI_ERROR | METERLINK_F_INVALID;
		return 0;
	}
	if (v2 == v3) {
		*val = v2;
	} else if (v1 != v3) {
		*flags |= METERLINK_F_INVALID;
		return 0;
	}
	meter_count(m, METER_CNT_CORRECTED);
	*flags |= METERLINK_F_CORRECTED;
	return 0;
}

static int read_qty(struct meter_dev *m, const struct meter_reg *r,
		    unsigned int phase, s64 *raw, u32 *flags)
{
	unsigned int off = phase * m->chip->phase_stride;
	unsigned int v, lo;
	int ret;

	if (r->flags & METER_REG_SHARED)
		off = 0;
	ret = read_checked(m, r->reg + off, &v, flags);
	if (!ret && (r->flags & METER_REG_SPLIT)) {
		ret = read_checked(m, r->reg_lo + off, &lo, flags);
		v = (v << 16) | (lo & 0xffff);
	}
	if (ret)
		return ret;
	if (r->flags & METER_REG_SIGNED)
		*raw = sign_extend32(v, r->bits - 1);
	else
		*raw = v & GENMASK(r->bits - 1, 0);
	return 0;
}

/* x * num / den, rounded to nearest */
static s64 scale(s64 x, u32 num, u32 den)
{
	s64 p = x * num;

	return div_s64(p + (p < 0 ? -(s64)den / 2 : (s64)den / 2), den);
}

static s64 convert(const struct meter_conv *c, s64 raw, s32 ppm)
{
	s64 v;

	if (c->reciprocal)
		v = raw + 1 > 0 ? div64_s64(c->num + (raw + 1) / 2, raw + 1) : 0;
	else
		v = scale(raw, c->num, c->den);
	return ppm ? scale(v, 1000000 + ppm, 1000000) : v;
}

static void add_energy(struct meter_energy *e, const struct meter_conv *c,
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

static void read_energy(struct meter_dev *m, unsigned int p,
			struct meterlink_phase *out, s32 ppm, u32 *flags)
{
	const struct meter_chip *c = m->chip;
	const struct meter_reg *ri = &c->regs[METER_Q_E_IMPORT];
	const struct meter_reg *re = &c->regs[METER_Q_E_EXPORT];
	s64 raw;

	if (!read_qty(m, ri, p, &raw, flags)) {
		if (raw >= 0)
			add_energy(&m->import[p], &c->conv[METER_Q_E_IMPORT],
				   raw, ppm);
		else if (ri->flags & METER_REG_BY_SIGN)
			add_energy(&m->export[p], &c->conv[METER_Q_E_EXPORT],
				   -raw, ppm);
	}
	if (re->bits && !read_qty(m, re, p, &raw, flags) && raw > 0)
		add_energy(&m->export[p], &c->conv[METER_Q_E_EXPORT], raw, ppm);
	out->energy_import_uwh = div_u64(m->import[p].nwh, 1000);
	out->energy_export_uwh = div_u64(m->export[p].nwh, 1000);
}

static s32 qty_ppm(const struct meterlink_phase_calib *cal, unsigned int q)
{
	switch (q) {
	case METER_Q_VOLTAGE:
		return cal->voltage_ppm;
	case METER_Q_CURRENT:
		return cal->current_ppm;
	case METER_Q_ACTIVE:
	case METER_Q_REACTIVE:
	case METER_Q_APPARENT:
		return cal->power_ppm;
	}
	return 0;
}

/* Called with io_lock held, from the IRQ thread or the poll work. */
void meter_sample(struct meter_dev *m, s64 rt, s64 bt, u32 flags)
{
	const struct meter_chip *c = m->chip;
	struct meterlink_reading rec = {
		.version = METERLINK_READING_VERSION,
		.size = sizeof(rec),
		.nr_phases = c->nr_phases,
		.realtime_ns = rt,
		.boottime_ns = bt,
	};
	struct meterlink_calibration cal;
	s64 shared[METER_Q_MAX] = { 0 };
	unsigned int p, q;
	s64 raw, v, end;

	spin_lock_irq(&m->acq_lock);
	cal = m->calib;
	spin_unlock_irq(&m->acq_lock);

	for (p = 0; p < c->nr_phases; p++) {
		struct meterlink_phase *ph = &rec.phase[p];
		s64 val[METER_Q_E_IMPORT] = { 0 };

		for (q = 0; q < METER_Q_E_IMPORT; q++) {
			const struct meter_reg *r = &c->regs[q];

			if (!r->bits)
				continue;
			if (p && (r->flags & METER_REG_SHARED)) {
				val[q] = shared[q];
				continue;
			}
			if (read_qty(m, r, p, &raw, &flags))
				continue;
			v = convert(&c->conv[q], raw, qty_ppm(&cal.phase[p], q));
			val[q] = v;
			shared[q] = v;
		}
		ph->voltage_uv = clamp_val(val[METER_Q_VOLTAGE], 0, U32_MAX);
		ph->current_ua = clamp_val(val[METER_Q_CURRENT], 0, U32_MAX);
		ph->active_mw = val[METER_Q_ACTIVE];
		ph->reactive_mvar = val[METER_Q_REACTIVE];
		ph->apparent_mva = val[METER_Q_APPARENT];
		ph->power_factor = clamp_val(val[METER_Q_PF], -1000000, 1000000);
		ph->frequency_mhz = clamp_val(val[METER_Q_FREQ], 0, U32_MAX);
		read_energy(m, p, ph, cal.phase[p].power_ppm, &flags);
	}

	end = ktime_get_real_ns();
	rec.uncertainty_ns = clamp_val(end - rt, 0, U32_MAX);
	rec.flags = flags;
	if (flags & METERLINK_F_INVALID)
		meter_count(m, METER_CNT_INVALID);
	meter_ring_push(&m->ring, &rec);
	meter_count(m, METER_CNT_SAMPLES);
	wake_up_interruptible(&m->wq);
}
