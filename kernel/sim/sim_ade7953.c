// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink_sim: ADE7953 emulator.
 *
 * Frame: [addr hi][addr lo][0x80 read | 0x00 write][data, MSB first], the
 * width implied by the address (8-bit 0x0xx, 16-bit 0x1xx, 24-bit 0x2xx,
 * 32-bit alias 0x3xx; sources in chips-and-kernel.md section 2.1). A frame
 * of the wrong length is ignored, as the chip ignores a short CS window.
 * The board front end is the Shelly reference design (VRMS = V*26000,
 * IRMS = I*100000, WATT = P*154); the energy registers count 64 WATT LSB
 * seconds (so that 24 bits hold more than a minute at full scale) and are
 * read-with-reset while LCYCMODE.RSTREAD is set.
 */
#include <linux/bits.h>
#include <linux/math64.h>

#include "sim.h"

#define NREGS		0x900
#define LCYCMODE	0x004
#define   RSTREAD	BIT(6)
#define UNLOCK		0x0fe
#define LAST8		0x0ff
#define LINECYC		0x101
#define CONFIG		0x102
#define   SWRST		BIT(7)
#define PFA		0x10a
#define PFB		0x10b
#define PERIOD		0x10e
#define OPTREG		0x120
#define LAST16		0x1ff
#define AVA		0x210
#define BVA		0x211
#define AWATT		0x212
#define BWATT		0x213
#define AVAR		0x214
#define BVAR		0x215
#define IRMSA		0x21a
#define IRMSB		0x21b
#define VRMS		0x21c
#define AENERGYA	0x21e
#define AENERGYB	0x21f
#define IRQENA		0x22c
#define IRQSTATA	0x22d
#define RSTIRQSTATA	0x22e
#define   CYCEND	BIT(18)
#define   RESET		BIT(20)
#define LAST24		0x2ff
#define LAST32		0x3ff
#define E_MUL		154		/* counts = nJ * 154 / 64e9 */
#define E_DIV		64000000000LL

struct ade {
	u32 reg[NREGS];
	u32 last[5];		/* LAST_RWDATA by width in bytes */
	s64 pend[2];		/* energy A, B in nJ * E_MUL, signed */
};

static unsigned int bytes(unsigned int a)
{
	if (a < 0x100 || a == 0x702 || a == 0x800)
		return 1;
	return a < 0x200 ? 2 : a < 0x300 ? 3 : 4;
}

static void ade_reset(struct sim_chip *c)
{
	struct ade *d = c->priv;
	unsigned int r;

	memset(d, 0, sizeof(*d));
	d->reg[LCYCMODE] = 0x40;
	d->reg[0x100] = 0xffff;		/* ZXTOUT */
	d->reg[CONFIG] = 0x8004;
	d->reg[0x103] = 0x3f;		/* CF1DEN */
	d->reg[0x104] = 0x3f;		/* CF2DEN */
	d->reg[0x107] = 0x300;		/* CFMODE */
	for (r = 0x280; r <= 0x284; r++)	/* A gains: unity */
		d->reg[r] = 0x400000;
	for (r = 0x28c; r <= 0x290; r++)	/* B gains */
		d->reg[r] = 0x400000;
	d->reg[IRQENA] = RESET;
	d->reg[IRQSTATA] = RESET;
	d->reg[0x37f] = 0xffffffff;	/* CRC */
}

static s32 energy_counts(struct ade *d, unsigned int ch, bool clear)
{
	s64 n = div64_s64(d->pend[ch], E_DIV);

	if (clear)
		d->pend[ch] -= n * E_DIV;
	return n;
}

static u32 ade_value(struct sim_chip *c, unsigned int a, bool *is_signed)
{
	struct ade *d = c->priv;
	struct sim_values v;
	u32 st;

	*is_signed = true;
	switch (a) {
	case VRMS:
		sim_values(c, 0, &v);
		*is_signed = false;
		return sim_div_round((s64)v.v_uv * 13, 500);
	case IRMSA:
	case IRMSB:
		sim_values(c, a == IRMSB, &v);
		*is_signed = false;
		return sim_div_round(v.i_ua, 10);
	case AWATT:
	case BWATT:
		sim_values(c, a == BWATT, &v);
		return sim_div_round(v.p_uw * 154, 1000000);
	case AVAR:
	case BVAR:
		sim_values(c, a == BVAR, &v);
		return sim_div_round(v.q_uw * 154, 1000000);
	case AVA:
	case BVA:
		sim_values(c, a == BVA, &v);
		return sim_div_round(v.s_uw * 154, 1000000);
	case PFA:
	case PFB:
		sim_values(c, a == PFB, &v);
		return sim_div_round((s64)v.cos_q24 * 32767, 1 << 24);
	case PERIOD:
		sim_values(c, 0, &v);
		*is_signed = false;
		return sim_div_round(223750000LL, v.f_mhz) - 1;
	case AENERGYA:
	case AENERGYB:
		sim_advance(c);
		return energy_counts(d, a == AENERGYB,
				     d->reg[LCYCMODE] & RSTREAD);
	case RSTIRQSTATA:
		st = d->reg[IRQSTATA];
		d->reg[IRQSTATA] = 0;
		sim_irq_update(c);
		*is_signed = false;
		return st;
	case LAST8:
		return d->last[1];
	case LAST16:
		return d->last[2];
	case LAST24:
		return d->last[3];
	case LAST32:
		return d->last[4];
	}
	*is_signed = false;
	return d->reg[a];
}

static void ade_write(struct sim_chip *c, unsigned int a, u32 val)
{
	struct ade *d = c->priv;

	switch (a) {
	case CONFIG:
		if (val & SWRST) {
			ade_reset(c);
			sim_irq_update(c);
			sim_tick_restart(c);
			return;
		}
		break;
	case OPTREG:
		if (d->reg[UNLOCK] != 0xad)
			return;
		break;
	case VRMS: case IRMSA: case IRMSB: case AWATT: case BWATT:
	case AVAR: case BVAR: case AVA: case BVA: case PFA: case PFB:
	case PERIOD: case AENERGYA: case AENERGYB: case IRQSTATA:
	case RSTIRQSTATA: case LAST8: case LAST16: case LAST24: case LAST32:
	case 0x702:
		return;		/* read-only */
	}
	d->reg[a] = val;
	if (a == IRQENA)
		sim_irq_update(c);
	if (a == LINECYC)
		sim_tick_restart(c);
}

static void ade_frame(struct sim_chip *c, const u8 *tx, u8 *rx,
		      unsigned int len)
{
	struct ade *d = c->priv;
	unsigned int a, n, i, base;
	bool is_last, sgn;
	u32 val = 0;

	if (len < 3)
		return;
	a = tx[0] << 8 | tx[1];
	if (a >= NREGS)
		return;
	n = bytes(a);
	if (len != 3 + n)
		return;
	base = a >= 0x300 && a < 0x400 ? a - 0x100 : a;
	is_last = base == LAST8 || base == LAST16 || base == LAST24;
	if (tx[2] & 0x80) {
		val = ade_value(c, base, &sgn);
		if (a == LAST32)
			val = d->last[4];
		else if (n == 4 && sgn)	/* 32-bit alias sign-extends */
			val = (u32)sign_extend32(val, 23);
		else if (n < 4)
			val &= GENMASK(8 * n - 1, 0);
		for (i = 0; i < n; i++)
			rx[3 + i] = val >> (8 * (n - 1 - i));
	} else {
		for (i = 0; i < n; i++)
			val = val << 8 | tx[3 + i];
		ade_write(c, base, val);
	}
	if (!is_last && a != LAST32)
		d->last[n] = val;
}

static void ade_energy(struct sim_chip *c, unsigned int phase, bool export,
		       u64 nj)
{
	struct ade *d = c->priv;
	s64 e = nj * E_MUL;

	d->pend[phase] += export ? -e : e;
}

static bool ade_irq_asserted(struct sim_chip *c)
{
	struct ade *d = c->priv;

	return d->reg[IRQSTATA] & d->reg[IRQENA] & GENMASK(21, 0);
}

/* CYCEND: every LINECYC half line cycles */
static u64 ade_tick_ns(struct sim_chip *c)
{
	struct ade *d = c->priv;
	u32 f = c->model[0].f_mhz;

	if (!d->reg[LINECYC] || !f)
		return 0;
	return div_u64((u64)d->reg[LINECYC] * 1000000000000ULL, 2 * f);
}

static void ade_tick(struct sim_chip *c)
{
	struct ade *d = c->priv;

	d->reg[IRQSTATA] |= CYCEND;
	sim_irq_update(c);
}

const struct sim_emul sim_ade7953 = {
	.name = "ade7953",
	.nr_phases = 2,
	.shared_voltage = true,
	/* the driver's reference board: VRMS 26000/V over 983, IRMS 1e5/A */
	.ref = { .divider = 983, .shunt_uohm = 3915 },
	.priv_size = sizeof(struct ade),
	.reset = ade_reset,
	.frame = ade_frame,
	.energy = ade_energy,
	.irq_asserted = ade_irq_asserted,
	.tick_ns = ade_tick_ns,
	.tick = ade_tick,
};
