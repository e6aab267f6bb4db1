/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Finding the dispatch instructions addressed to this gateway: every
 * ML_TX_DISPATCH in a final block that names one of the spool's meters,
 * whoever submitted it (this gateway's control socket, another node's
 * mlnode, ledgerctl). The blocks are read in height order after the
 * height kept in the spool (kv SCAN_KEY); the instructions found and the
 * new height are one spool transaction, and an instruction already
 * recorded keeps its state, so a crash anywhere neither loses one nor
 * runs one twice.
 */
#ifndef SETTLED_SCAN_H
#define SETTLED_SCAN_H

#include <stdint.h>

#include "ledger.h"
#include "spool.h"

#define SCAN_KEY	"dispatch_scan_height"

/*
 * Scans at most @max blocks after the spool's scan height up to @top, the
 * height of the last final block of @l (chain_height(): in network mode
 * the node's connection applies the blocks, so @l's own ml_ledger_info()
 * is not the chain's height). Returns the number of
 * instructions recorded now, or -errno with nothing changed; *@height
 * (may be NULL) is the height scanned to. A scan height above the chain's
 * (a new chain at the same path) or one that is not a number is reported
 * and the scan starts again at block 1: recording is idempotent.
 */
int scan_dispatches(struct ml_ledger *l, struct spool *sp, uint64_t top, uint32_t max,
		    uint64_t *height);

#endif
