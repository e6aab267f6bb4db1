// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: Microchip ATM90E32AS, three phase.
 *
 * Register map, framing and scaling from ESPHome's atm90e32 component
 * (esphome/esphome:esphome/components/atm90e32/atm90e32_reg.h) and the
 * CircuitSetup ATM90E32 library: a 16-bit address word (bit 15 set to
 * read) then a 16-bit data word; RMS voltage 10 mV, current 1 mA, power
 * 0.32 mW, PF 1/1000, frequency 10 mHz; energy 0.01 CF pulse at the
 * 3200 imp/kWh meter constant set by PLconst.
 *
 * Those LSBs hold once Ugain/Igain are calibrated for a front end, which
 * this driver does not write; it takes as its reference board the one of
 * the device tree binding's example: a 1001:1 divider and 2000:1 current
 * transformers on 22 Ohm burdens (Documentation/scaling.rst).
 */
#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/spi/spi.h>

#include "chip.h"
#include "meter.h"

#define ATM90E32_METEREN	0x00
#define ATM90E32_PLCONSTH	0x31
#define ATM90E32_PLCONSTL	0x32
#define ATM90E32_MMODE0		0x33
#define   ATM90E32_MMODE0_3P4W_50HZ	0x0087
#define ATM90E32_SOFTRESET	0x70
#define   ATM90E32_SOFTRESET_KEY	0x789a
#define ATM90E32_EMMSTATE0	0x71
#define ATM90E32_EMMSTATE1	0x72
#define ATM90E32_EMMINTSTATE0	0x73
#define ATM90E32_EMMINTSTATE1	0x74
#define ATM90E32_LASTSPIDATA	0x78
#define ATM90E32_CFGREGACCEN	0x7f
#define   ATM90E32_CFG_OPEN		0x55aa
#define ATM90E32_APENERGYA	0x81
#define ATM90E32_ANENERGYA	0x85
#define ATM90E32_PMEANA		0xb1
#define ATM90E32_QMEANA		0xb5
#define ATM90E32_SMEANA		0xb9
#define ATM90E32_PFMEANA	0xbd
#define ATM90E32_PMEANALSB	0xc1
#define ATM90E32_QMEANALSB	0xc5
#define ATM90E32_SMEANALSB	0xc9
#define ATM90E32_URMSA		0xd9
#define ATM90E32_IRMSA		0xdd
#define ATM90E32_FREQ		0xf8
#define ATM90E32_TEMP		0xfc

#define ATM90E32_READ		BIT(15)
#define ATM90E32_ADDR_MASK	0x3ff
/* PLconst 140625000 gives 3200 imp/kWh */
#define ATM90E32_PLCONST	140625000U

static int atm90e32_read(struct spi_device *spi, unsigned int reg,
			 unsigned int *val)
{
	u16 a = ATM90E32_READ | (reg & ATM90E32_ADDR_MASK);
	u8 tx[2] = { a >> 8, a & 0xff };
	u8 rx[2];
	int ret;

	ret = spi_write_then_read(spi, tx, sizeof(tx), rx, sizeof(rx));
	if (!ret)
		*val = (rx[0] << 8) | rx[1];
	return ret;
}

static int atm90e32_write(struct spi_device *spi, unsigned int reg,
			  unsigned int val)
{
	u8 tx[4] = { (reg >> 8) & 0x3, reg & 0xff, val >> 8, val & 0xff };

	return spi_write_then_read(spi, tx, sizeof(tx), NULL, 0);
}

static bool atm90e32_readable(unsigned int reg)
{
	switch (reg) {
	case 0x00 ... 0x0f:
	case 0x31 ... 0x3a:
	case 0x41 ... 0x56:
	case 0x61 ... 0x6e:
	case 0x71 ... 0x7f:
	case 0x80 ... 0x93:
	case 0xa0 ... 0xaf:
	case 0xb0 ... 0xcb:
	case 0xd8 ... 0xdf:
	case 0xe9 ... 0xef:
	case 0xf1 ... 0xff:
		return true;
	}
	return false;
}

static bool atm90e32_precious(unsigned int reg)
{
	return (reg >= 0x80 && reg <= 0x93) || (reg >= 0xa0 && reg <= 0xaf);
}

static unsigned int atm90e32_last_data_reg(unsigned int reg)
{
	return ATM90E32_LASTSPIDATA;
}

/*
 * No ID register either: the configuration gate CfgRegAccEn reads back what
 * was written and LastSPIData echoes it, which no other supported chip does.
 */
static int atm90e32_identify(struct meter_dev *m)
{
	unsigned int back = 0, last = 0;
	int ret;

	ret = meter_reg_write(m, ATM90E32_CFGREGACCEN, ATM90E32_CFG_OPEN);
	if (!ret)
		ret = meter_reg_read(m, ATM90E32_LASTSPIDATA, &last);
	if (!ret)
		ret = meter_reg_read(m, ATM90E32_CFGREGACCEN, &back);
	if (!ret)
		ret = meter_reg_write(m, ATM90E32_CFGREGACCEN, 0);
	if (ret)
		return dev_err_probe(&m->spi->dev, ret, "SPI I/O failed\n");
	if (back != ATM90E32_CFG_OPEN || last != ATM90E32_CFG_OPEN)
		return dev_err_probe(&m->spi->dev, -ENODEV,
				     "chip does not answer as ATM90E32 (CfgRegAccEn readback %#x, LastSPIData %#x, expected %#x); check the compatible string and the wiring\n",
				     back, last, ATM90E32_CFG_OPEN);
	return 0;
}

static int atm90e32_setup(struct meter_dev *m)
{
	int ret;

	ret = meter_reg_write(m, ATM90E32_SOFTRESET, ATM90E32_SOFTRESET_KEY);
	if (ret)
		return ret;
	usleep_range(6000, 7000);	/* at least 5 ms after a soft reset */
	ret = meter_reg_write_checked(m, ATM90E32_CFGREGACCEN,
				      ATM90E32_CFG_OPEN);
	if (!ret)
		ret = meter_reg_write_checked(m, ATM90E32_METEREN, 1);
	if (!ret)
		ret = meter_reg_write_checked(m, ATM90E32_PLCONSTH,
					      ATM90E32_PLCONST >> 16);
	if (!ret)
		ret = meter_reg_write_checked(m, ATM90E32_PLCONSTL,
					      ATM90E32_PLCONST & 0xffff);
	if (!ret)
		ret = meter_reg_write_checked(m, ATM90E32_MMODE0,
					      ATM90E32_MMODE0_3P4W_50HZ);
	if (!ret)
		ret = meter_reg_write_checked(m, ATM90E32_CFGREGACCEN, 0);
	return ret;
}

static const struct meter_named_reg atm90e32_dump[] = {
	{ "MeterEn", ATM90E32_METEREN }, { "PLconstH", ATM90E32_PLCONSTH },
	{ "PLconstL", ATM90E32_PLCONSTL }, { "MMode0", ATM90E32_MMODE0 },
	{ "EMMState0", ATM90E32_EMMSTATE0 }, { "EMMState1", ATM90E32_EMMSTATE1 },
	{ "EMMIntState0", ATM90E32_EMMINTSTATE0 },
	{ "EMMIntState1", ATM90E32_EMMINTSTATE1 },
	{ "CfgRegAccEn", ATM90E32_CFGREGACCEN },
	{ "PmeanA", ATM90E32_PMEANA }, { "PmeanB", ATM90E32_PMEANA + 1 },
	{ "PmeanC", ATM90E32_PMEANA + 2 }, { "PFmeanA", ATM90E32_PFMEANA },
	{ "PFmeanB", ATM90E32_PFMEANA + 1 }, { "PFmeanC", ATM90E32_PFMEANA + 2 },
	{ "UrmsA", ATM90E32_URMSA }, { "UrmsB", ATM90E32_URMSA + 1 },
	{ "UrmsC", ATM90E32_URMSA + 2 }, { "IrmsA", ATM90E32_IRMSA },
	{ "IrmsB", ATM90E32_IRMSA + 1 }, { "IrmsC", ATM90E32_IRMSA + 2 },
	{ "Freq", ATM90E32_FREQ }, { "Temp", ATM90E32_TEMP },
	{ }
};

#define S32	(METER_REG_SIGNED | METER_REG_SPLIT)

const struct meter_chip meter_atm90e32 = {
	.name = "atm90e32",
	.id = METERLINK_CHIP_ATM90E32,
	.nr_phases = 3,
	.max_register = 0xff,
	/* 16-bit energy holds 204.8 Wh: 17 s of a 3 x 63 A, 230 V supply */
	.max_period_ns = 10 * NSEC_PER_SEC,
	.read = atm90e32_read,
	.write = atm90e32_write,
	.readable = atm90e32_readable,
	.precious = atm90e32_precious,
	.last_data_reg = atm90e32_last_data_reg,
	.identify = atm90e32_identify,
	.setup = atm90e32_setup,
	/* phases B and C follow A: UrmsB = UrmsA + 1 ... */
	.regs = {
		[METER_Q_VOLTAGE] = { ATM90E32_URMSA, 0, 16, 0 },
		[METER_Q_CURRENT] = { ATM90E32_IRMSA, 0, 16, 0 },
		[METER_Q_ACTIVE] = { ATM90E32_PMEANA, ATM90E32_PMEANALSB, 32, S32 },
		[METER_Q_REACTIVE] = { ATM90E32_QMEANA, ATM90E32_QMEANALSB, 32,
				       S32 },
		[METER_Q_APPARENT] = { ATM90E32_SMEANA, ATM90E32_SMEANALSB, 32,
				       S32 },
		[METER_Q_PF] = { ATM90E32_PFMEANA, 0, 16, METER_REG_SIGNED },
		[METER_Q_FREQ] = { ATM90E32_FREQ, 0, 16, METER_REG_SHARED },
		[METER_Q_E_IMPORT] = { ATM90E32_APENERGYA, 0, 16, 0 },
		[METER_Q_E_EXPORT] = { ATM90E32_ANENERGYA, 0, 16, 0 },
	},
	.phase_stride = 1,
	.conv = {
		[METER_Q_VOLTAGE] = { 10000, 1 },
		[METER_Q_CURRENT] = { 1000, 1 },
		[METER_Q_ACTIVE] = { 8, 25 },		/* 0.32 mW */
		[METER_Q_REACTIVE] = { 8, 25 },
		[METER_Q_APPARENT] = { 8, 25 },
		[METER_Q_PF] = { 1000, 1 },
		[METER_Q_FREQ] = { 10, 1 },
		[METER_Q_E_IMPORT] = { 3125, 1 },	/* 10 Wh / 3200 */
		[METER_Q_E_EXPORT] = { 3125, 1 },
	},
	.ref = { .divider = 1001, .ct = 2000, .burden_uohm = 22000000 },
	.dump = atm90e32_dump,
};
