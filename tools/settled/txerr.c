// SPDX-License-Identifier: GPL-2.0
/* Refusals of users' transactions in words (see txerr.h). */
#include <string.h>

#include "ledger.h"
#include "txerr.h"

static const char *enoent(int kind)
{
	switch (kind) {
	case ML_TX_ORDER:
		return "the meter is not registered on the chain (ledgerctl meters list)";
	case ML_TX_CANCEL:
		return "no such order on the chain (ledgerctl orders)";
	case ML_TX_REGISTER_METER:
		return "no such feeder on the chain";
	case ML_TX_DISPATCH:
		return "the meter is not registered on the chain";
	case ML_TX_DISPATCH_ACK:
		return "no such dispatch instruction on the chain (ledgerctl dispatch list)";
	}
	return "something the transaction names is not on the chain";
}

static const char *eperm(int kind)
{
	switch (kind) {
	case ML_TX_ORDER:
		return "the meter belongs to another account: only its owner trades for it";
	case ML_TX_CANCEL:
		return "the order belongs to another account";
	case ML_TX_REGISTER_METER:
	case ML_TX_DISPATCH:
		return "only an operator of the chain may do this";
	case ML_TX_DISPATCH_ACK:
		return "only the meter's owner may acknowledge its dispatch instructions";
	case ML_TX_VALIDATOR_VOTE:
		return "only a validator may vote, and the last validator cannot be removed";
	}
	return "the sender may not do this";
}

static const char *ealready(int kind)
{
	switch (kind) {
	case ML_TX_CANCEL:
		return "the order is not open any more (filled, cancelled or cleared)";
	case ML_TX_DISPATCH_ACK:
		return "the dispatch instruction was acknowledged already";
	case ML_TX_VALIDATOR_VOTE:
		return "the account already is (add) or is not (remove) a validator";
	}
	return "the transaction was applied already";
}

static const char *etime(int kind)
{
	switch (kind) {
	case ML_TX_ORDER:
	case ML_TX_CANCEL:
		return "too late: the interval's gate has closed";
	case ML_TX_DISPATCH:
		return "too late: the window starts before the next block";
	case ML_TX_DISPATCH_ACK:
		return "too late: the dispatch window is over";
	}
	return "too late or too early for the chain's clock";
}

static const char *einval(int kind)
{
	switch (kind) {
	case ML_TX_TRANSFER:
		return "invalid transfer (to the sender itself?)";
	case ML_TX_ORDER:
		return "invalid order: the interval must start on an interval boundary "
		       "at most a week ahead";
	case ML_TX_REGISTER_METER:
		return "invalid gateway key: not a point on P-256";
	case ML_TX_DISPATCH:
		return "invalid window: START and END must be interval boundaries, "
		       "at most 96 intervals apart";
	}
	return "the transaction's values are invalid";
}

const char *txerr_text(int kind, int err)
{
	switch (err) {
	case TXERR_NO_ACCOUNT:
		return "the sender's account is not on the chain (it needs a transfer of "
		       "credits first)";
	case TXERR_NONCE:
		return "out of sequence: another transaction of this account went first "
		       "(run the command again)";
	case -ENOSPC:
		return "not enough credits that are not locked in open orders";
	case -ENOENT:
		return enoent(kind);
	case -EPERM:
		return eperm(kind);
	case -EALREADY:
		return ealready(kind);
	case -ETIME:
		return etime(kind);
	case -EINVAL:
		return einval(kind);
	case -EEXIST:
		return kind == ML_TX_REGISTER_METER ? "the meter is registered already" :
		       kind == ML_TX_VALIDATOR_VOTE ? "this account voted for that already" :
		       "the transaction is on the chain already";
	}
	return strerror(-err);
}
