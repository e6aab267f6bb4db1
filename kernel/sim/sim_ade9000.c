// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink_sim: ADE9000 emulator.
 *
 * Frame: a 16-bit command word, address << 4 with bit 3 set to read, then
 * the data MSB first: 16 bits for 0x481..0x4FD, 32 bits elsewhere (sources
 * in chips-and-kernel.md sections 1.3 and 2.4 and kernel/ade9000.c). A read
 * may clock more than the data (the chip would append a CRC, which this
 * emulator leaves zero); a write of the wrong length is ignored.
 * LAST_DATA_16/LAST_DATA_32 echo the last 16- or 32-bit word read or
 * written; STATUS0/1 are write-one-to-clear and IRQ0 is STATUS0 & MASK0;
 * CONFIG1.SWRST resets the chip and sets STATUS1.RSTDONE; PART_ID has bit 20
 * (ADE9000). Nothing is measured until RUN is written non-zero.
 *
 * Codes use the reference board and the full-scale codes documented in
 * kernel/ade9000.c: xVRMS = V * 52702092 / 566.392532 V, xIRMS = I *
 * 52702092 / 173.310486 A, xWATT/xVAR/xVA = P * 20694066 / 98161.765 W,
 * xPF = PF * 2^27, xPERIOD = 8000 * 2^16 / f - 1, and xWATTHR_HI counts
 * 1.34925484 uWh (11045/8186).
 *
 * Energy: an internal signed accumulator per phase is moved into the user
 * register xWATTHR (added, or overwriting it with EP_CFG.EGY_LD_ACCUM)
 * every EGY_TIME + 1 samples at 8 kSPS, or half line cycles with
 * EGY_TMR_MODE, and sets STATUS0.EGYRDY. An interval shorter than 1 ms is
 * not timed (that would be a 4 kHz timer): the energy moves as it flows
 * and EGYRDY is set when a frame finds an interval passed. With
 * RD_RST_EN, reading xWATTHR_HI subtracts what it returned; the fraction
 * below its LSB stays (and reads in xWATTHR_LO bits 31:19).
 */
#include <linux/bits.h>
#include <linux/math64.h>

#include "sim.h"

#define NREGS		0x700
#define AIRMS		0x20c
#define AVRMS		0x20d
#define AWATT		0x210
#define AVAR		0x211
#define AVA		0x212
#define APF		0x216
#define PH_STRIDE	0x20
#define AWATTHR_LO	0x2e6
#define AWATTHR_HI	0x2e7
#define WH_STRIDE	0x3c
#define STATUS0		0x402
#define   EGYRDY	BIT(0)
#define STATUS1		0x403
#define   RSTDONE	BIT(16)
#define MASK0		0x405
#define APERIOD		0x418
#define CPERIOD		0x41a
#define LAST_DATA_32	0x423
#define PART_ID		0x472
#define   ID_ADE9000	BIT(20)
#define RUN		0x480
#define CONFIG1		0x481
#define   SWRST		BIT(0)
#define LAST_DATA_16	0x4ac
#define EP_CFG		0x4b0
#define   RD_RST_EN	BIT(5)
#define   EGY_LD_ACCUM	BIT(4)
#define   EGY_TMR_MODE	BIT(1)
#define   EGY_PWR_EN	BIT(0)
#define EGY_TIME	0x4b2
#define VERSION		0x4fe

/* full-scale codes and the reference board's full-scale values */
#define RMS_FS		52702092LL
#define V_FS_UV		566392532LL
#define I_FS_UA		173310486LL
#define WATT_FS		20694066LL
#define P_FS_MW		98161765LL
#define PERIOD_MHZ	524288000000LL	/* 8000 * 2^16 Hz, in mHz */
/* one xWATTHR_HI count is 11045/8186 uWh: counts = nJ * 4093 / 19881e6 */
#define E_MUL		4093
#define E_DIV		19881000000LL
#define FAST_NS		NSEC_PER_MSEC

/* energy in whole counts plus a fraction in [0, E_DIV) of a count */
struct egy {
	s64 counts;
	s64 frac;
};

struct ade9 {
	u32 reg[NREGS];
	u32 last16, last32;
	struct egy acc[3];	/* internal accumulators */
	struct egy usr[3];	/* xWATTHR_HI:LO */
	ktime_t egy_last;	/* last untimed EGYRDY */
};

static unsigned int bytes(unsigned int a)
{
	return a > RUN && a < VERSION ? 2 : 4;
}

static void egy_norm(struct egy *e)
{
	s64 n = div64_s64(e->frac, E_DIV);

	if (e->frac - n * E_DIV < 0)
		n--;
	e->counts += n;
	e->frac -= n * E_DIV;
}

static bool measuring(struct ade9 *d)
{
	return d->reg[RUN] && (d->reg[EP_CFG] & EGY_PWR_EN);
}

static void ade9_reset(struct sim_chip *c)
{
	struct ade9 *d = c->priv;

	memset(d, 0, sizeof(*d));
	d->reg[PART_ID] = ID_ADE9000;
	d->reg[STATUS1] = RSTDONE;
	d->egy_last = ktime_get();
}

/* the EGYRDY interval; 0 when off */
static u64 egy_ns(struct sim_chip *c)
{
	struct ade9 *d = c->priv;
	u64 n = (d->reg[EGY_TIME] & 0x1fff) + 1ULL;
	u32 f = c->model[0].f_mhz;

	if (!measuring(d))
		return 0;
	if (!(d->reg[EP_CFG] & EGY_TMR_MODE))
		return n * (NSEC_PER_SEC / 8000);
	return f ? div_u64(n * 1000000000000ULL, 2 * f) : 0;
}

/* the internal accumulators into the user registers: an EGYRDY event */
static void egy_move(struct sim_chip *c)
{
	struct ade9 *d = c->priv;
	unsigned int p;

	for (p = 0; p < 3; p++) {
		if (d->reg[EP_CFG] & EGY_LD_ACCUM) {
			d->usr[p] = d->acc[p];
		} else {
			d->usr[p].counts += d->acc[p].counts;
			d->usr[p].frac += d->acc[p].frac;
			egy_norm(&d->usr[p]);
		}
		d->acc[p].counts = 0;
		d->acc[p].frac = 0;
	}
}

/* an untimed (short) interval: energy moves at once, EGYRDY when due */
static void egy_untimed(struct sim_chip *c)
{
	struct ade9 *d = c->priv;
	u64 ns = egy_ns(c);
	ktime_t now = ktime_get();

	if (!ns || ns >= FAST_NS)
		return;
	egy_move(c);
	if (ktime_to_ns(ktime_sub(now, d->egy_last)) >= ns) {
		d->egy_last = now;
		d->reg[STATUS0] |= EGYRDY;
		sim_irq_update(c);
	}
}

static u32 code(s64 x, s64 fs_codes, s64 fs_value)
{
	return (u32)sim_div_round(x * fs_codes, fs_value);
}

static u32 energy_hi(struct sim_chip *c, unsigned int p)
{
	struct ade9 *d = c->priv;
	u32 v;

	sim_advance(c);
	egy_untimed(c);
	v = (u32)d->usr[p].counts;
	if (d->reg[EP_CFG] & RD_RST_EN)
		d->usr[p].counts -= (s32)v;
	return v;
}

static u32 ade9_value(struct sim_chip *c, unsigned int a)
{
	struct ade9 *d = c->priv;
	struct sim_values v;
	unsigned int p = (a - AIRMS) / PH_STRIDE, q = (a - AIRMS) % PH_STRIDE;

	switch (a) {
	case LAST_DATA_16:
		return d->last16;
	case LAST_DATA_32:
		return d->last32;
	case AWATTHR_LO:
	case AWATTHR_LO + WH_STRIDE:
	case AWATTHR_LO + 2 * WH_STRIDE:
		p = (a - AWATTHR_LO) / WH_STRIDE;
		return (u32)div64_s64(d->usr[p].frac * 8192, E_DIV) << 19;
	case AWATTHR_HI:
	case AWATTHR_HI + WH_STRIDE:
	case AWATTHR_HI + 2 * WH_STRIDE:
		return energy_hi(c, (a - AWATTHR_HI) / WH_STRIDE);
	case APERIOD ... CPERIOD:
		if (!d->reg[RUN])
			return 0;
		sim_values(c, a - APERIOD, &v);
		return sim_div_round(PERIOD_MHZ, v.f_mhz) - 1;
	}
	if (a < AIRMS || p > 2 || !d->reg[RUN])
		return d->reg[a];
	sim_values(c, p, &v);
	switch (q + AIRMS) {
	case AIRMS:
		return code(v.i_ua, RMS_FS, I_FS_UA);
	case AVRMS:
		return code(v.v_uv, RMS_FS, V_FS_UV);
	case AWATT:
		return code(v.p_uw, WATT_FS, P_FS_MW * 1000);
	case AVAR:
		return code(v.q_uw, WATT_FS, P_FS_MW * 1000);
	case AVA:
		return code(v.s_uw, WATT_FS, P_FS_MW * 1000);
	case APF:
		return (u32)(v.cos_q24 * 8);	/* 2^27 is 1.0 */
	}
	return d->reg[a];
}

static bool read_only(unsigned int a)
{
	return (a >= 0x200 && a < 0x400) || a == APERIOD ||
	       a == APERIOD + 1 || a == CPERIOD || a == LAST_DATA_32 ||
	       a == PART_ID || a == LAST_DATA_16 || a == VERSION;
}

static void ade9_write(struct sim_chip *c, unsigned int a, u32 val)
{
	struct ade9 *d = c->priv;

	switch (a) {
	case STATUS0:
	case STATUS1:
		d->reg[a] &= ~val;
		sim_irq_update(c);
		return;
	case CONFIG1:
		if (val & SWRST) {
			ade9_reset(c);
			sim_irq_update(c);
			return;
		}
		break;
	case RUN:
	case EP_CFG:
	case EGY_TIME:
		sim_advance(c);		/* energy so far under the old mode */
		egy_untimed(c);
		d->reg[a] = val;
		d->egy_last = ktime_get();
		sim_tick_restart(c);
		return;
	}
	if (read_only(a))
		return;
	d->reg[a] = val;
	if (a == MASK0)
		sim_irq_update(c);
}

static void ade9_frame(struct sim_chip *c, const u8 *tx, u8 *rx,
		       unsigned int len)
{
	struct ade9 *d = c->priv;
	unsigned int cmd, a, n, i;
	bool is_last;
	u32 val = 0;

	if (len < 2)
		return;
	cmd = tx[0] << 8 | tx[1];
	a = cmd >> 4;
	n = bytes(a);
	if (a >= NREGS)
		return;
	is_last = a == LAST_DATA_16 || a == LAST_DATA_32;
	egy_untimed(c);
	if (cmd & BIT(3)) {
		if (len < 2 + n)
			return;
		val = ade9_value(c, a);
		if (n == 2)
			val &= 0xffff;
		for (i = 0; i < n; i++)
			rx[2 + i] = val >> (8 * (n - 1 - i));
	} else {
		if (len != 2 + n)
			return;
		for (i = 0; i < n; i++)
			val = val << 8 | tx[2 + i];
		ade9_write(c, a, val);
	}
	if (is_last)
		return;
	if (n == 2)
		d->last16 = val;
	else
		d->last32 = val;
}

static void ade9_energy(struct sim_chip *c, unsigned int phase, bool export,
			u64 nj)
{
	struct ade9 *d = c->priv;
	struct egy *e = &d->acc[phase];
	u64 r, whole;

	if (!measuring(d))
		return;
	whole = div64_u64_rem(nj, E_DIV, &r);
	if (export) {
		e->counts -= whole * E_MUL;
		e->frac -= r * E_MUL;
	} else {
		e->counts += whole * E_MUL;
		e->frac += r * E_MUL;
	}
	egy_norm(e);
}

static bool ade9_irq_asserted(struct sim_chip *c)
{
	struct ade9 *d = c->priv;

	return d->reg[STATUS0] & d->reg[MASK0];
}

/* only intervals of 1 ms and more are timed */
static u64 ade9_tick_ns(struct sim_chip *c)
{
	u64 ns = egy_ns(c);

	return ns >= FAST_NS ? ns : 0;
}

static void ade9_tick(struct sim_chip *c)
{
	struct ade9 *d = c->priv;

	sim_advance(c);
	egy_move(c);
	d->reg[STATUS0] |= EGYRDY;
	sim_irq_update(c);
}

const struct sim_emul sim_ade9000 = {
	.name = "ade9000",
	.nr_phases = 3,
	/* the driver's reference board: ADI's evaluation board */
	.ref = { .divider = 801, .ct = 2500, .burden_uohm = 10200000 },
	.priv_size = sizeof(struct ade9),
	.reset = ade9_reset,
	.frame = ade9_frame,
	.energy = ade9_energy,
	.irq_asserted = ade9_irq_asserted,
	.tick_ns = ade9_tick_ns,
	.tick = ade9_tick,
};
