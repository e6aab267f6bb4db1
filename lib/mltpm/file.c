// SPDX-License-Identifier: LGPL-2.1-or-later
/* Whole-file reads and crash-safe 0600 writes for the key files. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int mltpm_read_file(struct mltpm *t, const char *path, uint8_t **buf,
		    size_t *len, size_t max)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mltpm_fail(t, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return mltpm_fail(t, err, "%s: %s", path, strerror(-err));
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return mltpm_fail(t, -EBADMSG, "%s: not a regular file of at "
				  "most %zu bytes", path, max);
	}
	*buf = malloc(st.st_size + 1);
	if (!*buf) {
		close(fd);
		return mltpm_fail(t, -ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, *buf + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			close(fd);
			free(*buf);
			*buf = NULL;
			return mltpm_fail(t, err, "%s: read: %s", path,
					  strerror(-err));
		}
		got += n;
	}
	close(fd);
	*len = got;
	return 0;
}

/*
 * Creates @path with @len bytes: a temporary file next to it (mode 0600),
 * synced, then hard-linked to @path and the directory synced, so a crash
 * leaves either nothing or the whole file. link() instead of rename():
 * a key file that appeared meanwhile (another process, a symlink) is never
 * replaced.
 */
int mltpm_write_atomic(struct mltpm *t, const char *path, const void *buf,
		       size_t len)
{
	size_t plen = strlen(path), off = 0;
	char *tmp, *dcopy;
	int fd, dfd, err = 0;
	ssize_t n;

	tmp = malloc(plen + 16);
	dcopy = strdup(path);
	if (!tmp || !dcopy) {
		free(tmp);
		free(dcopy);
		return mltpm_fail(t, -ENOMEM, "out of memory");
	}
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);	/* mode 0600 */
	if (fd < 0) {
		err = mltpm_fail(t, -errno, "%s: cannot create: %s", tmp,
				 strerror(errno));
		goto out;
	}
	while (off < len) {
		n = write(fd, (const uint8_t *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = mltpm_fail(t, -errno, "%s: write: %s", tmp,
					 strerror(errno));
			break;
		}
		off += n;
	}
	if (!err && fsync(fd) < 0)
		err = mltpm_fail(t, -errno, "%s: fsync: %s", tmp,
				 strerror(errno));
	if (close(fd) < 0 && !err)
		err = mltpm_fail(t, -errno, "%s: close: %s", tmp,
				 strerror(errno));
	if (!err && link(tmp, path) < 0)
		err = mltpm_fail(t, -errno, "%s: cannot create: %s%s", path,
				 strerror(errno), errno == EEXIST ?
				 " (appeared meanwhile; not replaced)" : "");
	unlink(tmp);
	if (err)
		goto out;
	dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0)
			err = mltpm_fail(t, -errno, "%s: directory fsync: %s",
					 path, strerror(errno));
		close(dfd);
	}
out:
	free(tmp);
	free(dcopy);
	return err;
}
