// SPDX-License-Identifier: GPL-2.0
/*
 * ledgerctl: accounts, market, dispatch and verification of the meterlink
 * ledger. This file: global options, the dispatch table, opening the
 * database, and turning errors into one line and an exit status.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>

#include "ledgerctl.h"

static const struct lc_cmd cmds[] = {
	{ "key", cmd_key, "{ create | show | export } FILE" },
	{ "status", cmd_status, "" },
	{ "balance", cmd_balance, "[ACCOUNT]" },
	{ "transfer", cmd_transfer, "ACCOUNT AMOUNT" },
	{ "order", cmd_order, "{ bid | ask } METER QTY_WH PRICE INTERVAL" },
	{ "cancel", cmd_cancel, "ORDER_ID" },
	{ "orders", cmd_orders, "[--account ACCOUNT] [--interval TIME]" },
	{ "trades", cmd_trades, "[--account ACCOUNT] [--interval TIME]" },
	{ "settlements", cmd_settlements, "[--account ACCOUNT] [--interval TIME]" },
	{ "meters", cmd_meters,
	  "list [--owner ACCOUNT] | register METER OWNER FEEDER GW_KEY" },
	{ "dispatch", cmd_dispatch,
	  "list [--meter METER] | send METER KIND VALUE START END |"
	  " ack DISPATCH_ID accept|reject" },
	{ "validators", cmd_validators, "list | propose { add | remove } ACCOUNT" },
	{ "blocks", cmd_blocks,
	  "show RANGE | export RANGE [--format bin|json] [-o FILE]" },
	{ "verify", cmd_verify, "[--scratch DIR]" },
	{ "report", cmd_report,
	  "[--from TIME] [--to TIME] | --html FILE --day YYYY-MM-DD" },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ledgerctl [OPTIONS] COMMAND [ARGS]\n"
		"       ledgerctl -h|--help\n\n"
		"options:\n"
		"  -j, --json                 JSON output (every read command)\n"
		"  -d, --db PATH              read a ledger database directly\n"
		"  -s, --socket PATH          settled's control socket (%s)\n"
		"  -k, --key FILE             account key file for commands that sign\n"
		"  -p, --passphrase-file FILE read the passphrase from FILE\n"
		"      --sign-only --chain-id HEX --nonce N\n"
		"                             print the signed transaction, submit nothing\n\n"
		"commands:\n", LC_DEFAULT_SOCKET);
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %s%s%s\n", cmds[i].name, *cmds[i].args ? " " : "",
			cmds[i].args);
	fprintf(f, "\nACCOUNT is a public key in hex (64 digits). See ledgerctl(8).\n");
}

int lc_usage(struct lc *c, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	fputs("ledgerctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (i = 0; i < NR_CMDS; i++)
		if (c->cmd && !strncmp(c->cmd, cmds[i].name, strlen(cmds[i].name)) &&
		    (c->cmd[strlen(cmds[i].name)] == ' ' ||
		     !c->cmd[strlen(cmds[i].name)]))
			fprintf(stderr, "usage: ledgerctl %s%s%s\n", cmds[i].name,
				*cmds[i].args ? " " : "", cmds[i].args);
	return LC_EXIT_USAGE;
}

int lc_err(struct lc *c, int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ledgerctl: %s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int lc_db_fail(struct lc *c, int err)
{
	switch (err) {
	case -ENOENT:
		return lc_err(c, LC_EXIT_NOTFOUND, "%s: no such ledger database "
			      "(check --db)", c->db);
	case -EUCLEAN:
		return lc_err(c, LC_EXIT_DAMAGED, "%s: not a ledger database, or "
			      "damaged (run ledgerctl verify)", c->db);
	case -EBUSY:
		return lc_err(c, LC_EXIT_FAIL, "%s: database locked by another "
			      "process; try again", c->db);
	case -EACCES:
	case -EPERM:
		return lc_err(c, LC_EXIT_FAIL, "%s: permission denied", c->db);
	}
	return lc_err(c, LC_EXIT_FAIL, "%s: %s", c->db, strerror(-err));
}

int lc_open_db(struct lc *c)
{
	int ret;

	if (!c->db)
		return lc_usage(c, "%s needs --db PATH (or LEDGERCTL_DB); "
				"through settled it is not supported yet", c->cmd);
	if (access(c->db, F_OK))
		return lc_db_fail(c, -ENOENT);
	if (access(c->db, R_OK | W_OK))
		return lc_db_fail(c, -EACCES);
	ret = ml_ledger_open(c->db, &c->l);
	/* opening only reads: SQLite's generic error here means a database
	 * without the ledger's tables */
	return ret ? lc_db_fail(c, ret == -EIO ? -EUCLEAN : ret) : 0;
}

bool lc_print_json(json_t *j)
{
	int ret;

	if (!j)
		return false;
	ret = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	return !ret && putchar('\n') != EOF;
}

static int finish(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "ledgerctl: writing the output failed: %s\n",
			strerror(errno));
		return LC_EXIT_FAIL;
	}
	return LC_EXIT_OK;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "db", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "sign-only", no_argument, NULL, 'O' },
		{ "chain-id", required_argument, NULL, 'C' },
		{ "nonce", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct lc c = {
		.db = env("LEDGERCTL_DB"),
		.socket = env("LEDGERCTL_SOCKET"),
		.key = env("LEDGERCTL_KEY"),
		.passfile = env("LEDGERCTL_PASSPHRASE_FILE"),
	};
	int opt, ret;
	size_t i;

	/* "+": options end at the command; its own options are its business */
	while ((opt = getopt_long(argc, argv, "+jd:s:k:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'd':
			c.db = optarg;
			break;
		case 's':
			c.socket = optarg;
			break;
		case 'k':
			c.key = optarg;
			break;
		case 'p':
			c.passfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return finish();
		case 'O':
			c.sign_only = true;
			break;
		case 'C':
			if (parse_hex(optarg, (uint8_t *)&c.chain_id, 8)) {
				fprintf(stderr, "ledgerctl: --chain-id: '%s' is not 16 "
					"hex digits\n", optarg);
				return LC_EXIT_USAGE;
			}
			c.chain_id = be64toh(c.chain_id);
			c.has_chain_id = true;
			break;
		case 'N':
			if (parse_u64(optarg, UINT64_MAX, &c.nonce)) {
				fprintf(stderr, "ledgerctl: --nonce: '%s' is not a "
					"number\n", optarg);
				return LC_EXIT_USAGE;
			}
			c.has_nonce = true;
			break;
		default:
			usage(stderr);
			return LC_EXIT_USAGE;
		}
	}
	if (!c.socket)
		c.socket = LC_DEFAULT_SOCKET;
	if (sodium_init() < 0) {
		fprintf(stderr, "ledgerctl: libsodium did not initialise\n");
		return LC_EXIT_FAIL;
	}
	if (optind >= argc) {
		fprintf(stderr, "ledgerctl: no command given\n");
		usage(stderr);
		return LC_EXIT_USAGE;
	}
	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(argv[optind], cmds[i].name))
			break;
	if (i == NR_CMDS) {
		fprintf(stderr, "ledgerctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return LC_EXIT_USAGE;
	}
	c.cmd = cmds[i].name;
	argc -= optind;
	argv += optind;
	optind = 0;		/* a fresh getopt() for the subcommand */
	ret = cmds[i].run(&c, argc, argv);
	ml_ledger_close(c.l);
	if (!ret)
		ret = finish();
	return ret;
}
