/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meterlink: board scaling. The chip description's constants hold for its
 * reference board; the board's own voltage divider, current transformer
 * and burden, or shunt (firmware properties) scale them by exact integer
 * ratios (Documentation/scaling.rst).
 */
#ifndef _METER_SCALING_H
#define _METER_SCALING_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/meterlink.h>

#include "chip.h"

struct device;
struct fwnode_handle;

/* property limits, also in the device tree bindings */
#define METER_DIVIDER_MAX	1000000U
#define METER_CT_MAX		100000U
#define METER_RES_MAX_UOHM	1000000000U	/* 1 kOhm burden or shunt */
/* the largest value one register may convert to, in record units */
#define METER_VALUE_MAX		BIT_ULL(42)

/* one board's front end, per channel; 0 where a channel has none */
struct meter_board {
	bool from_firmware;		/* false: the chip's reference board */
	u32 nr_v, nr_i;			/* voltage and current channels */
	u32 divider[METERLINK_MAX_PHASES];
	u32 ct[METERLINK_MAX_PHASES];
	u32 burden_uohm[METERLINK_MAX_PHASES];
	u32 shunt_uohm[METERLINK_MAX_PHASES];
};

/* what the driver applies, per phase */
struct meter_scaling {
	struct meter_board board;
	struct meter_ratio gain_v[METERLINK_MAX_PHASES];	/* vs. reference */
	struct meter_ratio gain_i[METERLINK_MAX_PHASES];
	struct meter_ratio gain_p[METERLINK_MAX_PHASES];
	/* code to record unit; energy to nWh; PF and frequency unscaled */
	struct meter_ratio conv[METERLINK_MAX_PHASES][METER_Q_MAX];
};

int meter_ratio_mul(struct meter_ratio *out, const struct meter_ratio *a,
		    const struct meter_ratio *b);
int meter_board_read(struct device *dev, const struct fwnode_handle *fw,
		     const struct meter_chip *chip, struct meter_board *b);
int meter_scaling_derive(struct device *dev, const struct meter_chip *chip,
			 const struct meter_board *b, struct meter_scaling *s);

#endif /* _METER_SCALING_H */
