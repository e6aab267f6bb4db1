// SPDX-License-Identifier: GPL-2.0
/*
 * nl_dump_churn SECONDS: dumps the device list over and over while
 * something else (run.sh) adds and removes simulated devices. Every list
 * must be whole: no device twice, every device with all its attributes,
 * names and phase counts that fit the chip, one generation throughout
 * (libmeterlink restarts interrupted dumps; -EAGAIN after
 * ML_DUMP_RETRIES is counted and must stay rare). Also looks up single
 * devices as they come and go: a device is there whole or ENODEV.
 * Prints PASS/FAIL lines.
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meterlink.h"

static bool whole(const struct ml_dev *d, char *why, size_t len)
{
	char name[32];
	uint32_t want = !strcmp(d->chip, "ade7953") ? 2 :
			!strcmp(d->chip, "atm90e32") || !strcmp(d->chip, "ade9000") ? 3 : 0;

	snprintf(name, sizeof(name), "meter%u", d->id);
	if (strcmp(d->name, name))
		snprintf(why, len, "name %s for id %u", d->name, d->id);
	else if (!want || d->nr_phases != want)
		snprintf(why, len, "%s: chip '%s' with %u phases", d->name, d->chip, d->nr_phases);
	else if (strncmp(d->bus_id, "spi", 3) || !d->period_ns || !d->batch_count ||
		 !d->max_period_ns || d->min_period_ns > d->max_period_ns)
		snprintf(why, len, "%s: bus '%s' period %" PRIu64 " batch %u", d->name,
			 d->bus_id, d->period_ns, d->batch_count);
	else
		return true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned long lists = 0, eagain = 0, bad = 0, gets = 0, gone = 0, sizes[8] = { 0 };
	char why[160] = "";
	struct ml_dev *devs, d;
	struct timespec ts;
	struct ml *ml;
	time_t end;
	size_t n, i, j;
	int ret;

	if (argc != 2 || ml_open(&ml)) {
		fprintf(stderr, "usage: nl_dump_churn SECONDS (with meterlink loaded)\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + atoi(argv[1]);
	do {
		ret = ml_dev_list(ml, &devs, &n);
		if (ret == -EAGAIN) {
			eagain++;
		} else if (ret) {
			snprintf(why, sizeof(why), "ml_dev_list: %s (%s)", strerror(-ret),
				 ml_last_error_msg(ml));
			bad++;
		} else {
			lists++;
			sizes[n < 7 ? n : 7]++;
			for (i = 0; i < n; i++) {
				if (!whole(&devs[i], why, sizeof(why)))
					bad++;
				for (j = 0; j < i; j++)
					if (devs[j].id == devs[i].id) {
						snprintf(why, sizeof(why), "meter%u twice", devs[i].id);
						bad++;
					}
				if (devs[i].generation != devs[0].generation) {
					snprintf(why, sizeof(why), "two generations in one list");
					bad++;
				}
			}
			/* a device just listed: whole, or gone (ENODEV) */
			for (i = 0; i < n; i++) {
				ret = ml_dev_get(ml, devs[i].id, &d);
				gets++;
				if (ret == -ENODEV)
					gone++;
				else if (ret || !whole(&d, why, sizeof(why)))
					bad++;
			}
			free(devs);
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while (ts.tv_sec < end);

	printf("# %lu lists (sizes 0..7+: %lu %lu %lu %lu %lu %lu %lu %lu), %lu EAGAIN, "
	       "%lu lookups, %lu of them gone\n", lists, sizes[0], sizes[1], sizes[2],
	       sizes[3], sizes[4], sizes[5], sizes[6], sizes[7], eagain, gets, gone);
	printf("%s every list and lookup during churn was whole%s%s\n", bad ? "FAIL" : "PASS",
	       bad ? ": " : "", bad ? why : "");
	for (i = 0, j = 0; i < 8; i++)
		j += sizes[i] != 0;
	printf("%s lists of %zu different sizes were seen, so devices did come and go\n",
	       j >= 2 && lists > 50 ? "PASS" : "FAIL", j);
	printf("%s interrupted dumps were rare enough to retry (%lu EAGAIN of %lu)\n",
	       eagain * 10 <= lists ? "PASS" : "FAIL", eagain, lists);
	ml_close(ml);
	return bad || eagain * 10 > lists || j < 2 || lists <= 50;
}
