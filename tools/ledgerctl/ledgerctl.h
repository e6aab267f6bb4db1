/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ledgerctl: what the subcommands share. ledgerctl.c holds the dispatch
 * table, the global options and the exit statuses; keyfile.c the account
 * key files; format.c parsing and printing of ledger values; one file per
 * group of subcommands (key.c, query.c, blocks.c, verify.c, report.c,
 * online.c over control.c, the settled control socket client).
 */
#ifndef LEDGERCTL_H
#define LEDGERCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "ledger.h"
#include "query.h"

/* Exit statuses; documented in ledgerctl.8 (EXIT STATUS). */
enum {
	LC_EXIT_OK = 0,
	LC_EXIT_FAIL = 1,	/* anything else; the message says what */
	LC_EXIT_USAGE = 2,	/* bad command line */
	LC_EXIT_NOTFOUND = 3,	/* no such file, block, account */
	LC_EXIT_PASSPHRASE = 4,	/* wrong passphrase */
	LC_EXIT_DAMAGED = 5,	/* key file or database damaged or not ours */
	LC_EXIT_MISMATCH = 6,	/* verify: the ledger does not replay */
	LC_EXIT_NODAEMON = 7,	/* settled not reachable */
	LC_EXIT_REFUSED = 8,	/* settled refused the request */
};

#define LC_DEFAULT_SOCKET	"/run/settled/control.sock"	/* settled.conf(5) */

struct lc {
	bool json;
	const char *cmd;	/* "blocks show": for messages and usage */
	const char *db;		/* --db, $LEDGERCTL_DB */
	const char *socket;	/* --socket, $LEDGERCTL_SOCKET */
	const char *key;	/* --key, $LEDGERCTL_KEY */
	const char *passfile;	/* --passphrase-file, $LEDGERCTL_PASSPHRASE_FILE */
	struct ml_ledger *l;	/* opened by lc_open_db() */
	/* --sign-only: print the signed transaction instead of submitting it */
	bool sign_only, has_chain_id, has_nonce;
	uint64_t chain_id, nonce;
};

struct lc_cmd {
	const char *name;
	int (*run)(struct lc *c, int argc, char **argv);	/* argv[0] = name */
	const char *args;
};

int cmd_key(struct lc *c, int argc, char **argv);
int cmd_balance(struct lc *c, int argc, char **argv);
int cmd_orders(struct lc *c, int argc, char **argv);
int cmd_trades(struct lc *c, int argc, char **argv);
int cmd_settlements(struct lc *c, int argc, char **argv);
int cmd_validators(struct lc *c, int argc, char **argv);
int cmd_meters(struct lc *c, int argc, char **argv);
int cmd_dispatch(struct lc *c, int argc, char **argv);
int cmd_blocks(struct lc *c, int argc, char **argv);
int cmd_verify(struct lc *c, int argc, char **argv);
int cmd_report(struct lc *c, int argc, char **argv);
int cmd_status(struct lc *c, int argc, char **argv);
int cmd_transfer(struct lc *c, int argc, char **argv);
int cmd_order(struct lc *c, int argc, char **argv);
int cmd_cancel(struct lc *c, int argc, char **argv);

/* ---- ledgerctl.c ---- */

/* Prints "ledgerctl: <msg>" and the usage of c->cmd; returns 2. */
int lc_usage(struct lc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "ledgerctl: <cmd>: <msg>"; returns @status. */
int lc_err(struct lc *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Opens --db; on failure prints why and returns the exit status. */
int lc_open_db(struct lc *c);
/* The exit status and a line for a libmlledger error on the database. */
int lc_db_fail(struct lc *c, int err);
/* Prints @j (pretty, one document) and frees it; false on a write error. */
bool lc_print_json(json_t *j);

/* ---- format.c ---- */

void fmt_hex(char *out, const uint8_t *p, size_t n);	/* out: 2n + 1 */
int parse_hex(const char *s, uint8_t *out, size_t n);	/* exactly 2n digits */
/* A meter id: 64 hex digits, or a name of up to 32 bytes (padded with 0). */
int parse_meter(const char *s, uint8_t id[ML_ID_LEN]);
/* Meter ids that are printable names are shown as names. */
const char *fmt_meter(const uint8_t id[ML_ID_LEN], char out[65]);
/* decimal, 0..max */
int parse_u64(const char *s, uint64_t max, uint64_t *v);
/* "12.5" credits -> micro-credits, at most 6 decimals */
int parse_credits(const char *s, uint64_t max, uint64_t *micro);
/* micro-credits as "-1.234567" */
const char *fmt_credits(int64_t micro, char out[32]);
/* unix seconds, or YYYY-MM-DDTHH:MM[:SS][Z] in UTC */
int parse_time(const char *s, uint64_t *t);
/* YYYY-MM-DD -> unix seconds of 00:00 UTC */
int parse_day(const char *s, uint64_t *t);
/* "2023-11-14T22:15:00Z" */
const char *fmt_time(uint64_t t, char out[32]);
const char *fmt_side(uint8_t side);
const char *fmt_order_status(uint8_t st);
const char *fmt_interval_status(uint8_t st);
const char *fmt_dispatch_kind(uint8_t kind);
const char *fmt_dispatch_status(uint8_t st);
const char *fmt_roles(uint8_t roles, char out[32]);
const char *fmt_tx_kind(uint8_t kind);
json_t *json_hex(const uint8_t *p, size_t n);
/* A transaction and a block as JSON (every field, hex for bytes). */
json_t *tx_json(const struct ml_tx *tx);
json_t *block_json(const struct ml_block *b);

#endif /* LEDGERCTL_H */
