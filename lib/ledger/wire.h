/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fixed-width big-endian reader and writer. Every field in the formats has
 * one width, so there is exactly one encoding per value; the reader never
 * reads past the end and remembers the first failure, so decoders check
 * once at the end instead of after every field.
 */
#ifndef ML_WIRE_H
#define ML_WIRE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

struct ml_wr {
	uint8_t *p;
	size_t cap, len;
	int err;
};

struct ml_rd {
	const uint8_t *p;
	size_t len, off;
	int err;
};

static inline void ml_wr_bytes(struct ml_wr *w, const void *src, size_t n)
{
	if (w->err)
		return;
	if (w->cap - w->len < n) {
		w->err = -ENOSPC;
		return;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static inline void ml_wr_uint(struct ml_wr *w, uint64_t v, unsigned int width)
{
	uint8_t b[8];
	unsigned int i;

	for (i = 0; i < width; i++)
		b[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	ml_wr_bytes(w, b, width);
}

#define ml_wr_u8(w, v)	ml_wr_uint(w, v, 1)
#define ml_wr_u16(w, v)	ml_wr_uint(w, v, 2)
#define ml_wr_u32(w, v)	ml_wr_uint(w, v, 4)
#define ml_wr_u64(w, v)	ml_wr_uint(w, v, 8)

static inline const uint8_t *ml_rd_bytes(struct ml_rd *r, void *dst, size_t n)
{
	const uint8_t *at;

	if (r->err)
		return NULL;
	if (r->len - r->off < n) {
		r->err = -EBADMSG;
		return NULL;
	}
	at = r->p + r->off;
	if (dst)
		memcpy(dst, at, n);
	r->off += n;
	return at;
}

static inline uint64_t ml_rd_uint(struct ml_rd *r, unsigned int width)
{
	const uint8_t *b = ml_rd_bytes(r, NULL, width);
	uint64_t v = 0;
	unsigned int i;

	if (!b)
		return 0;
	for (i = 0; i < width; i++)
		v = v << 8 | b[i];
	return v;
}

#define ml_rd_u8(r)	((uint8_t)ml_rd_uint(r, 1))
#define ml_rd_u16(r)	((uint16_t)ml_rd_uint(r, 2))
#define ml_rd_u32(r)	((uint32_t)ml_rd_uint(r, 4))
#define ml_rd_u64(r)	ml_rd_uint(r, 8)

/* Marks the value out of range: the bytes parse but mean nothing valid. */
static inline void ml_rd_require(struct ml_rd *r, int ok)
{
	if (!ok && !r->err)
		r->err = -EINVAL;
}

/* A decoder's last word: everything read, nothing left over. */
static inline int ml_rd_end(struct ml_rd *r)
{
	if (r->err)
		return r->err;
	return r->off == r->len ? 0 : -EBADMSG;
}

#endif
