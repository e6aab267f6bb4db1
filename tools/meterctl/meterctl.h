/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meterctl: what the subcommands share. meterctl.c holds the dispatch
 * table and the error reporting, parse.c the argument parsers (pure, unit
 * tested on the host), format.c the human and JSON renderings (pure too),
 * and one file per subcommand.
 */
#ifndef METERCTL_H
#define METERCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "meterlink.h"

/* Exit statuses; documented in meterctl.8 (EXIT STATUS). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,	/* anything else; the message says what */
	CTL_EXIT_USAGE = 2,	/* bad command line */
	CTL_EXIT_NOMODULE = 3,	/* the meterlink family is not registered */
	CTL_EXIT_PERM = 4,	/* needs CAP_NET_ADMIN */
	CTL_EXIT_NODEV = 5,	/* no such device */
};

#define CTL_NO_DEV	UINT32_MAX

struct ctl {
	bool json;
	const char *cmd;	/* the subcommand being run */
	struct ml *ml;		/* opened by ctl_open() */
};

struct ctl_cmd {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);	/* argv[0] = name */
	const char *args;	/* for usage: "DEV period DURATION ..." */
};

int cmd_list(struct ctl *c, int argc, char **argv);
int cmd_show(struct ctl *c, int argc, char **argv);
int cmd_watch(struct ctl *c, int argc, char **argv);
int cmd_set(struct ctl *c, int argc, char **argv);
int cmd_calibrate(struct ctl *c, int argc, char **argv);
int cmd_stats(struct ctl *c, int argc, char **argv);
int cmd_events(struct ctl *c, int argc, char **argv);

/* ---- meterctl.c ---- */

/* Opens c->ml; on failure prints why and returns the exit status. */
int ctl_open(struct ctl *c);
/*
 * Prints one line for @err (a negative errno from libmeterlink) about device
 * @dev (CTL_NO_DEV: none) and returns the exit status it maps to.
 */
int ctl_fail(struct ctl *c, int err, uint32_t dev);
/* Prints "meterctl: <msg>" and the subcommand's usage; returns 2. */
int ctl_usage(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints @j as one compact line and frees it; false on a write error. */
bool ctl_print_json(json_t *j);
/* Flushes stdout; 0 or CTL_EXIT_FAIL with a message on a write error. */
int ctl_finish(void);
/* Set by SIGINT/SIGTERM while watch or events runs. */
extern volatile int ctl_stop;
void ctl_catch_signals(void);

/* ---- parse.c: 0 or -EINVAL ---- */

/* "meterN" or "N" */
int parse_dev(const char *s, uint32_t *id);
/* "<digits>[.<digits>]<unit>", unit ns, us, ms, s; exact, no overflow */
int parse_duration(const char *s, uint64_t *ns);
/* a decimal count, 1..@max */
int parse_count(const char *s, uint64_t max, uint64_t *n);
/* a decimal index, 0..@max */
int parse_index(const char *s, uint64_t max, uint64_t *n);
/* "[+-]<digits>[ppm]" within +-METERLINK_CALIB_MAX_PPM*10 (the kernel checks the range) */
int parse_ppm(const char *s, int32_t *ppm);
/* "poll" or "irq" */
int parse_mode(const char *s, uint32_t *mode);

/* ---- format.c ---- */

/* "100ms", "1s", "1500us": the largest unit that is exact */
const char *fmt_duration(uint64_t ns, char *buf, size_t len);
const char *fmt_mode(uint32_t mode);
const char *fmt_fault(uint32_t fault);

json_t *fmt_reading_json(uint32_t dev_id, const struct meterlink_reading *r);
void fmt_reading_human(FILE *f, uint32_t dev_id, const struct meterlink_reading *r);
json_t *fmt_loss_json(int64_t dev_id, uint64_t lost, enum ml_loss_kind kind);
void fmt_loss_human(FILE *f, int64_t dev_id, uint64_t lost, enum ml_loss_kind kind);
json_t *fmt_dev_json(const struct ml_dev *d);
void fmt_dev_line(FILE *f, const struct ml_dev *d);	/* one list line */
void fmt_dev_header(FILE *f);
void fmt_dev_human(FILE *f, const struct ml_dev *d);	/* show */
json_t *fmt_stats_json(const struct ml_stats *st);
void fmt_stats_human(FILE *f, const struct ml_stats *st);
json_t *fmt_calib_json(uint32_t dev_id, const struct meterlink_calibration *cal);
void fmt_calib_human(FILE *f, uint32_t dev_id, const struct meterlink_calibration *cal);
json_t *fmt_event_json(const struct ml_event *ev);
void fmt_event_human(FILE *f, const struct ml_event *ev);

#endif /* METERCTL_H */
