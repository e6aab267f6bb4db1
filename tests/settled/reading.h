/* SPDX-License-Identifier: GPL-2.0 */
/* A one-phase reading for the unit tests. */
#ifndef SETTLED_TEST_READING_H
#define SETTLED_TEST_READING_H

#include <string.h>
#include <linux/meterlink.h>

static inline struct meterlink_reading mk(uint64_t seq, int64_t t_ns, uint64_t imp,
					  uint64_t exp, int64_t mw, uint32_t flags)
{
	struct meterlink_reading r;

	memset(&r, 0, sizeof(r));
	r.version = METERLINK_READING_VERSION;
	r.size = sizeof(r);
	r.flags = flags;
	r.seq = seq;
	r.realtime_ns = t_ns;
	r.nr_phases = 1;
	r.phase[0].energy_import_uwh = imp;
	r.phase[0].energy_export_uwh = exp;
	r.phase[0].active_mw = mw;
	return r;
}

#endif
