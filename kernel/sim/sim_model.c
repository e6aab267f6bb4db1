// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink_sim: the physical model. RMS voltage, RMS current, the angle
 * between them and the line frequency give active, reactive and apparent
 * power; energy is their integral over real time, handed to the emulator
 * as it flows so that each chip can fill its own registers.
 */
#include <linux/bug.h>
#include <linux/fixp-arith.h>
#include <linux/math64.h>

#include "sim.h"

/* fixp_sin32_rad() takes at most 2^18 steps a turn: 1/640 degree */
#define SIM_TWOPI	230400
#define SIM_CHUNK_NS	(50 * NSEC_PER_MSEC)	/* keeps uW*ns in 64 bits */

s64 sim_div_round(s64 x, s64 d)
{
	return div64_s64(x + (x < 0 ? -d / 2 : d / 2), d);
}

void sim_values(struct sim_chip *c, unsigned int phase, struct sim_values *v)
{
	const struct sim_phase *ph = &c->model[phase];
	unsigned int vch = c->emul->shared_voltage ? 0 : phase;
	const struct sim_phase *vp = &c->model[vch];
	u32 rad = ph->angle_mdeg * 16 / 25;

	/* through the board: what the chip's pins see, in reference units */
	v->v_uv = sim_board_scale(vp->v_uv, c->v_q32[vch]);
	v->f_mhz = vp->f_mhz;
	v->i_ua = sim_board_scale(ph->i_ua, c->i_q32[phase]);
	v->cos_q24 = fixp_cos32_rad(rad, SIM_TWOPI) >> 7;
	v->sin_q24 = fixp_sin32_rad(rad, SIM_TWOPI) >> 7;
	v->s_uw = div_u64((u64)v->v_uv * v->i_ua, 1000000);
	v->p_uw = (v->s_uw * v->cos_q24) >> 24;
	v->q_uw = (v->s_uw * v->sin_q24) >> 24;
}

/* Integrates power from the last call up to now. Called with c->lock held. */
void sim_advance(struct sim_chip *c)
{
	ktime_t now = ktime_get();
	s64 dt = ktime_to_ns(ktime_sub(now, c->last));
	unsigned int p;

	c->last = now;
	if (dt <= 0)
		return;
	for (p = 0; p < c->emul->nr_phases; p++) {
		struct sim_values v;
		bool exp;
		u64 pw, nj = 0;
		s64 left;

		sim_values(c, p, &v);
		if (!v.p_uw)
			continue;
		exp = v.p_uw < 0;
		pw = exp ? -v.p_uw : v.p_uw;
		for (left = dt; left > 0; left -= SIM_CHUNK_NS) {
			u64 x = pw * min_t(s64, left, SIM_CHUNK_NS) +
				c->rem[p][exp];
			u64 r;

			nj += div64_u64_rem(x, 1000000, &r);
			c->rem[p][exp] = r;
		}
		c->energy_nj[p][exp] += nj;
		c->emul->energy(c, p, exp, nj);
	}
}
