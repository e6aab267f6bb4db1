// SPDX-License-Identifier: GPL-2.0
/* settled's control socket, client side (control.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

#define RESP_MAX	(1 << 20)

static int connect_to(struct lc *c, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(c->socket) >= sizeof(sa.sun_path))
		return lc_usage(c, "--socket: path too long");
	strcpy(sa.sun_path, c->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lc_err(c, LC_EXIT_FAIL, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		if (e == EACCES || e == EPERM)
			return lc_err(c, LC_EXIT_NODAEMON, "%s: permission denied "
				      "(join settled's control group)", c->socket);
		return lc_err(c, LC_EXIT_NODAEMON, "cannot reach settled at %s: %s "
			      "(is settled running? systemctl status settled; or "
			      "set --socket)", c->socket, strerror(e));
	}
	*out = fd;
	return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* one line, at most RESP_MAX bytes */
static char *read_line(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t r;
		char *nl;

		if (len + 1 == cap) {
			char *p = cap >= RESP_MAX ? NULL : realloc(buf, cap * 2);

			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = 0;
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = 0;
			return buf;
		}
	}
	free(buf);
	return NULL;
}

int ctl_call(struct lc *c, json_t *req, json_t **resp)
{
	char *line = json_dumps(req, JSON_COMPACT);
	json_error_t jerr;
	json_t *r, *ok;
	int fd = -1, ret;

	json_decref(req);
	if (!line)
		return lc_err(c, LC_EXIT_FAIL, "out of memory");
	ret = connect_to(c, &fd);
	if (ret) {
		free(line);
		return ret;
	}
	ret = send_all(fd, line, strlen(line)) || send_all(fd, "\n", 1);
	free(line);
	if (ret) {
		close(fd);
		return lc_err(c, LC_EXIT_NODAEMON, "settled closed the connection "
			      "(%s); see its log: journalctl -u settled",
			      strerror(errno));
	}
	line = read_line(fd);
	close(fd);
	if (!line)
		return lc_err(c, LC_EXIT_NODAEMON, "no answer from settled; see its "
			      "log: journalctl -u settled");
	r = json_loads(line, 0, &jerr);
	free(line);
	ok = json_object_get(r, "ok");
	if (!json_is_object(r) || !json_is_boolean(ok)) {
		json_decref(r);
		return lc_err(c, LC_EXIT_FAIL, "settled answered something that is "
			      "not a control response; are ledgerctl and settled "
			      "the same version?");
	}
	if (!json_is_true(ok)) {
		const char *e = json_string_value(json_object_get(r, "error"));

		ret = lc_err(c, LC_EXIT_REFUSED, "settled refused: %s",
			     e ? e : "no reason given");
		json_decref(r);
		return ret;
	}
	*resp = r;
	return 0;
}
