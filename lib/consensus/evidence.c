// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Equivocation: two signed messages of one kind from one validator at one
 * height and round naming different blocks, kept until a proposer puts
 * them on chain (ledger transaction kind 9).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "engine.h"

void ml_cs_evidence_add(struct ml_cs *e, const uint8_t *offender,
			 uint8_t type, uint64_t height, uint32_t round,
			 const uint8_t *h1, const uint8_t *s1,
			 const uint8_t *h2, const uint8_t *s2, int announce)
{
	struct ml_tx *t;
	int swap = memcmp(h1, h2, ML_HASH_LEN) > 0;
	size_t i;

	for (i = 0; i < e->nev; i++)
		if (!memcmp(e->ev[i].u.evidence.validator, offender, 32) &&
		    e->ev[i].u.evidence.type == type &&
		    e->ev[i].u.evidence.height == height &&
		    e->ev[i].u.evidence.round == round)
			return;
	if (e->nev == MAX_EVIDENCE)
		return;
	t = &e->ev[e->nev++];
	memset(t, 0, sizeof(*t));
	t->kind = ML_TX_EVIDENCE;
	memcpy(t->u.evidence.validator, offender, ML_KEY_LEN);
	t->u.evidence.type = type;
	t->u.evidence.height = height;
	t->u.evidence.round = round;
	memcpy(t->u.evidence.hash_a, swap ? h2 : h1, ML_HASH_LEN);
	memcpy(t->u.evidence.sig_a, swap ? s2 : s1, ML_SIG_LEN);
	memcpy(t->u.evidence.hash_b, swap ? h1 : h2, ML_HASH_LEN);
	memcpy(t->u.evidence.sig_b, swap ? s1 : s2, ML_SIG_LEN);
	ml_cs_log(e, "validator %02x%02x%02x%02x signed two %s at %llu/%u",
	      offender[0], offender[1], offender[2], offender[3],
	      type == ML_VOTE_PROPOSAL ? "proposals" :
	      type == ML_VOTE_PREPARE ? "prepares" : "commits",
	      (unsigned long long)height, round);
	if (announce && e->me >= 0) {
		struct ml_cs_msg m = {
			.type = ML_CS_EVIDENCE, .height = height, .round = round,
			.vtype = type,
		};

		memcpy(m.offender, offender, ML_KEY_LEN);
		memcpy(m.hash, t->u.evidence.hash_a, ML_HASH_LEN);
		memcpy(m.sig_a, t->u.evidence.sig_a, ML_SIG_LEN);
		memcpy(m.hash_b, t->u.evidence.hash_b, ML_HASH_LEN);
		memcpy(m.sig_b, t->u.evidence.sig_b, ML_SIG_LEN);
		ml_cs_sign_send(e, &m, ML_CS_STEP_NONE, NULL);
	}
}

int ml_cs_on_evidence(struct ml_cs *e, const struct ml_cs_msg *m)
{
	uint8_t b[ML_VOTE_BYTES_LEN];
	size_t n;

	if (m->height > e->h)
		return -ESTALE;
	if (ml_cs_val_index(e, m->offender) < 0)
		return -EPERM;
	n = ml_vote_bytes(m->vtype, e->chain_id, m->height, m->round,
			  m->offender, m->hash, b);
	if (crypto_sign_verify_detached(m->sig_a, b, n, m->offender))
		return -EPERM;
	n = ml_vote_bytes(m->vtype, e->chain_id, m->height, m->round,
			  m->offender, m->hash_b, b);
	if (crypto_sign_verify_detached(m->sig_b, b, n, m->offender))
		return -EPERM;
	ml_cs_evidence_add(e, m->offender, m->vtype, m->height, m->round, m->hash,
		     m->sig_a, m->hash_b, m->sig_b, 0);
	return 0;
}
