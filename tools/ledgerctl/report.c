// SPDX-License-Identifier: GPL-2.0
/*
 * ledgerctl report: per delivery interval, the auction's outcome (clearing
 * price, matched volume, what was bid and asked) and the energy the meter
 * reports measured. As a table, JSON, or one day as a self-contained HTML
 * page with inline SVG charts (no scripts, no external resources).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledgerctl.h"

#define DAY	86400

struct ivs {
	struct ml_q_interval *v;
	size_t n, cap;
};

static int collect(const struct ml_q_interval *v, void *arg)
{
	struct ivs *s = arg;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 128;
		void *p = realloc(s->v, cap * sizeof(*s->v));

		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = *v;
	return 0;
}

static void table(const struct ivs *s)
{
	char t[32], p[32];
	size_t i;

	if (!s->n) {
		printf("no intervals\n");
		return;
	}
	printf("%-20s %-8s %14s %10s %10s %10s %10s %10s %7s\n", "INTERVAL",
	       "STATUS", "PRICE/KWH", "VOLUME_WH", "BID_WH", "ASK_WH",
	       "IMPORT_WH", "EXPORT_WH", "REPORTS");
	for (i = 0; i < s->n; i++) {
		const struct ml_q_interval *v = &s->v[i];

		printf("%-20s %-8s %14s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		       " %10" PRIu64 " %10" PRIu64 " %7u\n", fmt_time(v->start, t),
		       fmt_interval_status(v->status),
		       v->status ? fmt_credits((int64_t)v->price, p) : "-",
		       v->volume, v->bid_wh, v->ask_wh, v->import_wh,
		       v->export_wh, v->nreports);
	}
}

static json_t *to_json(const struct ivs *s)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < s->n; i++) {
		const struct ml_q_interval *v = &s->v[i];

		json_array_append_new(arr, json_pack(
			"{s:I, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:i}",
			"interval", (json_int_t)v->start,
			"status", fmt_interval_status(v->status),
			"price", v->status ? json_integer((json_int_t)v->price) :
					     json_null(),
			"volume_wh", (json_int_t)v->volume,
			"bid_wh", (json_int_t)v->bid_wh,
			"ask_wh", (json_int_t)v->ask_wh,
			"import_wh", (json_int_t)v->import_wh,
			"export_wh", (json_int_t)v->export_wh,
			"reports", (int)v->nreports));
	}
	return arr;
}

/* ---- HTML ---- */

#define W	960	/* plot area */
#define H	200
#define L	80	/* left margin for the axis labels */
#define B	30

/* a round step for about 4 ticks up to @max */
static uint64_t tick(uint64_t max)
{
	uint64_t t = 1;

	while (t * 10 <= max / 2)
		t *= 10;
	if (t * 5 <= max / 2)
		t *= 5;
	else if (t * 2 <= max / 2)
		t *= 2;
	return t;
}

static void axes(FILE *f, uint64_t max, bool credits, const char *unit)
{
	uint64_t t = tick(max), y;
	char buf[32];
	int h;

	for (h = 0; h <= 24; h += 3)
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"lx\">%02d:00</text>\n",
			L + W * h / 24, H + 18, h);
	for (y = 0; y <= max; y += t) {
		int py = H - (int)(y * H / max);

		if (credits)
			fmt_credits((int64_t)y, buf);
		else
			snprintf(buf, sizeof(buf), "%" PRIu64, y);
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" class=\"grid\"/>"
			"<text x=\"%d\" y=\"%d\" class=\"ly\">%s</text>\n",
			L, L + W, py, py, L - 6, py + 4, buf);
	}
	fprintf(f, "<text x=\"4\" y=\"12\" class=\"unit\">%s</text>\n", unit);
}

static void chart_prices(FILE *f, const struct ivs *s, uint64_t day,
			 uint64_t len)
{
	uint64_t max = 1;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].status && s->v[i].price > max)
			max = s->v[i].price;
	max += max / 10;
	fprintf(f, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"clearing "
		"prices\">\n", L + W + 10, H + B);
	axes(f, max, true, "credits/kWh");
	for (i = 0; i < s->n; i++) {
		const struct ml_q_interval *v = &s->v[i];
		uint64_t x0 = (v->start - day) * W / DAY;
		uint64_t x1 = (v->start + len - day) * W / DAY;
		int y = H - (int)(v->price * H / max);

		if (!v->status || !v->volume)
			continue;	/* no clearing price without a trade */
		fprintf(f, "<line x1=\"%" PRIu64 "\" x2=\"%" PRIu64 "\" y1=\"%d\" "
			"y2=\"%d\" class=\"price\"><title>%" PRIu64 "</title></line>\n",
			L + x0, L + x1, y, y, v->price);
	}
	fprintf(f, "</svg>\n");
}

static void bar(FILE *f, uint64_t x, uint64_t w, uint64_t v, uint64_t max,
		const char *cls)
{
	int h = (int)(v * H / max);

	if (v)
		fprintf(f, "<rect x=\"%" PRIu64 "\" y=\"%d\" width=\"%" PRIu64 "\" "
			"height=\"%d\" class=\"%s\"><title>%" PRIu64 " Wh</title>"
			"</rect>\n", L + x, H - h, w ? w : 1, h, cls, v);
}

static void chart_volumes(FILE *f, const struct ivs *s, uint64_t day,
			  uint64_t len)
{
	uint64_t max = 1, w = len * W / DAY / 3;
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct ml_q_interval *v = &s->v[i];
		uint64_t m = v->volume > v->import_wh ? v->volume : v->import_wh;

		m = m > v->export_wh ? m : v->export_wh;
		max = m > max ? m : max;
	}
	max += max / 10;
	fprintf(f, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"volumes\">\n",
		L + W + 10, H + B);
	axes(f, max, false, "Wh");
	for (i = 0; i < s->n; i++) {
		const struct ml_q_interval *v = &s->v[i];
		uint64_t x = (v->start - day) * W / DAY;

		bar(f, x, w, v->volume, max, "traded");
		bar(f, x + w, w, v->import_wh, max, "import");
		bar(f, x + 2 * w, w, v->export_wh, max, "export");
	}
	fprintf(f, "</svg>\n");
}

static void html(FILE *f, const struct ivs *s, const char *day_s, uint64_t day,
		 uint64_t len)
{
	char t[32], p[32];
	size_t i;

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<title>meterlink market report %s</title>\n<style>\n"
		"body{font-family:sans-serif;margin:2em;color:#222}\n"
		"svg{width:100%%;max-width:1050px;display:block;margin-bottom:1em}\n"
		".grid{stroke:#ddd}.lx,.ly,.unit{font-size:11px;fill:#555}\n"
		".lx{text-anchor:middle}.ly{text-anchor:end}\n"
		".price{stroke:#c0392b;stroke-width:3}\n"
		".traded{fill:#2c7fb8}.import{fill:#fdae61}.export{fill:#1a9850}\n"
		"table{border-collapse:collapse;font-size:13px}\n"
		"td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}\n"
		".key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}\n"
		"</style>\n</head>\n<body>\n"
		"<h1>Market report for %s (UTC)</h1>\n", day_s, day_s);
	if (!s->n) {
		fprintf(f, "<p>No delivery intervals on this day.</p>\n</body>\n</html>\n");
		return;
	}
	fprintf(f, "<h2>Clearing price</h2>\n");
	chart_prices(f, s, day, len);
	fprintf(f, "<h2>Volumes</h2>\n<p class=\"key\"><span class=\"traded\" "
		"style=\"background:#2c7fb8\"></span>traded"
		"<span style=\"background:#fdae61\"></span>imported (metered)"
		"<span style=\"background:#1a9850\"></span>exported (metered)</p>\n");
	chart_volumes(f, s, day, len);
	fprintf(f, "<h2>Intervals</h2>\n<table>\n<tr><th>interval</th><th>status</th>"
		"<th>price/kWh</th><th>traded Wh</th><th>bid Wh</th><th>ask Wh</th>"
		"<th>import Wh</th><th>export Wh</th><th>reports</th></tr>\n");
	for (i = 0; i < s->n; i++) {
		const struct ml_q_interval *v = &s->v[i];

		fprintf(f, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%" PRIu64
			"</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64
			"</td><td>%" PRIu64 "</td><td>%u</td></tr>\n",
			fmt_time(v->start, t), fmt_interval_status(v->status),
			v->status ? fmt_credits((int64_t)v->price, p) : "-",
			v->volume, v->bid_wh, v->ask_wh, v->import_wh, v->export_wh,
			v->nreports);
	}
	fprintf(f, "</table>\n</body>\n</html>\n");
}

/* written beside @path and renamed over it: never half a page */
static int write_html(struct lc *c, const char *path, const struct ivs *s,
		      const char *day_s, uint64_t day)
{
	uint64_t len = 900;
	char tmp[4200];
	size_t i;
	FILE *f;
	int fd;

	for (i = 1; i < s->n; i++)
		if (s->v[i].start - s->v[i - 1].start < len)
			len = s->v[i].start - s->v[i - 1].start;
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return lc_err(c, errno == ENOENT ? LC_EXIT_NOTFOUND : LC_EXIT_FAIL,
			      "%s: %s", path, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return lc_err(c, LC_EXIT_FAIL, "%s: %s", path, strerror(errno));
	}
	fchmod(fd, 0644);
	html(f, s, day_s, day, len);
	if (fflush(f) || ferror(f) || fsync(fd) || fclose(f) ||
	    rename(tmp, path)) {
		unlink(tmp);
		return lc_err(c, LC_EXIT_FAIL, "writing %s: %s", path, strerror(errno));
	}
	return 0;
}

int cmd_report(struct lc *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "html", required_argument, NULL, 'H' },
		{ "day", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *day_s = NULL;
	uint64_t from = 0, to = 0, day = 0;
	struct ivs s = { 0 };
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
		case 't':
			if (parse_time(optarg, opt == 'f' ? &from : &to))
				return lc_usage(c, "--%s: '%s' is not a time (unix "
						"seconds or YYYY-MM-DDTHH:MM)",
						opt == 'f' ? "from" : "to", optarg);
			break;
		case 'H':
			out = optarg;
			break;
		case 'D':
			day_s = optarg;
			if (parse_day(optarg, &day))
				return lc_usage(c, "--day: '%s' is not YYYY-MM-DD",
						optarg);
			break;
		default:
			return lc_usage(c, "unknown option");
		}
	}
	if (optind != argc)
		return lc_usage(c, "unexpected argument '%s'", argv[optind]);
	if (!out != !day_s)
		return lc_usage(c, "--html FILE and --day YYYY-MM-DD go together");
	if (out && (from || to))
		return lc_usage(c, "--html covers one --day; leave out --from and --to");
	if (to && from > to)
		return lc_usage(c, "--from is after --to");
	if (out) {
		from = day;
		to = day + DAY - 1;
	}
	ret = lc_open_db(c);
	if (ret)
		return ret;
	ret = ml_q_intervals(c->l, from, to, collect, &s);
	if (ret) {
		free(s.v);
		return lc_db_fail(c, ret);
	}
	if (out)
		ret = write_html(c, out, &s, day_s, day);
	else if (c->json)
		ret = lc_print_json(to_json(&s)) ? 0 : LC_EXIT_FAIL;
	else
		table(&s);
	free(s.v);
	return ret;
}
