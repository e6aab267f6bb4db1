// SPDX-License-Identifier: GPL-2.0
/*
 * meterdump: print the readings of a meter as they arrive.
 *
 *   meterdump [-n COUNT] [DEVICE]      DEVICE defaults to /dev/meter0
 *
 * A small reader for the demo and for administrators until meterctl lands:
 * one line per record and phase, and a warning when sequence numbers show
 * lost records.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/meterlink.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: meterdump [-n COUNT] [DEVICE]\n");
}

static void print_record(const struct meterlink_reading *r)
{
	unsigned int p;

	for (p = 0; p < r->nr_phases && p < METERLINK_MAX_PHASES; p++) {
		const struct meterlink_phase *ph = &r->phase[p];

		printf("seq %-8" PRIu64 " t %" PRId64 ".%09" PRId64 " +-%-7u ph %u "
		       "%8.3f V %7.3f A %10.3f W %6.3f PF %7.3f Hz "
		       "import %12.6f Wh export %12.6f Wh%s%s%s\n",
		       (uint64_t)r->seq, (int64_t)(r->realtime_ns / 1000000000),
		       (int64_t)(r->realtime_ns % 1000000000), r->uncertainty_ns, p,
		       ph->voltage_uv / 1e6, ph->current_ua / 1e6,
		       ph->active_mw / 1e3, ph->power_factor / 1e6,
		       ph->frequency_mhz / 1e3, ph->energy_import_uwh / 1e6,
		       ph->energy_export_uwh / 1e6,
		       r->flags & METERLINK_F_IRQ ? " irq" : "",
		       r->flags & (METERLINK_F_SPI_ERROR | METERLINK_F_INVALID) ?
		       " INVALID" : "",
		       r->flags & METERLINK_F_CORRECTED ? " corrected" : "");
	}
}

int main(int argc, char **argv)
{
	const char *path = "/dev/meter0";
	struct meterlink_reading r;
	struct meterlink_info info;
	long count = -1, n = 0;
	uint64_t next = 0;
	int opt, fd;

	while ((opt = getopt(argc, argv, "hn:")) != -1) {
		switch (opt) {
		case 'n':
			count = strtol(optarg, NULL, 10);
			if (count <= 0) {
				fprintf(stderr, "meterdump: -n takes a positive count\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "meterdump: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ? " (is meterlink.ko loaded and a meter present?)" :
			errno == EACCES ? " (are you in group meter?)" : "");
		return 1;
	}
	if (ioctl(fd, METER_IOC_GET_INFO, &info)) {
		fprintf(stderr, "meterdump: %s: not a meter: %s\n", path,
			strerror(errno));
		return 1;
	}
	printf("%s: %s, %u phase(s), %s mode, period %.3f s\n", path, info.name,
	       info.nr_phases, info.mode == METERLINK_MODE_IRQ ? "irq" : "poll",
	       info.period_ns / 1e9);
	while (count < 0 || n < count) {
		ssize_t len = read(fd, &r, sizeof(r));

		if (len != sizeof(r)) {
			fprintf(stderr, "meterdump: %s: read: %s\n", path,
				len < 0 ? strerror(errno) : "short record");
			return 1;
		}
		if (n && r.seq != next)
			fprintf(stderr, "meterdump: lost %" PRIu64 " record(s)\n",
				(uint64_t)(r.seq - next));
		next = r.seq + 1;
		print_record(&r);
		fflush(stdout);
		n++;
	}
	close(fd);
	return 0;
}
