/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the meterlink selftests. sim.c: the simulator's debugfs
 * control interface (Documentation/simulator.rst), finding /dev/meterN for a
 * chip select, sysfs attributes, ioctls, reading records. util.c: expected
 * values, time, the kernel log, modules, child processes.
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure; on failure sim_err holds a human readable reason for TH_LOG().
 * None of them uses the harness' ASSERT macros, so they are safe to call in
 * forked children and threads too (sim_err is per thread).
 */
#ifndef METERLINK_SELFTEST_SIM_H
#define METERLINK_SELFTEST_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <linux/meterlink.h>

#define SIM_DIR		"/sys/kernel/debug/meterlink_sim"
#define METER_CLASS	"/sys/class/meter"
#define REC_SIZE	sizeof(struct meterlink_reading)
#define NSEC_PER_MSEC	1000000LL
#define NSEC_PER_SEC	1000000000LL

extern __thread char sim_err[512];

/*
 * Deadline of every wait for a condition (a device to appear or go, a
 * record, a log line, a child): generous, so that only a run that is really
 * stuck reaches it. How long the wait took is never asserted.
 */
#define WAIT_MS		30000

/* Reads a small file, trailing newlines and blanks removed; length or -errno. */
ssize_t sim_read_file(const char *path, char *buf, size_t len);

/*
 * A check for FIXTURE_TEARDOWN(): after a failed ASSERT in the test, the
 * harness leaves its handler trigger set, so "EXPECT_*() TH_LOG()" in the
 * teardown would log even when the check passes. This only logs on failure.
 */
#define TEARDOWN_CHECK(cond, fmt, ...) do {				\
	if (!(cond)) {							\
		TH_LOG("teardown: %s: " fmt, #cond, ##__VA_ARGS__);	\
		_metadata->passed = 0;					\
	}								\
} while (0)

/* ---- simulator (debugfs) ---- */

/* One line of cs<N>/model. */
struct sim_phase {
	uint32_t voltage_uv;
	uint32_t current_ua;
	uint32_t angle_mdeg;	/* 0..359999, 90..270 degrees is export */
	uint32_t freq_mhz;
};

#define ANGLE_PF09	25842U		/* acos(0.9) in millidegrees */
#define ANGLE_EXPORT	180000U

/* 0 if SIM_DIR exists (debugfs mounted and meterlink_sim loaded). */
int sim_present(void);
int sim_bus_num(void);
/* "<chip> <cs> [irq] [as=<emu>]"; @as may be NULL */
int sim_new_device(const char *chip, int cs, bool irq, const char *as);
/* the same with board words ("divider=1001 ct=2000 ..."), @board may be NULL */
int sim_new_device_board(const char *chip, int cs, bool irq, const char *as,
			 const char *board);
/* writes @line to new_device as it is */
int sim_write_new_device(const char *line);
int sim_delete_device(int cs);
/* Writes one model line per phase (one write() each). */
int sim_set_model(int cs, const struct sim_phase *ph, int nr);
/* Writes "<fmt...>" to cs<N>/fault, e.g. sim_fault(0, "spi_error %d", 3). */
int sim_fault(int cs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A counter of cs<N>/stats ("messages", "injected_errors", ...). */
int sim_stat(int cs, const char *name, uint64_t *val);

/* ---- the meter device of a chip select ---- */

struct meter {
	int bus;
	int cs;
	char name[32];		/* "meter0" */
	char dev[64];		/* "/dev/meter0" */
	char sysfs[96];		/* "/sys/class/meter/meter0" */
};

/*
 * Removes any device left at @cs by an earlier (crashed) test, creates a new
 * one ("<chip> <cs> [irq]") and waits (up to WAIT_MS) for
 * /sys/class/meter/meterN and /dev/meterN.
 */
int meter_create(struct meter *m, const char *chip, int cs, bool irq);
/* the same on a board described by new_device's board words (may be NULL) */
int meter_create_board(struct meter *m, const char *chip, int cs, bool irq,
		       const char *board);
/* A register's value from debugfs meterlink/meterN/registers, by name. */
int meter_register(const struct meter *m, const char *reg, uint32_t *val);
/* delete_device; -ENODEV when already gone. Waits for the class entry to go. */
int meter_destroy(struct meter *m);
/* Name ("meterN") of the class device whose parent is spi<bus>.<cs>. */
int meter_find(int bus, int cs, char *name, size_t len);
/* Polls meter_find() up to @timeout_ms (found: 0, else -ENOENT). */
int meter_wait_present(int bus, int cs, char *name, size_t len, int timeout_ms);
/* Polls until no class device for spi<bus>.<cs> exists. */
int meter_wait_absent(int bus, int cs, int timeout_ms);
int meter_open(const struct meter *m, int flags);
int meter_attr(const struct meter *m, const char *attr, char *buf, size_t len);
int meter_attr_u64(const struct meter *m, const char *attr, uint64_t *val);

/* ---- ioctl shortcuts (return 0 or -errno) ---- */

int meter_info(int fd, struct meterlink_info *info);
int meter_stats(int fd, struct meterlink_stats *st);
int meter_set_period(int fd, uint64_t period_ns);
int meter_set_mode(int fd, uint32_t mode);

/* ---- records ---- */

/*
 * Reads up to @max records, waiting at most @timeout_ms for the first one.
 * Returns the number of records (>= 1), 0 on timeout, or -errno. A byte count
 * that is not a whole number of records is an error (-EPROTO).
 */
ssize_t meter_read(int fd, struct meterlink_reading *r, size_t max, int timeout_ms);
/* Reads until exactly @n records are collected or @timeout_ms elapsed. */
ssize_t meter_collect(int fd, struct meterlink_reading *r, size_t n, int timeout_ms);
/*
 * Reads records into @r (at most @max) until the last one is @span_ns (by
 * boottime_ns) after the first, or @timeout_ms elapsed (-ETIMEDOUT).
 */
ssize_t meter_collect_span(int fd, struct meterlink_reading *r, size_t max,
			   int64_t span_ns, int timeout_ms);
/* Discards every record available right now; returns how many. */
ssize_t meter_drain(int fd);
/*
 * Version, size, nr_phases, reserved fields and unknown flag bits of a record.
 * Returns 0 if sane, else -EPROTO with the reason in sim_err.
 */
int rec_check(const struct meterlink_reading *r, unsigned int nr_phases);
/* "IRQ|SPI_ERROR|..." */
const char *rec_flags(uint32_t flags);

/* ---- values ---- */

/* Resolution of one chip, in the record's units, for tolerances. */
struct chip_res {
	double voltage_uv, current_ua, power_mw, pf, freq_mhz, energy_uwh;
};

extern const struct chip_res res_ade7953, res_atm90e32, res_ade9000;

/* |seen - expected| <= 2 * lsb + 0.1 % of |expected| */
bool within(double expected, double seen, double lsb);
/* expected values of a model phase */
double model_active_mw(const struct sim_phase *p);
double model_reactive_mvar(const struct sim_phase *p);
double model_apparent_mva(const struct sim_phase *p);
double model_pf(const struct sim_phase *p);	/* millionths */
/* energy of a model phase over @t_ns, in uWh (import > 0, export < 0) */
double model_energy_uwh(const struct sim_phase *p, int64_t t_ns);

/* ---- energy conservation (timing-free energy checks) ---- */

/* cs<N>/stats energy_{import,export}_nj_p<phase>: what the model delivered */
int sim_energy_nj(int cs, unsigned int phase, bool export, uint64_t *nj);
/*
 * Stops the energy flowing at @cs (the @nr phases of @model with current 0),
 * drains @fd and reads three more records, the last into @last: the driver
 * has then read the chip's energy registers at least twice since they
 * stopped filling, whatever the scheduling.
 */
int energy_stop(int cs, int fd, const struct sim_phase *model, int nr,
		struct meterlink_reading *last);
/*
 * The cumulative energy of @r on @phase against the simulator's totals times
 * @gain (the board's power gain: the simulator integrates what the chip's
 * pins see, in its reference units), with @lsb_uwh one energy count in the
 * record's units. A chip keeps less than one count per register and the
 * driver truncates to whole uWh; a chip with one signed register per phase
 * nets import against export between two reads when the direction changes.
 * So: neither direction has more than the simulator gave (+1 uWh), and
 * import - export is the simulator's within 2 LSB (+2 uWh).
 * Returns 0 or -EPROTO; the four figures in @e (uWh).
 */
struct energy_cmp {
	double got_import, got_export, want_import, want_export;
};

int energy_conserved(int cs, const struct meterlink_reading *r, unsigned int phase,
		     double lsb_uwh, double gain, struct energy_cmp *e);

/* ---- misc ---- */

int64_t now_ns(clockid_t clk);
void sleep_ms(int ms);

/*
 * Kernel log watcher: kmsg_begin() remembers the end of the log and the taint
 * mask; kmsg_find() looks for a new line containing both strings (@b may be
 * NULL), reading new records for up to @timeout_ms; kmsg_problem() returns a
 * new WARNING/BUG/Oops/... line or NULL, also checking new taint bits.
 */
struct kmsg {
	int fd;
	unsigned long taint;
	char *buf;
	size_t len, cap;
};

int kmsg_begin(struct kmsg *k);
const char *kmsg_find(struct kmsg *k, const char *a, const char *b, int timeout_ms);
const char *kmsg_problem(struct kmsg *k);
void kmsg_end(struct kmsg *k);

/* ---- modules ---- */

bool mod_loaded(const char *name);
/* finit_module(); -EEXIST when already loaded */
int mod_load(const char *path);
/* delete_module(O_NONBLOCK), retried while busy for up to @timeout_ms */
int mod_unload(const char *name, int timeout_ms);

/* ---- children ---- */

/* waitpid() with a timeout; returns 0 and the status, or -ETIMEDOUT. */
int wait_child(pid_t pid, int *status, int timeout_ms);
/* The state letter of /proc/<pid>/stat ('S' sleeping, 'R', ...), or 0. */
char proc_state(pid_t pid);

#endif /* METERLINK_SELFTEST_SIM_H */
