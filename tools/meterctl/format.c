// SPDX-License-Identifier: GPL-2.0
/*
 * Human and JSON renderings. JSON carries the record's integers exactly,
 * in the record's units (field names say which); human output scales them
 * to V, A, W, Wh... with integer arithmetic, so nothing is rounded twice.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meterctl.h"

/* ---- names ---- */

const char *fmt_mode(uint32_t mode)
{
	switch (mode) {
	case METERLINK_MODE_POLL: return "poll";
	case METERLINK_MODE_IRQ: return "irq";
	default: return "unknown";
	}
}

const char *fmt_fault(uint32_t fault)
{
	static const char *const names[] = {
		[METERLINK_FAULT_UNSPEC] = "unspec",
		[METERLINK_FAULT_SPI] = "spi",
		[METERLINK_FAULT_CORRUPT] = "corrupt",
		[METERLINK_FAULT_IRQ_STORM] = "irq-storm",
		[METERLINK_FAULT_IRQ_LOST] = "irq-lost",
	};

	return fault < __METERLINK_FAULT_MAX ? names[fault] : "unknown";
}

static const char *const flag_names[] = {
	"irq", "spi_error", "corrected", "missed", "irq_fault", "invalid",
};

static json_t *flags_json(uint32_t flags)
{
	json_t *a = json_array();
	char buf[16];
	unsigned int i;

	for (i = 0; i < 32; i++) {
		if (!(flags & (1U << i)))
			continue;
		if (i < sizeof(flag_names) / sizeof(flag_names[0])) {
			json_array_append_new(a, json_string(flag_names[i]));
		} else {
			snprintf(buf, sizeof(buf), "0x%x", 1U << i);
			json_array_append_new(a, json_string(buf));
		}
	}
	return a;
}

static void flags_human(FILE *f, uint32_t flags)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < 32; i++) {
		if (!(flags & (1U << i)))
			continue;
		if (i < sizeof(flag_names) / sizeof(flag_names[0]))
			fprintf(f, "%s%s", sep, flag_names[i]);
		else
			fprintf(f, "%s0x%x", sep, 1U << i);
		sep = ",";
	}
	if (!*sep)
		fputc('-', f);
}

/* ---- numbers ---- */

/*
 * @v / 10^@shift with @keep decimals, rounded half away from zero:
 * fixed(230001499, 6, 3) is "230.001".
 */
static const char *fixed(int64_t v, unsigned int shift, unsigned int keep,
			 char *buf, size_t len)
{
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v, div = 1, unit = 1;
	unsigned int i;

	for (i = 0; i < shift - keep; i++)
		div *= 10;
	for (i = 0; i < keep; i++)
		unit *= 10;
	a = (a + div / 2) / div;
	if (keep)
		snprintf(buf, len, "%s%" PRIu64 ".%0*" PRIu64, v < 0 && a ? "-" : "",
			 a / unit, (int)keep, a % unit);
	else
		snprintf(buf, len, "%s%" PRIu64, v < 0 && a ? "-" : "", a);
	return buf;
}

const char *fmt_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns && ns % 1000000000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", ns / 1000000000);
	else if (ns && ns % 1000000 == 0)
		snprintf(buf, len, "%" PRIu64 "ms", ns / 1000000);
	else if (ns && ns % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "us", ns / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	return buf;
}

/* json_int_t is signed 64-bit: counters beyond that would need a bignum */
static json_t *ju64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static char *dev_name(uint32_t id, char *buf, size_t len)
{
	snprintf(buf, len, "meter%" PRIu32, id);
	return buf;
}

/* ---- readings ---- */

static void rfc3339(int64_t ns, char *buf, size_t len, bool utc)
{
	time_t t = (time_t)(ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000);
	long frac = (long)(ns - (int64_t)t * 1000000000);
	struct tm tm;
	size_t n;

	if (utc)
		gmtime_r(&t, &tm);
	else
		localtime_r(&t, &tm);
	n = strftime(buf, len, utc ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
	if (utc)
		snprintf(buf + n, len - n, ".%09ldZ", frac);
	else
		snprintf(buf + n, len - n, ".%03ld", frac / 1000000);
}

json_t *fmt_reading_json(uint32_t dev_id, const struct meterlink_reading *r)
{
	json_t *o = json_object(), *phases = json_array();
	char name[24], t[48];
	uint32_t i;

	rfc3339(r->realtime_ns, t, sizeof(t), true);
	json_object_set_new(o, "type", json_string("reading"));
	json_object_set_new(o, "dev", json_string(dev_name(dev_id, name, sizeof(name))));
	json_object_set_new(o, "id", json_integer(dev_id));
	json_object_set_new(o, "seq", ju64(r->seq));
	json_object_set_new(o, "time", json_string(t));
	json_object_set_new(o, "realtime_ns", json_integer(r->realtime_ns));
	json_object_set_new(o, "boottime_ns", json_integer(r->boottime_ns));
	json_object_set_new(o, "uncertainty_ns", json_integer(r->uncertainty_ns));
	json_object_set_new(o, "flags", flags_json(r->flags));
	for (i = 0; i < r->nr_phases && i < METERLINK_MAX_PHASES; i++) {
		const struct meterlink_phase *p = &r->phase[i];
		json_t *ph = json_object();

		json_object_set_new(ph, "voltage_uv", json_integer(p->voltage_uv));
		json_object_set_new(ph, "current_ua", json_integer(p->current_ua));
		json_object_set_new(ph, "active_mw", json_integer(p->active_mw));
		json_object_set_new(ph, "reactive_mvar", json_integer(p->reactive_mvar));
		json_object_set_new(ph, "apparent_mva", json_integer(p->apparent_mva));
		json_object_set_new(ph, "power_factor", json_integer(p->power_factor));
		json_object_set_new(ph, "frequency_mhz", json_integer(p->frequency_mhz));
		json_object_set_new(ph, "energy_import_uwh", ju64(p->energy_import_uwh));
		json_object_set_new(ph, "energy_export_uwh", ju64(p->energy_export_uwh));
		json_array_append_new(phases, ph);
	}
	json_object_set_new(o, "phases", phases);
	return o;
}

void fmt_reading_human(FILE *f, uint32_t dev_id, const struct meterlink_reading *r)
{
	char t[48], b[9][48], u[24];
	uint32_t i;

	rfc3339(r->realtime_ns, t, sizeof(t), false);
	fprintf(f, "meter%" PRIu32 " seq %" PRIu64 " %s +%s ", dev_id, (uint64_t)r->seq, t,
		fmt_duration(r->uncertainty_ns, u, sizeof(u)));
	flags_human(f, r->flags);
	fputc('\n', f);
	for (i = 0; i < r->nr_phases && i < METERLINK_MAX_PHASES; i++) {
		const struct meterlink_phase *p = &r->phase[i];

		fprintf(f, "  phase %" PRIu32 ": %s V  %s A  %s W  %s var  %s VA  pf %s  %s Hz"
			"  import %s Wh  export %s Wh\n", i,
			fixed(p->voltage_uv, 6, 3, b[0], sizeof(b[0])),
			fixed(p->current_ua, 6, 3, b[1], sizeof(b[1])),
			fixed(p->active_mw, 3, 3, b[2], sizeof(b[2])),
			fixed(p->reactive_mvar, 3, 3, b[3], sizeof(b[3])),
			fixed(p->apparent_mva, 3, 3, b[4], sizeof(b[4])),
			fixed(p->power_factor, 6, 3, b[5], sizeof(b[5])),
			fixed(p->frequency_mhz, 3, 3, b[6], sizeof(b[6])),
			fixed((int64_t)p->energy_import_uwh, 6, 6, b[7], sizeof(b[7])),
			fixed((int64_t)p->energy_export_uwh, 6, 6, b[8], sizeof(b[8])));
	}
}

json_t *fmt_loss_json(int64_t dev_id, uint64_t lost, enum ml_loss_kind kind)
{
	json_t *o = json_object();
	char name[24];

	json_object_set_new(o, "type", json_string("loss"));
	json_object_set_new(o, "kind", json_string(kind == ML_LOSS_GAP ? "gap" : "enobufs"));
	if (dev_id < 0) {
		json_object_set_new(o, "dev", json_null());
		json_object_set_new(o, "id", json_null());
		json_object_set_new(o, "lost", json_null());
	} else {
		json_object_set_new(o, "dev", json_string(dev_name((uint32_t)dev_id, name,
								   sizeof(name))));
		json_object_set_new(o, "id", json_integer(dev_id));
		json_object_set_new(o, "lost", ju64(lost));
	}
	return o;
}

void fmt_loss_human(FILE *f, int64_t dev_id, uint64_t lost, enum ml_loss_kind kind)
{
	if (dev_id < 0)
		fprintf(f, "LOST readings: the receive queue overflowed (counts per meter follow)\n");
	else if (kind == ML_LOSS_GAP)
		fprintf(f, "meter%" PRId64 " LOST %" PRIu64 " readings: the kernel could not "
			"deliver them\n", dev_id, lost);
	else
		fprintf(f, "meter%" PRId64 " LOST %" PRIu64 " readings: the receive queue "
			"overflowed\n", dev_id, lost);
}

/* ---- devices ---- */

json_t *fmt_dev_json(const struct ml_dev *d)
{
	json_t *o = json_object(), *caps = json_array();

	if (d->caps & METERLINK_CAP_IRQ)
		json_array_append_new(caps, json_string("irq"));
	json_object_set_new(o, "id", json_integer(d->id));
	json_object_set_new(o, "dev", json_string(d->name));
	json_object_set_new(o, "chip", json_string(d->chip));
	json_object_set_new(o, "chip_id", json_integer(d->chip_id));
	json_object_set_new(o, "bus_id", json_string(d->bus_id));
	json_object_set_new(o, "nr_phases", json_integer(d->nr_phases));
	json_object_set_new(o, "caps", caps);
	json_object_set_new(o, "mode", json_string(fmt_mode(d->mode)));
	json_object_set_new(o, "period_ns", ju64(d->period_ns));
	json_object_set_new(o, "min_period_ns", ju64(d->min_period_ns));
	json_object_set_new(o, "max_period_ns", ju64(d->max_period_ns));
	json_object_set_new(o, "batch_count", json_integer(d->batch_count));
	json_object_set_new(o, "batch_ns", ju64(d->batch_ns));
	json_object_set_new(o, "generation", json_integer(d->generation));
	return o;
}

void fmt_dev_header(FILE *f)
{
	fprintf(f, "%-8s %-9s %-10s %-6s %-4s %-8s %s\n", "DEV", "CHIP", "BUS", "PHASES",
		"MODE", "PERIOD", "BATCH");
}

void fmt_dev_line(FILE *f, const struct ml_dev *d)
{
	char p[24], b[24];

	fprintf(f, "%-8s %-9s %-10s %-6" PRIu32 " %-4s %-8s %" PRIu32 "/%s\n", d->name,
		d->chip, d->bus_id, d->nr_phases, fmt_mode(d->mode),
		fmt_duration(d->period_ns, p, sizeof(p)), d->batch_count,
		fmt_duration(d->batch_ns, b, sizeof(b)));
}

void fmt_dev_human(FILE *f, const struct ml_dev *d)
{
	char a[24], b[24], c[24];

	fprintf(f, "%s\n", d->name);
	fprintf(f, "  chip: %s\n", d->chip);
	fprintf(f, "  bus: %s\n", d->bus_id);
	fprintf(f, "  phases: %" PRIu32 "\n", d->nr_phases);
	fprintf(f, "  irq: %s\n", d->caps & METERLINK_CAP_IRQ ? "wired" : "none");
	fprintf(f, "  mode: %s\n", fmt_mode(d->mode));
	fprintf(f, "  period: %s (%s to %s)\n", fmt_duration(d->period_ns, a, sizeof(a)),
		fmt_duration(d->min_period_ns, b, sizeof(b)),
		fmt_duration(d->max_period_ns, c, sizeof(c)));
	fprintf(f, "  batch: %" PRIu32 " readings or %s\n", d->batch_count,
		fmt_duration(d->batch_ns, a, sizeof(a)));
}

/* ---- counters ---- */

#define STATS_FIELDS(X) \
	X(samples) X(spi_errors) X(corrected) X(invalid) X(irqs) \
	X(spurious_irqs) X(missed_periods) X(irq_faults) X(nl_drops)

json_t *fmt_stats_json(const struct ml_stats *st)
{
	json_t *o = json_object();
	char name[24];

	json_object_set_new(o, "id", json_integer(st->dev_id));
	json_object_set_new(o, "dev", json_string(dev_name(st->dev_id, name, sizeof(name))));
#define X(field) json_object_set_new(o, #field, ju64(st->field));
	STATS_FIELDS(X)
#undef X
	return o;
}

void fmt_stats_human(FILE *f, const struct ml_stats *st)
{
	fprintf(f, "meter%" PRIu32 "\n", st->dev_id);
#define X(field) fprintf(f, "  %-15s %" PRIu64 "\n", #field ":", st->field);
	STATS_FIELDS(X)
#undef X
}

/* ---- calibration ---- */

json_t *fmt_calib_json(uint32_t dev_id, const struct meterlink_calibration *cal)
{
	json_t *o = json_object(), *phases = json_array();
	char name[24];
	uint32_t i;

	json_object_set_new(o, "id", json_integer(dev_id));
	json_object_set_new(o, "dev", json_string(dev_name(dev_id, name, sizeof(name))));
	for (i = 0; i < cal->nr_phases && i < METERLINK_MAX_PHASES; i++) {
		json_t *p = json_object();

		json_object_set_new(p, "phase", json_integer(i));
		json_object_set_new(p, "voltage_ppm", json_integer(cal->phase[i].voltage_ppm));
		json_object_set_new(p, "current_ppm", json_integer(cal->phase[i].current_ppm));
		json_object_set_new(p, "power_ppm", json_integer(cal->phase[i].power_ppm));
		json_array_append_new(phases, p);
	}
	json_object_set_new(o, "phases", phases);
	return o;
}

void fmt_calib_human(FILE *f, uint32_t dev_id, const struct meterlink_calibration *cal)
{
	uint32_t i;

	fprintf(f, "meter%" PRIu32 "\n", dev_id);
	for (i = 0; i < cal->nr_phases && i < METERLINK_MAX_PHASES; i++)
		fprintf(f, "  phase %" PRIu32 ": voltage %+" PRId32 " ppm  current %+" PRId32
			" ppm  power %+" PRId32 " ppm\n", i, cal->phase[i].voltage_ppm,
			cal->phase[i].current_ppm, cal->phase[i].power_ppm);
}

/* ---- events ---- */

static const char *event_name(enum ml_event_type t)
{
	switch (t) {
	case ML_EVENT_DEV_ADD: return "dev-add";
	case ML_EVENT_DEV_DEL: return "dev-del";
	case ML_EVENT_FAULT: return "fault";
	case ML_EVENT_OVERRUN: return "overrun";
	case ML_EVENT_CLOCK_STEP: return "clock-step";
	}
	return "unknown";
}

json_t *fmt_event_json(const struct ml_event *ev)
{
	json_t *o = json_object();
	char name[24];

	json_object_set_new(o, "type", json_string(event_name(ev->type)));
	json_object_set_new(o, "dev", json_string(dev_name(ev->dev_id, name, sizeof(name))));
	json_object_set_new(o, "id", json_integer(ev->dev_id));
	switch (ev->type) {
	case ML_EVENT_DEV_ADD:
		json_object_set_new(o, "device", fmt_dev_json(&ev->dev));
		break;
	case ML_EVENT_DEV_DEL:
		break;
	case ML_EVENT_FAULT:
		json_object_set_new(o, "fault", json_string(fmt_fault(ev->fault)));
		break;
	case ML_EVENT_OVERRUN:
		json_object_set_new(o, "overrun_count", ju64(ev->overrun_count));
		break;
	case ML_EVENT_CLOCK_STEP:
		json_object_set_new(o, "clock_step_ns", json_integer(ev->clock_step_ns));
		break;
	}
	return o;
}

void fmt_event_human(FILE *f, const struct ml_event *ev)
{
	char a[24], b[48];

	switch (ev->type) {
	case ML_EVENT_DEV_ADD:
		fprintf(f, "dev-add meter%" PRIu32 " chip %s bus %s phases %" PRIu32
			" mode %s period %s\n", ev->dev_id, ev->dev.chip, ev->dev.bus_id,
			ev->dev.nr_phases, fmt_mode(ev->dev.mode),
			fmt_duration(ev->dev.period_ns, a, sizeof(a)));
		break;
	case ML_EVENT_DEV_DEL:
		fprintf(f, "dev-del meter%" PRIu32 "\n", ev->dev_id);
		break;
	case ML_EVENT_FAULT:
		fprintf(f, "fault meter%" PRIu32 " %s\n", ev->dev_id, fmt_fault(ev->fault));
		break;
	case ML_EVENT_OVERRUN:
		fprintf(f, "overrun meter%" PRIu32 " %" PRIu64 " readings lost in delivery\n",
			ev->dev_id, ev->overrun_count);
		break;
	case ML_EVENT_CLOCK_STEP:
		fprintf(f, "clock-step meter%" PRIu32 " %s%s s\n", ev->dev_id,
			ev->clock_step_ns >= 0 ? "+" : "",
			fixed(ev->clock_step_ns, 9, 9, b, sizeof(b)));
		break;
	}
}
