// SPDX-License-Identifier: GPL-2.0
/*
 * nl_history: the READINGS dump (ml_readings_get), against /dev/meterN.
 *
 *   nl_history ID /dev/meterN   (device polling at a short period)
 *       from a seq: exactly the records the character device returned for
 *       those seqs, byte for byte, then consecutive ones up to the newest;
 *       from 0 after the ring wrapped: the oldest record still held, never
 *       an overwritten one; a seq beyond the next record and an unknown
 *       device are refused with a message; a callback's value stops it
 *   nl_history unpriv ID        (without CAP_NET_ADMIN) EPERM
 *
 * Prints "PASS ..." or "FAIL ..." lines for tests/netlink/run.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "meterlink.h"

#define DEADLINE_S	60
#define NREC		8

static int failed;

static void result(bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void result(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s (", ok ? "PASS" : "FAIL", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	failed |= !ok;
}

struct got {
	struct meterlink_reading *r;
	size_t n, cap;
	int stop_after;		/* 0: never */
};

static int collect(void *ctx, const struct meterlink_reading *r)
{
	struct got *g = ctx;

	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 256;
		struct meterlink_reading *p = realloc(g->r, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		g->r = p;
		g->cap = cap;
	}
	g->r[g->n++] = *r;
	return g->stop_after && (int)g->n == g->stop_after ? 7 : 0;
}

static bool consecutive(const struct got *g)
{
	size_t i;

	for (i = 1; i < g->n; i++)
		if (g->r[i].seq != g->r[i - 1].seq + 1)
			return false;
	return true;
}

/* The newest record's seq, by reading the character device (blocking). */
static int newest(int fd, uint64_t *seq)
{
	struct meterlink_reading r[64];
	ssize_t n;

	n = read(fd, r, sizeof(r));
	if (n < (ssize_t)sizeof(r[0]))
		return -1;
	*seq = r[n / sizeof(r[0]) - 1].seq;
	return 0;
}

static int history(struct ml *ml, uint32_t id, const char *path)
{
	struct meterlink_reading dev[NREC];
	struct meterlink_info info;
	struct got g = { 0 };
	uint64_t head = 0;
	time_t start;
	size_t i;
	int fd, ret;

	fd = open(path, O_RDONLY);
	if (fd < 0 || ioctl(fd, METER_IOC_GET_INFO, &info)) {
		result(false, "open the device", "%s: %s", path, strerror(errno));
		return 1;
	}
	for (i = 0; i < NREC; i++)
		if (read(fd, &dev[i], sizeof(dev[i])) != sizeof(dev[i])) {
			result(false, "read records from the device", "%s", strerror(errno));
			return 1;
		}

	ret = ml_readings_get(ml, id, dev[0].seq, collect, &g);
	result(!ret && g.n >= NREC && g.r[0].seq == dev[0].seq && consecutive(&g),
	       "the dump from a seq starts there and is consecutive",
	       "ret %d, %zu records from seq %llu, asked %llu", ret, g.n,
	       g.n ? (unsigned long long)g.r[0].seq : 0ULL, (unsigned long long)dev[0].seq);
	for (i = 0; !ret && i < NREC && i < g.n; i++)
		if (memcmp(&g.r[i], &dev[i], sizeof(dev[i])))
			break;
	result(!ret && i == NREC, "dumped records are the device's, byte for byte",
	       "%zu of %d equal", i, NREC);

	/* wait for the ring to wrap well past its size */
	start = time(NULL);
	while (!newest(fd, &head) && head < 2ULL * info.ring_records &&
	       time(NULL) - start < DEADLINE_S)
		;
	result(head >= 2ULL * info.ring_records, "the ring wrapped",
	       "newest seq %llu, ring of %u", (unsigned long long)head, info.ring_records);
	g.n = 0;
	ret = ml_readings_get(ml, id, 0, collect, &g);
	result(!ret && g.n && g.r[0].seq > 0 && g.r[0].seq + info.ring_records > head &&
	       g.n <= info.ring_records && consecutive(&g),
	       "after a wrap the dump from 0 starts at the oldest record held",
	       "ret %d, %zu records from seq %llu; newest before %llu", ret, g.n,
	       g.n ? (unsigned long long)g.r[0].seq : 0ULL, (unsigned long long)head);

	newest(fd, &head);
	g.n = 0;
	ret = ml_readings_get(ml, id, head + 1000, collect, &g);
	result(ret == -EINVAL && !g.n && strstr(ml_last_error_msg(ml), "no record with this seq"),
	       "a seq beyond the next record is EINVAL", "ret %d, \"%s\"", ret,
	       ml_last_error_msg(ml));
	ret = ml_readings_get(ml, 99999, 0, collect, &g);
	result(ret == -ENODEV && *ml_last_error_msg(ml), "an unknown device is ENODEV",
	       "ret %d, \"%s\"", ret, ml_last_error_msg(ml));
	g.n = 0;
	g.stop_after = 3;
	ret = ml_readings_get(ml, id, 0, collect, &g);
	result(ret == 7 && g.n == 3, "the callback's value stops the dump",
	       "ret %d after %zu records", ret, g.n);
	free(g.r);
	close(fd);
	return failed;
}

int main(int argc, char **argv)
{
	struct got g = { 0 };
	struct ml *ml;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: nl_history ID /dev/meterN | unpriv ID\n");
		return 2;
	}
	ret = ml_open(&ml);
	if (ret) {
		printf("FAIL ml_open: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[1], "unpriv")) {
		ret = ml_readings_get(ml, strtoul(argv[2], NULL, 0), 0, collect, &g);
		result(ret == -EPERM && !g.n, "the readings dump without CAP_NET_ADMIN is EPERM",
		       "ret %d", ret);
		ret = failed;
	} else {
		ret = history(ml, strtoul(argv[1], NULL, 0), argv[2]);
	}
	ml_close(ml);
	return ret ? 1 : 0;
}
