// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: Analog Devices ADE9000, three phase, higher accuracy.
 *
 * Register map, framing and init sequence from the mainline IIO driver
 * (torvalds/linux:drivers/iio/adc/ade9000.c) and ADI's no-OS driver
 * (analogdevicesinc/no-OS:drivers/meter/ade9000/ade9000.h): a 16-bit
 * command word, address << 4 with bit 3 set to read, then the data MSB
 * first, 16 bits wide for 0x481..0x4FD and 32 bits for every other
 * address (the mainline rule; no-OS also counts RUN 0x480 and VERSION
 * 0x4FE as 16-bit, so RUN is written as 0xFFFFFFFF, which either reading
 * of the width takes as "run").
 *
 * Scaling (the same constants are the emulator's, kernel/sim/sim_ade9000.c).
 * The ADE9000 reports codes relative to the ADC full scale, so SI units
 * need a board. The reference board is ADI's evaluation board as the
 * calibration inputs of ADI's ADE9000 Arduino library describe it: current
 * transformers 2500:1 into a 10.2 ohm burden (0.00408 V/A), a 801:1
 * voltage divider, PGA gain 1. A full-scale sine at the ADC (0.707107 V
 * rms) is then 566.392532 V and 173.310486 A rms, and both at once
 * 98161.765 W.
 *  - xVRMS/xIRMS: 52702092 codes at full scale (no-OS ADE9000_RMS_FS_CODES
 *    and the Arduino library; mainline uses 52866837, 0.3 % more: we follow
 *    ADI's calibration code, whose constants the boards ship with).
 *  - xWATT/xVAR/xVA: 20694066 codes at full scale (mainline and no-OS).
 *  - xPF: 1.0 is 2^27 (Arduino library, ReadPFRegsnValues).
 *  - xPERIOD: f = 8000 * 2^16 / (xPERIOD + 1) Hz (Arduino library,
 *    ReadPeriodRegsnValues; mainline's code uses 4000 where its own comment
 *    says 8 kSPS, so we take 8000: 50 Hz reads 10485759).
 *  - xWATTHR_HI: the 8 kSPS xWATT samples summed and shifted right by 13
 *    (CAL_ENERGY_CC of the Arduino library: WATT LSB * 2^13 / 8000 s), so
 *    one count is 98161765 mW / 20694066 * 1.024 s = 1.34925484 uWh,
 *    stored as 11045/8186 (-0.008 ppm), a small numerator so that the
 *    driver's counts * num * 1000 stays in 64 bits.
 *
 * Energy: EP_CFG.RD_RST_EN makes xWATTHR_HI read-with-reset (no-OS
 * ade9000_set_egy_model(), "energy with reset"); with EGY_LD_ACCUM clear
 * the internal accumulator is added to it every EGY_TIME + 1 samples, or
 * half line cycles with EGY_TMR_MODE, and EGYRDY (STATUS0 bit 0) is set.
 * Polling uses 2 samples (250 us); interrupt mode uses the period in half
 * line cycles and EGYRDY on IRQ0 (MASK0 bit 0) as data ready. Assumptions,
 * the datasheet text not being at hand: reading xWATTHR_HI clears what it
 * returned and keeps the fraction below its LSB, and EGY_TIME + 1 counts
 * half line cycles as it counts samples.
 */
#include <linux/bits.h>
#include <linux/delay.h>
#include <linux/math64.h>
#include <linux/spi/spi.h>

#include "chip.h"
#include "meter.h"

#define ADE9000_AIRMS		0x20c
#define ADE9000_AVRMS		0x20d
#define ADE9000_AWATT		0x210
#define ADE9000_AVAR		0x211
#define ADE9000_AVA		0x212
#define ADE9000_APF		0x216
#define ADE9000_PHASE_STRIDE	0x20	/* B = A + 0x20, C = A + 0x40 */
#define ADE9000_AWATTHR_HI	0x2e7
#define ADE9000_WATTHR_STRIDE	0x3c	/* BWATTHR_HI 0x323, CWATTHR_HI 0x35f */
#define ADE9000_STATUS0		0x402
#define   ADE9000_ST0_EGYRDY		BIT(0)
#define ADE9000_STATUS1		0x403
#define ADE9000_MASK0		0x405
#define ADE9000_MASK1		0x406
#define ADE9000_EVENT_MASK	0x407
#define ADE9000_VLEVEL		0x40f
#define   ADE9000_VLEVEL_INIT		0x0022ea28	/* Vnom = FS / 2 */
#define   ADE9000_ID_PATTERN		0x00a55a5a	/* 24-bit field */
#define ADE9000_APERIOD		0x418
#define ADE9000_LAST_DATA_32	0x423
#define ADE9000_PART_ID		0x472
#define   ADE9000_PART_ID_ADE9000	BIT(20)
#define ADE9000_RUN		0x480
#define   ADE9000_RUN_ON		0xffffffff
#define ADE9000_CONFIG1		0x481
#define   ADE9000_CONFIG1_SWRST		BIT(0)
#define   ADE9000_CONFIG1_INIT		0x000e	/* CF3 = ZX, CF4 = DREADY */
#define ADE9000_ACCMODE		0x492	/* 0: 50 Hz, 3P4W, signed */
#define ADE9000_CONFIG3		0x493
#define ADE9000_ZX_LP_SEL	0x49a
#define ADE9000_LAST_DATA_16	0x4ac
#define ADE9000_CONFIG2		0x4af
#define   ADE9000_CONFIG2_INIT		0x0a00	/* HPF corner 1.25 Hz */
#define ADE9000_EP_CFG		0x4b0
#define   ADE9000_EP_RD_RST_EN		BIT(5)
#define   ADE9000_EP_EGY_LD_ACCUM	BIT(4)
#define   ADE9000_EP_EGY_TMR_MODE	BIT(1)
#define   ADE9000_EP_EGY_PWR_EN		BIT(0)
#define ADE9000_EGY_TIME	0x4b2
#define   ADE9000_EGY_TIME_MAX		8191	/* 13 bits */
#define ADE9000_PGA_GAIN	0x4b9
#define ADE9000_VERSION		0x4fe
#define ADE9000_CONFIG0		0x060
#define ADE9000_DICOEFF		0x072

#define ADE9000_READ		BIT(3)
#define ADE9000_RESET_MS	50	/* > 46 ms after SWRST (no-OS) */
/* f = 8000 * 2^16 / (PERIOD + 1) Hz */
#define ADE9000_PERIOD_HZ	524288000ULL
#define ADE9000_PERIOD_50HZ	10485759

/* energy accumulated every 2 samples, cleared by reading (polling) */
#define ADE9000_EP_POLL		(ADE9000_EP_RD_RST_EN | ADE9000_EP_EGY_PWR_EN)
#define ADE9000_EGY_TIME_POLL	1
#define ADE9000_EP_IRQ		(ADE9000_EP_POLL | ADE9000_EP_EGY_TMR_MODE)

static unsigned int ade9000_bytes(unsigned int reg)
{
	return reg > ADE9000_RUN && reg < ADE9000_VERSION ? 2 : 4;
}

static int ade9000_read(struct spi_device *spi, unsigned int reg,
			unsigned int *val)
{
	u16 cmd = reg << 4 | ADE9000_READ;
	u8 tx[2] = { cmd >> 8, cmd & 0xff };
	unsigned int n = ade9000_bytes(reg), i;
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

static int ade9000_write(struct spi_device *spi, unsigned int reg,
			 unsigned int val)
{
	u16 cmd = reg << 4;
	u8 tx[6] = { cmd >> 8, cmd & 0xff };
	unsigned int n = ade9000_bytes(reg), i;

	for (i = 0; i < n; i++)
		tx[2 + i] = val >> (8 * (n - 1 - i));
	return spi_write_then_read(spi, tx, 2 + n, NULL, 0);
}

/* the no-OS register map, its gaps left out */
static bool ade9000_readable(unsigned int reg)
{
	switch (reg) {
	case 0x000 ... 0x018:
	case 0x020 ... 0x038:
	case 0x040 ... 0x058:
	case 0x060 ... 0x073:
	case 0x20a ... 0x21d:
	case 0x22a ... 0x23d:
	case 0x24a ... 0x25d:
	case 0x265 ... 0x26a:
	case 0x2e5 ... 0x3a3:
	case 0x400 ... 0x425:
	case ADE9000_PART_ID:
	case 0x474:
	case 0x480 ... 0x4fe:
	case 0x500 ... 0x516:
	case 0x600 ... 0x63c:
	case 0x680 ... 0x6bc:
		return true;
	}
	return false;
}

/* power and energy accumulators: read-with-reset under RD_RST_EN */
static bool ade9000_precious(unsigned int reg)
{
	return reg >= 0x2e5 && reg <= 0x3a3;
}

static unsigned int ade9000_last_data_reg(unsigned int reg)
{
	return ade9000_bytes(reg) == 2 ? ADE9000_LAST_DATA_16 :
					 ADE9000_LAST_DATA_32;
}

/*
 * PART_ID bit 20 names the ADE9000 among its family, and VLEVEL (a 24-bit
 * threshold the setup writes anyway) must read back a pattern.
 */
static int ade9000_identify(struct meter_dev *m)
{
	unsigned int id = 0, back = 0;
	int ret;

	ret = meter_reg_read(m, ADE9000_PART_ID, &id);
	if (!ret)
		ret = meter_reg_write(m, ADE9000_VLEVEL, ADE9000_ID_PATTERN);
	if (!ret)
		ret = meter_reg_read(m, ADE9000_VLEVEL, &back);
	if (ret)
		return dev_err_probe(&m->spi->dev, ret, "SPI I/O failed\n");
	if (!(id & ADE9000_PART_ID_ADE9000) || back != ADE9000_ID_PATTERN)
		return dev_err_probe(&m->spi->dev, -ENODEV,
				     "chip does not answer as ADE9000 (PART_ID %#x, expected bit 20 set; VLEVEL readback %#x, expected %#x); check the compatible string and the wiring\n",
				     id, back, ADE9000_ID_PATTERN);
	return 0;
}

/* the mainline init sequence, with our energy mode */
static const struct {
	u16 reg;
	u32 val;
} ade9000_init[] = {
	{ ADE9000_PGA_GAIN, 0 },
	{ ADE9000_CONFIG0, 0 },
	{ ADE9000_CONFIG1, ADE9000_CONFIG1_INIT },
	{ ADE9000_CONFIG2, ADE9000_CONFIG2_INIT },
	{ ADE9000_CONFIG3, 0 },
	{ ADE9000_ACCMODE, 0 },
	{ ADE9000_ZX_LP_SEL, 0 },
	{ ADE9000_MASK0, 0 },
	{ ADE9000_MASK1, 0 },
	{ ADE9000_EVENT_MASK, 0 },
	{ ADE9000_VLEVEL, ADE9000_VLEVEL_INIT },
	{ ADE9000_DICOEFF, 0 },
	{ ADE9000_EGY_TIME, ADE9000_EGY_TIME_POLL },
	{ ADE9000_EP_CFG, ADE9000_EP_POLL },
	{ ADE9000_STATUS0, U32_MAX },	/* write one to clear */
	{ ADE9000_STATUS1, U32_MAX },
	{ ADE9000_RUN, ADE9000_RUN_ON },
};

static int ade9000_setup(struct meter_dev *m)
{
	unsigned int i;
	int ret;

	ret = meter_reg_write(m, ADE9000_CONFIG1, ADE9000_CONFIG1_SWRST);
	if (ret)
		return ret;
	msleep(ADE9000_RESET_MS);
	for (i = 0; i < ARRAY_SIZE(ade9000_init); i++) {
		ret = meter_reg_write_checked(m, ade9000_init[i].reg,
					      ade9000_init[i].val);
		if (ret)
			return ret;
	}
	usleep_range(2000, 3000);	/* the DSP starts (mainline) */
	return 0;
}

/* STATUS0 is write-one-to-clear */
static int ade9000_clear_egyrdy(struct meter_dev *m)
{
	return meter_reg_write(m, ADE9000_STATUS0, ADE9000_ST0_EGYRDY);
}

/*
 * Data ready is EGYRDY at the end of EGY_TIME + 1 half line cycles, so the
 * period is rounded to whole half cycles of phase A's line period.
 */
static int ade9000_irq_config(struct meter_dev *m, u64 *period_ns, bool enable)
{
	unsigned int per;
	u64 half_ns, cycles;
	int ret;

	if (!enable) {
		ret = meter_reg_write_checked(m, ADE9000_MASK0, 0);
		if (!ret)
			ret = meter_reg_write_checked(m, ADE9000_EGY_TIME,
						      ADE9000_EGY_TIME_POLL);
		if (!ret)
			ret = meter_reg_write_checked(m, ADE9000_EP_CFG,
						      ADE9000_EP_POLL);
		if (!ret)
			ret = ade9000_clear_egyrdy(m);
		return ret;
	}
	ret = meter_reg_read(m, ADE9000_APERIOD, &per);
	if (ret)
		return ret;
	if (!per)	/* no line cycle measured yet: the nominal 50 Hz */
		per = ADE9000_PERIOD_50HZ;
	half_ns = div64_u64(((u64)per + 1) * NSEC_PER_SEC,
			    2 * ADE9000_PERIOD_HZ);
	if (!half_ns)
		return -EIO;
	cycles = div64_u64(*period_ns + half_ns / 2, half_ns);
	cycles = clamp_val(cycles, 1, ADE9000_EGY_TIME_MAX + 1);
	ret = meter_reg_write_checked(m, ADE9000_EGY_TIME, cycles - 1);
	if (!ret)
		ret = meter_reg_write_checked(m, ADE9000_EP_CFG,
					      ADE9000_EP_IRQ);
	if (!ret)
		ret = ade9000_clear_egyrdy(m);
	if (!ret)
		ret = meter_reg_write_checked(m, ADE9000_MASK0,
					      ADE9000_ST0_EGYRDY);
	if (!ret)
		*period_ns = cycles * half_ns;
	return ret;
}

static int ade9000_irq_ack(struct meter_dev *m, bool *data_ready)
{
	unsigned int stat;
	int ret;

	ret = meter_reg_read(m, ADE9000_STATUS0, &stat);
	if (ret)
		return ret;
	*data_ready = stat & ADE9000_ST0_EGYRDY;
	return *data_ready ? ade9000_clear_egyrdy(m) : 0;
}

static const struct meter_named_reg ade9000_dump[] = {
	{ "AIRMS", ADE9000_AIRMS }, { "BIRMS", ADE9000_AIRMS + 0x20 },
	{ "CIRMS", ADE9000_AIRMS + 0x40 }, { "AVRMS", ADE9000_AVRMS },
	{ "BVRMS", ADE9000_AVRMS + 0x20 }, { "CVRMS", ADE9000_AVRMS + 0x40 },
	{ "AWATT", ADE9000_AWATT }, { "BWATT", ADE9000_AWATT + 0x20 },
	{ "CWATT", ADE9000_AWATT + 0x40 }, { "APF", ADE9000_APF },
	{ "BPF", ADE9000_APF + 0x20 }, { "CPF", ADE9000_APF + 0x40 },
	{ "STATUS0", ADE9000_STATUS0 }, { "STATUS1", ADE9000_STATUS1 },
	{ "MASK0", ADE9000_MASK0 }, { "MASK1", ADE9000_MASK1 },
	{ "APERIOD", ADE9000_APERIOD }, { "PART_ID", ADE9000_PART_ID },
	{ "CONFIG1", ADE9000_CONFIG1 }, { "ACCMODE", ADE9000_ACCMODE },
	{ "EP_CFG", ADE9000_EP_CFG }, { "EGY_TIME", ADE9000_EGY_TIME },
	{ "VERSION", ADE9000_VERSION },
	{ }
};

const struct meter_chip meter_ade9000 = {
	.name = "ade9000",
	.id = METERLINK_CHIP_ADE9000,
	.nr_phases = 3,
	.max_register = 0x6bc,
	/*
	 * xWATTHR_HI is 32-bit signed: at full scale it gains 20694066 *
	 * 8000 / 2^13 = 20.2 million counts a second and wraps after 2^31 of
	 * them, 106 s; 30 s leaves room for inputs above full scale.
	 */
	.max_period_ns = 30 * NSEC_PER_SEC,
	.read = ade9000_read,
	.write = ade9000_write,
	.readable = ade9000_readable,
	.precious = ade9000_precious,
	.last_data_reg = ade9000_last_data_reg,
	.identify = ade9000_identify,
	.setup = ade9000_setup,
	.irq_config = ade9000_irq_config,
	.irq_ack = ade9000_irq_ack,
	.regs = {
		[METER_Q_VOLTAGE] = { ADE9000_AVRMS, 0, 32, 0 },
		[METER_Q_CURRENT] = { ADE9000_AIRMS, 0, 32, 0 },
		[METER_Q_ACTIVE] = { ADE9000_AWATT, 0, 32, METER_REG_SIGNED },
		[METER_Q_REACTIVE] = { ADE9000_AVAR, 0, 32, METER_REG_SIGNED },
		[METER_Q_APPARENT] = { ADE9000_AVA, 0, 32, METER_REG_SIGNED },
		[METER_Q_PF] = { ADE9000_APF, 0, 32, METER_REG_SIGNED },
		/* phase A's line period for all, as the other chips do */
		[METER_Q_FREQ] = { ADE9000_APERIOD, 0, 32, METER_REG_SHARED },
		[METER_Q_E_IMPORT] = { ADE9000_AWATTHR_HI, 0, 32,
				       METER_REG_SIGNED | METER_REG_BY_SIGN,
				       ADE9000_WATTHR_STRIDE },
	},
	.phase_stride = ADE9000_PHASE_STRIDE,
	.conv = {
		/* full-scale value of the reference board / full-scale codes */
		[METER_Q_VOLTAGE] = { 566392532, 52702092 },	/* uV */
		[METER_Q_CURRENT] = { 173310486, 52702092 },	/* uA */
		[METER_Q_ACTIVE] = { 98161765, 20694066 },	/* mW */
		[METER_Q_REACTIVE] = { 98161765, 20694066 },
		[METER_Q_APPARENT] = { 98161765, 20694066 },
		[METER_Q_PF] = { 15625, 2097152 },	/* 1e6 / 2^27 */
		[METER_Q_FREQ] = { 524288000, 1000, true },	/* mHz */
		[METER_Q_E_IMPORT] = { 11045, 8186 },	/* 1.34925484 uWh */
		[METER_Q_E_EXPORT] = { 11045, 8186 },
	},
	.dump = ade9000_dump,
	/* ADI's evaluation board: 801:1 divider, 2500:1 CTs into 10.2 Ohm */
	.ref = { .divider = 801, .ct = 2500, .burden_uohm = 10200000 },
};
