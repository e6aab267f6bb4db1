/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why the chain refused a user's transaction, in words a user can act on.
 * The errors are libmlledger's (lib/ledger/apply.c, dispatch.c), whose
 * meaning depends on the transaction's kind, plus two of settled's own,
 * found before the ledger runs the transaction.
 */
#ifndef SETTLED_TXERR_H
#define SETTLED_TXERR_H

#include <errno.h>

/* the sender's account is not on the chain */
#define TXERR_NO_ACCOUNT	(-ENOKEY)
/* the nonce is not the account's next one */
#define TXERR_NONCE		(-ERANGE)

const char *txerr_text(int kind, int err);

#endif
