// SPDX-License-Identifier: GPL-2.0
/* ledgerctl key create|show|export: account key files. */
#include <getopt.h>
#include <string.h>

#include "keyfile.h"

static int print_key(struct lc *c, const char *path, const struct kf_key *k,
		     bool full)
{
	char hex[2 * ML_KEY_LEN + 1];

	fmt_hex(hex, k->pk, ML_KEY_LEN);
	if (c->json) {
		json_t *j = json_pack("{s:s}", "account", hex);

		if (j && full) {
			json_object_set_new(j, "file", json_string(path));
			json_object_set_new(j, "kdf", json_pack("{s:s, s:I, s:I}",
				"alg", "argon2id13",
				"opslimit", (json_int_t)k->opslimit,
				"memlimit", (json_int_t)k->memlimit));
		}
		return lc_print_json(j) ? 0 : LC_EXIT_FAIL;
	}
	if (!full) {
		printf("%s\n", hex);
		return 0;
	}
	printf("account  %s\nfile     %s\nkdf      argon2id13, %llu passes, %llu MiB\n",
	       hex, path, (unsigned long long)k->opslimit,
	       (unsigned long long)(k->memlimit >> 20));
	return 0;
}

static int key_create(struct lc *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kdf", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const levels[] = { "interactive", "moderate",
					      "sensitive" };
	enum kf_level level = KF_MODERATE;
	struct kf_key k;
	int opt, ret;
	size_t i;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'K')
			return lc_usage(c, "unknown option");
		for (i = 0; i < 3; i++)
			if (!strcmp(optarg, levels[i]))
				break;
		if (i == 3)
			return lc_usage(c, "--kdf: '%s' is not interactive, "
					"moderate or sensitive", optarg);
		level = (enum kf_level)i;
	}
	if (argc - optind != 1)
		return lc_usage(c, "key create takes one FILE");
	ret = kf_create(c, argv[optind], level, &k);
	if (ret)
		return ret;
	kf_wipe(&k);
	return print_key(c, argv[optind], &k, true);
}

int cmd_key(struct lc *c, int argc, char **argv)
{
	struct kf_key k;
	bool show;
	int ret;

	if (argc < 2)
		return lc_usage(c, "key needs create, show or export");
	if (!strcmp(argv[1], "create")) {
		c->cmd = "key create";
		return key_create(c, argc - 1, argv + 1);
	}
	show = !strcmp(argv[1], "show");
	if (!show && strcmp(argv[1], "export"))
		return lc_usage(c, "unknown key command '%s'", argv[1]);
	c->cmd = show ? "key show" : "key export";
	if (argc != 3)
		return lc_usage(c, "%s takes one FILE", c->cmd);
	/* both decrypt: only that proves the file is whole and the key ours */
	ret = kf_load(c, argv[2], &k);
	if (ret)
		return ret;
	kf_wipe(&k);
	return print_key(c, argv[2], &k, show);
}
