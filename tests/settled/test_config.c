// SPDX-License-Identifier: GPL-2.0
/* settled.conf parsing: every key, every kind of bad line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static char err[CFG_ERR_LEN];

static int load(const char *text, struct config *c)
{
	config_defaults(c);
	err[0] = 0;
	return config_load_string("t.conf", text, c, err, sizeof(err));
}

static void test_empty_file_gives_defaults(void **state)
{
	struct config c, d;

	(void)state;
	assert_int_equal(load("", &c), 0);
	config_defaults(&d);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(c.interval, 900);
	assert_string_equal(c.tcti, "device:/dev/tpmrm0");
	assert_int_equal(c.backend, KEY_TPM);
}

static void test_every_key_is_parsed(void **state)
{
	struct config c;

	(void)state;
	assert_int_equal(load("; comment\n[settled]\nstate_dir = /tmp/x\ninterval = 1\n"
			      "close_delay_ms=0\nretention = 60\nlog_level = debug\n"
			      "rcvbuf = 65536\ncontrol_socket = /run/s.sock\ncontrol_group = adm\n"
			      "meters = optional\n"
			      "[key]\nbackend = insecure-software\n"
			      "tcti = swtpm:host=127.0.0.1,port=2321\n"
			      "persistent_handle = 0x81000001\nsign_delay_ms = 300\n"
			      "[ledger]\nchain_id = 7\nsettle_delay = 600\nblock_interval_ms = 100\n"
			      "operator = 00ff000000000000000000000000000000000000000000000000000000000001\n"
			      "operator_balance = 9223372036854775807\n"
			      "[dispatch]\nexecutor = /usr/bin/true\nexecutor_timeout_ms = 100\n"
			      "max_import_w = 1\nmax_export_w = 2\nmax_charge_w = 3\n"
			      "max_discharge_w = 4\nmax_pv_export_w = 0\n",
			      &c), 0);
	assert_string_equal(c.state_dir, "/tmp/x");
	assert_int_equal(c.interval, 1);
	assert_int_equal(c.close_delay_ms, 0);
	assert_int_equal(c.retention, 60);
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_int_equal(c.rcvbuf, 65536);
	assert_string_equal(c.control_socket, "/run/s.sock");
	assert_string_equal(c.control_group, "adm");
	assert_int_equal(c.backend, KEY_INSECURE_SOFTWARE);
	assert_string_equal(c.tcti, "swtpm:host=127.0.0.1,port=2321");
	assert_int_equal(c.persistent_handle, 0x81000001);
	assert_int_equal(c.sign_delay_ms, 300);
	assert_int_equal(c.chain_id, 7);
	assert_int_equal(c.settle_delay, 600);
	assert_int_equal(c.block_interval_ms, 100);
	assert_true(c.has_operator);
	assert_int_equal(c.operator_key[1], 0xff);
	assert_int_equal(c.operator_key[31], 1);
	assert_int_equal(c.meters, METERS_OPTIONAL);
	assert_true(c.operator_balance == 9223372036854775807ULL);
	assert_string_equal(c.executor, "/usr/bin/true");
	assert_int_equal(c.executor_timeout_ms, 100);
	assert_int_equal(c.max_import_w, 1);
	assert_int_equal(c.max_export_w, 2);
	assert_int_equal(c.max_charge_w, 3);
	assert_int_equal(c.max_discharge_w, 4);
	assert_int_equal(c.max_pv_export_w, 0);
}

struct bad {
	const char *text, *msg;
};

static const struct bad bad[] = {
	{ "[settled]\ninterval = 0\n", "t.conf:2: key 'interval': expects an integer in 1..3600" },
	{ "[settled]\ninterval = 3601\n", "t.conf:2: key 'interval'" },
	{ "[settled]\ninterval = -5\n", "t.conf:2: key 'interval'" },
	{ "[settled]\ninterval = 9x\n", "t.conf:2: key 'interval'" },
	{ "[settled]\ninterval = 99999999999999999999999\n", "t.conf:2: key 'interval'" },
	{ "[settled]\n\n\nrcvbuf = 1\n", "t.conf:4: key 'rcvbuf'" },
	{ "[settled]\nstate_dir = relative\n", "t.conf:2: key 'state_dir': expects an absolute path" },
	{ "[settled]\ncontrol_group = Bad Group\n", "t.conf:2: key 'control_group'" },
	{ "[settled]\nlog_level = loud\n", "t.conf:2: key 'log_level': has no value 'loud'" },
	{ "[settled]\nintervall = 5\n", "t.conf:2: key 'intervall': is not a key of this section [settled]" },
	{ "[setled]\ninterval = 5\n", "t.conf:2: key 'interval': is in an unknown section [setled]" },
	{ "interval = 5\n", "t.conf:1: key 'interval': is in an unknown section []" },
	{ "[settled]\ninterval = 5\ninterval = 5\n", "t.conf:3: key 'interval': is set twice" },
	{ "[settled]\ninterval =\n", "t.conf:2: key 'interval': has an empty value" },
	{ "[settled]\nnonsense\n", "t.conf:2: syntax error" },
	{ "[settled\n", "t.conf:1: syntax error" },
	{ "[key]\nbackend = software\n", "t.conf:2: key 'backend': has no value 'software'" },
	{ "[key]\ntcti = /dev/tpm0\n", "t.conf:2: key 'tcti'" },
	{ "[key]\npersistent_handle = 0x80000000\n", "t.conf:2: key 'persistent_handle'" },
	{ "[key]\nsign_delay_ms = 10001\n", "t.conf:2: key 'sign_delay_ms'" },
	{ "[ledger]\nchain_id = 0\n", "t.conf:2: key 'chain_id'" },
	{ "[settled]\nmeters = maybe\n", "t.conf:2: key 'meters': has no value 'maybe'" },
	{ "[ledger]\noperator_balance = 9223372036854775808\n", "t.conf:2: key 'operator_balance'" },
	{ "[ledger]\noperator_balance = -1\n", "t.conf:2: key 'operator_balance'" },
	{ "[ledger]\nsettle_delay = 604801\n", "t.conf:2: key 'settle_delay'" },
	{ "[ledger]\nblock_interval_ms = 99\n", "t.conf:2: key 'block_interval_ms'" },
	{ "[settled]\ninterval = 7\n", "t.conf: key 'interval': 7 does not divide a day" },
	{ "[settled]\ninterval = 3600\nretention = 3600\n", "t.conf: key 'retention': must be at least two intervals" },
	{ "[ledger]\noperator = 00ff\n", "t.conf:2: key 'operator': expects a 32-byte Ed25519 public key" },
	{ "[ledger]\noperator = 0g00000000000000000000000000000000000000000000000000000000000000\n",
	  "t.conf:2: key 'operator'" },
	{ "[dispatch]\nexecutor = bin/true\n", "t.conf:2: key 'executor': expects an absolute path" },
	{ "[dispatch]\nmax_import_w = 1000000001\n", "t.conf:2: key 'max_import_w'" },
	{ "[dispatch]\nexecutor_timeout_ms = 99\n", "t.conf:2: key 'executor_timeout_ms'" },
	/* the first error is the one reported */
	{ "[settled]\nfoo = 1\nbar = 2\n", "t.conf:2: key 'foo'" },
};

static void test_bad_lines_name_file_line_and_key(void **state)
{
	struct config c, d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		c.interval = 60;	/* must survive a failed load */
		d = c;
		err[0] = 0;
		if (config_load_string("t.conf", bad[i].text, &c, err, sizeof(err)) != -1 ||
		    strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("case %zu: got '%s', want '%s...'", i, err, bad[i].msg);
		assert_memory_equal(&c, &d, sizeof(c));
	}
}

/* [ledger] mode = network and its keys (node-interface.md section 3) */
static void test_network_mode(void **state)
{
	static const struct bad nbad[] = {
		{ "[ledger]\nmode = consensus\n", "t.conf:2: key 'mode': has no value 'consensus'" },
		{ "[ledger]\nmode = network\n", "t.conf: [ledger] mode = network needs genesis, listen and peers" },
		{ "[ledger]\nmode = network\ngenesis = /g\nlisten = tcp://1.2.3.4:5\n",
		  "t.conf: [ledger] mode = network needs" },
		{ "[ledger]\nlisten = 1.2.3.4:5\n", "t.conf:2: key 'listen': expects a zmq endpoint" },
		{ "[ledger]\nlisten = tcp://\n", "t.conf:2: key 'listen'" },
		{ "[ledger]\nlisten = tcp://a b:1\n", "t.conf:2: key 'listen'" },
		{ "[ledger]\nlisten = ipc:///tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", "t.conf:2: key 'listen'" },
		{ "[ledger]\ngenesis = genesis.bin\n", "t.conf:2: key 'genesis': expects an absolute path" },
		{ "[ledger]\npeers = peers\n", "t.conf:2: key 'peers': expects an absolute path" },
	};
	struct config c, d;
	size_t i;

	(void)state;
	assert_int_equal(load("", &c), 0);
	assert_int_equal(c.mode, LEDGER_LOCAL);
	assert_int_equal(load("[ledger]\nmode = network\ngenesis = /etc/meterlink/genesis.bin\n"
			      "listen = tcp://10.77.0.1:7700\npeers = /etc/meterlink/peers\n", &c), 0);
	assert_int_equal(c.mode, LEDGER_NETWORK);
	assert_string_equal(c.genesis, "/etc/meterlink/genesis.bin");
	assert_string_equal(c.listen, "tcp://10.77.0.1:7700");
	assert_string_equal(c.peers, "/etc/meterlink/peers");
	assert_int_equal(load("[ledger]\nmode = local\nlisten = ipc:///run/n.sock\n", &c), 0);
	assert_int_equal(c.mode, LEDGER_LOCAL);
	for (i = 0; i < sizeof(nbad) / sizeof(nbad[0]); i++) {
		config_defaults(&c);
		d = c;
		err[0] = 0;
		if (config_load_string("t.conf", nbad[i].text, &c, err, sizeof(err)) != -1 ||
		    strncmp(err, nbad[i].msg, strlen(nbad[i].msg)))
			fail_msg("case %zu: got '%s', want '%s...'", i, err, nbad[i].msg);
		assert_memory_equal(&c, &d, sizeof(c));
	}
	/* a restart, not a reload, changes the mode */
	assert_int_equal(load("", &c), 0);
	assert_int_equal(load("[ledger]\nmode = network\ngenesis = /g\nlisten = tcp://h:1\n"
			      "peers = /p\n", &d), 0);
	assert_int_equal(config_reload(&c, &d, err, sizeof(err)), 4);
	assert_string_equal(err, "mode");
	assert_int_equal(c.mode, LEDGER_LOCAL);
}

static void test_missing_file_is_an_errno(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load("/nonexistent/settled.conf", &c, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "/nonexistent/settled.conf"));
}

static void test_reload_applies_only_reloadable_keys(void **state)
{
	struct config cur, next;
	char what[64] = "";

	(void)state;
	assert_int_equal(load("[settled]\nlog_level = err\n", &cur), 0);
	assert_int_equal(load("[settled]\nlog_level = debug\nclose_delay_ms = 5\n"
			      "retention = 120\ninterval = 60\n[ledger]\nblock_interval_ms = 200\n",
			      &next), 0);
	assert_int_equal(config_reload(&cur, &next, what, sizeof(what)), 1);
	assert_string_equal(what, "interval");
	assert_int_equal(cur.log_level, LOG_LVL_DEBUG);
	assert_int_equal(cur.close_delay_ms, 5);
	assert_int_equal(cur.retention, 120);
	assert_int_equal(cur.block_interval_ms, 200);
	assert_int_equal(cur.interval, 900);
	assert_int_equal(config_reload(&cur, &cur, what, sizeof(what)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_file_gives_defaults),
		cmocka_unit_test(test_every_key_is_parsed),
		cmocka_unit_test(test_bad_lines_name_file_line_and_key),
		cmocka_unit_test(test_network_mode),
		cmocka_unit_test(test_missing_file_is_an_errno),
		cmocka_unit_test(test_reload_applies_only_reloadable_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
