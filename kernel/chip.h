/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meterlink: the chip description table.
 *
 * Everything that differs between metering ICs is here: SPI framing (two
 * regmap callbacks), which register holds which quantity for which phase,
 * how raw codes scale to SI units, and how the chip is identified, set up
 * and interrupts are acknowledged. The acquisition code is chip-agnostic.
 */
#ifndef _METER_CHIP_H
#define _METER_CHIP_H

#include <linux/spi/spi.h>
#include <linux/types.h>
#include <linux/meterlink.h>

struct meter_dev;

enum meter_qty {
	METER_Q_VOLTAGE,	/* uV */
	METER_Q_CURRENT,	/* uA */
	METER_Q_ACTIVE,		/* mW */
	METER_Q_REACTIVE,	/* mvar */
	METER_Q_APPARENT,	/* mVA */
	METER_Q_PF,		/* millionths */
	METER_Q_FREQ,		/* mHz */
	METER_Q_E_IMPORT,	/* energy counts, read-to-clear */
	METER_Q_E_EXPORT,	/* energy counts, read-to-clear */
	METER_Q_MAX,
};

/* struct meter_reg.flags */
#define METER_REG_SIGNED	BIT(0)	/* two's complement of @bits */
#define METER_REG_SHARED	BIT(1)	/* same register for every phase */
#define METER_REG_SPLIT		BIT(2)	/* 32 bits: @reg high, @reg_lo low */
#define METER_REG_BY_SIGN	BIT(3)	/* one signed energy register:
					 * positive is import, negative export
					 */

struct meter_reg {
	u16 reg;
	u16 reg_lo;
	u8 bits;
	u8 flags;
	u16 stride;	/* phase p at reg + p * stride; 0: the chip's stride */
};

/*
 * how a raw code becomes a value: raw * num / den, or, reciprocal,
 * num * den / (raw + 1) (den is then a second factor, so that the
 * constant can exceed 32 bits)
 */
struct meter_conv {
	u32 num;
	u32 den;
	bool reciprocal;
};

/* an exact non-negative rational, reduced; den > 0 */
struct meter_ratio {
	u64 num;
	u64 den;
};

/*
 * The board a chip's conversion constants assume: line voltage over the
 * voltage at the chip's pins, and either a shunt or a current transformer
 * (turns ratio) with its burden. Documentation/scaling.rst.
 */
struct meter_ref_board {
	u32 divider;
	u32 ct;
	u32 burden_uohm;
	u32 shunt_uohm;		/* non-zero: a shunt, @ct and @burden unused */
};

struct meter_named_reg {
	const char *name;
	u16 reg;
};

struct meter_chip {
	const char *name;
	u32 id;				/* enum meterlink_chip */
	u32 nr_phases;
	unsigned int max_register;
	u64 max_period_ns;	/* longest period before energy can wrap */

	/* framing: one register, width implied by the address */
	int (*read)(struct spi_device *spi, unsigned int reg, unsigned int *val);
	int (*write)(struct spi_device *spi, unsigned int reg, unsigned int val);
	bool (*readable)(unsigned int reg);
	bool (*precious)(unsigned int reg);	/* reading has side effects */
	/* register echoing the last word on the wire, to check a read */
	unsigned int (*last_data_reg)(unsigned int reg);

	int (*identify)(struct meter_dev *m);
	int (*setup)(struct meter_dev *m);

	/* NULL when the chip has no data-ready interrupt */
	int (*irq_config)(struct meter_dev *m, u64 *period_ns, bool enable);
	int (*irq_ack)(struct meter_dev *m, bool *data_ready);

	/* phase 0; phase p is at reg + p * phase_stride unless shared */
	struct meter_reg regs[METER_Q_MAX];
	unsigned int phase_stride;
	struct meter_conv conv[METER_Q_MAX];	/* energy: to uWh */
	struct meter_ref_board ref;	/* the board @conv holds for */
	const struct meter_named_reg *dump;	/* for debugfs, NULL ended */
};

extern const struct meter_chip meter_ade7953;
extern const struct meter_chip meter_atm90e32;
extern const struct meter_chip meter_ade9000;

/* chip.c: register I/O helpers for the chip files */
int meter_reg_read(struct meter_dev *m, unsigned int reg, unsigned int *val);
int meter_reg_write(struct meter_dev *m, unsigned int reg, unsigned int val);
int meter_reg_write_checked(struct meter_dev *m, unsigned int reg,
			    unsigned int val);

#endif /* _METER_CHIP_H */
