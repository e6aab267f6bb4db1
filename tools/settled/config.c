// SPDX-License-Identifier: GPL-2.0
/*
 * settled.conf, parsed with inih. One table names every key, its type,
 * range and whether SIGHUP may change it; settled.conf(5) documents the
 * same table. Unknown sections and keys, duplicate keys, empty values and
 * out-of-range numbers are errors naming the file, line and key.
 */
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

enum kind { K_U32, K_U64, K_PATH, K_NAME, K_ENUM, K_TCTI, K_KEY, K_ENDPOINT };

struct key {
	const char *section, *name;
	enum kind kind;
	size_t off;
	uint64_t min, max;
	const char *const *words;	/* K_ENUM: index = value */
	int reloadable;
};

static const char *const backends[] = { "tpm", "insecure-software", NULL };
static const char *const meters_modes[] = { "required", "optional", NULL };
static const char *const levels[] = { "err", "warning", "info", "debug", NULL };
static const char *const modes[] = { "local", "network", NULL };

#define OFF(f) offsetof(struct config, f)
#define MAX_W	1000000000ULL	/* 1 GW: "no local limit" */
static const struct key keys[] = {
	{ "settled", "state_dir", K_PATH, OFF(state_dir), 0, 0, NULL, 0 },
	{ "settled", "interval", K_U32, OFF(interval), 1, 3600, NULL, 0 },
	{ "settled", "close_delay_ms", K_U32, OFF(close_delay_ms), 0, 60000, NULL, 1 },
	{ "settled", "retention", K_U64, OFF(retention), 60, 10ULL * 366 * 86400, NULL, 1 },
	{ "settled", "log_level", K_ENUM, OFF(log_level), 0, 0, levels, 1 },
	{ "settled", "rcvbuf", K_U32, OFF(rcvbuf), 65536, 1U << 30, NULL, 0 },
	{ "settled", "control_socket", K_PATH, OFF(control_socket), 0, 0, NULL, 0 },
	{ "settled", "control_group", K_NAME, OFF(control_group), 0, 0, NULL, 0 },
	{ "key", "backend", K_ENUM, OFF(backend), 0, 0, backends, 0 },
	{ "key", "tcti", K_TCTI, OFF(tcti), 0, 0, NULL, 0 },
	{ "key", "persistent_handle", K_U32, OFF(persistent_handle),
	  0x81000000, 0x8100ffff, NULL, 0 },	/* TCG Registry of Reserved TPM 2.0 Handles: owner range */
	{ "key", "sign_delay_ms", K_U32, OFF(sign_delay_ms), 0, 10000, NULL, 0 },
	{ "ledger", "chain_id", K_U64, OFF(chain_id), 1, INT64_MAX, NULL, 0 },
	{ "ledger", "settle_delay", K_U32, OFF(settle_delay), 1, 7 * 86400, NULL, 0 },
	{ "ledger", "block_interval_ms", K_U32, OFF(block_interval_ms), 100, 600000, NULL, 1 },
	{ "ledger", "operator", K_KEY, OFF(operator_key), 0, 0, NULL, 0 },
	{ "ledger", "mode", K_ENUM, OFF(mode), 0, 0, modes, 0 },
	{ "ledger", "genesis", K_PATH, OFF(genesis), 0, 0, NULL, 0 },
	{ "ledger", "listen", K_ENDPOINT, OFF(listen), 0, 0, NULL, 0 },
	{ "ledger", "peers", K_PATH, OFF(peers), 0, 0, NULL, 0 },
	{ "dispatch", "executor", K_PATH, OFF(executor), 0, 0, NULL, 1 },
	{ "dispatch", "executor_timeout_ms", K_U32, OFF(executor_timeout_ms), 100, 600000, NULL, 1 },
	{ "dispatch", "max_import_w", K_U64, OFF(max_import_w), 0, MAX_W, NULL, 1 },
	{ "dispatch", "max_export_w", K_U64, OFF(max_export_w), 0, MAX_W, NULL, 1 },
	{ "dispatch", "max_charge_w", K_U64, OFF(max_charge_w), 0, MAX_W, NULL, 1 },
	{ "dispatch", "max_discharge_w", K_U64, OFF(max_discharge_w), 0, MAX_W, NULL, 1 },
	{ "dispatch", "max_pv_export_w", K_U64, OFF(max_pv_export_w), 0, MAX_W, NULL, 1 },
	{ "settled", "meters", K_ENUM, OFF(meters), 0, 0, meters_modes, 0 },
	{ "ledger", "operator_balance", K_U64, OFF(operator_balance), 0, INT64_MAX, NULL, 0 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse {
	struct config *c;
	const char *name;
	char *err;
	size_t errlen;
	int failed;
	unsigned char seen[NKEYS];
};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->state_dir, "/var/lib/settled");
	c->interval = 900;
	c->close_delay_ms = 2000;
	c->retention = 30ULL * 86400;
	c->log_level = LOG_LVL_INFO;
	c->rcvbuf = 8U << 20;
	strcpy(c->control_socket, "/run/settled/control.sock");
	strcpy(c->control_group, "meterlink");
	c->backend = KEY_TPM;
	strcpy(c->tcti, "device:/dev/tpmrm0");
	c->persistent_handle = 0x81000010;
	c->chain_id = 1;
	c->settle_delay = 3600;
	c->block_interval_ms = 1000;
	c->executor_timeout_ms = 10000;
	c->max_import_w = c->max_export_w = c->max_charge_w = MAX_W;
	c->max_discharge_w = c->max_pv_export_w = MAX_W;
}

static int parse_uint(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* the first error wins: inih goes on and returns the line of the first */
static int fail(struct parse *p, const char *name, const char *fmt, const char *a)
{
	if (!p->failed) {
		int n = snprintf(p->err, p->errlen, "key '%s': ", name);

		if (n > 0 && (size_t)n < p->errlen)
			snprintf(p->err + n, p->errlen - n, fmt, a);
	}
	p->failed = 1;
	return 0;
}

static int set(struct parse *p, const struct key *k, const char *v)
{
	char *dst = (char *)p->c + k->off;
	char lim[64];
	uint64_t n;
	int i;

	switch (k->kind) {
	case K_U32:
	case K_U64:
		if (parse_uint(v, k->min, k->max, &n)) {
			snprintf(lim, sizeof(lim), "%" PRIu64 "..%" PRIu64, k->min, k->max);
			return fail(p, k->name, "expects an integer in %s", lim);
		}
		if (k->kind == K_U32)
			*(uint32_t *)dst = (uint32_t)n;
		else
			*(uint64_t *)dst = n;
		return 1;
	case K_PATH:
		if (v[0] != '/' || strlen(v) >= CFG_PATH_LEN)
			return fail(p, k->name, "expects an absolute path of at most 255 bytes, not '%s'", v);
		strcpy(dst, v);
		return 1;
	case K_NAME:
		if (!*v || strlen(v) >= 64 || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(v))
			return fail(p, k->name, "expects a group name ([a-z0-9_-], < 64), not '%s'", v);
		strcpy(dst, v);
		return 1;
	case K_TCTI:
		if (strlen(v) >= CFG_PATH_LEN || (strncmp(v, "device:", 7) &&
		    strncmp(v, "swtpm:", 6) && strncmp(v, "mssim:", 6)))
			return fail(p, k->name, "expects device:PATH, swtpm:host=H,port=P or mssim:..., not '%s'", v);
		strcpy(dst, v);
		return 1;
	case K_ENDPOINT:
		/* a zmq endpoint mlnode can bind: node.h's MLNODE_ENDPOINT_MAX (128) */
		if (strlen(v) >= 128 || (strncmp(v, "tcp://", 6) && strncmp(v, "ipc://", 6)) ||
		    !v[6] || strpbrk(v, " \t"))
			return fail(p, k->name, "expects a zmq endpoint tcp://HOST:PORT or ipc://PATH (< 128 bytes), not '%s'", v);
		strcpy(dst, v);
		return 1;
	case K_KEY:
		for (i = 0; i < 32; i++) {
			unsigned int b;

			if (strlen(v) != 64 || sscanf(v + 2 * i, "%2x", &b) != 1 ||
			    !strchr("0123456789abcdefABCDEF", v[2 * i]) ||
			    !strchr("0123456789abcdefABCDEF", v[2 * i + 1]))
				return fail(p, k->name, "expects a 32-byte Ed25519 public key in hex (64 digits), not '%s'", v);
			((uint8_t *)dst)[i] = (uint8_t)b;
		}
		p->c->has_operator = 1;
		return 1;
	case K_ENUM:
		for (i = 0; k->words[i]; i++)
			if (!strcmp(v, k->words[i])) {
				*(int *)dst = i;
				return 1;
			}
		return fail(p, k->name, "has no value '%s' (see settled.conf(5))", v);
	}
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	size_t i;

	if (!name) /* a section header alone */
		return 1;
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) || strcmp(name, keys[i].name))
			continue;
		if (p->seen[i])
			return fail(p, name, "is set twice (%s)", value);
		p->seen[i] = 1;
		if (!*value)
			return fail(p, name, "has an empty value%s", "");
		return set(p, &keys[i], value);
	}
	for (i = 0; i < NKEYS; i++)
		if (!strcmp(section, keys[i].section))
			return fail(p, name, "is not a key of this section [%s]", section);
	return fail(p, name, "is in an unknown section [%s]", section);
}

static int check(struct parse *p)
{
	const struct config *c = p->c;

	if (86400 % c->interval)
		return snprintf(p->err, p->errlen,
				"key 'interval': %u does not divide a day (86400 s)",
				c->interval), -1;
	if (c->retention < 2ULL * c->interval)
		return snprintf(p->err, p->errlen,
				"key 'retention': must be at least two intervals"), -1;
	if (c->mode == LEDGER_NETWORK && (!c->genesis[0] || !c->listen[0] || !c->peers[0]))
		return snprintf(p->err, p->errlen,
				"[ledger] mode = network needs genesis, listen and peers"), -1;
	return 0;
}

static int finish(struct parse *p, int line, struct config *c, struct config *tmp)
{
	char msg[CFG_ERR_LEN];

	if (line > 0 || p->failed) {
		if (!p->failed)
			snprintf(p->err, p->errlen, "syntax error (expected [section] or key = value)");
		snprintf(msg, sizeof(msg), "%s:%d: %s", p->name, line, p->err);
		snprintf(p->err, p->errlen, "%s", msg);
		return -1;
	}
	if (line < 0)
		return snprintf(p->err, p->errlen, "%s: out of memory", p->name), -ENOMEM;
	if (check(p)) {
		snprintf(msg, sizeof(msg), "%s: %s", p->name, p->err);
		snprintf(p->err, p->errlen, "%s", msg);
		return -1;
	}
	*c = *tmp;
	return 0;
}

int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	struct config tmp = *c;
	struct parse p = { .c = &tmp, .name = path, .err = err, .errlen = errlen };
	FILE *f = fopen(path, "r");
	int line;

	if (!f) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	line = ini_parse_file(f, handler, &p);
	fclose(f);
	return finish(&p, line, c, &tmp);
}

int config_load_string(const char *name, const char *text, struct config *c,
		       char *err, size_t errlen)
{
	struct config tmp = *c;
	struct parse p = { .c = &tmp, .name = name, .err = err, .errlen = errlen };

	return finish(&p, ini_parse_string(text, handler, &p), c, &tmp);
}

int config_reload(struct config *cur, const struct config *next, char *what, size_t len)
{
	int n = 0;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		size_t sz = k->kind == K_U32 ? 4 : k->kind == K_U64 ? 8 :
			    k->kind == K_ENUM ? sizeof(int) : k->kind == K_KEY ? 32 :
			    k->kind == K_NAME ? 64 : CFG_PATH_LEN;

		if (!memcmp((char *)cur + k->off, (const char *)next + k->off, sz))
			continue;
		if (k->reloadable) {
			memcpy((char *)cur + k->off, (const char *)next + k->off, sz);
		} else if (!n++) {
			snprintf(what, len, "%s", k->name);
		}
	}
	return n;
}
