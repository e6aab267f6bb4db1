// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Transactions: canonical encoding, strict decoding, identifiers and
 * Ed25519 account signatures. Layout: Documentation/ledger/format.rst.
 */
#include <errno.h>
#include <sodium.h>

#include "codec.h"
#include "hash.h"

static void write_body(struct ml_wr *w, const struct ml_tx *tx, int with_sig)
{
	switch (tx->kind) {
	case ML_TX_TRANSFER:
		ml_wr_bytes(w, tx->u.transfer.to, ML_KEY_LEN);
		ml_wr_u64(w, tx->u.transfer.amount);
		break;
	case ML_TX_ORDER:
		ml_wr_bytes(w, tx->u.order.meter, ML_ID_LEN);
		ml_wr_u8(w, tx->u.order.side);
		ml_wr_u64(w, tx->u.order.interval_start);
		ml_wr_u64(w, tx->u.order.qty_wh);
		ml_wr_u64(w, tx->u.order.price);
		break;
	case ML_TX_CANCEL:
		ml_wr_bytes(w, tx->u.cancel.order_id, ML_ID_LEN);
		break;
	case ML_TX_METER_REPORT:
		ml_report_write(w, &tx->u.report, with_sig);
		break;
	case ML_TX_REGISTER_METER:
		ml_wr_bytes(w, tx->u.reg.meter, ML_ID_LEN);
		ml_wr_bytes(w, tx->u.reg.owner, ML_KEY_LEN);
		ml_wr_u32(w, tx->u.reg.feeder);
		ml_wr_bytes(w, tx->u.reg.gw_key, ML_P256_PUB_LEN);
		break;
	case ML_TX_DISPATCH:
		ml_wr_bytes(w, tx->u.dispatch.meter, ML_ID_LEN);
		ml_wr_u8(w, tx->u.dispatch.kind);
		ml_wr_u64(w, (uint64_t)tx->u.dispatch.value);
		ml_wr_u64(w, tx->u.dispatch.start);
		ml_wr_u64(w, tx->u.dispatch.end);
		break;
	case ML_TX_DISPATCH_ACK:
		ml_wr_bytes(w, tx->u.ack.dispatch_id, ML_ID_LEN);
		ml_wr_u8(w, tx->u.ack.status);
		break;
	case ML_TX_VALIDATOR_VOTE:
		ml_wr_bytes(w, tx->u.vote.subject, ML_KEY_LEN);
		ml_wr_u8(w, tx->u.vote.action);
		break;
	case ML_TX_EVIDENCE:
		ml_wr_bytes(w, tx->u.evidence.validator, ML_KEY_LEN);
		ml_wr_u8(w, tx->u.evidence.type);
		ml_wr_u64(w, tx->u.evidence.height);
		ml_wr_u32(w, tx->u.evidence.round);
		ml_wr_bytes(w, tx->u.evidence.hash_a, ML_HASH_LEN);
		ml_wr_bytes(w, tx->u.evidence.sig_a, ML_SIG_LEN);
		ml_wr_bytes(w, tx->u.evidence.hash_b, ML_HASH_LEN);
		ml_wr_bytes(w, tx->u.evidence.sig_b, ML_SIG_LEN);
		break;
	default:
		w->err = -EINVAL;
	}
}

void ml_tx_write(struct ml_wr *w, const struct ml_tx *tx, int with_sig)
{
	ml_wr_u8(w, ML_FORMAT_VERSION);
	ml_wr_u8(w, tx->kind);
	ml_wr_u64(w, tx->chain_id);
	ml_wr_bytes(w, tx->sender, ML_KEY_LEN);
	ml_wr_u64(w, tx->nonce);
	write_body(w, tx, with_sig);
	if (with_sig)
		ml_wr_bytes(w, tx->sig, ML_SIG_LEN);
}

/* Range checks that make a decoded value meaningful, shared with encode. */
static int body_valid(const struct ml_tx *tx)
{
	switch (tx->kind) {
	case ML_TX_TRANSFER:
		return tx->u.transfer.amount > 0 &&
		       tx->u.transfer.amount <= ML_MAX_AMOUNT;
	case ML_TX_ORDER:
		return (tx->u.order.side == ML_BID ||
			tx->u.order.side == ML_ASK) &&
		       tx->u.order.qty_wh > 0 &&
		       tx->u.order.qty_wh <= ML_MAX_QTY_WH &&
		       tx->u.order.price <= ML_MAX_PRICE;
	case ML_TX_DISPATCH: {
		int64_t v = tx->u.dispatch.value;
		uint8_t k = tx->u.dispatch.kind;

		if (k < ML_DISPATCH_IMPORT_LIMIT || k > ML_DISPATCH_CURTAIL)
			return 0;
		if (v > ML_MAX_DISPATCH_W || v < -ML_MAX_DISPATCH_W)
			return 0;
		if (k != ML_DISPATCH_BATTERY && v < 0)
			return 0;
		return tx->u.dispatch.start < tx->u.dispatch.end;
	}
	case ML_TX_DISPATCH_ACK:
		return tx->u.ack.status == ML_ACK_ACCEPT ||
		       tx->u.ack.status == ML_ACK_REJECT;
	case ML_TX_VALIDATOR_VOTE:
		return tx->u.vote.action == ML_VOTE_ADD ||
		       tx->u.vote.action == ML_VOTE_REMOVE;
	case ML_TX_EVIDENCE:
		return tx->u.evidence.type >= ML_VOTE_PROPOSAL &&
		       tx->u.evidence.type <= ML_VOTE_COMMIT &&
		       tx->u.evidence.height > 0 &&
		       memcmp(tx->u.evidence.hash_a, tx->u.evidence.hash_b,
			      ML_HASH_LEN) < 0;
	case ML_TX_CANCEL:
	case ML_TX_METER_REPORT:	/* checked by the report reader */
	case ML_TX_REGISTER_METER:	/* curve check needs state: apply.c */
		return 1;
	default:
		return 0;
	}
}

int ml_tx_encode(const struct ml_tx *tx, uint8_t *buf, size_t cap, size_t *len)
{
	struct ml_wr w = { .p = buf, .cap = cap };

	if (!body_valid(tx))
		return -EINVAL;
	if (tx->kind == ML_TX_METER_REPORT &&
	    !ml_p256_sig_valid(tx->u.report.sig))
		return -EINVAL;
	ml_tx_write(&w, tx, 1);
	if (w.err)
		return w.err;
	*len = w.len;
	return 0;
}

int ml_tx_decode(const uint8_t *buf, size_t len, struct ml_tx *out)
{
	struct ml_rd r = { .p = buf, .len = len };
	struct ml_tx tx;
	int ret;

	memset(&tx, 0, sizeof(tx));
	ml_rd_require(&r, ml_rd_u8(&r) == ML_FORMAT_VERSION);
	tx.kind = ml_rd_u8(&r);
	tx.chain_id = ml_rd_u64(&r);
	ml_rd_bytes(&r, tx.sender, ML_KEY_LEN);
	tx.nonce = ml_rd_u64(&r);
	switch (r.err ? 0 : tx.kind) {
	case ML_TX_TRANSFER:
		ml_rd_bytes(&r, tx.u.transfer.to, ML_KEY_LEN);
		tx.u.transfer.amount = ml_rd_u64(&r);
		break;
	case ML_TX_ORDER:
		ml_rd_bytes(&r, tx.u.order.meter, ML_ID_LEN);
		tx.u.order.side = ml_rd_u8(&r);
		tx.u.order.interval_start = ml_rd_u64(&r);
		tx.u.order.qty_wh = ml_rd_u64(&r);
		tx.u.order.price = ml_rd_u64(&r);
		break;
	case ML_TX_CANCEL:
		ml_rd_bytes(&r, tx.u.cancel.order_id, ML_ID_LEN);
		break;
	case ML_TX_METER_REPORT:
		ml_report_read(&r, &tx.u.report);
		break;
	case ML_TX_REGISTER_METER:
		ml_rd_bytes(&r, tx.u.reg.meter, ML_ID_LEN);
		ml_rd_bytes(&r, tx.u.reg.owner, ML_KEY_LEN);
		tx.u.reg.feeder = ml_rd_u32(&r);
		ml_rd_bytes(&r, tx.u.reg.gw_key, ML_P256_PUB_LEN);
		break;
	case ML_TX_DISPATCH:
		ml_rd_bytes(&r, tx.u.dispatch.meter, ML_ID_LEN);
		tx.u.dispatch.kind = ml_rd_u8(&r);
		tx.u.dispatch.value = (int64_t)ml_rd_u64(&r);
		tx.u.dispatch.start = ml_rd_u64(&r);
		tx.u.dispatch.end = ml_rd_u64(&r);
		break;
	case ML_TX_DISPATCH_ACK:
		ml_rd_bytes(&r, tx.u.ack.dispatch_id, ML_ID_LEN);
		tx.u.ack.status = ml_rd_u8(&r);
		break;
	case ML_TX_VALIDATOR_VOTE:
		ml_rd_bytes(&r, tx.u.vote.subject, ML_KEY_LEN);
		tx.u.vote.action = ml_rd_u8(&r);
		break;
	case ML_TX_EVIDENCE:
		ml_rd_bytes(&r, tx.u.evidence.validator, ML_KEY_LEN);
		tx.u.evidence.type = ml_rd_u8(&r);
		tx.u.evidence.height = ml_rd_u64(&r);
		tx.u.evidence.round = ml_rd_u32(&r);
		ml_rd_bytes(&r, tx.u.evidence.hash_a, ML_HASH_LEN);
		ml_rd_bytes(&r, tx.u.evidence.sig_a, ML_SIG_LEN);
		ml_rd_bytes(&r, tx.u.evidence.hash_b, ML_HASH_LEN);
		ml_rd_bytes(&r, tx.u.evidence.sig_b, ML_SIG_LEN);
		break;
	default:
		ml_rd_require(&r, 0);	/* unknown kind */
	}
	ml_rd_require(&r, r.err || body_valid(&tx));
	ml_rd_bytes(&r, tx.sig, ML_SIG_LEN);
	ret = ml_rd_end(&r);
	if (ret)
		return ret;
	*out = tx;
	return 0;
}

/*
 * The identifier leaves out every signature: ECDSA signatures are
 * randomised and malleable, so an id over them would not name the
 * transaction, only one of its many valid encodings.
 */
void ml_tx_id(const struct ml_tx *tx, uint8_t id[ML_HASH_LEN])
{
	uint8_t buf[ML_TX_MAX_LEN];
	struct ml_wr w = { .p = buf, .cap = sizeof(buf) };
	crypto_generichash_state st;

	ml_tx_write(&w, tx, 0);
	ml_hash_init(&st, ML_DOMAIN_TX);
	crypto_generichash_update(&st, buf, w.len);
	ml_hash_final(&st, id);
}

int ml_tx_sign(struct ml_tx *tx, const uint8_t sk[64])
{
	uint8_t id[ML_HASH_LEN];

	if (!body_valid(tx))
		return -EINVAL;
	/* libsodium keeps the public key in the second half of sk */
	memcpy(tx->sender, sk + 32, ML_KEY_LEN);
	ml_tx_id(tx, id);
	if (crypto_sign_detached(tx->sig, NULL, id, sizeof(id), sk))
		return -EINVAL;
	return 0;
}

int ml_tx_verify(const struct ml_tx *tx)
{
	uint8_t id[ML_HASH_LEN];

	ml_tx_id(tx, id);
	if (crypto_sign_verify_detached(tx->sig, id, sizeof(id), tx->sender))
		return -EPERM;
	return 0;
}
