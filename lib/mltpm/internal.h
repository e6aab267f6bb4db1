/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the files of lib/mltpm; not part of the API. */
#ifndef MLTPM_INTERNAL_H
#define MLTPM_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2_esys.h>

#include "mltpm.h"

#define MLTPM_ERR_LEN 512

struct mltpm {
	pthread_mutex_t lock;		/* serializes every call */
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *ectx;
	ESYS_TR key;			/* persistent signing key */
	uint32_t key_handle;
	EVP_PKEY *sw;			/* insecure software key, or NULL */
	char *sw_path;
	unsigned int delay_ms;
	uint8_t pub[MLTPM_PUB_LEN];
	char warning[MLTPM_ERR_LEN];
	char err[MLTPM_ERR_LEN];
};

/* mltpm.c: store the message, return @err */
int mltpm_fail(struct mltpm *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mltpm_tss_fail(struct mltpm *t, TSS2_RC rc, const char *what);
/* mltpm.c: caller holds t->lock */
int mltpm_sign_locked(struct mltpm *t, const uint8_t digest[32],
		      uint8_t sig[MLTPM_SIG_LEN]);

/* file.c */
int mltpm_read_file(struct mltpm *t, const char *path, uint8_t **buf,
		    size_t *len, size_t max);
int mltpm_write_atomic(struct mltpm *t, const char *path, const void *buf,
		       size_t len);

/* swkey.c */
int mltpm_sw_open(struct mltpm *t);
int mltpm_sw_sign(struct mltpm *t, const uint8_t digest[32],
		  uint8_t sig[MLTPM_SIG_LEN]);

/* verify.c */

#endif
