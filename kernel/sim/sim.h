/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meterlink_sim: a simulated SPI bus answered by register-level emulators of
 * metering ICs, driven by a physical model of the signals they measure.
 */
#ifndef _METER_SIM_H
#define _METER_SIM_H

#include <linux/bits.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/ktime.h>
#include <linux/mod_devicetable.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#define SIM_MAX_PHASES	3
#define SIM_NUM_CS	4

/* the physical signal on one phase */
struct sim_phase {
	u32 v_uv;
	u32 i_ua;
	u32 angle_mdeg;		/* current against voltage, 0..359999 */
	u32 f_mhz;
};

/* what an ideal chip would measure on one phase */
struct sim_values {
	u32 v_uv, i_ua, f_mhz;
	s64 p_uw, q_uw, s_uw;
	s32 cos_q24, sin_q24;	/* 1.0 == 1 << 24 */
};

struct sim_chip;
struct fwnode_handle;

/* the board the emulator's constants assume, as the driver's chip table */
struct sim_board_ref {
	u32 divider;
	u32 ct;
	u32 burden_uohm;
	u32 shunt_uohm;
};

struct sim_emul {
	const char *name;
	unsigned int nr_phases;
	bool shared_voltage;	/* phases > 0 see phase 0's voltage */
	struct sim_board_ref ref;	/* zero: boards are not modelled */
	size_t priv_size;
	void (*reset)(struct sim_chip *c);
	/* one chip-select frame; @rx is zeroed by the caller */
	void (*frame)(struct sim_chip *c, const u8 *tx, u8 *rx,
		      unsigned int len);
	/* energy flowed since the last call, in nJ, on @phase */
	void (*energy)(struct sim_chip *c, unsigned int phase, bool export,
		       u64 nj);
	bool (*irq_asserted)(struct sim_chip *c);
	u64 (*tick_ns)(struct sim_chip *c);	/* 0: no periodic event */
	void (*tick)(struct sim_chip *c);
};

struct sim_chip {
	const struct sim_emul *emul;
	void *priv;
	raw_spinlock_t lock;		/* everything below */
	struct sim_phase model[SIM_MAX_PHASES];
	/* board transfer against the reference, 32.32 (sim_board.c) */
	u64 v_q32[SIM_MAX_PHASES], i_q32[SIM_MAX_PHASES];
	ktime_t last;			/* energy integrated up to here */
	u64 rem[SIM_MAX_PHASES][2];	/* uW*ns below one nJ */
	/* all energy handed to the emulator: [phase][export], nJ */
	u64 energy_nj[SIM_MAX_PHASES][2];

	/* IRQ output */
	int virq;
	bool masked, queued, dying;
	bool storm, stuck;
	struct irq_work irq_work;
	struct hrtimer tick;

	/* faults */
	unsigned int err_in, corrupt_in;
	bool absent;

	u64 messages, injected_errors, injected_corruptions, irqs;
};

extern const struct sim_emul sim_ade7953;
extern const struct sim_emul sim_atm90e32;
extern const struct sim_emul sim_ade9000;

/* sim_model.c */
void sim_values(struct sim_chip *c, unsigned int phase, struct sim_values *v);
void sim_advance(struct sim_chip *c);
s64 sim_div_round(s64 x, s64 d);

/* sim_board.c: new_device's board words, to a software node */
#define SIM_BOARD_PROPS		4	/* divider, ct, burden, shunt */
#define SIM_BOARD_MAX_VALUES	4	/* one more than any chip takes */
#define SIM_Q32_ONE		BIT_ULL(32)

struct sim_board_args {
	u32 val[SIM_BOARD_PROPS][SIM_BOARD_MAX_VALUES];
	u8 n[SIM_BOARD_PROPS];
};

int sim_board_arg(struct sim_board_args *a, char *word);
struct fwnode_handle *sim_board_node(const struct sim_board_args *a);
void sim_board_apply(struct sim_chip *c, const struct fwnode_handle *fw);
u32 sim_board_scale(u32 x, u64 f);

/* sim_main.c: call with c->lock held after the chip's IRQ state changed */
void sim_irq_update(struct sim_chip *c);
void sim_tick_restart(struct sim_chip *c);
int sim_add_of_chip(unsigned int cs, const char *emul,
		    const struct fwnode_handle *board);

/* sim_of.c: the controller and its chips from a device tree node */
struct device;
extern const struct of_device_id sim_of_match[];
bool sim_of_present(void);
int sim_of_add_chips(struct device *dev);

#endif /* _METER_SIM_H */
