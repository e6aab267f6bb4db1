// SPDX-License-Identifier: GPL-2.0
/*
 * Report worker (see worker.h). Reports go out in spool order: the block
 * for report k+1 is never built before report k is on the chain or was
 * refused by it for good. Errors that mean "the ledger cannot be reached
 * or written now" leave everything queued for the next round.
 */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch.h"
#include "log.h"
#include "query.h"
#include "scan.h"
#include "spool.h"
#include "txerr.h"
#include "worker.h"

#define BATCH	256
#define SIGN_SLICE	16
/* stats are read by the main thread */
#define STAT(w, expr) do { pthread_mutex_lock(&(w)->mu); expr; pthread_mutex_unlock(&(w)->mu); } while (0)

struct worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, kick;
	uint32_t block_ms;
	uint64_t chain_id;
	struct config cfg;	/* the executor's settings (reloadable) */
	struct spool *sp;
	struct gwkey *key;
	struct chain *ch;
	uint8_t pub[64];
	struct worker_stats st;
	int failing, scan_failing;
};

static void report_of(const struct worker *w, const struct spool_report *s,
		      struct ml_meter_report *r)
{
	memset(r, 0, sizeof(*r));
	r->chain_id = w->chain_id;
	memcpy(r->meter, s->meter_key, 32);
	r->interval_start = s->start;
	r->interval_len = s->len;
	r->import_wh = s->import_wh;
	r->export_wh = s->export_wh;
	memcpy(r->readings_root, s->root, 32);
	memcpy(r->sig, s->sig, 64);
}

static int stopping(struct worker *w)
{
	int s;

	pthread_mutex_lock(&w->mu);
	s = w->stop;
	pthread_mutex_unlock(&w->mu);
	return s;
}

/* signs up to @max reports, oldest first; returns how many */
static int sign_some(struct worker *w, int max)
{
	struct spool_report s;
	struct ml_meter_report r;
	uint8_t digest[32];
	int ret, n = 0;

	while (n < max && !stopping(w) && !spool_next_report(w->sp, REP_UNSIGNED, &s)) {
		report_of(w, &s, &r);
		ml_report_digest(&r, digest);
		ret = gwkey_sign(w->key, digest, r.sig);
		/* never publish what the public key does not verify */
		if (!ret && ml_report_verify(&r, w->pub)) {
			log_err("the gateway key's signature does not verify; report kept unsigned");
			ret = -EBADMSG;
		}
		if (!ret)
			ret = spool_report_signed(w->sp, s.id, r.sig);
		if (ret) {
			STAT(w, w->st.last_err = ret);
			break;	/* retried next round */
		}
		STAT(w, w->st.signed_reports++);
		n++;
	}
	return n;
}

static int transient(int err)
{
	return err == -EBUSY || err == -EIO || err == -ENOMEM || err == -ENOSPC ||
	       err == -EACCES || err == -EROFS || err == -EAGAIN || err == -EUCLEAN;
}

static void note_failure(struct worker *w, int ret)
{
	STAT(w, w->st.failures++);
	STAT(w, w->st.last_err = ret);
	if (!w->failing)
		log_warn("ledger submission failed (%s); reports stay queued",
			 strerror(-ret));
	w->failing = 1;
}

/* entries of one round: registrations, reports, then users' transactions */
struct round {
	struct ml_tx txs[BATCH];
	int64_t mids[BATCH];
	struct spool_report reps[BATCH];
	struct spool_dispatch acks[BATCH];
	struct spool_user_tx user[BATCH];
	size_t nm, nr, na, nu;
};

/*
 * The sender of txs[@k] exists and its nonce follows the chain's and the
 * users' txs kept before it in this round (txs[@first..@k)): the ledger
 * answers both with errors that also mean other things.
 */
static int user_nonce_ok(struct worker *w, const struct ml_tx *txs, uint32_t first, uint32_t k)
{
	struct ml_ledger *l = chain_ledger(w->ch);
	uint64_t nonce;
	uint32_t j;
	int ret;

	if (!l)
		return 0;	/* chain_check says why */
	ret = ml_ledger_balance(l, txs[k].sender, NULL, NULL, &nonce);
	if (ret == -ENOENT)
		return TXERR_NO_ACCOUNT;
	if (ret)
		return ret;
	for (j = first; j < k; j++)
		nonce += !memcmp(txs[j].sender, txs[k].sender, ML_KEY_LEN);
	return txs[k].nonce == nonce ? 0 : TXERR_NONCE;
}

static uint32_t gather(struct worker *w, struct round *rd)
{
	uint8_t keys[BATCH][32];
	uint32_t n = 0, first;
	size_t i;

	if (spool_unregistered(w->sp, rd->mids, keys, BATCH, &rd->nm))
		rd->nm = 0;
	for (i = 0; i < rd->nm; i++) {
		struct ml_tx *t = &rd->txs[n++];

		memset(t, 0, sizeof(*t));
		t->kind = ML_TX_REGISTER_METER;
		memcpy(t->u.reg.meter, keys[i], 32);
		chain_account(w->ch, t->u.reg.owner);
		t->u.reg.feeder = 1;
		memcpy(t->u.reg.gw_key, w->pub, 64);
	}
	if (spool_reports(w->sp, REP_SIGNED, rd->reps, BATCH - n, &rd->nr))
		rd->nr = 0;
	for (i = 0; i < rd->nr; i++) {
		struct ml_tx *t = &rd->txs[n++];

		memset(t, 0, sizeof(*t));
		t->kind = ML_TX_METER_REPORT;
		report_of(w, &rd->reps[i], &t->u.report);
	}
	if (spool_dispatches(w->sp, 1, rd->acks, BATCH - n, &rd->na))
		rd->na = 0;
	for (i = 0; i < rd->na; i++) {
		struct ml_tx *t = &rd->txs[n++];

		memset(t, 0, sizeof(*t));
		t->kind = ML_TX_DISPATCH_ACK;
		memcpy(t->u.ack.dispatch_id, rd->acks[i].id, 32);
		t->u.ack.status = (uint8_t)rd->acks[i].ack;
	}
	if (spool_user_txs(w->sp, rd->user, BATCH - n, &rd->nu))
		rd->nu = 0;
	/*
	 * Users' transactions are tried first, each after the users' ones
	 * kept before it (an account's nonces n and n + 1 may share a
	 * round): one the chain refuses is answered at once and never holds
	 * up the gateway's own. For them -ENOSPC is the ledger's "not
	 * enough credits", final.
	 */
	first = n;
	for (i = 0; i < rd->nu; i++) {
		int ret = ml_tx_decode(rd->user[i].enc, rd->user[i].len, &rd->txs[n]);

		ret = ret ? ret : user_nonce_ok(w, rd->txs, first, n);
		ret = ret ? ret : chain_check(w->ch, &rd->txs[first], n - first + 1);
		if (ret && (!transient(ret) || ret == -ENOSPC)) {
			spool_user_tx_done(w->sp, rd->user[i].id, REP_REJECTED, 0, ret);
			log_info("a submitted transaction was refused: %s",
				 txerr_text(rd->txs[n].kind, ret));
			memmove(&rd->user[i], &rd->user[i + 1],
				(rd->nu - i - 1) * sizeof(rd->user[0]));
			rd->nu--;
			i--;
			continue;
		}
		n++;
	}
	return n;
}

/*
 * Looks through the blocks final since the last scan for instructions
 * naming our meters, in slices of SCAN_SLICE blocks (each one spool
 * transaction), so a long chain on a first start does not hold the
 * worker for long at a time.
 */
#define SCAN_SLICE	256
static void scan(struct worker *w)
{
	struct ml_ledger *l = chain_ledger(w->ch);
	uint64_t h = 0, top;
	int ret;

	if (!l || chain_height(w->ch, &top))
		return;	/* the submission says why */
	do {
		ret = scan_dispatches(l, w->sp, top, SCAN_SLICE, &h);
	} while (ret >= 0 && h < top && !stopping(w));
	if (ret < 0 && !w->scan_failing)
		log_err("looking for dispatch instructions in the final blocks: %s; tried again"
			" next round", strerror(-ret));
	w->scan_failing = ret < 0;
}

/*
 * Executes the instructions found final: the executor runs here, in the
 * worker, never on the ingestion path. One whose window has ended already
 * (found after a downtime, or on a first start against an existing chain)
 * is not executed late: it is logged as expired and left unanswered, since
 * the ledger takes no acknowledgement once the window is over. One whose
 * window has begun is executed for what is left of it. A crash between
 * the run and the spool update runs it again at the next start: executors
 * must be idempotent (they set a limit; they do not add to one).
 */
static void execute(struct worker *w)
{
	struct spool_dispatch d[16];
	struct config c;
	size_t n, i;
	int r;

	if (spool_dispatches(w->sp, 0, d, 16, &n))
		return;
	pthread_mutex_lock(&w->mu);
	c = w->cfg;
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < n && !stopping(w); i++) {
		struct dispatch_order o = { .kind = d[i].kind, .value = d[i].value,
					    .start = d[i].start, .end = d[i].end };

		memcpy(o.id, d[i].id, 32);
		memcpy(o.meter, d[i].meter, 32);
		if ((uint64_t)time(NULL) >= d[i].end) {
			char id[17];

			sodium_bin2hex(id, sizeof(id), d[i].id, 8);
			log_warn("dispatch %s kind %u value %lld W for [%llu, %llu): expired before"
				 " it could be executed; not executed, not acknowledged", id,
				 d[i].kind, (long long)d[i].value, (unsigned long long)d[i].start,
				 (unsigned long long)d[i].end);
			spool_dispatch_set(w->sp, d[i].id, 3, 0, -ETIME);
			continue;
		}
		r = dispatch_run(&c, &o);
		if (r == 0)
			log_info("dispatch kind %u value %lld W for [%llu, %llu): executor succeeded",
				 d[i].kind, (long long)d[i].value, (unsigned long long)d[i].start,
				 (unsigned long long)d[i].end);
		else if (r > 0)
			log_err("dispatch kind %u value %lld W: executor exited with status %d",
				d[i].kind, (long long)d[i].value, r);
		else
			log_err("dispatch kind %u value %lld W: executor %s: %s", d[i].kind,
				(long long)d[i].value, c.executor[0] ? c.executor : "(none configured)",
				strerror(-r));
		spool_dispatch_set(w->sp, d[i].id, 1, r == 0 ? ML_ACK_ACCEPT : ML_ACK_REJECT, r);
	}
}

struct tally {
	uint32_t n, met, missed, no_report;
	int64_t target, measured;
};

static int tally_row(const struct ml_q_compliance *x, void *arg)
{
	struct tally *t = arg;

	t->n++;
	t->met += x->status == 0;
	t->missed += x->status == 1;
	t->no_report += x->status == 2;
	t->target += x->target;
	t->measured += x->measured;
	return 0;
}

/*
 * Compliance of this gateway's acknowledged instructions, measured by the
 * chain from the signed reports as each interval of the window settled:
 * one log line per instruction once all of its window is measured (spool
 * state 3). Rejected ones are not measured.
 */
static void compliance(struct worker *w)
{
	static const char *const kinds[] = { "?", "import-limit", "export-limit", "battery",
					     "curtail" };
	struct ml_ledger *l = chain_ledger(w->ch);
	struct spool_dispatch d[16];
	uint32_t len;
	size_t n, i;
	char id[17];

	if (!l || spool_dispatches(w->sp, 2, d, 16, &n))
		return;
	pthread_mutex_lock(&w->mu);
	len = w->cfg.interval;
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < n; i++) {
		struct tally t = { 0 };

		if (d[i].ack == ML_ACK_REJECT) {
			spool_dispatch_set(w->sp, d[i].id, 3, d[i].ack, d[i].result);
			continue;
		}
		if (ml_q_compliance(l, d[i].id, tally_row, &t) < 0 ||
		    t.n < (d[i].end - d[i].start) / len)
			continue;	/* not all settled yet */
		sodium_bin2hex(id, sizeof(id), d[i].id, 8);
		log_info("dispatch %s (%s %lld W, [%llu, %llu)): compliance: %u of %u intervals met,"
			 " %u missed, %u without a report; measured %lld Wh, target %lld Wh",
			 id, kinds[d[i].kind <= 4 ? d[i].kind : 0], (long long)d[i].value,
			 (unsigned long long)d[i].start, (unsigned long long)d[i].end, t.met, t.n,
			 t.missed, t.no_report, (long long)t.measured, (long long)t.target);
		spool_dispatch_set(w->sp, d[i].id, 3, d[i].ack, d[i].result);
	}
}

/* records the outcome of entry @i of a round */
static void mark(struct worker *w, struct round *rd, size_t i, int err, uint64_t height)
{
	const struct spool_report *rep;

	/*
	 * Already on the chain: settled was stopped after the block was
	 * applied and before the spool recorded it. The ledger keeps one
	 * report per meter and interval and only this gateway's key signs
	 * them, so it is this one.
	 */
	if (err == -EEXIST && i < rd->nm + rd->nr) {
		log_info("%s %zu was already on the chain", i < rd->nm ? "meter" : "report", i);
		err = 0;
	}
	if (i < rd->nm) {
		if (!err)
			spool_meter_registered(w->sp, rd->mids[i], height);
		else
			log_err("meter %lld: registration refused by the ledger: %s",
				(long long)rd->mids[i], strerror(-err));
		return;
	}
	if (i >= rd->nm + rd->nr + rd->na) {
		struct ml_tx tx;

		/* decoded again: narrow() moves the round's txs around */
		i -= rd->nm + rd->nr + rd->na;
		if (ml_tx_decode(rd->user[i].enc, rd->user[i].len, &tx))
			memset(&tx, 0, sizeof(tx));
		spool_user_tx_done(w->sp, rd->user[i].id, err ? REP_REJECTED : REP_COMMITTED,
				   height, err);
		if (err)
			log_info("a submitted transaction was refused: %s",
				 txerr_text(tx.kind, err));
		return;
	}
	if (i >= rd->nm + rd->nr) {
		const struct spool_dispatch *d = &rd->acks[i - rd->nm - rd->nr];

		spool_dispatch_set(w->sp, d->id, 2, d->ack, d->result);
		if (err)
			log_err("the acknowledgement of a dispatch was refused by the ledger: %s",
				strerror(-err));
		return;
	}
	rep = &rd->reps[i - rd->nm];
	spool_report_done(w->sp, rep->id, err ? REP_REJECTED : REP_COMMITTED, height, err);
	if (err) {
		STAT(w, w->st.rejected++);
		log_err("report of meter %lld interval %llu refused by the ledger: %s",
			(long long)rep->meter, (unsigned long long)rep->start, strerror(-err));
	} else {
		STAT(w, w->st.committed++);
	}
}

/* one block of @n txs, the first @ngw of them this gateway's own */
static int send(struct worker *w, struct ml_tx *txs, uint32_t n, uint32_t ngw, uint64_t *height)
{
	uint64_t nonce;
	int ret = chain_nonce(w->ch, &nonce);

	if (ret)
		return ret;
	chain_prepare(w->ch, txs, ngw, nonce);
	return chain_submit(w->ch, txs, n, height);
}

/* is the block of the first @k txs valid? (gateway txs renumbered from @nonce) */
static int prefix_ok(struct worker *w, struct ml_tx *txs, uint32_t k, uint32_t ngw,
		     uint64_t nonce)
{
	chain_prepare(w->ch, txs, k < ngw ? k : ngw, nonce);
	return chain_check(w->ch, txs, k);
}

/*
 * The chain refused the round's block for good: find the refused tx by
 * bisecting on prefixes (dry runs, no block spent), record it, drop it,
 * and send the rest. @idx maps positions to entries of @rd.
 */
static int narrow(struct worker *w, struct round *rd, uint32_t n, uint32_t ngw,
		  uint64_t *height)
{
	uint32_t idx[BATCH], i, lo, hi, mid;
	uint64_t nonce;
	int ret = 0, err, tries;

	for (i = 0; i < n; i++)
		idx[i] = i;
	for (tries = 0; tries < 32 && n; tries++) {
		ret = chain_nonce(w->ch, &nonce);
		if (ret)
			return ret;
		lo = 0;
		hi = n;
		err = prefix_ok(w, rd->txs, n, ngw, nonce);
		if (!err)
			break;
		if (transient(err))
			return err;
		while (hi - lo > 1) {
			mid = (lo + hi) / 2;
			ret = prefix_ok(w, rd->txs, mid, ngw, nonce);
			if (ret && transient(ret))
				return ret;
			if (ret) {
				hi = mid;
				err = ret;
			} else {
				lo = mid;
			}
		}
		mark(w, rd, idx[hi - 1], err, 0);
		memmove(&rd->txs[hi - 1], &rd->txs[hi], (n - hi) * sizeof(rd->txs[0]));
		memmove(&idx[hi - 1], &idx[hi], (n - hi) * sizeof(idx[0]));
		n--;
		if (hi - 1 < ngw)
			ngw--;
	}
	if (!n)
		return 0;
	ret = send(w, rd->txs, n, ngw, height);
	if (!ret)
		for (i = 0; i < n; i++)
			mark(w, rd, idx[i], 0, *height);
	return ret;
}

static void submit(struct worker *w)
{
	static struct round rd;
	uint64_t height = 0;
	uint32_t n, ngw;
	size_t i;
	int ret;

	n = gather(w, &rd);
	if (!n)
		return;
	ngw = (uint32_t)(rd.nm + rd.nr + rd.na);
	ret = send(w, rd.txs, n, ngw, &height);
	if (!ret) {
		for (i = 0; i < n; i++)
			mark(w, &rd, i, 0, height);
	} else if (!transient(ret)) {
		ret = narrow(w, &rd, n, ngw, &height);
	}
	if (ret == -EAGAIN)	/* a block this second already, or an interval not over */
		return;
	if (ret && transient(ret)) {
		note_failure(w, ret);
		return;
	}
	if (ret)
		log_err("ledger submission: %s", strerror(-ret));
	if (w->failing)
		log_info("ledger reachable again; queued reports submitted");
	w->failing = 0;
	STAT(w, w->st.height = height);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	int signed_now;

	for (;;) {
		struct timespec ts;

		pthread_mutex_lock(&w->mu);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += w->block_ms / 1000;
		ts.tv_nsec += (long)(w->block_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (!w->stop && !w->kick)
			if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
				break;
		w->kick = 0;
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		pthread_mutex_unlock(&w->mu);
		/* a backlog (after an outage) goes out in slices, oldest first */
		do {
			signed_now = sign_some(w, SIGN_SLICE);
			submit(w);
			scan(w);
			execute(w);
			compliance(w);
		} while (signed_now == SIGN_SLICE && !stopping(w));
	}
	return NULL;
}

int worker_start(const struct config *c, const char *spool_path, struct gwkey *key,
		 struct chain *ch, struct worker **out)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int ret;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	ret = spool_open(spool_path, &w->sp);
	if (ret) {
		free(w);
		return ret;
	}
	w->key = key;
	w->ch = ch;
	w->chain_id = c->chain_id;
	w->block_ms = c->block_interval_ms;
	w->cfg = *c;
	gwkey_pub(key, w->pub);
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	ret = -pthread_create(&w->th, NULL, run, w);
	if (ret) {
		spool_close(w->sp);
		free(w);
		return ret;
	}
	*out = w;
	return 0;
}

void worker_kick(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->kick = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void worker_reconfigure(struct worker *w, const struct config *c)
{
	pthread_mutex_lock(&w->mu);
	w->block_ms = c->block_interval_ms;
	w->cfg = *c;
	pthread_mutex_unlock(&w->mu);
}

void worker_stats(struct worker *w, struct worker_stats *st)
{
	pthread_mutex_lock(&w->mu);
	*st = w->st;
	pthread_mutex_unlock(&w->mu);
}

void worker_stop(struct worker *w, struct worker_stats *final)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	if (final)
		*final = w->st;
	spool_close(w->sp);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
