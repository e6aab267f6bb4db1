// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink_sim: ATM90E32AS emulator.
 *
 * Frame: a 16-bit address word (bit 15 set to read, address in bits 9:0)
 * and a 16-bit data word, MSB first, 32 clocks in one CS window (sources in
 * chips-and-kernel.md section 2.2). LastSPIData echoes the last word read
 * or written; configuration registers (0x00..0x6f) take writes only while
 * CfgRegAccEn holds 0x55AA; nothing is measured until MeterEn is 1; the
 * energy registers count 0.01 CF pulse at 3200 imp/kWh and clear on read.
 *
 * Status: EMMState0/1 follow the signal against the thresholds (over-current
 * OIth, over-voltage OVth, sag SagTh, phase loss PhaseLossTh, FreqHiTh,
 * FreqLoTh, power direction); EMMIntState0/1 latch the bits that rose and
 * drive the IRQ output where EMMIntEn0/1 enable them; writing ones to
 * EMMIntState clears those bits. Two assumptions, no public datasheet text
 * being at hand: thresholds use the LSB of the quantity they bound (10 mV,
 * 1 mA, 10 mHz), and EMMIntState clears by write rather than by read.
 */
#include <linux/bits.h>
#include <linux/math64.h>

#include "sim.h"

#define NREGS		0x100
#define METEREN		0x00
#define OVTH		0x06
#define SAGTH		0x08
#define PHASELOSSTH	0x09
#define OITH		0x0b
#define FREQLOTH	0x0c
#define FREQHITH	0x0d
#define EMMSTATE0	0x71
#define EMMSTATE1	0x72
#define EMMINTSTATE0	0x73
#define EMMINTSTATE1	0x74
#define EMMINTEN0	0x75
#define EMMINTEN1	0x76
#define PLCONSTH	0x31
#define PLCONSTL	0x32
#define MMODE0		0x33
#define SOFTRESET	0x70
#define LASTSPIDATA	0x78
#define CFGREGACCEN	0x7f
#define APENERGYT	0x80
#define ANENERGYT	0x84
#define PMEANT		0xb0
#define QMEANT		0xb4
#define SMEANT		0xb8
#define PFMEANT		0xbc
#define PMEANTLSB	0xc0
#define QMEANTLSB	0xc4
#define SMEANTLSB	0xc8
#define URMSA		0xd9
#define IRMSA		0xdd
#define FREQ		0xf8
#define TEMP		0xfc
/* 0.01 pulse at 3200 imp/kWh is 3.125 mWh = 11.25 J: counts = nJ*8/9e10 */
#define E_MUL		8
#define E_DIV		90000000000LL

struct atm {
	u16 reg[NREGS];
	u16 state[2];		/* EMMState0/1 as last evaluated */
	u16 last;
	u64 pend[4][2];		/* phases A, B, C and total; forward, reverse */
};

static void atm_reset(struct sim_chip *c)
{
	struct atm *d = c->priv;

	memset(d, 0, sizeof(*d));
	d->reg[PLCONSTH] = 0x0861;
	d->reg[PLCONSTL] = 0xc468;
	d->reg[MMODE0] = 0x0087;
}

static u16 energy(struct atm *d, unsigned int idx, bool rev)
{
	u64 n = div64_u64(d->pend[idx][rev], E_DIV);

	d->pend[idx][rev] -= n * E_DIV;
	return min_t(u64, n, 0xffff);
}

/* 32-bit mean power in 0.32 mW steps: @hi selects the register half */
static u16 power(struct sim_chip *c, int phase, int kind, bool hi)
{
	struct sim_values v;
	s64 uw = 0;
	s32 val;
	int p;

	for (p = phase < 0 ? 0 : phase; p < (phase < 0 ? 3 : phase + 1); p++) {
		sim_values(c, p, &v);
		uw += kind == 0 ? v.p_uw : kind == 1 ? v.q_uw : v.s_uw;
	}
	val = sim_div_round(uw, 320);
	return hi ? (u32)val >> 16 : val & 0xffff;
}

static u16 rms(s64 x, s64 lsb)
{
	return min_t(s64, sim_div_round(x, lsb), 0xffff);
}

/* EMMState0/1 from the signal; rising bits latch into EMMIntState0/1 */
static void atm_status(struct sim_chip *c)
{
	struct atm *d = c->priv;
	struct sim_values v;
	u16 s0 = 0, s1 = 0;
	int p;

	if (d->reg[METEREN] != 1)
		return;
	for (p = 0; p < 3; p++) {
		u16 u, i;

		sim_values(c, p, &v);
		u = rms(v.v_uv, 10000);
		i = rms(v.i_ua, 1000);
		if (d->reg[OITH] && i > d->reg[OITH])
			s0 |= BIT(15 - p);
		if (d->reg[OVTH] && u > d->reg[OVTH])
			s0 |= BIT(12 - p);
		if (u < d->reg[SAGTH])
			s1 |= BIT(14 - p);
		if (u < d->reg[PHASELOSSTH])
			s1 |= BIT(10 - p);
		if (v.q_uw >= 0)
			s1 |= BIT(6 - p);
		if (v.p_uw >= 0)
			s1 |= BIT(2 - p);
	}
	sim_values(c, 0, &v);
	if (d->reg[FREQHITH] && rms(v.f_mhz, 10) > d->reg[FREQHITH])
		s1 |= BIT(15);
	if (rms(v.f_mhz, 10) < d->reg[FREQLOTH])
		s1 |= BIT(11);
	d->reg[EMMINTSTATE0] |= s0 & ~d->state[0];
	d->reg[EMMINTSTATE1] |= s1 & ~d->state[1];
	d->state[0] = s0;
	d->state[1] = s1;
	sim_irq_update(c);
}

static u16 atm_value(struct sim_chip *c, unsigned int a)
{
	struct atm *d = c->priv;
	struct sim_values v;

	if (a == LASTSPIDATA)
		return d->last;
	if (a == CFGREGACCEN || a < 0x70)
		return d->reg[a];
	if (d->reg[METEREN] != 1)
		return 0;
	switch (a) {
	case APENERGYT ... APENERGYT + 3:
		sim_advance(c);
		return energy(d, a == APENERGYT ? 3 : a - APENERGYT - 1, false);
	case ANENERGYT ... ANENERGYT + 3:
		sim_advance(c);
		return energy(d, a == ANENERGYT ? 3 : a - ANENERGYT - 1, true);
	case PMEANT ... SMEANT + 3:
		return power(c, (int)((a - PMEANT) % 4) - 1, (a - PMEANT) / 4,
			     true);
	case PMEANTLSB ... SMEANTLSB + 3:
		return power(c, (int)((a - PMEANTLSB) % 4) - 1,
			     (a - PMEANTLSB) / 4, false);
	case PFMEANT + 1 ... PFMEANT + 3:
		sim_values(c, a - PFMEANT - 1, &v);
		return (u16)sim_div_round((s64)v.cos_q24 * 1000, 1 << 24);
	case URMSA ... URMSA + 2:
		sim_values(c, a - URMSA, &v);
		return min_t(s64, sim_div_round(v.v_uv, 10000), 0xffff);
	case IRMSA ... IRMSA + 2:
		sim_values(c, a - IRMSA, &v);
		return min_t(s64, sim_div_round(v.i_ua, 1000), 0xffff);
	case FREQ:
		sim_values(c, 0, &v);
		return sim_div_round(v.f_mhz, 10);
	case TEMP:
		return 25;
	case EMMSTATE0:
	case EMMSTATE1:
		return d->state[a - EMMSTATE0];
	}
	return d->reg[a];
}

static void atm_write(struct sim_chip *c, unsigned int a, u16 val)
{
	struct atm *d = c->priv;

	if (a == SOFTRESET) {
		if (val == 0x789a)
			atm_reset(c);
		return;
	}
	if (a == CFGREGACCEN || a == EMMINTEN0 || a == EMMINTEN1) {
		d->reg[a] = val;
		sim_irq_update(c);
		return;
	}
	if (a == EMMINTSTATE0 || a == EMMINTSTATE1) {
		d->reg[a] &= ~val;
		sim_irq_update(c);
		return;
	}
	if (a < 0x70 && d->reg[CFGREGACCEN] != 0x55aa)
		return;		/* configuration is locked */
	if (a < 0x70)
		d->reg[a] = val;
}

static void atm_frame(struct sim_chip *c, const u8 *tx, u8 *rx,
		      unsigned int len)
{
	struct atm *d = c->priv;
	unsigned int a;
	u16 val;

	if (len != 4)
		return;
	a = (tx[0] << 8 | tx[1]) & 0x3ff;
	if (a >= NREGS)
		return;
	atm_status(c);
	if (tx[0] & 0x80) {
		val = atm_value(c, a);
		rx[2] = val >> 8;
		rx[3] = val & 0xff;
	} else {
		val = tx[2] << 8 | tx[3];
		atm_write(c, a, val);
	}
	if (a != LASTSPIDATA)
		d->last = val;
}

static void atm_energy(struct sim_chip *c, unsigned int phase, bool export,
		       u64 nj)
{
	struct atm *d = c->priv;

	if (d->reg[METEREN] != 1)
		return;
	d->pend[phase][export] += nj * E_MUL;
	d->pend[3][export] += nj * E_MUL;
}

static bool atm_irq_asserted(struct sim_chip *c)
{
	struct atm *d = c->priv;

	return (d->reg[EMMINTSTATE0] & d->reg[EMMINTEN0]) ||
	       (d->reg[EMMINTSTATE1] & d->reg[EMMINTEN1]);
}

static u64 atm_tick_ns(struct sim_chip *c)
{
	return 0;
}

const struct sim_emul sim_atm90e32 = {
	.name = "atm90e32",
	.nr_phases = 3,
	/* the driver's reference board: 1001:1 divider, 2000:1 CT on 22 Ohm */
	.ref = { .divider = 1001, .ct = 2000, .burden_uohm = 22000000 },
	.priv_size = sizeof(struct atm),
	.reset = atm_reset,
	.frame = atm_frame,
	.energy = atm_energy,
	.irq_asserted = atm_irq_asserted,
	.tick_ns = atm_tick_ns,
};
