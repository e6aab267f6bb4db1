// SPDX-License-Identifier: GPL-2.0
/*
 * meterctl's parsers and renderings, on the host: durations, devices,
 * counts, gains, and the JSON and human output of a canned record against
 * golden files (ML_GOLDEN_DIR).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "meterctl.h"

static void duration_units_are_exact(void **state)
{
	static const struct { const char *s; uint64_t ns; } ok[] = {
		{ "100ms", 100000000 }, { "1s", 1000000000 }, { "500us", 500000 },
		{ "250ns", 250 }, { "1.5s", 1500000000 }, { "0.001s", 1000000 },
		{ "2.5ms", 2500000 }, { "0ms", 0 }, { "18446744073709551615ns", UINT64_MAX },
	};
	uint64_t ns;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ns = 42;
		assert_int_equal(parse_duration(ok[i].s, &ns), 0);
		assert_true(ns == ok[i].ns);
	}
}

static void duration_rejects_garbage(void **state)
{
	static const char *const bad[] = {
		"", "10", "ms", "-1ms", "+1ms", "1 ms", "1msx", "1m", "1.s", ".5s",
		"1.5ns", "0.0000000001s", "18446744073709551616ns", "18446744074s", "1e3ms",
		"1,5s", "100MS",
	};
	uint64_t ns = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_duration(bad[i], &ns) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(ns == 7);	/* untouched */
	}
}

static void dev_is_meterN_or_N(void **state)
{
	uint32_t id = 9;

	(void)state;
	assert_int_equal(parse_dev("meter0", &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(parse_dev("12", &id), 0);
	assert_int_equal(id, 12);
	assert_int_equal(parse_dev("meter4294967294", &id), 0);
	assert_int_equal(id, 4294967294u);
	id = 9;
	assert_int_equal(parse_dev("meter", &id), -EINVAL);
	assert_int_equal(parse_dev("meter-1", &id), -EINVAL);
	assert_int_equal(parse_dev("meter4294967295", &id), -EINVAL);
	assert_int_equal(parse_dev("/dev/meter0", &id), -EINVAL);
	assert_int_equal(parse_dev("meter0x", &id), -EINVAL);
	assert_int_equal(parse_dev("", &id), -EINVAL);
	assert_int_equal(parse_dev("Meter1", &id), -EINVAL);
	assert_int_equal(id, 9);
}

static void counts_gains_and_modes(void **state)
{
	uint64_t n;
	int32_t ppm;
	uint32_t mode;

	(void)state;
	assert_int_equal(parse_count("64", 64, &n), 0);
	assert_int_equal(n, 64);
	assert_int_equal(parse_count("65", 64, &n), -EINVAL);
	assert_int_equal(parse_count("0", 64, &n), -EINVAL);
	assert_int_equal(parse_count("-1", 64, &n), -EINVAL);
	assert_int_equal(parse_index("0", 2, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse_index("3", 2, &n), -EINVAL);
	assert_int_equal(parse_ppm("-150", &ppm), 0);
	assert_int_equal(ppm, -150);
	assert_int_equal(parse_ppm("+2000ppm", &ppm), 0);
	assert_int_equal(ppm, 2000);
	assert_int_equal(parse_ppm("300000", &ppm), 0);	/* the kernel judges range */
	assert_int_equal(parse_ppm("2000001", &ppm), -EINVAL);
	assert_int_equal(parse_ppm("12pp", &ppm), -EINVAL);
	assert_int_equal(parse_ppm("--1", &ppm), -EINVAL);
	assert_int_equal(parse_mode("irq", &mode), 0);
	assert_int_equal(mode, METERLINK_MODE_IRQ);
	assert_int_equal(parse_mode("poll", &mode), 0);
	assert_int_equal(mode, METERLINK_MODE_POLL);
	assert_int_equal(parse_mode("IRQ", &mode), -EINVAL);
}

static void durations_print_in_the_largest_exact_unit(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(fmt_duration(100000000, b, sizeof(b)), "100ms");
	assert_string_equal(fmt_duration(30000000000ULL, b, sizeof(b)), "30s");
	assert_string_equal(fmt_duration(1500000000, b, sizeof(b)), "1500ms");
	assert_string_equal(fmt_duration(352000, b, sizeof(b)), "352us");
	assert_string_equal(fmt_duration(1001, b, sizeof(b)), "1001ns");
	assert_string_equal(fmt_duration(0, b, sizeof(b)), "0ns");
}

/* A two-phase ADE7953 record: import on phase 0, export on phase 1. */
static void canned(struct meterlink_reading *r)
{
	memset(r, 0, sizeof(*r));
	r->version = METERLINK_READING_VERSION;
	r->size = sizeof(*r);
	r->flags = METERLINK_F_IRQ | METERLINK_F_CORRECTED | (1U << 9);
	r->seq = 1234;
	r->realtime_ns = 1714564800100000000LL;	/* 2024-05-01T12:00:00.1Z */
	r->boottime_ns = 98765432100LL;
	r->uncertainty_ns = 352000;
	r->nr_phases = 2;
	r->phase[0] = (struct meterlink_phase){
		.energy_import_uwh = 1234567, .energy_export_uwh = 0,
		.active_mw = 1035000, .reactive_mvar = 501273, .apparent_mva = 1150000,
		.voltage_uv = 230001499, .current_ua = 5000000, .power_factor = 900000,
		.frequency_mhz = 50000,
	};
	r->phase[1] = (struct meterlink_phase){
		.energy_import_uwh = 0, .energy_export_uwh = 987654321,
		.active_mw = -460000, .reactive_mvar = -1, .apparent_mva = 460000,
		.voltage_uv = 230001499, .current_ua = 2000000, .power_factor = -1000000,
		.frequency_mhz = 50000,
	};
}

static char *slurp(const char *name)
{
	const char *dir = getenv("ML_GOLDEN_DIR");
	char path[512], *buf;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open golden file %s", path);
	buf = calloc(1, 65536);
	n = fread(buf, 1, 65535, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void reading_json_matches_golden(void **state)
{
	struct meterlink_reading r;
	char *got, *want;
	json_t *j;

	(void)state;
	canned(&r);
	j = fmt_reading_json(3, &r);
	got = json_dumps(j, JSON_COMPACT);
	want = slurp("reading.json");
	want[strcspn(want, "\n")] = 0;
	assert_string_equal(got, want);
	free(got);
	free(want);
	json_decref(j);
}

static void reading_human_matches_golden(void **state)
{
	struct meterlink_reading r;
	char *got = NULL, *want;
	size_t len;
	FILE *f;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	canned(&r);
	f = open_memstream(&got, &len);
	fmt_reading_human(f, 3, &r);
	fclose(f);
	want = slurp("reading.txt");
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void loss_and_event_json(void **state)
{
	struct ml_event ev = { .type = ML_EVENT_CLOCK_STEP, .dev_id = 1,
			       .clock_step_ns = -1500000000 };
	char *s;
	json_t *j;

	(void)state;
	j = fmt_loss_json(-1, 0, ML_LOSS_ENOBUFS);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"type\":\"loss\",\"kind\":\"enobufs\",\"dev\":null,"
			    "\"id\":null,\"lost\":null}");
	free(s);
	json_decref(j);
	j = fmt_loss_json(2, 17, ML_LOSS_GAP);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"type\":\"loss\",\"kind\":\"gap\",\"dev\":\"meter2\","
			    "\"id\":2,\"lost\":17}");
	free(s);
	json_decref(j);
	j = fmt_event_json(&ev);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"type\":\"clock-step\",\"dev\":\"meter1\",\"id\":1,"
			    "\"clock_step_ns\":-1500000000}");
	free(s);
	json_decref(j);
	ev = (struct ml_event){ .type = ML_EVENT_FAULT, .dev_id = 1,
				.fault = METERLINK_FAULT_IRQ_STORM };
	j = fmt_event_json(&ev);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"type\":\"fault\",\"dev\":\"meter1\",\"id\":1,"
			    "\"fault\":\"irq-storm\"}");
	free(s);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(duration_units_are_exact),
		cmocka_unit_test(duration_rejects_garbage),
		cmocka_unit_test(dev_is_meterN_or_N),
		cmocka_unit_test(counts_gains_and_modes),
		cmocka_unit_test(durations_print_in_the_largest_exact_unit),
		cmocka_unit_test(reading_json_matches_golden),
		cmocka_unit_test(reading_human_matches_golden),
		cmocka_unit_test(loss_and_event_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
