/* watch_out.h - `portsec watch`'s outputs besides stdout (watch_out.c) */
#ifndef PORTSEC_CLI_WATCH_OUT_H
#define PORTSEC_CLI_WATCH_OUT_H
#include <stdarg.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

/* "198.18.0.1:9469", "[::1]:9469": 0, or -1 */
int wo_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

struct wo_http;
/* listens on ss (the bind error in err) and serves GET /metrics from m */
struct wo_http *wo_http_start(const struct sockaddr_storage *ss, socklen_t len, const struct ps_watch_metrics *m,
			      char *err, size_t cap);
int wo_http_fd(const struct wo_http *h);
/* answer what is pending (never blocks); st is what /metrics shows now */
void wo_http_run(struct wo_http *h, const struct ps_watch_stats *st, const char *source, const char *detail);
uint64_t wo_http_scrapes(const struct wo_http *h);
void wo_http_stop(struct wo_http *h);

int wo_journal_check(char *err, size_t cap);
/* <0 (-errno) when journald did not take it */
int wo_journal_send(const struct ps_watch_event *e, const char *line);

int wo_syslog_open(char *err, size_t cap);
void wo_syslog_send(const struct ps_watch_event *e, const char *line);
void wo_syslog_close(void);

/* sd_notify: a no-op outside a Type=notify service (no NOTIFY_SOCKET);
 * -1 with err when libsystemd cannot be loaded or the manager refused it */
int wo_notify(const char *state, char *err, size_t cap);
#endif
