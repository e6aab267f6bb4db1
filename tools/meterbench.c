// SPDX-License-Identifier: GPL-2.0
/*
 * meterbench: speed of the meterlink data path, run inside the test guest
 * with meterlink_sim loaded (make bench).
 *
 * 1. Read path: records per second read from /dev/meterN in batches, as a
 *    ratio of reading the same number of bytes from /dev/zero with the same
 *    buffer size in the same run.
 * 2. Acquisition: time per record spent reading the sample from the chip
 *    (the driver's acq_ns counter), also as a share of the sampling period.
 * 3. Netlink: four chips at 1 kHz; readings per second delivered to one
 *    subscriber of the "readings" group, with the loss it saw (sequence
 *    gaps, ENOBUFS), as a ratio of the same records read from the four
 *    character devices in the same run.
 * 4. IRQ cadence: records paced by the chip's data-ready interrupt (ADE7953
 *    CYCEND, ADE9000 EGYRDY) at 20 ms: the largest deviation of an interval
 *    from the period, the intervals beyond their records' uncertainty plus
 *    2 ms, the drift of the whole run (cadence error); beside them the same
 *    figures of a userspace thread sleeping to absolute 20 ms deadlines in
 *    the same run, the host's own timer jitter.
 * Figures only: nothing here asserts a timing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/meterlink.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <sys/socket.h>

#define SIM "/sys/kernel/debug/meterlink_sim"
#define CS 3

static void die(const char *what)
{
	fprintf(stderr, "meterbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		die(path);
	close(fd);
}

/* /dev/meterN of the simulated chip at chip select @cs */
static int open_meter_cs(int cs, int flags)
{
	char want[64], path[300], link[300];
	struct dirent *d;
	int bus, tries;
	FILE *f;

	f = fopen(SIM "/bus_num", "r");
	if (!f || fscanf(f, "%d", &bus) != 1)
		die(SIM "/bus_num (is meterlink_sim loaded?)");
	fclose(f);
	snprintf(want, sizeof(want), "spi%d.%d", bus, cs);
	for (tries = 0; tries < 200; tries++) {
		DIR *dir = opendir("/sys/class/meter");

		while (dir && (d = readdir(dir))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/sys/class/meter/%s/device",
				 d->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n < 0)
				continue;
			link[n] = 0;
			if (strcmp(strrchr(link, '/') + 1, want))
				continue;
			snprintf(path, sizeof(path), "/dev/%s", d->d_name);
			closedir(dir);
			for (; tries < 200; tries++) {
				int fd = open(path, flags);

				if (fd >= 0)
					return fd;
				usleep(10000);
			}
			die(path);
		}
		if (dir)
			closedir(dir);
		usleep(10000);
	}
	errno = ENODEV;
	die("no meter appeared for the simulated chip");
	return -1;
}

static int open_meter(int flags)
{
	return open_meter_cs(CS, flags);
}

static uint64_t samples(int fd)
{
	struct meterlink_stats st;

	if (ioctl(fd, METER_IOC_GET_STATS, &st))
		die("METER_IOC_GET_STATS");
	return st.samples;
}

static void bench_read(int rounds, int batch)
{
	size_t bufsz = (size_t)batch * sizeof(struct meterlink_reading);
	char *buf = malloc(bufsz);
	double t_meter = 0, t_zero, t0;
	long long bytes = 0, left;
	uint64_t p = 1000000;
	int r, fd, zfd;

	if (!buf)
		die("malloc");
	fd = open_meter(O_RDWR);
	if (ioctl(fd, METER_IOC_SET_PERIOD, &p))
		die("METER_IOC_SET_PERIOD");
	close(fd);
	for (r = 0; r < rounds; r++) {
		uint64_t start;
		long long got = 0;

		fd = open_meter(O_RDONLY | O_NONBLOCK);
		start = samples(fd);
		while (samples(fd) - start < 1000)
			usleep(50000);
		t0 = now();
		for (;;) {
			ssize_t n = read(fd, buf, bufsz);

			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0)
				die("read /dev/meter");
			got += n;
			if (got >= 1000LL * (long long)sizeof(struct meterlink_reading))
				break;
		}
		t_meter += now() - t0;
		bytes += got;
		close(fd);
	}
	zfd = open("/dev/zero", O_RDONLY);
	if (zfd < 0)
		die("/dev/zero");
	t0 = now();
	for (left = bytes; left > 0; left -= bufsz)
		if (read(zfd, buf, left < (long long)bufsz ? (size_t)left : bufsz) <= 0)
			die("read /dev/zero");
	t_zero = now() - t0;
	close(zfd);
	printf("read: %lld records in batches of %d: %.0f records/s (%.1f MB/s)\n",
	       bytes / (long long)sizeof(struct meterlink_reading), batch,
	       bytes / sizeof(struct meterlink_reading) / t_meter,
	       bytes / t_meter / 1e6);
	printf("read: /dev/zero, same bytes and buffer: %.1f MB/s\n",
	       bytes / t_zero / 1e6);
	printf("read: ratio meter/zero = %.3f\n", t_zero / t_meter);
	free(buf);
}

static void acq_counters(int fd, uint64_t *nrec, uint64_t *ns)
{
	struct meterlink_stats st;

	if (ioctl(fd, METER_IOC_GET_STATS, &st))
		die("METER_IOC_GET_STATS");
	*nrec = st.samples;
	*ns = st.acq_ns;
}

/* CPU time per record: the driver's own account of time spent sampling */
static void bench_acquisition(const char *create, uint64_t period_ns,
			      double secs)
{
	uint64_t n0, n1, t0, t1;
	double per;
	char cs[8];
	int fd;

	put(SIM "/new_device", create);
	fd = open_meter(O_RDWR);
	if (ioctl(fd, METER_IOC_SET_PERIOD, &period_ns))
		die("METER_IOC_SET_PERIOD");
	usleep(200000);
	acq_counters(fd, &n0, &t0);
	usleep((useconds_t)(secs * 1e6));
	acq_counters(fd, &n1, &t1);
	close(fd);
	snprintf(cs, sizeof(cs), "%d", CS);
	put(SIM "/delete_device", cs);
	if (n1 == n0) {
		fprintf(stderr, "meterbench: no records produced\n");
		exit(1);
	}
	per = (double)(t1 - t0) / (n1 - n0);
	printf("acquisition (%s, period %.0f ms): %" PRIu64 " records, %.1f us per record = %.3f of the period\n",
	       create, period_ns / 1e6, n1 - n0, per / 1e3, per / period_ns);
}

/* ---- netlink, raw: the benchmark must not depend on libmeterlink ---- */

struct nlbuf {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[512];
};

static void nla_add(struct nlbuf *b, unsigned short type, const void *d,
		    unsigned short len)
{
	struct nlattr *a = (void *)((char *)b + NLMSG_ALIGN(b->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, d, len);
	b->n.nlmsg_len = NLMSG_ALIGN(b->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* family id and the "readings" group id, from the controller */
static void nl_resolve(int fd, int *family, int *group)
{
	struct nlbuf req = { .n = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
				    .nlmsg_type = GENL_ID_CTRL,
				    .nlmsg_flags = NLM_F_REQUEST },
			     .g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 } };
	static char buf[16384];
	struct nlmsghdr *n = (void *)buf;
	struct nlattr *a, *g, *ga;
	int len, rem, grem, id;

	nla_add(&req, CTRL_ATTR_FAMILY_NAME, METERLINK_GENL_NAME,
		sizeof(METERLINK_GENL_NAME));
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		die("netlink send");
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < 0 || n->nlmsg_type == NLMSG_ERROR) {
		errno = len < 0 ? errno : ENOENT;
		die("meterlink family (is meterlink.ko loaded?)");
	}
	*family = *group = -1;
	a = (void *)((char *)NLMSG_DATA(n) + GENL_HDRLEN);
	rem = n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	for (; rem >= NLA_HDRLEN; rem -= NLA_ALIGN(a->nla_len),
	     a = (void *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			*family = *(uint16_t *)((char *)a + NLA_HDRLEN);
		if (a->nla_type != CTRL_ATTR_MCAST_GROUPS)
			continue;
		for (g = (void *)((char *)a + NLA_HDRLEN),
		     grem = a->nla_len - NLA_HDRLEN; grem >= NLA_HDRLEN;
		     grem -= NLA_ALIGN(g->nla_len),
		     g = (void *)((char *)g + NLA_ALIGN(g->nla_len))) {
			int r2 = g->nla_len - NLA_HDRLEN, match = 0;

			id = -1;
			for (ga = (void *)((char *)g + NLA_HDRLEN); r2 >= NLA_HDRLEN;
			     r2 -= NLA_ALIGN(ga->nla_len),
			     ga = (void *)((char *)ga + NLA_ALIGN(ga->nla_len))) {
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(uint32_t *)((char *)ga + NLA_HDRLEN);
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
				    !strcmp((char *)ga + NLA_HDRLEN,
					    METERLINK_MCGRP_READINGS))
					match = 1;
			}
			if (match)
				*group = id;
		}
	}
	if (*family < 0 || *group < 0) {
		errno = ENOENT;
		die("meterlink family has no readings group");
	}
}

struct nl_count {
	int fd;
	volatile int stop;
	uint64_t records, gaps, enobufs;
	uint64_t next[8];
	int seen[8];
};

static void *nl_reader(void *arg)
{
	struct nl_count *c = arg;
	static char buf[1 << 17];

	while (!c->stop) {
		int len = recv(c->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *n;

		if (len < 0) {
			if (errno == ENOBUFS)
				c->enobufs++;
			else if (errno != EAGAIN && errno != EINTR)
				die("netlink recv");
			continue;
		}
		for (n = (void *)buf; NLMSG_OK(n, (unsigned int)len);
		     n = NLMSG_NEXT(n, len)) {
			struct nlattr *a = (void *)((char *)NLMSG_DATA(n) + GENL_HDRLEN);
			int rem = n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			uint32_t dev = 0;

			for (; rem >= NLA_HDRLEN; rem -= NLA_ALIGN(a->nla_len),
			     a = (void *)((char *)a + NLA_ALIGN(a->nla_len))) {
				const struct meterlink_reading *r;

				if (a->nla_type == METERLINK_A_DEV_ID)
					dev = *(uint32_t *)((char *)a + NLA_HDRLEN) & 7;
				if (a->nla_type != METERLINK_A_READING)
					continue;
				r = (const void *)((char *)a + NLA_HDRLEN);
				if (c->seen[dev] && r->seq != c->next[dev])
					c->gaps += r->seq - c->next[dev];
				c->seen[dev] = 1;
				c->next[dev] = r->seq + 1;
				c->records++;
			}
		}
	}
	return NULL;
}

static void bench_netlink(double secs)
{
	struct timeval tv = { .tv_usec = 200000 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	uint64_t period = 1000000, dev_records = 0;
	int family, group, i, fds[4], rcvbuf = 4 << 20;
	struct meterlink_reading *buf = malloc(64 * sizeof(*buf));
	struct nl_count c = { 0 };
	pthread_t th;
	double t0, t;
	char cmd[32];

	for (i = 0; i < 4; i++) {
		snprintf(cmd, sizeof(cmd), "ade7953 %d", i);
		put(SIM "/new_device", cmd);
	}
	c.fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (c.fd < 0 || bind(c.fd, (void *)&sa, sizeof(sa)))
		die("netlink socket");
	nl_resolve(c.fd, &family, &group);
	(void)family;
	/* a subscriber that means to lose nothing sizes its buffer (root) */
	if (setsockopt(c.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (setsockopt(c.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)))
		die("join the readings group");
	for (i = 0; i < 4; i++) {
		fds[i] = open_meter_cs(i, O_RDWR | O_NONBLOCK);
		if (ioctl(fds[i], METER_IOC_SET_PERIOD, &period))
			die("METER_IOC_SET_PERIOD");
	}
	usleep(300000);
	for (i = 0; i < 4; i++)		/* start both paths from now */
		while (read(fds[i], buf, 64 * sizeof(*buf)) > 0)
			;
	pthread_create(&th, NULL, nl_reader, &c);
	t0 = now();
	while ((t = now()) - t0 < secs) {
		for (i = 0; i < 4; i++) {
			ssize_t n;

			while ((n = read(fds[i], buf, 64 * sizeof(*buf))) > 0)
				dev_records += n / sizeof(*buf);
		}
		usleep(20000);
	}
	c.stop = 1;
	pthread_join(th, NULL);
	printf("netlink: 4 chips at 1 kHz for %.0f s: %.0f readings/s to one subscriber, loss %" PRIu64 " (gaps) + %" PRIu64 " ENOBUFS\n",
	       secs, c.records / secs, c.gaps, c.enobufs);
	printf("netlink: the character devices in the same run: %.0f readings/s\n",
	       dev_records / secs);
	printf("netlink: ratio netlink/chardev = %.3f\n",
	       dev_records ? (double)c.records / dev_records : 0);
	for (i = 0; i < 4; i++) {
		close(fds[i]);
		snprintf(cmd, sizeof(cmd), "%d", i);
		put(SIM "/delete_device", cmd);
	}
	close(c.fd);
	free(buf);
}

/* ---- IRQ cadence ---- */

#define CAD_PERIOD	20000000LL	/* two half cycles at 50 Hz */
#define CAD_RECORDS	250

static int64_t ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* userspace sleeping to absolute deadlines: max lateness and drift */
static void cadence_reference(int n, int64_t *max_dev, int64_t *drift)
{
	struct timespec t, due;
	int64_t start, d;
	int k;

	clock_gettime(CLOCK_MONOTONIC, &due);
	start = ts_ns(&due);
	*max_dev = 0;
	for (k = 1; k <= n; k++) {
		int64_t at = start + k * CAD_PERIOD;

		due.tv_sec = at / 1000000000LL;
		due.tv_nsec = at % 1000000000LL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
		d = ts_ns(&t) - at;
		if (d > *max_dev)
			*max_dev = d;
	}
	*drift = d;
}

static void bench_irq_cadence(const char *chip)
{
	struct meterlink_reading *r = calloc(CAD_RECORDS, sizeof(*r));
	int64_t max_dev = 0, periods = 0, total, spread_min = INT64_MAX;
	int64_t spread_max = INT64_MIN, ref_dev, ref_drift, period = CAD_PERIOD;
	int k, fd, got = 0, beyond = 0, missed = 0, not_irq = 0;
	char buf[64];

	if (!r)
		die("calloc");
	snprintf(buf, sizeof(buf), "%s %d irq", chip, CS);
	put(SIM "/new_device", buf);
	put(SIM "/cs3/model", "0 230000000 5000000 25842 50000");
	fd = open_meter(O_RDWR);
	if (ioctl(fd, METER_IOC_SET_PERIOD, &period))
		die("METER_IOC_SET_PERIOD");
	close(fd);
	usleep(200000);
	fd = open_meter(O_RDONLY);	/* a new reader: only records from now on */
	while (got < CAD_RECORDS) {
		ssize_t n = read(fd, r + got, sizeof(*r) * (CAD_RECORDS - got));

		if (n <= 0 || n % sizeof(*r))
			die("read /dev/meter");
		got += n / sizeof(*r);
	}
	close(fd);
	snprintf(buf, sizeof(buf), "%d", CS);
	put(SIM "/delete_device", buf);

	for (k = 0; k < CAD_RECORDS; k++) {
		int64_t off = r[k].realtime_ns - r[k].boottime_ns, d, mult = 1, dev;

		spread_min = off < spread_min ? off : spread_min;
		spread_max = off > spread_max ? off : spread_max;
		not_irq += !(r[k].flags & METERLINK_F_IRQ);
		if (!k)
			continue;
		d = r[k].realtime_ns - r[k - 1].realtime_ns;
		if (r[k].flags & METERLINK_F_MISSED) {
			mult = (d + period / 2) / period;
			missed++;
		}
		if (mult < 1)
			mult = 1;
		periods += mult;
		dev = llabs(d - mult * period);
		max_dev = dev > max_dev ? dev : max_dev;
		if (dev > (int64_t)r[k - 1].uncertainty_ns + r[k].uncertainty_ns + 2000000)
			beyond++;
	}
	total = r[CAD_RECORDS - 1].realtime_ns - r[0].realtime_ns;
	cadence_reference(CAD_RECORDS - 1, &ref_dev, &ref_drift);
	printf("irq cadence (%s, period 20 ms, %d records): max deviation %.3f ms, "
	       "%d of %d intervals beyond uncertainty + 2 ms, cadence error %.3f ms (%.4f %%), "
	       "%d after missed, %d without IRQ, realtime-boottime spread %lld ns\n",
	       chip, CAD_RECORDS, max_dev / 1e6, beyond, CAD_RECORDS - 1,
	       (total - periods * period) / 1e6,
	       100.0 * (total - periods * period) / (periods * period), missed, not_irq,
	       (long long)(spread_max - spread_min));
	printf("irq cadence: userspace 20 ms absolute sleeps, same run: max lateness %.3f ms, "
	       "last %.3f ms; ratio max deviation irq/userspace = %.3f\n",
	       ref_dev / 1e6, ref_drift / 1e6, ref_dev ? (double)max_dev / ref_dev : 0);
	free(r);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	char cs[32];

	if (rounds <= 0) {
		fprintf(stderr, "usage: meterbench [ROUNDS]\n");
		return 2;
	}
	snprintf(cs, sizeof(cs), "ade7953 %d", CS);
	put(SIM "/new_device", cs);
	bench_read(rounds, 64);
	bench_read(rounds, 1);
	snprintf(cs, sizeof(cs), "%d", CS);
	put(SIM "/delete_device", cs);

	bench_acquisition("ade7953 3", 1000000, 4);
	bench_acquisition("atm90e32 3", 1000000, 4);
	bench_acquisition("ade7953 3 irq", 10000000, 4);
	bench_netlink(10);
	bench_irq_cadence("ade7953");
	bench_irq_cadence("ade9000");
	return 0;
}
