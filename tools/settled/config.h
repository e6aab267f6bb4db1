/* SPDX-License-Identifier: GPL-2.0 */
/*
 * settled.conf: every key, its default and its range are in the table of
 * config.c and in settled.conf(5).
 */
#ifndef SETTLED_CONFIG_H
#define SETTLED_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CFG_PATH_LEN	256
#define CFG_ERR_LEN	512

enum key_backend { KEY_TPM, KEY_INSECURE_SOFTWARE };
enum ledger_mode { LEDGER_LOCAL, LEDGER_NETWORK };
enum meters_mode { METERS_REQUIRED, METERS_OPTIONAL };
enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

struct config {
	/* [settled] */
	char state_dir[CFG_PATH_LEN];
	uint32_t interval;		/* s */
	uint32_t close_delay_ms;	/* reloadable */
	uint64_t retention;		/* s, reloadable */
	int log_level;			/* reloadable */
	uint32_t rcvbuf;		/* bytes */
	char control_socket[CFG_PATH_LEN];
	char control_group[64];
	/* [key] */
	int backend;
	char tcti[CFG_PATH_LEN];
	uint32_t persistent_handle;
	uint32_t sign_delay_ms;		/* tests: added to every signature */
	/* [ledger] */
	uint64_t chain_id;
	uint32_t settle_delay;		/* s */
	uint32_t block_interval_ms;	/* reloadable */
	uint8_t operator_key[32];	/* added to a new local chain's genesis */
	int has_operator;
	int mode;			/* enum ledger_mode */
	char genesis[CFG_PATH_LEN];	/* network: encoded genesis */
	char listen[CFG_PATH_LEN];	/* network: zmq endpoint, < 128 */
	char peers[CFG_PATH_LEN];	/* network: the peers file */
	/* [dispatch] installer limits, W; the executor program */
	char executor[CFG_PATH_LEN];	/* "" : none */
	uint32_t executor_timeout_ms;
	uint64_t max_import_w, max_export_w, max_charge_w, max_discharge_w, max_pv_export_w;
	/* keys added later, appended to keep merges simple */
	int meters;			/* METERS_REQUIRED or METERS_OPTIONAL */
	uint64_t operator_balance;	/* micro-credits of the operator in a new chain */
};

void config_defaults(struct config *c);
/*
 * Parses @path over the defaults. On error returns -1 with one line in
 * @err ("FILE:LINE: key 'x': why"), or -errno when the file cannot be read.
 */
int config_load(const char *path, struct config *c, char *err, size_t errlen);
/* Same, from a string (tests); @name stands for the file in messages. */
int config_load_string(const char *name, const char *text, struct config *c,
		       char *err, size_t errlen);
/*
 * Copies the reloadable keys of @next into @cur. Returns the number of keys
 * that differ but need a restart; names the first in @what.
 */
int config_reload(struct config *cur, const struct config *next,
		  char *what, size_t len);

#endif
