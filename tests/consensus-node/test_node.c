// SPDX-License-Identifier: GPL-2.0
/*
 * Units of the node's input parsers (TAP, under ASan+UBSan): the peers
 * file (node.c), the control requests (tools/mlnode/ctl.c) and the
 * transaction gossip batches (node.c). Every refusal is checked for its
 * errno and, where there is one, its message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "ctl.h"
#include "node.h"

static char key_hex[65];
static uint8_t key_bin[32], sk[64];

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(key_bin, sk);
	sodium_bin2hex(key_hex, sizeof(key_hex), key_bin, 32);
	return 0;
}

/* --- one peers line --- */

static int parse(const char *fmt, struct mlnode_peer *p, bool *empty,
		 char *err)
{
	char line[512];

	snprintf(line, sizeof(line), fmt, key_hex);
	return mlnode_peer_parse(line, p, empty, err, 256);
}

static void test_peer_good(void **state)
{
	struct mlnode_peer p;
	char err[256];
	bool empty;

	(void)state;
	assert_int_equal(parse("%s tcp://10.0.0.1:7700\n", &p, &empty, err), 0);
	assert_false(empty);
	assert_memory_equal(p.key, key_bin, 32);
	assert_string_equal(p.endpoint, "tcp://10.0.0.1:7700");
	assert_int_equal(parse("  %s\t ipc:///run/x.sock  # a comment\r\n", &p,
			       &empty, err), 0);
	assert_string_equal(p.endpoint, "ipc:///run/x.sock");
	assert_int_equal(parse("%s tcp://[::1]:1", &p, &empty, err), 0);
	assert_string_equal(p.endpoint, "tcp://[::1]:1");
	assert_int_equal(parse("   # only a comment %s", &p, &empty, err), 0);
	assert_true(empty);
	assert_int_equal(mlnode_peer_parse("\n", &p, &empty, err, 256), 0);
	assert_true(empty);
}

static void test_peer_bad(void **state)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "abc tcp://1.2.3.4:5", "64 hex digits" },
		{ "%s", "missing endpoint" },
		{ "%s   \n", "missing endpoint" },
		{ "%s tcp://1.2.3.4:5 junk", "unexpected text" },
		{ "%s http://1.2.3.4:5", "neither tcp" },
		{ "%s tcp://1.2.3.4", "no HOST:PORT" },
		{ "%s tcp://1.2.3.4:", "port must be" },
		{ "%s tcp://1.2.3.4:0", "port must be" },
		{ "%s tcp://1.2.3.4:65536", "port must be" },
		{ "%s tcp://1.2.3.4:-1", "port must be" },
		{ "%s tcp://1.2.3.4:+80", "port must be" },
		{ "%s tcp://1.2.3.4:80x", "port must be" },
		{ "%s tcp://:80", "no HOST:PORT" },
		{ "%s tcp://*:80", "concrete host" },
		{ "%s ipc://", "empty ipc path" },
		{ "%sff tcp://1.2.3.4:5", "64 hex digits" },
	};
	struct mlnode_peer p;
	char err[256], line[512];
	bool empty;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(parse(bad[i].line, &p, &empty, err), -EINVAL);
		if (!strstr(err, bad[i].why))
			fail_msg("line '%s': '%s' does not say '%s'", bad[i].line,
				 err, bad[i].why);
	}
	/* 64 hex digits that are not hex, or not a curve point */
	memset(line, 'z', 64);
	strcpy(line + 64, " tcp://1.2.3.4:5");
	assert_int_equal(mlnode_peer_parse(line, &p, &empty, err, 256), -EINVAL);
	memset(line, 'f', 64);
	assert_int_equal(mlnode_peer_parse(line, &p, &empty, err, 256), -EINVAL);
	assert_non_null(strstr(err, "not an Ed25519"));
	/* an endpoint of 127 bytes fits, one of 128 does not */
	snprintf(line, sizeof(line), "%s tcp://%0118d:80", key_hex, 0);
	assert_int_equal(mlnode_peer_parse(line, &p, &empty, err, 256), 0);
	assert_int_equal(strlen(p.endpoint), 127);
	snprintf(line, sizeof(line), "%s tcp://%0119d:80", key_hex, 0);
	assert_int_equal(mlnode_peer_parse(line, &p, &empty, err, 256), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
}

/* --- the peers file --- */

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_node.XXXXXX");
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir) {
		free(path);
		path = malloc(strlen(dir) + 32);
		sprintf(path, "%s/test_node.XXXXXX", dir);
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int load_text(const char *text, struct mlnode_peer **p, size_t *n,
		     char *err, char **path)
{
	int ret;

	*path = write_tmp(text);
	ret = mlnode_peers_load(*path, p, n, err, 512);
	unlink(*path);
	return ret;
}

static void test_peers_file(void **state)
{
	uint8_t pk2[32], sk2[64];
	char hex2[65], text[2048], err[512], want[600], *path;
	struct mlnode_peer *p;
	size_t n;

	(void)state;
	crypto_sign_keypair(pk2, sk2);
	sodium_bin2hex(hex2, sizeof(hex2), pk2, 32);
	snprintf(text, sizeof(text),
		 "# validators\n\n%s tcp://127.0.0.1:7001\n  %s tcp://127.0.0.1:7002 # two\n",
		 key_hex, hex2);
	assert_int_equal(load_text(text, &p, &n, err, &path), 0);
	free(path);
	assert_int_equal(n, 2);
	assert_memory_equal(p[1].key, pk2, 32);
	assert_string_equal(p[0].endpoint, "tcp://127.0.0.1:7001");
	free(p);

	/* an empty file is no error: a single validator has no peers */
	assert_int_equal(load_text("# nobody\n", &p, &n, err, &path), 0);
	free(path);
	assert_int_equal(n, 0);
	free(p);

	/* line 4 is bad: the message names file and line */
	snprintf(text, sizeof(text), "%s tcp://127.0.0.1:7001\n#\n\n%s udp://x:1\n",
		 key_hex, hex2);
	assert_int_equal(load_text(text, &p, &n, err, &path), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: ", path);
	free(path);
	assert_non_null(strstr(err, want));

	/* one key twice */
	snprintf(text, sizeof(text), "%s tcp://127.0.0.1:7001\n%s tcp://127.0.0.1:7002\n",
		 key_hex, key_hex);
	assert_int_equal(load_text(text, &p, &n, err, &path), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: key listed twice", path);
	free(path);
	assert_non_null(strstr(err, want));

	/* a line longer than the reader's buffer */
	memset(text, ' ', sizeof(text) - 2);
	memcpy(text, key_hex, 64);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = 0;
	assert_int_equal(load_text(text, &p, &n, err, &path), -EINVAL);
	free(path);
	assert_non_null(strstr(err, ":1: line too long"));

	/* a missing file */
	assert_int_equal(mlnode_peers_load("/nonexistent/peers", &p, &n, err, 512),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/peers"));
}

/* --- control requests --- */

static void tx_hex(char *hex, size_t cap, size_t *enc_len)
{
	struct ml_tx tx = { .kind = ML_TX_TRANSFER, .chain_id = 7, .nonce = 3 };
	uint8_t buf[ML_TX_MAX_LEN];
	size_t len;

	memcpy(tx.sender, key_bin, 32);
	memcpy(tx.u.transfer.to, key_bin, 32);
	tx.u.transfer.amount = 5;
	assert_int_equal(ml_tx_sign(&tx, sk), 0);
	assert_int_equal(ml_tx_encode(&tx, buf, sizeof(buf), &len), 0);
	sodium_bin2hex(hex, cap, buf, len);
	if (enc_len)
		*enc_len = len;
}

static int ctl(const char *s, struct ctl_req *r, char *err)
{
	err[0] = 0;
	return ctl_parse(s, strlen(s), r, err, 256);
}

static void test_ctl_good(void **state)
{
	char hex[2 * ML_TX_MAX_LEN + 1], line[1024], err[256];
	struct ctl_req r;

	(void)state;
	assert_int_equal(ctl("{\"cmd\":\"status\"}", &r, err), 0);
	assert_int_equal(r.cmd, CTL_STATUS);
	assert_int_equal(ctl(" { \"cmd\" : \"status\" } ", &r, err), 0);
	tx_hex(hex, sizeof(hex), NULL);
	snprintf(line, sizeof(line), "{\"tx\":\"%s\",\"cmd\":\"submit\"}", hex);
	assert_int_equal(ctl(line, &r, err), 0);
	assert_int_equal(r.cmd, CTL_SUBMIT);
	assert_int_equal(r.tx.kind, ML_TX_TRANSFER);
	assert_int_equal(r.tx.nonce, 3);
	assert_int_equal(r.tx.u.transfer.amount, 5);
	assert_int_equal(ml_tx_verify(&r.tx), 0);
}

static void test_ctl_bad(void **state)
{
	char hex[2 * ML_TX_MAX_LEN + 3], line[2 * CTL_MAX_LINE], err[256];
	static const struct {
		const char *req, *why;
	} bad[] = {
		{ "", "not JSON" },
		{ "status", "not JSON" },
		{ "{\"cmd\":\"status\"", "not JSON" },
		{ "{\"cmd\":\"status\"} {}", "not JSON" },
		{ "[\"status\"]", "a JSON object" },
		{ "\"status\"", "not JSON" },
		{ "{\"cmd\":\"status\"}x", "not JSON" },
		{ "{}", "\"cmd\"" },
		{ "{\"cmd\":1}", "\"cmd\"" },
		{ "{\"cmd\":null}", "\"cmd\"" },
		{ "{\"cmd\":\"stop\"}", "unknown cmd \"stop\"" },
		{ "{\"cmd\":\"status\",\"cmd\":\"status\"}", "not JSON" },
		{ "{\"cmd\":\"status\",\"x\":1}", "unexpected member \"x\"" },
		{ "{\"cmd\":\"status\",\"tx\":\"00\"}", "unexpected member \"tx\"" },
		{ "{\"cmd\":\"submit\"}", "needs \"tx\"" },
		{ "{\"cmd\":\"submit\",\"tx\":5}", "hex string" },
		{ "{\"cmd\":\"submit\",\"tx\":\"\"}", "even number" },
		{ "{\"cmd\":\"submit\",\"tx\":\"abc\"}", "even number" },
		{ "{\"cmd\":\"submit\",\"tx\":\"zz\"}", "not hex" },
		{ "{\"cmd\":\"submit\",\"tx\":\"0102\"}", "not an encoded transaction" },
		{ "{\"cmd\":\"submit\",\"tx\":\"00\",\"y\":2}", "unexpected member \"y\"" },
	};
	struct ctl_req r;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl(bad[i].req, &r, err), -EINVAL);
		if (!strstr(err, bad[i].why))
			fail_msg("request '%s': '%s' does not say '%s'", bad[i].req,
				 err, bad[i].why);
	}
	/* a valid transaction with one byte more or less, or too long */
	tx_hex(hex, sizeof(hex), &len);
	snprintf(line, sizeof(line), "{\"cmd\":\"submit\",\"tx\":\"%s00\"}", hex);
	assert_int_equal(ctl(line, &r, err), -EINVAL);
	assert_non_null(strstr(err, "not an encoded transaction"));
	hex[2 * len - 2] = 0;
	snprintf(line, sizeof(line), "{\"cmd\":\"submit\",\"tx\":\"%s\"}", hex);
	assert_int_equal(ctl(line, &r, err), -EINVAL);
	memset(hex, 'a', 2 * ML_TX_MAX_LEN + 2);
	snprintf(line, sizeof(line), "{\"cmd\":\"submit\",\"tx\":\"%.*s\"}",
		 2 * ML_TX_MAX_LEN + 2, hex);
	assert_int_equal(ctl(line, &r, err), -EINVAL);
	assert_non_null(strstr(err, "hex digits"));
	/* a NUL inside the line */
	assert_int_equal(ctl_parse("{\"cmd\":\"st\0atus\"}", 17, &r, err, 256),
			 -EINVAL);
	/* longer than a line may be */
	memset(line, ' ', CTL_MAX_LINE + 1);
	memcpy(line, "{\"cmd\":\"status\"}", 16);
	assert_int_equal(ctl_parse(line, CTL_MAX_LINE + 1, &r, err, 256), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
}

/* --- gossip batches --- */

struct seen {
	int n;
	size_t lens[8];
};

static int count_tx(void *arg, const uint8_t *tx, size_t len)
{
	struct seen *s = arg;

	(void)tx;
	s->lens[s->n++ & 7] = len;
	return 0;
}

static void test_txs_decode(void **state)
{
	uint8_t b[4096];
	struct seen s = { 0 };
	size_t i;

	(void)state;
	/* two transactions of 3 and 1 bytes */
	memcpy(b, "\x00\x02\x00\x03" "abc" "\x00\x01" "d", 10);
	assert_int_equal(mlnode_txs_decode(b, 10, count_tx, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.lens[0], 3);
	assert_int_equal(s.lens[1], 1);
	/* every refusal calls back for nothing */
	s.n = 0;
	assert_int_equal(mlnode_txs_decode(b, 9, count_tx, &s), -EBADMSG);
	assert_int_equal(mlnode_txs_decode(b, 11, count_tx, &s), -EBADMSG);
	assert_int_equal(mlnode_txs_decode(b, 1, count_tx, &s), -EBADMSG);
	assert_int_equal(mlnode_txs_decode(b, 0, count_tx, &s), -EBADMSG);
	b[1] = 3;	/* count says three */
	assert_int_equal(mlnode_txs_decode(b, 10, count_tx, &s), -EBADMSG);
	b[1] = 0;	/* count zero */
	assert_int_equal(mlnode_txs_decode(b, 2, count_tx, &s), -EBADMSG);
	memcpy(b, "\x00\x01\x00\x00", 4);	/* an empty transaction */
	assert_int_equal(mlnode_txs_decode(b, 4, count_tx, &s), -EBADMSG);
	/* one transaction longer than any */
	b[0] = 0;
	b[1] = 1;
	b[2] = (ML_TX_MAX_LEN + 1) >> 8;
	b[3] = (ML_TX_MAX_LEN + 1) & 0xff;
	assert_int_equal(mlnode_txs_decode(b, 4 + ML_TX_MAX_LEN + 1, count_tx, &s),
			 -EBADMSG);
	/* more transactions than a batch holds */
	b[0] = (MLNODE_MAX_GOSSIP + 1) >> 8;
	b[1] = (MLNODE_MAX_GOSSIP + 1) & 0xff;
	for (i = 0; i <= MLNODE_MAX_GOSSIP; i++)
		memcpy(b + 2 + 3 * i, "\x00\x01x", 3);
	assert_int_equal(mlnode_txs_decode(b, 2 + 3 * (MLNODE_MAX_GOSSIP + 1),
					   count_tx, &s), -EBADMSG);
	assert_int_equal(s.n, 0);
	/* exactly the maximum is fine */
	b[0] = MLNODE_MAX_GOSSIP >> 8;
	b[1] = MLNODE_MAX_GOSSIP & 0xff;
	assert_int_equal(mlnode_txs_decode(b, 2 + 3 * MLNODE_MAX_GOSSIP, count_tx,
					   &s), 0);
	assert_int_equal(s.n, MLNODE_MAX_GOSSIP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_good),
		cmocka_unit_test(test_peer_bad),
		cmocka_unit_test(test_peers_file),
		cmocka_unit_test(test_ctl_good),
		cmocka_unit_test(test_ctl_bad),
		cmocka_unit_test(test_txs_decode),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
