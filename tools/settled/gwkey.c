// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway key through lib/mltpm: the only file of settled that talks
 * to the TPM layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gwkey.h"
#include "log.h"
#include "mltpm.h"

struct gwkey {
	struct mltpm *t;
	uint8_t pub[MLTPM_PUB_LEN];
};

int gwkey_open(const struct config *c, struct gwkey **out, char *err, size_t len)
{
	char soft[CFG_PATH_LEN + 32];
	struct mltpm_opts o = {
		.tcti = c->tcti,
		.key_handle = c->persistent_handle,
		.sign_delay_ms = c->sign_delay_ms,
	};
	struct gwkey *k = calloc(1, sizeof(*k));
	int ret;

	*out = NULL;
	if (!k)
		return -ENOMEM;
	if (c->backend == KEY_INSECURE_SOFTWARE) {
		snprintf(soft, sizeof(soft), "%s/insecure-gateway-key.pem", c->state_dir);
		o.insecure_software_key = soft;
	}
	ret = mltpm_open(&o, &k->t);
	if (ret) {
		snprintf(err, len, "gateway key (%s): %s",
			 o.insecure_software_key ? o.insecure_software_key : c->tcti,
			 mltpm_error(NULL));
		free(k);
		return ret;
	}
	if (mltpm_warning(k->t))
		log_warn("%s", mltpm_warning(k->t));
	ret = mltpm_pubkey(k->t, k->pub);
	if (ret) {
		snprintf(err, len, "gateway public key: %s", mltpm_error(k->t));
		gwkey_close(k);
		return ret;
	}
	*out = k;
	return 0;
}

void gwkey_close(struct gwkey *k)
{
	if (!k)
		return;
	mltpm_close(k->t);
	free(k);
}

int gwkey_sign(struct gwkey *k, const uint8_t digest[32], uint8_t sig[64])
{
	int ret = mltpm_sign_digest(k->t, digest, sig);

	if (ret)
		log_err("signing: %s", mltpm_error(k->t));
	return ret;
}

void gwkey_pub(const struct gwkey *k, uint8_t pub[64])
{
	memcpy(pub, k->pub, 64);
}

int gwkey_export_pem(const struct gwkey *k, const char *path)
{
	char tmp[CFG_PATH_LEN + 40], *pem = NULL;
	size_t n;
	int fd, ret;

	ret = mltpm_pubkey_pem(k->t, &pem);
	if (ret)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(pem);
		return -errno;
	}
	n = strlen(pem);
	ret = write(fd, pem, n) == (ssize_t)n && !fsync(fd) ? 0 : -EIO;
	close(fd);
	free(pem);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int gwkey_ed25519(struct gwkey *k, const char *path, uint8_t sk[64], uint8_t pk[32],
		  uint8_t cert[64])
{
	int ret = mltpm_vote_key(k->t, path, sk, pk, cert);

	if (ret)
		log_err("Ed25519 key %s: %s", path, mltpm_error(k->t));
	return ret;
}
