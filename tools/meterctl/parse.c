// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsers. Strict: the whole string must be used, no signs where
 * none belong, no silent wrap-around.
 */
#include <errno.h>
#include <string.h>

#include "meterctl.h"

static int digits(const char **s, uint64_t *v, unsigned int *nr)
{
	uint64_t x = 0;
	unsigned int n = 0;

	while (**s >= '0' && **s <= '9') {
		unsigned int d = (unsigned int)(*(*s)++ - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
		n++;
	}
	*v = x;
	*nr = n;
	return 0;
}

int parse_dev(const char *s, uint32_t *id)
{
	unsigned int n;
	uint64_t v;

	if (!strncmp(s, "meter", 5))
		s += 5;
	if (digits(&s, &v, &n) || !n || *s || v >= CTL_NO_DEV)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

int parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *name; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	uint64_t whole, frac = 0, scale = 1, unit = 0, v;
	unsigned int n, nf = 0, i;

	if (digits(&s, &whole, &n) || !n)
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (digits(&s, &frac, &nf) || !nf || nf > 9)
			return -EINVAL;
		for (i = 0; i < nf; i++)
			scale *= 10;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(s, units[i].name))
			unit = units[i].ns;
	if (!unit || whole > UINT64_MAX / unit)
		return -EINVAL;
	v = whole * unit;
	/* a fraction must come out in whole nanoseconds */
	if (frac * unit % scale)
		return -EINVAL;
	if (v > UINT64_MAX - frac * unit / scale)
		return -EINVAL;
	*ns = v + frac * unit / scale;
	return 0;
}

int parse_count(const char *s, uint64_t max, uint64_t *n)
{
	unsigned int nd;
	uint64_t v;

	if (digits(&s, &v, &nd) || !nd || *s || !v || v > max)
		return -EINVAL;
	*n = v;
	return 0;
}

int parse_index(const char *s, uint64_t max, uint64_t *n)
{
	unsigned int nd;
	uint64_t v;

	if (digits(&s, &v, &nd) || !nd || *s || v > max)
		return -EINVAL;
	*n = v;
	return 0;
}

int parse_ppm(const char *s, int32_t *ppm)
{
	bool neg = false;
	unsigned int n;
	uint64_t v;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (digits(&s, &v, &n) || !n || (*s && strcmp(s, "ppm")) ||
	    v > 10ULL * METERLINK_CALIB_MAX_PPM)
		return -EINVAL;
	*ppm = neg ? -(int32_t)v : (int32_t)v;
	return 0;
}

int parse_mode(const char *s, uint32_t *mode)
{
	if (!strcmp(s, "poll"))
		*mode = METERLINK_MODE_POLL;
	else if (!strcmp(s, "irq"))
		*mode = METERLINK_MODE_IRQ;
	else
		return -EINVAL;
	return 0;
}
