// SPDX-License-Identifier: GPL-2.0
/* mlnode's control requests: strict parsing (ctl.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "ctl.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_tx(json_t *v, struct ml_tx *tx, char *err, size_t errlen)
{
	uint8_t buf[ML_TX_MAX_LEN];
	const char *hex;
	size_t hl, bl;
	int ret;

	if (!json_is_string(v))
		return fail(err, errlen, "\"tx\" must be a hex string");
	hex = json_string_value(v);
	hl = json_string_length(v);
	if (!hl || hl % 2 || hl > 2 * sizeof(buf))
		return fail(err, errlen, "\"tx\" must be 2..%zu hex digits, an even number",
			    2 * sizeof(buf));
	if (sodium_hex2bin(buf, sizeof(buf), hex, hl, NULL, &bl, NULL) ||
	    bl != hl / 2)
		return fail(err, errlen, "\"tx\" is not hex");
	ret = ml_tx_decode(buf, bl, tx);
	if (ret)
		return fail(err, errlen, "\"tx\" is not an encoded transaction: %s",
			    strerror(-ret));
	return 0;
}

int ctl_parse(const char *line, size_t len, struct ctl_req *r, char *err,
	      size_t errlen)
{
	json_error_t je;
	json_t *o, *cmd, *v;
	const char *c, *key;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (len > CTL_MAX_LINE)
		return fail(err, errlen, "request longer than %d bytes", CTL_MAX_LINE);
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return fail(err, errlen, "not JSON: %s", je.text);
	if (!json_is_object(o)) {
		ret = fail(err, errlen, "a request is a JSON object");
		goto out;
	}
	cmd = json_object_get(o, "cmd");
	if (!json_is_string(cmd)) {
		ret = fail(err, errlen, "\"cmd\" (a string) is missing");
		goto out;
	}
	c = json_string_value(cmd);
	if (!strcmp(c, "submit"))
		r->cmd = CTL_SUBMIT;
	else if (!strcmp(c, "status"))
		r->cmd = CTL_STATUS;
	else {
		ret = fail(err, errlen, "unknown cmd \"%.32s\" (submit, status)", c);
		goto out;
	}
	json_object_foreach(o, key, v) {
		if (!strcmp(key, "cmd"))
			continue;
		if (r->cmd == CTL_SUBMIT && !strcmp(key, "tx"))
			continue;
		ret = fail(err, errlen, "unexpected member \"%.32s\" for %s", key, c);
		goto out;
	}
	if (r->cmd == CTL_SUBMIT) {
		v = json_object_get(o, "tx");
		if (!v)
			ret = fail(err, errlen, "submit needs \"tx\"");
		else
			ret = parse_tx(v, &r->tx, err, errlen);
	}
out:
	json_decref(o);
	return ret;
}
