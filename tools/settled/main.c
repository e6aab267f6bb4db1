// SPDX-License-Identifier: GPL-2.0
/*
 * settled: the settlement engine of a meterlink gateway. main() orders
 * start-up and shut-down; the loop waits on the readings socket, a
 * signalfd and a timer. See settled(8) and Documentation/settled.rst.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "chain.h"
#include "ctl.h"
#include "gwkey.h"
#include "ingest.h"
#include "log.h"
#include "settled.h"
#include "spool.h"
#include "worker.h"

#define TICK_MS		200
#define PRUNE_EVERY_S	60

static void notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: settled [-c FILE] [-f] [--check-config]\n"
		"       settled [-c FILE] prove BUS_ID SEQ\n"
		"       settled [-c FILE] keys\n"
		"       settled --version | --help\n"
		"\n"
		"  -c, --config FILE  configuration (default " SETTLED_CONF ")\n"
		"  -f, --foreground   log to stderr (unless under systemd)\n"
		"      --check-config parse and check the configuration, then exit\n"
		"  prove BUS_ID SEQ   print the inclusion proof of one stored reading\n"
		"  keys               create the keys if needed, export gateway.pem, print\n"
		"                     the Ed25519 account and vote key (for a genesis)\n"
		"See settled(8) and settled.conf(5).\n");
}

/*
 * settled keys: what an installer needs before the first start in network
 * mode, when the genesis must name this gateway's vote key. Needs no
 * kernel module and no ledger.
 */
static int keys_main(const struct config *c)
{
	char err[CFG_ERR_LEN], path[CFG_PATH_LEN + 32];
	uint8_t sk[64], pk[32], cert[64];
	struct gwkey *k;
	int ret, i;

	if (mkdir(c->state_dir, 0750) && errno != EEXIST) {
		fprintf(stderr, "settled: state directory %s: %s\n", c->state_dir, strerror(errno));
		return 1;
	}
	ret = gwkey_open(c, &k, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "settled: %s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/gateway.pem", c->state_dir);
	ret = gwkey_export_pem(k, path);
	if (ret)
		fprintf(stderr, "settled: exporting the public key to %s: %s\n", path,
			strerror(-ret));
	snprintf(path, sizeof(path), "%s/vote.key", c->state_dir);
	ret = ret ? ret : gwkey_ed25519(k, path, sk, pk, cert);
	memset(sk, 0, sizeof(sk));
	gwkey_close(k);
	if (ret)
		return 1;
	printf("gateway_pem %s/gateway.pem\naccount ", c->state_dir);
	for (i = 0; i < 32; i++)
		printf("%02x", pk[i]);
	printf("\n");
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct daemon {
	const char *conf_path;
	struct config cfg;
	struct spool *sp;
	struct gwkey *key;
	struct chain *chain;
	struct worker *worker;
	struct ctl *ctl;
	struct ctl_ctx cx;
	struct ml_ledger *ledger;	/* read handle for queries */
	uint8_t account[32];
	struct ingest in;
	int sigfd, timerfd;
	int64_t last_prune;
	char spool_path[CFG_PATH_LEN + 16];
};

static void reload(struct daemon *d)
{
	struct config next;
	char err[CFG_ERR_LEN], what[64];
	int n;

	notify("RELOADING=1");
	config_defaults(&next);
	if (config_load(d->conf_path, &next, err, sizeof(err))) {
		log_err("reload refused, configuration unchanged: %s", err);
	} else {
		n = config_reload(&d->cfg, &next, what, sizeof(what));
		if (n)
			log_warn("%d changed key(s) need a restart (first: %s); kept the old values",
				 n, what);
		log_set_level(d->cfg.log_level);
		worker_reconfigure(d->worker, &d->cfg);
		log_info("configuration reloaded");
	}
	notify("READY=1");
}

/* closes due intervals and, now and then, prunes old readings */
static int housekeeping(struct daemon *d)
{
	int64_t now = now_ms();
	int n = spool_close_due(d->sp, d->cfg.interval, now, d->cfg.close_delay_ms);

	if (n < 0) {
		log_err("closing intervals: %s (%s)", strerror(-n), spool_errmsg(d->sp));
		return n;
	}
	if (n)
		worker_kick(d->worker);
	if (now / 1000 - d->last_prune >= PRUNE_EVERY_S) {
		int p = spool_prune(d->sp, now / 1000 - (int64_t)d->cfg.retention);

		if (p > 0)
			log_info("pruned %d readings older than %llu s", p,
				 (unsigned long long)d->cfg.retention);
		d->last_prune = now / 1000;
	}
	return 0;
}

static int loop(struct daemon *d)
{
	/* p[3]: the consensus node in network mode (-1, ignored, in local) */
	struct pollfd p[4 + CTL_NFDS] = {
		{ .fd = ingest_fd(&d->in), .events = POLLIN },
		{ .fd = d->sigfd, .events = POLLIN },
		{ .fd = d->timerfd, .events = POLLIN },
		{ .fd = chain_fd(d->chain), .events = POLLIN },
	};
	int ret, nctl;

	for (;;) {
		nctl = ctl_pollfds(d->ctl, p + 4);
		if (poll(p, 4 + nctl, chain_timeout_ms(d->chain)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = chain_process(d->chain);
		if (ret)
			log_warn("consensus node: %s", strerror(-ret));
		if (p[0].revents) {
			ret = ingest_run(&d->in);
			if (ret && ret != -ENOBUFS) {
				log_err("storing readings: %s", strerror(-ret));
				return ret;
			}
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP)
					reload(d);
				else
					return 0;
			}
		}
		if (p[2].revents) {
			uint64_t ticks;

			if (read(d->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				return -errno;
			ret = housekeeping(d);
			if (ret)
				return ret;
			ctl_events(d->ctl, &d->cx);
		}
		ctl_handle(d->ctl, p + 4, nctl, &d->cx);
		if (d->cx.reload_requested) {
			d->cx.reload_requested = 0;
			reload(d);
		}
	}
}

static int setup_fds(struct daemon *d)
{
	struct itimerspec its = {
		.it_interval = { 0, TICK_MS * 1000000L },
		.it_value = { 0, TICK_MS * 1000000L },
	};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sigfd < 0)
		return -errno;
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->timerfd < 0 || timerfd_settime(d->timerfd, 0, &its, NULL))
		return -errno;
	return 0;
}

/* @ws: the worker's last statistics (it is gone by then) */
static void stats_line(struct daemon *d, const char *what, const struct worker_stats *w)
{
	struct worker_stats ws = *w;

	log_info("%s: readings %llu recovered %llu batches %llu gaps %llu overflows %llu"
		 " dropped %llu max_backlog %llu signed %llu committed %llu rejected %llu"
		 " height %llu", what, (unsigned long long)d->in.st.readings,
		 (unsigned long long)d->in.st.recovered,
		 (unsigned long long)d->in.st.batches, (unsigned long long)d->in.st.gaps,
		 (unsigned long long)d->in.st.overflows, (unsigned long long)d->in.st.dropped,
		 (unsigned long long)d->in.st.max_backlog,
		 (unsigned long long)ws.signed_reports, (unsigned long long)ws.committed,
		 (unsigned long long)ws.rejected, (unsigned long long)ws.height);
}

static int run(struct daemon *d)
{
	char err[CFG_ERR_LEN], path[CFG_PATH_LEN + 32];
	uint8_t pub[64], sk[64], pk[32], cert[64];
	struct worker_stats ws = { 0 };
	int ret;

	d->sigfd = d->timerfd = -1;
	if (mkdir(d->cfg.state_dir, 0750) && errno != EEXIST) {
		ret = -errno;
		log_err("state directory %s: %s", d->cfg.state_dir, strerror(errno));
		return ret;
	}
	snprintf(d->spool_path, sizeof(d->spool_path), "%s/spool.db", d->cfg.state_dir);
	ret = spool_open(d->spool_path, &d->sp);
	if (ret) {
		log_err("spool %s: %s", d->spool_path, strerror(-ret));
		goto out;
	}
	ret = gwkey_open(&d->cfg, &d->key, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		goto out;
	}
	gwkey_pub(d->key, pub);
	snprintf(path, sizeof(path), "%s/gateway.pem", d->cfg.state_dir);
	ret = gwkey_export_pem(d->key, path);
	if (ret) {
		log_err("exporting the public key to %s: %s", path, strerror(-ret));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/vote.key", d->cfg.state_dir);
	ret = gwkey_ed25519(d->key, path, sk, pk, cert);
	if (ret)
		goto out;
	ret = chain_open(&d->cfg, sk, &d->chain);
	memset(sk, 0, sizeof(sk));
	if (ret) {
		log_err("%s chain in %s: %s", d->cfg.mode == LEDGER_NETWORK ? "network" : "local",
			d->cfg.state_dir, strerror(-ret));
		goto out;
	}
	ret = ingest_open(&d->in, d->sp, d->cfg.interval, pub, d->cfg.rcvbuf, err, sizeof(err));
	if (ret == -ENOPROTOOPT && d->cfg.meters == METERS_OPTIONAL) {
		log_warn("%s; running without meters (meters = optional)", err);
		ret = 0;
	} else if (ret) {
		log_err("%s", err);
		goto out;
	}
	ret = worker_start(&d->cfg, d->spool_path, d->key, d->chain, &d->worker);
	if (ret) {
		log_err("starting the report worker: %s", strerror(-ret));
		goto out_ingest;
	}
	ret = setup_fds(d);
	if (ret) {
		log_err("signal and timer descriptors: %s", strerror(-ret));
		goto out_worker;
	}
	ret = ctl_open(&d->cfg, &d->ctl);
	if (ret) {
		log_err("control socket %s: %s", d->cfg.control_socket, strerror(-ret));
		goto out_worker;
	}
	snprintf(path, sizeof(path), "%s/chain.db", d->cfg.state_dir);
	if (ml_ledger_open(path, &d->ledger))
		log_warn("cannot open %s for queries; balance will fail", path);
	chain_account(d->chain, d->account);
	d->cx = (struct ctl_ctx){ .cfg = &d->cfg, .sp = d->sp, .in = &d->in.st,
				  .worker = d->worker, .ledger = d->ledger,
				  .account = d->account, .state_dir = d->cfg.state_dir };
	/* intervals that became due while settled was down */
	ret = housekeeping(d);
	if (ret)
		goto out_worker;
	log_info("started (interval %u s, spool %s)", d->cfg.interval, d->spool_path);
	notify("READY=1");
	ret = loop(d);
	notify("STOPPING=1");
	/* flush: what is queued on the socket goes into the spool */
	if (!ret)
		ret = ingest_run(&d->in);
	if (!ret)
		ret = housekeeping(d);
out_worker:
	ctl_close(d->ctl);
	d->ctl = NULL;
	chain_stop(d->chain);
	worker_stop(d->worker, &ws);	/* never touch d->worker after this */
	d->worker = NULL;
	stats_line(d, "stopped", &ws);
out_ingest:
	ingest_close(&d->in);
out:
	ml_ledger_close(d->ledger);
	chain_close(d->chain);
	gwkey_close(d->key);
	spool_close(d->sp);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->timerfd >= 0)
		close(d->timerfd);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct daemon d = { .conf_path = SETTLED_CONF };
	int opt, fg = 0, check = 0, ret;
	char err[CFG_ERR_LEN];
	sigset_t set;

	while ((opt = getopt_long(argc, argv, "+c:fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': d.conf_path = optarg; break;
		case 'f': fg = 1; break;
		case 'C': check = 1; break;
		case 'V': printf("settled %s\n", SETTLED_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	/*
	 * Block the signals settled handles through its signalfd before any
	 * thread exists, so that every thread inherits the mask and a
	 * SIGTERM can never take the default action in a worker.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	config_defaults(&d.cfg);
	ret = config_load(d.conf_path, &d.cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "settled: %s\n", err);
		return ret == -ENOENT ? 6 : 1;
	}
	if (check) {
		if (optind < argc) {
			usage(stderr);
			return 2;
		}
		printf("%s: OK\n", d.conf_path);
		return 0;
	}
	if (optind < argc) {
		if (!strcmp(argv[optind], "prove"))
			return prove_main(&d.cfg, argc - optind, argv + optind);
		if (!strcmp(argv[optind], "keys") && optind + 1 == argc) {
			log_open(1);
			return keys_main(&d.cfg);
		}
		fprintf(stderr, "settled: unknown command '%s' (see settled --help)\n",
			argv[optind]);
		return 2;
	}
	log_open(fg);
	log_set_level(d.cfg.log_level);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		log_err("blocking signals: %s", strerror(errno));
		return 1;
	}
	ret = run(&d);
	return ret ? 1 : 0;
}
