// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: read one sample from the chip and turn it into a record.
 *
 * Every register read is checked against the chip's own echo of the last
 * word it sent (LAST_RWDATA on the ADE7953, LastSPIData on the ATM90E32,
 * LAST_DATA_16/32 on the ADE9000):
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
#include "convert.h"
#include "meter.h"
#include "netlink.h"

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
	unsigned int off = phase * (r->stride ?: m->chip->phase_stride);
	unsigned int hi, lo = 0;
	int ret;

	if (r->flags & METER_REG_SHARED)
		off = 0;
	ret = read_checked(m, r->reg + off, &hi, flags);
	if (!ret && (r->flags & METER_REG_SPLIT))
		ret = read_checked(m, r->reg_lo + off, &lo, flags);
	if (!ret)
		*raw = meter_decode(r, hi, lo);
	return ret;
}

static void read_energy(struct meter_dev *m, unsigned int p,
			struct meterlink_phase *out, s32 ppm, u32 *flags)
{
	const struct meter_chip *c = m->chip;
	const struct meter_reg *ri = &c->regs[METER_Q_E_IMPORT];
	const struct meter_reg *re = &c->regs[METER_Q_E_EXPORT];
	const struct meter_ratio *ci = &m->scale.conv[p][METER_Q_E_IMPORT];
	const struct meter_ratio *ce = &m->scale.conv[p][METER_Q_E_EXPORT];
	s64 raw;

	if (!read_qty(m, ri, p, &raw, flags)) {
		if (raw >= 0)
			meter_energy_add(&m->import[p], ci, raw, ppm);
		else if (ri->flags & METER_REG_BY_SIGN)
			meter_energy_add(&m->export[p], ce, -raw, ppm);
	}
	if (re->bits && !read_qty(m, re, p, &raw, flags) && raw > 0)
		meter_energy_add(&m->export[p], ce, raw, ppm);
	out->energy_import_uwh = meter_energy_uwh(&m->import[p]);
	out->energy_export_uwh = meter_energy_uwh(&m->export[p]);
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
	struct meterlink_reading rec;
	struct meterlink_calibration cal;
	s64 shared[METER_Q_MAX] = { 0 };
	unsigned int p, q;
	s64 raw, v;

	u64 t0 = ktime_get_ns();

	meter_record_init(&rec, c->nr_phases, rt, bt);
	raw_spin_lock_irq(&m->acq_lock);
	cal = m->calib;
	raw_spin_unlock_irq(&m->acq_lock);

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
			if (q == METER_Q_PF || q == METER_Q_FREQ)
				v = meter_convert(&c->conv[q], raw, 0);
			else
				v = meter_ratio_convert(&m->scale.conv[p][q], raw,
							qty_ppm(&cal.phase[p], q));
			val[q] = v;
			shared[q] = v;
		}
		meter_phase_fill(ph, val);
		read_energy(m, p, ph, cal.phase[p].power_ppm, &flags);
	}

	rec.uncertainty_ns = meter_uncertainty(bt, ktime_get_boottime_ns());
	rec.flags = flags;
	if (flags & METERLINK_F_INVALID)
		meter_count(m, METER_CNT_INVALID);
	atomic64_add(ktime_get_ns() - t0, &m->cnt[METER_CNT_ACQ_NS]);
	meter_ring_push(&m->ring, &rec);
	meter_count(m, METER_CNT_SAMPLES);
	wake_up_interruptible(&m->wq);
	meter_nl_reading(m, &rec);
	/* a fault is news when it starts, not on every record it lasts */
	flags &= METERLINK_F_SPI_ERROR | METERLINK_F_INVALID;
	if (flags & ~m->fault_flags)
		meter_nl_fault(m, flags & METERLINK_F_SPI_ERROR ?
			       METERLINK_FAULT_SPI : METERLINK_FAULT_CORRUPT);
	m->fault_flags = flags;
}
