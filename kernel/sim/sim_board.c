// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink_sim: the board between the physical signal and the chip.
 *
 * A board divides the line voltage (meterlink,voltage-divider-ratio) and
 * turns each line current into a pin voltage through a shunt
 * (meterlink,shunt-micro-ohms) or a current transformer and its burden
 * (meterlink,ct-ratio, meterlink,burden-micro-ohms). The emulators answer
 * for the pin signals, in the units their chip's reference board would
 * read them: what sim_values() hands them is the model's signal times
 * (reference transfer / this board's transfer). The same properties go to
 * the driver in a software node, as firmware would describe a real board.
 */
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/property.h>
#include <linux/string.h>

#include "sim.h"

static const char * const prop_name[SIM_BOARD_PROPS] = {
	"meterlink,voltage-divider-ratio", "meterlink,ct-ratio",
	"meterlink,burden-micro-ohms", "meterlink,shunt-micro-ohms",
};

static const char * const arg_name[SIM_BOARD_PROPS] = {
	"divider", "ct", "burden", "shunt",
};

/*
 * One "name=v[,v...]" word of new_device. Values are passed on as given,
 * valid or not: refusing bad ones is the driver's job, and tested.
 */
int sim_board_arg(struct sim_board_args *a, char *word)
{
	char *eq = strchr(word, '='), *v;
	unsigned int k;

	if (!eq)
		return -EINVAL;
	*eq = '\0';
	for (k = 0; k < SIM_BOARD_PROPS; k++)
		if (!strcmp(word, arg_name[k]))
			break;
	if (k == SIM_BOARD_PROPS || a->n[k])
		return -EINVAL;
	for (v = eq + 1; v; ) {
		char *val = strsep(&v, ",");

		if (a->n[k] == SIM_BOARD_MAX_VALUES ||
		    kstrtou32(val, 10, &a->val[k][a->n[k]]))
			return -EINVAL;
		a->n[k]++;
	}
	return 0;
}

/* NULL without properties, else a node the caller must remove */
struct fwnode_handle *sim_board_node(const struct sim_board_args *a)
{
	struct property_entry props[SIM_BOARD_PROPS + 1] = { };
	unsigned int k, n = 0;

	for (k = 0; k < SIM_BOARD_PROPS; k++)
		if (a->n[k])
			props[n++] = PROPERTY_ENTRY_U32_ARRAY_LEN(prop_name[k],
								  a->val[k],
								  a->n[k]);
	return n ? fwnode_create_software_node(props, NULL) : NULL;
}

/* entry @ch of a property (one entry: all channels); 0 if absent or bad */
static u32 prop(const struct fwnode_handle *fw, unsigned int k,
		unsigned int ch)
{
	u32 v[SIM_BOARD_MAX_VALUES];
	int n = fwnode_property_count_u32(fw, prop_name[k]);

	if (n <= 0 || n > SIM_BOARD_MAX_VALUES ||
	    fwnode_property_read_u32_array(fw, prop_name[k], v, n))
		return 0;
	if (n == 1)
		return v[0];
	return ch < n ? v[ch] : 0;
}

/* num / den in 32.32 fixed point, saturated at 2^20 */
static u64 q32(u64 num, u64 den)
{
	if (!num || !den)
		return SIM_Q32_ONE;	/* no usable board: as the reference */
	if (div64_u64(num, den) >= (1ULL << 20))
		return 1ULL << 52;
	return mul_u64_u64_div_u64(num, SIM_Q32_ONE, den);
}

/*
 * Sets the chip's transfer factors from @fw's properties (a node from
 * sim_board_node(), or a device tree node). A channel the properties do
 * not describe sensibly stays at the reference board's transfer; the
 * driver refuses such a board anyway.
 */
void sim_board_apply(struct sim_chip *c, const struct fwnode_handle *fw)
{
	const struct sim_board_ref *ref = &c->emul->ref;
	unsigned int ch;

	for (ch = 0; ch < SIM_MAX_PHASES; ch++) {
		u64 div = prop(fw, 0, ch), ct = prop(fw, 1, ch);
		u64 burden = prop(fw, 2, ch), shunt = prop(fw, 3, ch);
		u64 r_ref = ref->shunt_uohm ? ref->shunt_uohm : ref->burden_uohm;
		u64 t_ref = ref->shunt_uohm ? 1 : ref->ct;

		c->v_q32[ch] = SIM_Q32_ONE;
		c->i_q32[ch] = SIM_Q32_ONE;
		if (!ref->divider)
			continue;
		if (div)
			c->v_q32[ch] = q32(ref->divider, div);
		/* pin volts per ampere: shunt R, or burden R over the turns */
		if (shunt && !ct)
			c->i_q32[ch] = q32(shunt * t_ref, r_ref);
		else if (ct && burden && !shunt)
			c->i_q32[ch] = q32(burden * t_ref, ct * r_ref);
	}
}

/* x * f (32.32), rounded, clipped as the chip's input would be */
u32 sim_board_scale(u32 x, u64 f)
{
	u64 v = (mul_u64_u64_shr(x, f, 31) + 1) >> 1;

	return min_t(u64, v, U32_MAX);
}
