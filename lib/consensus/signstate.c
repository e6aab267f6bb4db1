// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The sign state: what this validator signed last, and the block it is
 * prepared on, durable before any vote leaves the process. A validator
 * that forgot either could sign twice at one height after a crash (the
 * equivocation-after-restart failures in the research notes, section 2.6).
 *
 * One small file, replaced atomically: write a temporary file, fsync it,
 * rename it over the old one, fsync the directory. It ends in a checksum;
 * a file that is short, long or altered is refused, never guessed at.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <sys/stat.h>

#include "consensus.h"
#include "wire.h"

#define MAGIC		"MLSS"
#define SS_VERSION	1
#define DOMAIN_SS	"meterlink-signstate-v1"
#define FIXED_LEN	(4 + 1 + 8 + 4 + 1 + 32 + 4 + 32 + 2 + 4 + 32)
#define MAX_FILE	(FIXED_LEN + ML_CS_MAX_VALIDATORS * 96 + ML_MAX_BLOCK_BYTES)

static void checksum(const uint8_t *p, size_t n, uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)DOMAIN_SS,
				  strlen(DOMAIN_SS));
	crypto_generichash_update(&st, p, n);
	crypto_generichash_final(&st, out, 32);
}

void ml_cs_signstate_free(struct ml_cs_signstate *s)
{
	free(s->prep);
	free(s->block);
	s->prep = NULL;
	s->block = NULL;
	s->nprep = 0;
	s->block_len = 0;
}

static int parse(const uint8_t *buf, size_t len, struct ml_cs_signstate *out)
{
	struct ml_rd r = { .p = buf, .len = len - 32 };
	struct ml_cs_signstate s = { 0 };
	uint8_t sum[32], magic[4] = { 0 };
	uint16_t i;
	int ret;

	if (len < FIXED_LEN)
		return -EUCLEAN;
	checksum(buf, len - 32, sum);
	if (memcmp(sum, buf + len - 32, 32))
		return -EUCLEAN;
	ml_rd_bytes(&r, magic, 4);
	ml_rd_require(&r, !memcmp(magic, MAGIC, 4));
	ml_rd_require(&r, ml_rd_u8(&r) == SS_VERSION);
	s.height = ml_rd_u64(&r);
	s.round = ml_rd_u32(&r);
	s.step = ml_rd_u8(&r);
	ml_rd_bytes(&r, s.hash, 32);
	s.pr = ml_rd_u32(&r);
	ml_rd_bytes(&r, s.ph, 32);
	s.nprep = ml_rd_u16(&r);
	ml_rd_require(&r, s.step <= ML_CS_STEP_COMMIT &&
		      s.nprep <= ML_CS_MAX_VALIDATORS);
	if (!r.err && s.nprep) {
		s.prep = calloc(s.nprep, sizeof(*s.prep));
		if (!s.prep)
			return -ENOMEM;
	}
	for (i = 0; i < s.nprep; i++) {
		ml_rd_bytes(&r, s.prep[i].sender, 32);
		ml_rd_bytes(&r, s.prep[i].sig, 64);
	}
	s.block_len = ml_rd_u32(&r);
	ml_rd_require(&r, r.err || s.block_len <= r.len - r.off);
	if (!r.err && s.block_len) {
		s.block = malloc(s.block_len);
		if (!s.block)
			r.err = -ENOMEM;
		ml_rd_bytes(&r, s.block, s.block_len);
	}
	ret = ml_rd_end(&r);
	if (ret) {
		ml_cs_signstate_free(&s);
		return ret == -ENOMEM ? ret : -EUCLEAN;
	}
	*out = s;
	return 0;
}

int ml_cs_signstate_load(const char *path, struct ml_cs_signstate *s)
{
	uint8_t *buf;
	struct stat st;
	ssize_t got;
	size_t off = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < FIXED_LEN || st.st_size > MAX_FILE) {
		close(fd);
		return -EUCLEAN;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		got = read(fd, buf + off, (size_t)st.st_size - off);
		if (got <= 0)
			break;
		off += (size_t)got;
	}
	close(fd);
	ret = off == (size_t)st.st_size ? parse(buf, off, s) : -EIO;
	free(buf);
	return ret;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int ml_cs_signstate_store(const char *path, const struct ml_cs_signstate *s)
{
	size_t cap = FIXED_LEN + (size_t)s->nprep * 96 + s->block_len;
	struct ml_wr w = { .cap = cap };
	char tmp[4096];
	uint16_t i;
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	w.p = malloc(cap);
	if (!w.p)
		return -ENOMEM;
	ml_wr_bytes(&w, MAGIC, 4);
	ml_wr_u8(&w, SS_VERSION);
	ml_wr_u64(&w, s->height);
	ml_wr_u32(&w, s->round);
	ml_wr_u8(&w, s->step);
	ml_wr_bytes(&w, s->hash, 32);
	ml_wr_u32(&w, s->pr);
	ml_wr_bytes(&w, s->ph, 32);
	ml_wr_u16(&w, s->nprep);
	for (i = 0; i < s->nprep; i++) {
		ml_wr_bytes(&w, s->prep[i].sender, 32);
		ml_wr_bytes(&w, s->prep[i].sig, 64);
	}
	ml_wr_u32(&w, s->block_len);
	if (s->block_len)
		ml_wr_bytes(&w, s->block, s->block_len);
	if (!w.err && w.cap - w.len >= 32) {
		checksum(w.p, w.len, w.p + w.len);
		w.len += 32;
	} else if (!w.err) {
		w.err = -ENOSPC;
	}
	ret = w.err;
	if (ret)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = write_all(fd, w.p, w.len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	ret = ret ? ret : fsync_dir(path);
	if (ret)
		unlink(tmp);
out:
	free(w.p);
	return ret;
}

int ml_cs_signstate_allows(const struct ml_cs_signstate *s, uint64_t height,
			   uint32_t round, uint8_t step,
			   const uint8_t hash[ML_HASH_LEN])
{
	if (height != s->height)
		return height > s->height ? 0 : -EPERM;
	if (round != s->round)
		return round > s->round ? 0 : -EPERM;
	if (step < s->step)
		return -EPERM;
	/* one block per round: what we proposed, prepared or committed */
	if (step > s->step && s->step < ML_CS_STEP_PROPOSAL)
		return 0;
	return memcmp(hash, s->hash, ML_HASH_LEN) ? -EPERM : 0;
}
