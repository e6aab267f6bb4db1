// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: register codes to SI units for every chip, at the edges.
 */
#include <kunit/test.h>
#include <linux/limits.h>

#include "under_test.h"

static s64 conv(const struct meter_chip *c, enum meter_qty q, s64 raw, s32 ppm)
{
	return meter_convert(&c->conv[q], raw, ppm);
}

static void scale_rounds_to_nearest(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, meter_scale(1, 1, 2), 1LL);	/* 0.5 up */
	KUNIT_EXPECT_EQ(test, meter_scale(-1, 1, 2), -1LL);	/* -0.5 away */
	KUNIT_EXPECT_EQ(test, meter_scale(1, 1, 3), 0LL);
	KUNIT_EXPECT_EQ(test, meter_scale(2, 1, 3), 1LL);
	KUNIT_EXPECT_EQ(test, meter_scale(-2, 1, 3), -1LL);
	KUNIT_EXPECT_EQ(test, meter_scale(0, 500, 13), 0LL);
}

static void decode_sign_extends_24_bits(struct kunit *test)
{
	struct meter_reg s24 = { 0x212, 0, 24, METER_REG_SIGNED };
	struct meter_reg u24 = { 0x21c, 0, 24, 0 };
	struct meter_reg s16 = { 0x10a, 0, 16, METER_REG_SIGNED };

	KUNIT_EXPECT_EQ(test, meter_decode(&s24, 0x7fffff, 0), 8388607LL);
	KUNIT_EXPECT_EQ(test, meter_decode(&s24, 0x800000, 0), -8388608LL);
	KUNIT_EXPECT_EQ(test, meter_decode(&s24, 0xffffff, 0), -1LL);
	/* the 32-bit alias of a signed register: bits above 24 ignored */
	KUNIT_EXPECT_EQ(test, meter_decode(&s24, 0xffffffff, 0), -1LL);
	KUNIT_EXPECT_EQ(test, meter_decode(&u24, 0xffffff, 0), 16777215LL);
	KUNIT_EXPECT_EQ(test, meter_decode(&u24, 0xff000001, 0), 1LL);
	KUNIT_EXPECT_EQ(test, meter_decode(&s16, 0x8000, 0), -32768LL);
	KUNIT_EXPECT_EQ(test, meter_decode(&s16, 0x7fff, 0), 32767LL);
}

static void decode_joins_split_registers(struct kunit *test)
{
	struct meter_reg split = { 0xb1, 0xc1, 32,
				 METER_REG_SIGNED | METER_REG_SPLIT };

	KUNIT_EXPECT_EQ(test, meter_decode(&split, 0x0031, 0x5a07), 0x315a07LL);
	KUNIT_EXPECT_EQ(test, meter_decode(&split, 0xffff, 0xffff), -1LL);
	KUNIT_EXPECT_EQ(test, meter_decode(&split, 0x8000, 0x0000),
			(s64)S32_MIN);
	/* only the low half of the LSB register counts */
	KUNIT_EXPECT_EQ(test, meter_decode(&split, 0x0000, 0x12345), 0x2345LL);
}

static void ade7953_codes_to_si(struct kunit *test)
{
	const struct meter_chip *c = &meter_ade7953;

	/* VRMS/26000 V: 230 V is 5980000 */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, 5980000, 0), 230000000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, 0, 0), 0LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, 0xffffff, 0),
			645277500LL);
	/* IRMS/100000 A */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_CURRENT, 500000, 0), 5000000LL);
	/* WATT/154 W, signed */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_ACTIVE, 154, 0), 1000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_ACTIVE, -154, 0), -1000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_ACTIVE, -8388608, 0),
			-54471481LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_REACTIVE, 77, 0), 500LL);
	/* PF = code / 32767 */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_PF, 32767, 0), 1000000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_PF, -32768, 0), -1000031LL);
	/* f = 223750 / (PERIOD + 1) Hz */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_FREQ, 4474, 0), 50000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_FREQ, 0xffff, 0), 3414LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_FREQ, -1, 0), 0LL);
	/* energy: 64 WATT LSB seconds a count, 115.44 uWh */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_E_IMPORT, 693, 0), 80000LL);
}

static void atm90e32_codes_to_si(struct kunit *test)
{
	const struct meter_chip *c = &meter_atm90e32;

	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, 23000, 0), 230000000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, 0xffff, 0), 655350000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_CURRENT, 5000, 0), 5000000LL);
	/* 0.32 mW a count */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_ACTIVE, 3234375, 0), 1035000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_ACTIVE, S32_MIN, 0),
			-687194767LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_PF, -1000, 0), -1000000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_FREQ, 5000, 0), 50000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_E_EXPORT, 1, 0), 3125LL);
}

static void ade9000_codes_to_si(struct kunit *test)
{
	const struct meter_chip *c = &meter_ade9000;

	/* full-scale RMS codes are 566.392532 V and 173.310486 A rms */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, 52702092, 0),
			566392532LL);
	/* 10.75 uV a code: 230 V lies between two codes */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, 21401202, 0),
			229999997LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, U32_MAX, 0),
			46158270170LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_CURRENT, 52702092, 0),
			173310486LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_CURRENT, 1520453, 0),
			5000000LL);
	/* full-scale power codes are 98161.765 W, signed */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_ACTIVE, 20694066, 0),
			98161765LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_ACTIVE, -218194, 0), -1034998LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_ACTIVE, S32_MIN, 0),
			-10186532951LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_APPARENT, 20694066, 0),
			98161765LL);
	/* PF: 2^27 is 1.0 */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_PF, 134217728, 0), 1000000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_PF, -120795955, 0), -900000LL);
	/* f = 8000 * 2^16 / (PERIOD + 1) Hz, above 32 bits in mHz */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_FREQ, 10485759, 0), 50000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_FREQ, 8738132, 0), 60000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_FREQ, U32_MAX, 0), 122LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_FREQ, -1, 0), 0LL);
	/* energy: WATT LSB * 2^13 / 8000 s, 1.34925484 uWh */
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_E_IMPORT, 8186, 0), 11045LL);
}

/* 16-bit data for 0x481..0x4FD, checked against LAST_DATA_16 (0x4AC) */
static void ade9000_width_picks_echo_register(struct kunit *test)
{
	const struct meter_chip *c = &meter_ade9000;

	KUNIT_EXPECT_EQ(test, c->last_data_reg(0x000), 0x423U);
	KUNIT_EXPECT_EQ(test, c->last_data_reg(0x2e7), 0x423U);
	KUNIT_EXPECT_EQ(test, c->last_data_reg(0x480), 0x423U);	/* RUN */
	KUNIT_EXPECT_EQ(test, c->last_data_reg(0x481), 0x4acU);	/* CONFIG1 */
	KUNIT_EXPECT_EQ(test, c->last_data_reg(0x4b2), 0x4acU);	/* EGY_TIME */
	KUNIT_EXPECT_EQ(test, c->last_data_reg(0x4fd), 0x4acU);
	KUNIT_EXPECT_EQ(test, c->last_data_reg(0x4fe), 0x423U);	/* VERSION */
	KUNIT_EXPECT_EQ(test, c->last_data_reg(0x600), 0x423U);
	/* the energy registers of phases B and C are 0x3c apart */
	KUNIT_EXPECT_EQ(test, c->regs[METER_Q_E_IMPORT].reg + 0x3cU, 0x323U);
	KUNIT_EXPECT_TRUE(test, c->precious(0x323));
	KUNIT_EXPECT_FALSE(test, c->precious(0x22c));
	KUNIT_EXPECT_FALSE(test, c->readable(0x4ff));
}

static void calibration_scales_by_ppm(struct kunit *test)
{
	const struct meter_chip *c = &meter_atm90e32;

	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, 23000, 10000),
			232300000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_VOLTAGE, 23000, -200000),
			184000000LL);
	KUNIT_EXPECT_EQ(test, conv(c, METER_Q_ACTIVE, -3125, 200000),
			-1200LL);
}

static void phase_fill_saturates(struct kunit *test)
{
	struct meterlink_phase ph;
	s64 val[METER_Q_MAX] = {
		[METER_Q_VOLTAGE] = 5000000000LL,
		[METER_Q_CURRENT] = -5,
		[METER_Q_ACTIVE] = -123456789012LL,
		[METER_Q_PF] = -1000031,
		[METER_Q_FREQ] = 50000,
	};

	meter_phase_fill(&ph, val);
	KUNIT_EXPECT_EQ(test, ph.voltage_uv, U32_MAX);
	KUNIT_EXPECT_EQ(test, ph.current_ua, 0U);
	KUNIT_EXPECT_EQ(test, ph.active_mw, -123456789012LL);
	KUNIT_EXPECT_EQ(test, ph.power_factor, -1000000);
	KUNIT_EXPECT_EQ(test, ph.frequency_mhz, 50000U);
}

static struct kunit_case convert_cases[] = {
	KUNIT_CASE(scale_rounds_to_nearest),
	KUNIT_CASE(decode_sign_extends_24_bits),
	KUNIT_CASE(decode_joins_split_registers),
	KUNIT_CASE(ade7953_codes_to_si),
	KUNIT_CASE(atm90e32_codes_to_si),
	KUNIT_CASE(ade9000_codes_to_si),
	KUNIT_CASE(ade9000_width_picks_echo_register),
	KUNIT_CASE(calibration_scales_by_ppm),
	KUNIT_CASE(phase_fill_saturates),
	{}
};

static struct kunit_suite convert_suite = {
	.name = "meterlink-convert",
	.test_cases = convert_cases,
};

kunit_test_suite(convert_suite);
