// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: Analog Devices ADE7953, single phase, two current channels.
 *
 * Register map and framing from ADI's no-OS driver
 * (analogdevicesinc/no-OS:drivers/meter/ade7953/ade7953.h) and ESPHome's
 * ade7953_spi component; default board scaling is the Shelly reference
 * design that ESPHome and Tasmota use (VRMS/26000 V, IRMS/100000 A,
 * WATT/154 W, f = 223750/(PERIOD+1) Hz).
 *
 * Reference board for those constants: with the datasheet's full scale
 * (VRMS and IRMS 9032007 at 0.5 V peak, PGA gain 1, as also used by public
 * ADE7953 drivers), 26000 codes per line volt is a divider of 983 and
 * 100000 codes per ampere a 3915 uOhm shunt, both within 0.05 %; the gain
 * calibration takes what remains (Documentation/scaling.rst).
 */
#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/math64.h>
#include <linux/spi/spi.h>

#include "chip.h"
#include "meter.h"

#define ADE7953_LCYCMODE	0x004
#define   ADE7953_LCYCMODE_RSTREAD	BIT(6)
#define ADE7953_UNLOCK		0x0fe
#define   ADE7953_UNLOCK_KEY		0xad
#define ADE7953_LAST_RWDATA8	0x0ff
#define ADE7953_LINECYC		0x101
#define ADE7953_CONFIG		0x102
#define   ADE7953_CONFIG_SWRST		BIT(7)
#define   ADE7953_CONFIG_HPFEN		BIT(2)
#define ADE7953_PFA		0x10a
#define ADE7953_PFB		0x10b
#define ADE7953_PERIOD		0x10e
#define ADE7953_OPT_REG		0x120	/* "reserved", must be 0x0030 */
#define   ADE7953_OPT_VALUE		0x0030
#define ADE7953_LAST_RWDATA16	0x1ff
#define ADE7953_AVA		0x210
#define ADE7953_BVA		0x211
#define ADE7953_AWATT		0x212
#define ADE7953_BWATT		0x213
#define ADE7953_AVAR		0x214
#define ADE7953_BVAR		0x215
#define ADE7953_IRMSA		0x21a
#define ADE7953_IRMSB		0x21b
#define ADE7953_VRMS		0x21c
#define ADE7953_AENERGYA	0x21e
#define ADE7953_AENERGYB	0x21f
#define ADE7953_IRQENA		0x22c
#define ADE7953_IRQSTATA	0x22d
#define ADE7953_RSTIRQSTATA	0x22e
#define   ADE7953_IRQ_CYCEND		BIT(18)
#define   ADE7953_IRQ_RESET		BIT(20)
#define ADE7953_LAST_RWDATA24	0x2ff
#define ADE7953_LAST_RWDATA32	0x3ff
#define ADE7953_VERSION		0x702
#define ADE7953_EX_REF		0x800

#define ADE7953_READ		0x80	/* third byte of the frame */
#define ADE7953_ID_PATTERN	0x5aa5
#define ADE7953_RESET_MS	100	/* power-up/reset time */

static unsigned int ade7953_bytes(unsigned int reg)
{
	if (reg < 0x100 || reg == ADE7953_VERSION || reg == ADE7953_EX_REF)
		return 1;
	if (reg < 0x200)
		return 2;
	if (reg < 0x300)
		return 3;
	return 4;	/* 0x3xx: 32-bit alias of 0x2xx */
}

/* frame: address high, address low, R/W byte, data MSB first; CS held */
static int ade7953_read(struct spi_device *spi, unsigned int reg,
			unsigned int *val)
{
	unsigned int n = ade7953_bytes(reg), i;
	u8 tx[3] = { reg >> 8, reg & 0xff, ADE7953_READ };
	u8 rx[4];
	int ret;

	ret = spi_write_then_read(spi, tx, sizeof(tx), rx, n);
	if (ret)
		return ret;
	*val = 0;
	for (i = 0; i < n; i++)
		*val = (*val << 8) | rx[i];
	return 0;
}

static int ade7953_write(struct spi_device *spi, unsigned int reg,
			 unsigned int val)
{
	unsigned int n = ade7953_bytes(reg), i;
	u8 tx[7] = { reg >> 8, reg & 0xff, 0 };

	for (i = 0; i < n; i++)
		tx[3 + i] = val >> (8 * (n - 1 - i));
	return spi_write_then_read(spi, tx, 3 + n, NULL, 0);
}

static bool ade7953_readable(unsigned int reg)
{
	if (reg >= 0x300 && reg < 0x400)
		reg -= 0x100;
	switch (reg) {
	case 0x000 ... 0x009:
	case 0x040:
	case 0x0fd ... 0x0ff:
	case 0x100 ... 0x10e:
	case 0x110:
	case 0x120:
	case 0x1fe ... 0x1ff:
	case 0x200 ... 0x205:
	case 0x210 ... 0x231:
	case 0x280 ... 0x297:
	case 0x2ff:
	case ADE7953_VERSION:
	case ADE7953_EX_REF:
		return true;
	}
	return false;
}

/* energy and reset-on-read registers must not be read behind our back */
static bool ade7953_precious(unsigned int reg)
{
	if (reg >= 0x300 && reg < 0x400)
		reg -= 0x100;
	switch (reg) {
	case 0x21e ... 0x223:	/* active, reactive, apparent energy */
	case 0x227:		/* RSTVPEAK */
	case 0x229:		/* RSTIAPEAK */
	case 0x22b:		/* RSTIBPEAK */
	case ADE7953_RSTIRQSTATA:
	case 0x231:		/* RSTIRQSTATB */
		return true;
	}
	return false;
}

static unsigned int ade7953_last_data_reg(unsigned int reg)
{
	switch (ade7953_bytes(reg)) {
	case 1:
		return ADE7953_LAST_RWDATA8;
	case 2:
		return ADE7953_LAST_RWDATA16;
	case 3:
		return ADE7953_LAST_RWDATA24;
	}
	return ADE7953_LAST_RWDATA32;
}

/*
 * The chip has no usable ID register, so check two things only an ADE7953
 * does: LCYCMODE reads its reset value with RSTREAD set, and a 16-bit
 * register written with a pattern reads it back.
 */
static int ade7953_identify(struct meter_dev *m)
{
	unsigned int lcyc = 0, back = 0;
	int ret;

	ret = meter_reg_read(m, ADE7953_LCYCMODE, &lcyc);
	if (!ret)
		ret = meter_reg_write(m, ADE7953_LINECYC, ADE7953_ID_PATTERN);
	if (!ret)
		ret = meter_reg_read(m, ADE7953_LINECYC, &back);
	if (ret)
		return dev_err_probe(&m->spi->dev, ret, "SPI I/O failed\n");
	if (lcyc != 0x40 || back != ADE7953_ID_PATTERN)
		return dev_err_probe(&m->spi->dev, -ENODEV,
				     "chip does not answer as ADE7953 (LCYCMODE %#x, expected 0x40; LINECYC readback %#x, expected %#x); check the compatible string and the wiring\n",
				     lcyc, back, ADE7953_ID_PATTERN);
	return 0;
}

static int ade7953_setup(struct meter_dev *m)
{
	unsigned int stat;
	int ret;

	ret = meter_reg_write(m, ADE7953_CONFIG,
			      ADE7953_CONFIG_SWRST | ADE7953_CONFIG_HPFEN);
	if (ret)
		return ret;
	msleep(ADE7953_RESET_MS);
	/* the unlock key and the "optimum setting" every user applies */
	ret = meter_reg_write(m, ADE7953_UNLOCK, ADE7953_UNLOCK_KEY);
	if (!ret)
		ret = meter_reg_write_checked(m, ADE7953_OPT_REG,
					      ADE7953_OPT_VALUE);
	if (!ret)
		ret = meter_reg_write_checked(m, ADE7953_CONFIG,
					      ADE7953_CONFIG_HPFEN);
	if (!ret)
		ret = meter_reg_write_checked(m, ADE7953_LCYCMODE,
					      ADE7953_LCYCMODE_RSTREAD);
	if (!ret)
		ret = meter_reg_write_checked(m, ADE7953_IRQENA, 0);
	if (!ret)	/* drop the RESET status that holds IRQ low */
		ret = meter_reg_read(m, ADE7953_RSTIRQSTATA, &stat);
	return ret;
}

/*
 * Data ready is CYCEND: the end of LINECYC half line cycles, so the period
 * is rounded to whole half cycles of the measured line frequency.
 */
static int ade7953_irq_config(struct meter_dev *m, u64 *period_ns, bool enable)
{
	unsigned int per, stat;
	u64 half_ns, cycles;
	int ret;

	if (!enable) {
		ret = meter_reg_write_checked(m, ADE7953_IRQENA, 0);
		if (!ret)
			ret = meter_reg_read(m, ADE7953_RSTIRQSTATA, &stat);
		return ret;
	}
	ret = meter_reg_read(m, ADE7953_PERIOD, &per);
	if (ret)
		return ret;
	/* f = 223750 / (PERIOD + 1) Hz, so a half cycle is this long */
	half_ns = div_u64((u64)(per + 1) * NSEC_PER_SEC, 2 * 223750);
	if (!half_ns)
		return -EIO;
	cycles = div64_u64(*period_ns + half_ns / 2, half_ns);
	cycles = clamp_val(cycles, 1, 0xffff);
	ret = meter_reg_write_checked(m, ADE7953_LINECYC, cycles);
	if (!ret)
		ret = meter_reg_read(m, ADE7953_RSTIRQSTATA, &stat);
	if (!ret)
		ret = meter_reg_write_checked(m, ADE7953_IRQENA,
					      ADE7953_IRQ_CYCEND);
	if (!ret)
		*period_ns = cycles * half_ns;
	return ret;
}

static int ade7953_irq_ack(struct meter_dev *m, bool *data_ready)
{
	unsigned int stat;
	int ret;

	ret = meter_reg_read(m, ADE7953_RSTIRQSTATA, &stat);
	if (!ret)
		*data_ready = stat & ADE7953_IRQ_CYCEND;
	return ret;
}

static const struct meter_named_reg ade7953_dump[] = {
	{ "LCYCMODE", ADE7953_LCYCMODE }, { "LINECYC", ADE7953_LINECYC },
	{ "CONFIG", ADE7953_CONFIG }, { "PFA", ADE7953_PFA },
	{ "PFB", ADE7953_PFB }, { "PERIOD", ADE7953_PERIOD },
	{ "AVA", ADE7953_AVA }, { "BVA", ADE7953_BVA },
	{ "AWATT", ADE7953_AWATT }, { "BWATT", ADE7953_BWATT },
	{ "AVAR", ADE7953_AVAR }, { "BVAR", ADE7953_BVAR },
	{ "IRMSA", ADE7953_IRMSA }, { "IRMSB", ADE7953_IRMSB },
	{ "VRMS", ADE7953_VRMS }, { "IRQENA", ADE7953_IRQENA },
	{ "IRQSTATA", ADE7953_IRQSTATA }, { "VERSION", ADE7953_VERSION },
	{ }
};

const struct meter_chip meter_ade7953 = {
	.name = "ade7953",
	.id = METERLINK_CHIP_ADE7953,
	.nr_phases = 2,
	.max_register = ADE7953_EX_REF,
	/* 24-bit energy at full scale (54 kW) wraps after 64 s */
	.max_period_ns = 30 * NSEC_PER_SEC,
	.read = ade7953_read,
	.write = ade7953_write,
	.readable = ade7953_readable,
	.precious = ade7953_precious,
	.last_data_reg = ade7953_last_data_reg,
	.identify = ade7953_identify,
	.setup = ade7953_setup,
	.irq_config = ade7953_irq_config,
	.irq_ack = ade7953_irq_ack,
	/* channel B registers follow channel A's: IRMSB = IRMSA + 1 ... */
	.regs = {
		[METER_Q_VOLTAGE] = { ADE7953_VRMS, 0, 24, METER_REG_SHARED },
		[METER_Q_CURRENT] = { ADE7953_IRMSA, 0, 24, 0 },
		[METER_Q_ACTIVE] = { ADE7953_AWATT, 0, 24, METER_REG_SIGNED },
		[METER_Q_REACTIVE] = { ADE7953_AVAR, 0, 24, METER_REG_SIGNED },
		[METER_Q_APPARENT] = { ADE7953_AVA, 0, 24, METER_REG_SIGNED },
		[METER_Q_PF] = { ADE7953_PFA, 0, 16, METER_REG_SIGNED },
		[METER_Q_FREQ] = { ADE7953_PERIOD, 0, 16, METER_REG_SHARED },
		[METER_Q_E_IMPORT] = { ADE7953_AENERGYA, 0, 24,
				       METER_REG_SIGNED | METER_REG_BY_SIGN },
	},
	.phase_stride = 1,
	.conv = {
		[METER_Q_VOLTAGE] = { 500, 13 },	/* 1e6 / 26000 uV */
		[METER_Q_CURRENT] = { 10, 1 },		/* 1e6 / 100000 uA */
		[METER_Q_ACTIVE] = { 500, 77 },		/* 1000 / 154 mW */
		[METER_Q_REACTIVE] = { 500, 77 },
		[METER_Q_APPARENT] = { 500, 77 },
		[METER_Q_PF] = { 1000000, 32767 },
		[METER_Q_FREQ] = { 223750000, 1, true },
		/* one count is 64 WATT LSB seconds: 64/154 Ws */
		[METER_Q_E_IMPORT] = { 80000, 693 },	/* 64e6/(154*3600) uWh */
		[METER_Q_E_EXPORT] = { 80000, 693 },
	},
	.ref = { .divider = 983, .shunt_uohm = 3915 },
	.dump = ade7953_dump,
};
