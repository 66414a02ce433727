/* watch_out.c - where `portsec watch` reports besides stdout: a Prometheus
 * /metrics endpoint (libmicrohttpd, driven from watch's own poll loop through
 * its epoll descriptor: no thread), structured journald fields and
 * sd_notify (libsystemd), and syslog(3). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "watch_out.h"

/* ---- the libraries, loaded when an option needs them ----
 * libmicrohttpd pulls in GnuTLS and p11-kit, libsystemd libgcrypt and three
 * compressors: linked, they cost every portsec command about 2.8 ms of
 * start-up (measured: 4.4 ms vs 1.6 ms for an empty main); loaded here, only
 * `watch --metrics-listen/--journal` and a service with NOTIFY_SOCKET pay. */

#define MHD_SONAME "libmicrohttpd.so.12"
#define SD_SONAME "libsystemd.so.0"

static struct {
	struct MHD_Response *(*create_response_from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
	enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	void (*destroy_response)(struct MHD_Response *);
	struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					   MHD_AccessHandlerCallback, void *, ...);
	const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...);
	enum MHD_Result (*run)(struct MHD_Daemon *);
	void (*stop_daemon)(struct MHD_Daemon *);
} mhd;

static struct {
	int (*journal_sendv)(const struct iovec *, int);
	int (*notify)(int, const char *);
} sd;

/* every symbol into fns (a struct of n function pointers, in names' order)
 * or none; err names the library and what dlopen said */
static int load_syms(const char *soname, void **h, const char *const *names, size_t n, void *fns, char *err,
		     size_t cap)
{
	if (*h)
		return 0;
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(err, cap, "cannot load %s: %s", soname, dlerror());
		return -1;
	}
	void *slots[8];
	for (size_t i = 0; i < n && i < 8; i++) {
		slots[i] = dlsym(lib, names[i]);
		if (!slots[i]) {
			snprintf(err, cap, "%s has no %s", soname, names[i]);
			dlclose(lib);
			return -1;
		}
	}
	/* POSIX: a function pointer round-trips through void * (dlsym's contract) */
	memcpy(fns, slots, n * sizeof *slots);
	*h = lib;
	return 0;
}

#define NSYMS(a) (sizeof(a) / sizeof *(a))

static int load_mhd(char *err, size_t cap)
{
	static void *h;
	static const char *const names[] = {"MHD_create_response_from_buffer", "MHD_add_response_header",
					    "MHD_queue_response", "MHD_destroy_response", "MHD_start_daemon",
					    "MHD_get_daemon_info", "MHD_run", "MHD_stop_daemon"};
	_Static_assert(NSYMS(names) == sizeof mhd / sizeof(void (*)(void)) && NSYMS(names) <= 8, "one name a slot");
	return load_syms(MHD_SONAME, &h, names, NSYMS(names), &mhd, err, cap);
}

static int load_sd(char *err, size_t cap)
{
	static void *h;
	static const char *const names[] = {"sd_journal_sendv", "sd_notify"};
	_Static_assert(NSYMS(names) == sizeof sd / sizeof(void (*)(void)), "one name a slot");
	return load_syms(SD_SONAME, &h, names, NSYMS(names), &sd, err, cap);
}

/* ---- ADDR:PORT ---- */

int wo_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return -1;
	size_t hl = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			return -1;
		s++, hl -= 2;
	}
	if (hl >= sizeof host)
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	const char *p = colon + 1;
	unsigned long port = 0;
	if (!*p || strlen(p) > 5)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof *a4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof *a6;
		return 0;
	}
	return -1;
}

/* ---- /metrics ---- */

struct wo_http {
	struct MHD_Daemon *d;
	int lfd;
	const struct ps_watch_metrics *m;
	const struct ps_watch_stats *st; /* valid while on_ext runs: the only time MHD calls us */
	const char *source, *detail;
	uint64_t scrapes;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type, const char *body, size_t n)
{
	struct MHD_Response *r = mhd.create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	mhd.add_response_header(r, "Content-Type", type);
	enum MHD_Result q = mhd.queue_response(c, status, r);
	mhd.destroy_response(r);
	return q;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version, (void)upload, (void)con_cls;
	struct wo_http *h = cls;
	if (*upload_size)
		return MHD_NO; /* no request bodies */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		static const char m[] = "only GET and HEAD\n";
		return answer(c, 405, "text/plain; charset=utf-8", m, sizeof m - 1);
	}
	if (strcmp(url, "/metrics") != 0) {
		static const char m[] = "portsec watch: the metrics are at /metrics\n";
		return answer(c, 404, "text/plain; charset=utf-8", m, sizeof m - 1);
	}
	if (!h->st) {
		static const char m[] = "portsec watch is starting\n";
		return answer(c, 503, "text/plain; charset=utf-8", m, sizeof m - 1);
	}
	struct ps_buf b;
	ps_buf_init(&b);
	ps_watch_metrics_render(h->m, h->st, h->source ? h->source : "?", h->detail ? h->detail : "", &b);
	h->scrapes++;
	enum MHD_Result q = b.err ? MHD_NO : answer(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	ps_buf_free(&b);
	return q;
}

struct wo_http *wo_http_start(const struct sockaddr_storage *ss, socklen_t len, const struct ps_watch_metrics *m,
			      char *err, size_t cap)
{
	if (load_mhd(err, cap) != 0)
		return NULL;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 16) < 0) {
		snprintf(err, cap, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct wo_http *h = calloc(1, sizeof *h);
	if (!h) {
		close(fd);
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	h->lfd = fd;
	h->m = m;
	unsigned flags = MHD_USE_EPOLL | (ss->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
	h->d = mhd.start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
	const union MHD_DaemonInfo *i = h->d ? mhd.get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!i) {
		snprintf(err, cap, "libmicrohttpd would not start");
		wo_http_stop(h);
		return NULL;
	}
	return h;
}

int wo_http_fd(const struct wo_http *h)
{
	return mhd.get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
}

void wo_http_run(struct wo_http *h, const struct ps_watch_stats *st, const char *source, const char *detail)
{
	h->st = st;
	h->source = source;
	h->detail = detail;
	mhd.run(h->d);
	h->st = NULL;
}

uint64_t wo_http_scrapes(const struct wo_http *h)
{
	return h ? h->scrapes : 0;
}

void wo_http_stop(struct wo_http *h)
{
	if (!h)
		return;
	if (h->d)
		mhd.stop_daemon(h->d);
	if (h->lfd >= 0)
		close(h->lfd);
	free(h);
}

/* ---- journald ---- */

int wo_journal_check(char *err, size_t cap)
{
	struct stat sb;
	if (stat("/run/systemd/journal/socket", &sb) != 0 || !S_ISSOCK(sb.st_mode)) {
		snprintf(err, cap, "journald is not running here (no socket at /run/systemd/journal/socket)");
		return -1;
	}
	return load_sd(err, cap);
}

/* one field: KEY=value, bounded; a value with a newline goes as journald's binary form (sd_journal_sendv) */
#define JF_MAX 24
struct jf {
	struct iovec iov[JF_MAX];
	char mem[JF_MAX][320];
	int n;
};

static void jf(struct jf *f, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void jf(struct jf *f, const char *key, const char *fmt, ...)
{
	if (f->n >= JF_MAX)
		return;
	char *m = f->mem[f->n];
	int k = snprintf(m, sizeof f->mem[0], "%s=", key);
	va_list ap;
	va_start(ap, fmt);
	int v = vsnprintf(m + k, sizeof f->mem[0] - (size_t)k, fmt, ap);
	va_end(ap);
	size_t len = (size_t)k + (v < 0 ? 0 : (size_t)v);
	if (len >= sizeof f->mem[0])
		len = sizeof f->mem[0] - 1;
	f->iov[f->n++] = (struct iovec){.iov_base = m, .iov_len = len};
}

/* stable MESSAGE_IDs (journalctl MESSAGE_ID=...), one per action */
static const char *const msgid[PS_WA_MAX] = {"9f2c1e0a4b6d4c3e8a1f5b7d2e9c0a11", "9f2c1e0a4b6d4c3e8a1f5b7d2e9c0a12",
					     "9f2c1e0a4b6d4c3e8a1f5b7d2e9c0a13", "9f2c1e0a4b6d4c3e8a1f5b7d2e9c0a14"};

int wo_journal_send(const struct ps_watch_event *e, const char *line)
{
	struct jf f = {.n = 0};
	size_t ll = strlen(line);
	while (ll && line[ll - 1] == '\n')
		ll--;
	jf(&f, "MESSAGE", "%.*s", (int)ll, line);
	jf(&f, "PRIORITY", "%d", e->check ? LOG_WARNING : LOG_INFO);
	jf(&f, "SYSLOG_IDENTIFIER", "portsec");
	if (e->action < PS_WA_MAX)
		jf(&f, "MESSAGE_ID", "%s", msgid[e->action]);
	jf(&f, "PORTSEC_ACTION", "%s", ps_watch_action_name(e->action));
	jf(&f, "PORTSEC_SOURCE", "%s", e->source);
	if (e->action != PS_WA_FIREWALL) {
		jf(&f, "PORTSEC_PROTO", "%s", ps_proto_name(e->proto));
		jf(&f, "PORTSEC_ADDR", "%s", e->addr);
		jf(&f, "PORTSEC_PORT", "%u", e->port);
		jf(&f, "PORTSEC_SCOPE", "%s", e->scope ? e->scope : "");
		jf(&f, "PORTSEC_VERDICT", "%s", e->verdict ? e->verdict : "");
		jf(&f, "PORTSEC_COOKIE", "%llu", (unsigned long long)e->cookie);
	} else {
		jf(&f, "PORTSEC_GENID", "%u", e->genid);
		jf(&f, "PORTSEC_VERDICTS_CHANGED", "%u", e->verdicts_changed);
	}
	jf(&f, "PORTSEC_NETNS", "%s", e->netns_name ? e->netns_name : "");
	jf(&f, "PORTSEC_NETNS_INODE", "%u", e->netns);
	jf(&f, "PORTSEC_DECISION", "%s", e->decision ? e->decision : "");
	if (e->check)
		jf(&f, "PORTSEC_CHECK", "%s", e->check);
	if (e->pid > 0) {
		/* journald adds the process's own trusted fields as OBJECT_* */
		jf(&f, "OBJECT_PID", "%d", e->pid);
		jf(&f, "PORTSEC_COMM", "%s", e->comm ? e->comm : "");
		if (e->exe)
			jf(&f, "PORTSEC_EXE", "%s", e->exe);
		jf(&f, "PORTSEC_UID", "%u", e->uid);
	}
	return sd.journal_sendv(f.iov, f.n);
}

/* ---- syslog ---- */

int wo_syslog_open(char *err, size_t cap)
{
	struct stat sb;
	if (stat("/dev/log", &sb) != 0 || !S_ISSOCK(sb.st_mode)) {
		snprintf(err, cap, "no syslog daemon listens on /dev/log");
		return -1;
	}
	openlog("portsec", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

void wo_syslog_send(const struct ps_watch_event *e, const char *line)
{
	size_t ll = strlen(line);
	while (ll && line[ll - 1] == '\n')
		ll--;
	syslog(e->check ? LOG_WARNING : LOG_INFO, "%.*s", (int)ll, line);
}

void wo_syslog_close(void)
{
	closelog();
}

/* ---- systemd ---- */

int wo_notify(const char *state, char *err, size_t cap)
{
	if (!getenv("NOTIFY_SOCKET"))
		return 0; /* not started by a service manager that listens */
	if (load_sd(err, cap) != 0)
		return -1;
	return sd.notify(0, state) < 0 ? (snprintf(err, cap, "sd_notify failed"), -1) : 0;
}
