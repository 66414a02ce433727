/* scan_banner.c - the -sV subset: connect to every open TCP port, read what
 * the service says first (SSH, SMTP, FTP, POP3, IMAP greet), and when it
 * says nothing send an HTTP HEAD and read the answer.  All ports at once on
 * poll(), bounded in sockets and time. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portsec/ps_error.h"
#include "scan_int.h"

enum { B_CONNECT, B_GREET, B_HEAD, B_DONE };

struct bjob {
	struct ps_scan_port *port;
	const struct ps_host_addr *addr;
	int fd, phase;
	double since;
	char buf[1024];
	size_t len;
};

#define BMAX 256

static void start(struct bjob *j)
{
	int fam = j->addr->family;
	j->fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (j->fd < 0) {
		j->phase = B_DONE;
		return;
	}
	struct sockaddr_storage ss;
	socklen_t sl = scan_sockaddr(&ss, j->addr, j->port->port);
	j->since = ps_mono_ms();
	if (connect(j->fd, (struct sockaddr *)&ss, sl) == 0)
		j->phase = B_GREET;
	else if (errno == EINPROGRESS)
		j->phase = B_CONNECT;
	else {
		close(j->fd);
		j->fd = -1;
		j->phase = B_DONE;
	}
}

static void conclude(struct bjob *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->phase = B_DONE;
	if (!j->len)
		return;
	struct ps_banner_info bi;
	if (ps_banner_identify(j->buf, j->len, j->port->port, &bi)) {
		j->port->ver = malloc(sizeof bi);
		if (j->port->ver)
			*j->port->ver = bi;
	}
	/* the first line, printable */
	char line[200];
	size_t w = 0;
	for (size_t i = 0; i < j->len && w + 1 < sizeof line; i++) {
		unsigned char c = (unsigned char)j->buf[i];
		if (c == '\r' || c == '\n')
			break;
		line[w++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
	}
	line[w] = 0;
	if (w)
		j->port->banner = strdup(line);
}

void scan_banners(struct ps_scan_result *r, const struct ps_scan_opts *o)
{
	size_t n = 0;
	for (size_t h = 0; h < r->nhosts; h++)
		for (size_t i = 0; i < r->hosts[h].nports; i++)
			n += r->hosts[h].ports[i].proto == PS_PROTO_TCP && r->hosts[h].ports[i].state == PS_PST_OPEN;
	if (!n)
		return;
	struct bjob *jobs = calloc(n, sizeof *jobs);
	if (!jobs)
		return;
	n = 0;
	for (size_t h = 0; h < r->nhosts; h++)
		for (size_t i = 0; i < r->hosts[h].nports; i++) {
			struct ps_scan_port *sp = &r->hosts[h].ports[i];
			if (sp->proto == PS_PROTO_TCP && sp->state == PS_PST_OPEN) {
				jobs[n].port = sp, jobs[n].addr = &r->hosts[h].addr;
				jobs[n].fd = -1, jobs[n].phase = -1;
				n++;
			}
		}
	/* wait for a greeting, then for the HEAD answer (nmap's NULL probe waits
	 * longer; these bounds keep -sV light) */
	const double greet_ms = o->timing.level >= 5 ? 800 : 1500, head_ms = 1500;
	size_t next = 0, live = 0, done = 0;
	struct pollfd pf[BMAX];
	size_t idx[BMAX];
	double hard_end = ps_mono_ms() + 60000; /* never more than a minute */
	while (done < n && ps_mono_ms() < hard_end && !(o->stop && *o->stop)) {
		while (live < BMAX && next < n) {
			start(&jobs[next]);
			if (jobs[next].phase == B_DONE)
				done++;
			else
				live++;
			next++;
		}
		nfds_t np = 0;
		double now = ps_mono_ms();
		for (size_t i = 0; i < next; i++) {
			struct bjob *j = &jobs[i];
			if (j->phase == B_DONE || j->phase < 0)
				continue;
			double lim = j->phase == B_HEAD ? head_ms : greet_ms;
			if (now - j->since > lim) {
				if (j->phase == B_GREET && j->len == 0) {
					static const char head[] = "HEAD / HTTP/1.0\r\n\r\n";
					if (send(j->fd, head, sizeof head - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof head - 1)) {
						j->phase = B_HEAD;
						j->since = now;
						goto poll_it;
					}
				}
				conclude(j);
				live--, done++;
				continue;
			}
poll_it:
			pf[np].fd = j->fd;
			pf[np].events = j->phase == B_CONNECT ? POLLOUT : POLLIN;
			idx[np++] = i;
		}
		if (!np)
			continue;
		if (poll(pf, np, 20) <= 0)
			continue;
		for (nfds_t k = 0; k < np; k++) {
			struct bjob *j = &jobs[idx[k]];
			if (!pf[k].revents)
				continue;
			if (j->phase == B_CONNECT) {
				int err = 0;
				socklen_t el = sizeof err;
				getsockopt(j->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					conclude(j);
					live--, done++;
				} else {
					j->phase = B_GREET;
					j->since = ps_mono_ms();
				}
				continue;
			}
			ssize_t got = recv(j->fd, j->buf + j->len, sizeof j->buf - 1 - j->len, MSG_DONTWAIT);
			if (got > 0)
				j->len += (size_t)got;
			/* enough: a whole first line, the peer closed, or the buffer is full */
			if (got <= 0 || memchr(j->buf, '\n', j->len) || j->len >= sizeof j->buf - 1) {
				if (j->phase == B_HEAD && got > 0 && !memmem(j->buf, j->len, "\r\n\r\n", 4) &&
				    j->len < sizeof j->buf - 1)
					continue; /* read the headers for Server: */
				conclude(j);
				live--, done++;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (jobs[i].fd >= 0)
			close(jobs[i].fd);
	free(jobs);
}
