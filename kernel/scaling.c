// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: board scaling from firmware properties.
 *
 * A chip measures voltages at its pins; what those are in line volts and
 * amperes depends on the board: a voltage divider (line volts per pin
 * volt), and per current channel a shunt (pin volts per ampere = R) or a
 * current transformer with a burden (R / turns). The chip description's
 * constants hold for its reference board, so another board scales them by
 *
 *   voltage gain  divider / divider_ref
 *   current gain  Z_ref / Z, with Z = R_shunt or R_burden / turns
 *   power gain    voltage gain * current gain (power, energy)
 *
 * all kept as exact reduced fractions of 64-bit integers. Properties are
 * read through the fwnode API, so device tree, ACPI _DSD and software nodes
 * all work. Documentation/scaling.rst has the rules and a worked example.
 */
#include <linux/device.h>
#include <linux/math64.h>
#include <linux/overflow.h>
#include <linux/property.h>

#include "convert.h"
#include "scaling.h"

#define P_DIVIDER	"meterlink,voltage-divider-ratio"
#define P_CT		"meterlink,ct-ratio"
#define P_BURDEN	"meterlink,burden-micro-ohms"
#define P_SHUNT		"meterlink,shunt-micro-ohms"

/* energy one read may add, in nWh: far beyond any meter, far below 2^64 */
#define METER_ENERGY_MAX	BIT_ULL(52)

static const struct meter_ratio unity = { 1, 1 };

static u64 gcd64(u64 a, u64 b)
{
	u64 r;

	while (b) {
		div64_u64_rem(a, b, &r);
		a = b;
		b = r;
	}
	return a;
}

static void ratio_set(struct meter_ratio *r, u64 num, u64 den)
{
	u64 g = gcd64(num, den);

	r->num = num / g;
	r->den = den / g;
}

/* a * b, reduced; -EOVERFLOW if it needs more than 64 bits a side */
int meter_ratio_mul(struct meter_ratio *out, const struct meter_ratio *a,
		    const struct meter_ratio *b)
{
	u64 g1 = gcd64(a->num, b->den), g2 = gcd64(b->num, a->den);
	u64 num, den;

	if (!g1 || !g2)		/* a zero numerator over a zero denominator */
		return -EINVAL;
	if (check_mul_overflow(div64_u64(a->num, g1), div64_u64(b->num, g2),
			       &num) ||
	    check_mul_overflow(div64_u64(a->den, g2), div64_u64(b->den, g1),
			       &den))
		return -EOVERFLOW;
	out->num = num;
	out->den = den;
	return 0;
}

static const char channel_name[] = "ABC";

/*
 * One property: absent, or 1 entry (every channel) or @n (one each), each
 * 0 (only where @zero_ok) or 1..@max. Fills @out for all @n channels.
 */
static int read_prop(struct device *dev, const struct fwnode_handle *fw,
		     const char *name, u32 n, u32 max, bool zero_ok,
		     u32 *out, bool *present)
{
	u32 v[METERLINK_MAX_PHASES];
	int cnt, i, ret;

	*present = fwnode_property_present(fw, name);
	if (!*present)
		return 0;
	cnt = fwnode_property_count_u32(fw, name);
	if (cnt <= 0) {
		dev_err(dev, "%s: not an array of 32-bit cells (%d)\n", name,
			cnt);
		return -EINVAL;
	}
	if (cnt != 1 && cnt != n) {
		if (n == 1)
			dev_err(dev, "%s: %d entries, expected 1 (one per channel)\n",
				name, cnt);
		else
			dev_err(dev, "%s: %d entries, expected 1 or %u (one per channel)\n",
				name, cnt, n);
		return -EINVAL;
	}
	ret = fwnode_property_read_u32_array(fw, name, v, cnt);
	if (ret) {
		dev_err(dev, "%s: cannot be read (%d)\n", name, ret);
		return ret;
	}
	for (i = 0; i < n; i++) {
		u32 x = v[cnt == 1 ? 0 : i];

		if ((!x && !zero_ok) || x > max) {
			dev_err(dev, "%s: entry %d is %u, expected %u..%u\n",
				name, cnt == 1 ? 0 : i, x, zero_ok ? 0 : 1,
				max);
			return -EINVAL;
		}
		out[i] = x;
	}
	return 0;
}

static int check_channels(struct device *dev, struct meter_board *b)
{
	u32 i;

	for (i = 0; i < b->nr_i; i++) {
		u32 s = b->shunt_uohm[i], c = b->ct[i], r = b->burden_uohm[i];
		char ch = channel_name[i];

		if (s && c) {
			dev_err(dev, "current channel %c: both a shunt (%s %u) and a transformer (%s %u); set the other to 0\n",
				ch, P_SHUNT, s, P_CT, c);
			return -EINVAL;
		}
		if (c && !r) {
			dev_err(dev, "current channel %c: %s %u needs a non-zero %s\n",
				ch, P_CT, c, P_BURDEN);
			return -EINVAL;
		}
		if (r && !c) {
			dev_err(dev, "current channel %c: %s %u without a transformer (%s 0 or absent)\n",
				ch, P_BURDEN, r, P_CT);
			return -EINVAL;
		}
		if (!s && !c) {
			dev_err(dev, "current channel %c: no current sensor (%s and %s are 0 or absent)\n",
				ch, P_SHUNT, P_CT);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Reads and checks the board's properties; without any, the chip's
 * reference board. Every refusal names the property and the value.
 */
int meter_board_read(struct device *dev, const struct fwnode_handle *fw,
		     const struct meter_chip *chip, struct meter_board *b)
{
	const struct meter_ref_board *ref = &chip->ref;
	bool has_div, has_ct, has_burden, has_shunt;
	u32 i;
	int ret;

	memset(b, 0, sizeof(*b));
	b->nr_i = chip->nr_phases;
	b->nr_v = chip->regs[METER_Q_VOLTAGE].flags & METER_REG_SHARED ?
		  1 : chip->nr_phases;
	ret = read_prop(dev, fw, P_DIVIDER, b->nr_v, METER_DIVIDER_MAX, false,
			b->divider, &has_div);
	if (!ret)
		ret = read_prop(dev, fw, P_CT, b->nr_i, METER_CT_MAX, true,
				b->ct, &has_ct);
	if (!ret)
		ret = read_prop(dev, fw, P_BURDEN, b->nr_i, METER_RES_MAX_UOHM,
				true, b->burden_uohm, &has_burden);
	if (!ret)
		ret = read_prop(dev, fw, P_SHUNT, b->nr_i, METER_RES_MAX_UOHM,
				true, b->shunt_uohm, &has_shunt);
	if (ret)
		return ret;
	b->from_firmware = has_div || has_ct || has_burden || has_shunt;
	if (b->from_firmware && !ref->divider) {
		dev_err(dev, "the %s driver has no reference board, so it cannot apply the meterlink,* scaling properties\n",
			chip->name);
		return -EINVAL;
	}
	for (i = 0; !has_div && i < b->nr_v; i++)
		b->divider[i] = ref->divider;
	if (has_ct || has_burden || has_shunt)
		return check_channels(dev, b);
	for (i = 0; i < b->nr_i; i++) {
		b->shunt_uohm[i] = ref->shunt_uohm;
		b->ct[i] = ref->shunt_uohm ? 0 : ref->ct;
		b->burden_uohm[i] = ref->shunt_uohm ? 0 : ref->burden_uohm;
	}
	return 0;
}

/* pin volts per ampere as R / turns (micro-ohms over a count) */
static void transimpedance(u32 shunt, u32 ct, u32 burden, u64 *r, u64 *turns)
{
	*r = shunt ? shunt : burden;
	*turns = shunt ? 1 : ct;
}

static int check_range(struct device *dev, const struct meter_chip *chip,
		       const struct meter_ratio *r, unsigned int p,
		       unsigned int q)
{
	static const char * const what[METER_Q_MAX] = {
		"voltage", "current", "active power", "reactive power",
		"apparent power", "power factor", "frequency",
		"import energy", "export energy",
	};
	bool energy = q == METER_Q_E_IMPORT || q == METER_Q_E_EXPORT;
	unsigned int bits = chip->regs[energy ? METER_Q_E_IMPORT : q].bits;
	u64 limit = energy ? METER_ENERGY_MAX : METER_VALUE_MAX;
	u64 v, rem;

	/* the energy register's width holds one read, whichever direction */
	if (!bits)
		return 0;
	if (energy && r->den > U64_MAX / 1000000)
		goto bad;
	if (meter_mul_div(1ULL << bits, r->num, 0, r->den, &v, &rem) ||
	    v > limit)
		goto bad;
	return 0;
bad:
	dev_err(dev, "board scaling: the %s of phase %u would be %llu/%llu per register count, beyond what the driver can hold; check the meterlink,* properties\n",
		what[q], p, r->num, r->den);
	return -ERANGE;
}

/*
 * Per-phase gains and conversions for @b. Refuses (-EOVERFLOW, -ERANGE)
 * a board whose exact ratios need more than 64 bits or whose full-scale
 * register would convert beyond METER_VALUE_MAX (energy: 2^52 nWh a read).
 */
int meter_scaling_derive(struct device *dev, const struct meter_chip *chip,
			 const struct meter_board *b, struct meter_scaling *s)
{
	const struct meter_ref_board *ref = &chip->ref;
	struct meter_board board = *b;	/* @b may be &s->board */

	memset(s, 0, sizeof(*s));
	s->board = board;
	unsigned int p, q;
	int ret;

	b = &s->board;
	for (p = 0; p < chip->nr_phases; p++) {
		u32 vch = b->nr_v == 1 ? 0 : p;
		u64 r_ref, t_ref, r_b, t_b;

		s->gain_v[p] = unity;
		s->gain_i[p] = unity;
		if (ref->divider) {
			ratio_set(&s->gain_v[p], b->divider[vch], ref->divider);
			transimpedance(ref->shunt_uohm, ref->ct,
				       ref->burden_uohm, &r_ref, &t_ref);
			transimpedance(b->shunt_uohm[p], b->ct[p],
				       b->burden_uohm[p], &r_b, &t_b);
			ratio_set(&s->gain_i[p], r_ref * t_b, t_ref * r_b);
		}
		ret = meter_ratio_mul(&s->gain_p[p], &s->gain_v[p],
				      &s->gain_i[p]);
		for (q = 0; !ret && q < METER_Q_MAX; q++) {
			const struct meter_conv *c = &chip->conv[q];
			struct meter_ratio base, *out = &s->conv[p][q];
			const struct meter_ratio *g = &s->gain_p[p];

			if (!c->den || c->reciprocal)
				continue;
			ratio_set(&base, c->num, c->den);
			if (q == METER_Q_E_IMPORT || q == METER_Q_E_EXPORT)
				ratio_set(&base, (u64)c->num * 1000, c->den);
			if (q == METER_Q_VOLTAGE)
				g = &s->gain_v[p];
			else if (q == METER_Q_CURRENT)
				g = &s->gain_i[p];
			else if (q == METER_Q_PF)
				g = &unity;
			ret = meter_ratio_mul(out, &base, g);
			if (!ret)
				ret = check_range(dev, chip, out, p, q);
		}
		if (ret == -EOVERFLOW)
			dev_err(dev, "board scaling: phase %u needs ratios beyond 64 bits (voltage gain %llu/%llu, current gain %llu/%llu); round the meterlink,* values\n",
				p, s->gain_v[p].num, s->gain_v[p].den,
				s->gain_i[p].num, s->gain_i[p].den);
		if (ret)
			return ret;
	}
	return 0;
}
