/* out_list.c - `portsec list` formatters: aligned table, JSON, JSON Lines */
#include <string.h>
#include <sys/socket.h>

#include "out_internal.h"

/* ---------- shared cells ---------- */

static size_t copy_cell(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}


static size_t local_cell(char *dst, size_t cap, const struct ps_inventory *inv,
			 const struct ps_socket *s)
{
	if (s->family == AF_PACKET) {
		const char *ifn = s->ifindex ? ps_inventory_ifname(inv, s->netns, s->ifindex) : NULL;
		if (s->ifindex && !ifn)
			return (size_t)snprintf(dst, cap, "if%u", s->ifindex);
		return (size_t)snprintf(dst, cap, "%s", ifn ? ifn : "*");
	}
	bool star = s->proto == PS_PROTO_RAW;
	size_t n = ps_fmt_endpoint(dst, cap, s->family, s->laddr, star ? 0 : s->lport, true);
	if (s->ifindex && n + 20 < cap) {
		const char *ifn = ps_inventory_ifname(inv, s->netns, s->ifindex);
		/* ss's "addr%dev:port" would break the address; append instead */
		n += (size_t)snprintf(dst + n, cap - n, "%%%s", ifn ? ifn : "?");
	}
	return n;
}

static size_t peer_cell(char *dst, size_t cap, const struct ps_socket *s)
{
	if (s->family == AF_PACKET)
		return (size_t)snprintf(dst, cap, "*");
	if (ps_addr_is_any(s->family, s->raddr) && s->rport == 0)
		return copy_cell(dst, cap, "*:*");
	return ps_fmt_endpoint(dst, cap, s->family, s->raddr, s->rport, true);
}

static size_t service_cell(char *dst, size_t cap, const struct ps_socket *s,
			   const struct ps_svcdb *db)
{
	char tmp[16];
	if (s->proto == PS_PROTO_PACKET) {
		size_t n = (size_t)snprintf(dst, cap, "eth:%s", ps_ethertype_name(s->protocol, tmp, sizeof tmp));
		if (s->has_filter && n < cap)
			n += (size_t)snprintf(dst + n, cap - n, " +bpf(%u)", s->filter_len);
		return n;
	}
	if (s->proto == PS_PROTO_RAW)
		return (size_t)snprintf(dst, cap, "%s", ps_ipproto_name(s->protocol, tmp, sizeof tmp));
	const char *sv = ps_socket_service(db, s);
	return copy_cell(dst, cap, sv ? sv : "-");
}

static const char *scope_cell(const struct ps_socket *s)
{
	if (s->family == AF_PACKET)
		return s->ifindex ? "device" : "any";
	return ps_scope_name(ps_scope_of(s->family, s->laddr));
}

static void process_cell(struct ps_buf *b, const struct ps_inventory *inv, const struct ps_socket *s)
{
	if (!s->owner_count) {
		const char *note = ps_owner_note_name(s->owner_note);
		ps_buf_puts(b, "-");
		if (note && s->owner_note != PS_ON_NOT_WALKED) {
			ps_buf_puts(b, " [");
			ps_buf_puts(b, note);
			ps_buf_putc(b, ']');
		}
		return;
	}
	for (uint32_t k = 0; k < s->owner_count; k++) {
		const struct ps_owner *o = &inv->owners[s->owner_first + k];
		const struct ps_proc *p = &inv->procs[o->proc];
		if (k)
			ps_buf_putc(b, ',');
		ps_buf_puts_term(b, p->comm[0] ? p->comm : "?");
		ps_buf_puts(b, "(pid=");
		ps_buf_putu(b, (uint64_t)p->pid);
		ps_buf_puts(b, ",fd=");
		ps_buf_putu(b, (uint64_t)o->fd);
		ps_buf_putc(b, ')');
	}
}

static size_t netns_cell(char *dst, size_t cap, const struct ps_inventory *inv,
			 const struct ps_socket *s)
{
	const struct ps_netns *ns = &inv->netns[s->netns];
	if (ns->name[0])
		return (size_t)snprintf(dst, cap, "%s", ns->name);
	return (size_t)snprintf(dst, cap, "%llu%s", (unsigned long long)ns->inode,
				ns->current ? "*" : "");
}

/* ---------- table ---------- */

enum { COL_NETNS, COL_PROTO, COL_STATE, COL_RQ, COL_SQ, COL_LOCAL, COL_PEER, COL_SERVICE,
       COL_SCOPE, NCOL };

static const char *const hdr[NCOL] = {"NETNS", "PROTO", "STATE", "RECV-Q", "SEND-Q",
				      "LOCAL", "PEER",  "SERVICE", "SCOPE"};

static size_t ulen(uint64_t v)
{
	size_t n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void cell(struct ps_buf *b, const char *s, size_t n, size_t w, bool right)
{
	if (right)
		ps_buf_pad(b, w > n ? w - n : 0);
	ps_buf_put(b, s, n);
	if (!right)
		ps_buf_pad(b, w > n ? w - n : 0);
	ps_buf_putc(b, ' ');
}

struct table_ctx {
	size_t w[NCOL];
	const struct ps_svcdb *db;
	const struct ps_out_opts *o;
};

static void table_row(struct ps_buf *b, const struct ps_inventory *inv, const struct ps_socket *s,
		      const void *p)
{
	const struct table_ctx *t = p;
	const size_t *w = t->w;
	const struct ps_out_opts *o = t->o;
	char t1[128];
	size_t n;
	if (o->netns) {
		n = netns_cell(t1, sizeof t1, inv, s);
		cell(b, t1, n, w[COL_NETNS], false);
	}
	const char *pn = ps_proto_name(s->proto);
	cell(b, pn, strlen(pn), w[COL_PROTO], false);
	const char *st = ps_state_name(s->proto, s->state);
	if (o->color && s->state == PS_ST_LISTEN)
		ps_buf_puts(b, C_GREEN);
	cell(b, st, strlen(st), w[COL_STATE], false);
	if (o->color && s->state == PS_ST_LISTEN)
		ps_buf_puts(b, C_RESET);
	n = ulen(s->rqueue);
	ps_buf_pad(b, w[COL_RQ] > n ? w[COL_RQ] - n : 0);
	ps_buf_putu(b, s->rqueue);
	ps_buf_putc(b, ' ');
	n = ulen(s->wqueue);
	ps_buf_pad(b, w[COL_SQ] > n ? w[COL_SQ] - n : 0);
	ps_buf_putu(b, s->wqueue);
	ps_buf_putc(b, ' ');
	n = local_cell(t1, sizeof t1, inv, s);
	cell(b, t1, n, w[COL_LOCAL], false);
	n = peer_cell(t1, sizeof t1, s);
	cell(b, t1, n, w[COL_PEER], false);
	n = service_cell(t1, sizeof t1, s, t->db);
	cell(b, t1, n, w[COL_SERVICE], false);
	const char *sc = scope_cell(s);
	if (o->processes || o->extended)
		cell(b, sc, strlen(sc), w[COL_SCOPE], false);
	else
		ps_buf_puts(b, sc);
	if (o->extended) {
		ps_buf_putu(b, s->uid);
		ps_buf_putc(b, ' ');
		ps_buf_putu(b, s->inode);
		if (o->processes)
			ps_buf_putc(b, ' ');
	}
	if (o->processes)
		process_cell(b, inv, s);
	ps_buf_putc(b, '\n');
}

/* column widths: one pass over the rows, split across threads */
struct width_job {
	const struct ps_inventory *inv;
	const bool *keep;
	const struct ps_svcdb *db;
	bool netns;
	size_t w[4][NCOL];
};

static void width_part(void *p, size_t part, int tid)
{
	(void)tid;
	struct width_job *j = p;
	const struct ps_inventory *inv = j->inv;
	size_t *w = j->w[part];
	size_t per = (inv->nsocks + 3) / 4;
	size_t from = part * per, to = from + per > inv->nsocks ? inv->nsocks : from + per;
	char t1[128];
	for (size_t i = from; i < to; i++) {
		if (j->keep && !j->keep[i])
			continue;
		const struct ps_socket *s = &inv->socks[i];
		size_t n;
		if (j->netns && (n = netns_cell(t1, sizeof t1, inv, s)) > w[COL_NETNS])
			w[COL_NETNS] = n;
		if ((n = strlen(ps_state_name(s->proto, s->state))) > w[COL_STATE])
			w[COL_STATE] = n;
		if ((n = ulen(s->rqueue)) > w[COL_RQ])
			w[COL_RQ] = n;
		if ((n = ulen(s->wqueue)) > w[COL_SQ])
			w[COL_SQ] = n;
		if ((n = local_cell(t1, sizeof t1, inv, s)) > w[COL_LOCAL])
			w[COL_LOCAL] = n;
		if ((n = peer_cell(t1, sizeof t1, s)) > w[COL_PEER])
			w[COL_PEER] = n;
		if ((n = service_cell(t1, sizeof t1, s, j->db)) > w[COL_SERVICE])
			w[COL_SERVICE] = n;
	}
}

static int emit_table(struct ps_buf *b, const struct ps_inventory *inv, const bool *keep,
		      const struct ps_svcdb *db, const struct ps_out_opts *o)
{
	struct width_job wj;
	memset(&wj, 0, sizeof wj);
	wj.inv = inv;
	wj.keep = keep;
	wj.db = db;
	wj.netns = o->netns;
	ps_parallel_for(4, inv->nsocks > 4096 ? 4 : 1, width_part, &wj);
	struct table_ctx t = {.db = db, .o = o};
	for (int c = 0; c < NCOL; c++) {
		t.w[c] = strlen(hdr[c]);
		for (int k = 0; k < 4; k++)
			if (wj.w[k][c] > t.w[c])
				t.w[c] = wj.w[k][c];
	}
	t.w[COL_PROTO] = 6;
	t.w[COL_SCOPE] = 8;
	if (o->header) {
		if (o->color)
			ps_buf_puts(b, C_BOLD);
		for (int c = 0; c < NCOL; c++) {
			if (c == COL_NETNS && !o->netns)
				continue;
			bool last = c == COL_SCOPE && !o->processes && !o->extended;
			if (last)
				ps_buf_puts(b, hdr[c]);
			else
				cell(b, hdr[c], strlen(hdr[c]), t.w[c], c == COL_RQ || c == COL_SQ);
		}
		if (o->extended)
			ps_buf_puts(b, o->processes ? "UID INODE PROCESS" : "UID INODE");
		else if (o->processes)
			ps_buf_puts(b, "PROCESS");
		if (o->color)
			ps_buf_puts(b, C_RESET);
		ps_buf_putc(b, '\n');
	}
	return ps_out_rows(b, inv, keep, table_row, &t);
}

/* ---------- JSON ---------- */

void ps_json_netns_obj(struct ps_json *j, const struct ps_netns *ns)
{
	ps_json_obj_begin(j);
	ps_json_key(j, "inode");
	ps_json_u64(j, ns->inode);
	ps_json_key(j, "name");
	ps_json_str(j, ns->name[0] ? ns->name : NULL);
	ps_json_obj_end(j);
}

static void json_endpoint(struct ps_json *j, const char *key, uint8_t family, const uint8_t *addr,
			  uint16_t port)
{
	char a[64];
	ps_json_key(j, key);
	ps_json_obj_begin(j);
	ps_json_key(j, "addr");
	size_t n = ps_fmt_addr(a, sizeof a, family, addr);
	ps_json_strn(j, a, n);
	ps_json_key(j, "port");
	ps_json_u64(j, port);
	ps_json_obj_end(j);
}

void ps_json_owners(struct ps_json *j, const struct ps_inventory *inv, const struct ps_socket *s)
{
	ps_json_arr_begin(j);
	for (uint32_t k = 0; k < s->owner_count; k++) {
		const struct ps_owner *o = &inv->owners[s->owner_first + k];
		const struct ps_proc *p = &inv->procs[o->proc];
		ps_json_obj_begin(j);
		ps_json_key(j, "pid");
		ps_json_i64(j, p->pid);
		ps_json_key(j, "fd");
		ps_json_i64(j, o->fd);
		ps_json_key(j, "comm");
		ps_json_str(j, p->comm);
		ps_json_key(j, "exe");
		ps_json_str(j, p->exe);
		ps_json_key(j, "exe_deleted");
		ps_json_bool(j, p->exe_deleted);
		ps_json_key(j, "uid");
		ps_json_u64(j, p->uid);
		ps_json_key(j, "user");
		ps_json_str(j, ps_inventory_username(inv, p->uid));
		ps_json_key(j, "cmdline");
		ps_json_str(j, p->cmdline);
		ps_json_key(j, "cgroup");
		ps_json_str(j, p->cgroup);
		ps_json_key(j, "unit");
		ps_json_str(j, p->unit);
		ps_json_key(j, "container");
		ps_json_str(j, p->container);
		ps_json_obj_end(j);
	}
	ps_json_arr_end(j);
}

void ps_json_socket(struct ps_json *j, const struct ps_inventory *inv, const struct ps_socket *s,
		    const struct ps_svcdb *db)
{
	char tmp[24];
	ps_json_obj_begin(j);
	ps_json_key(j, "netns");
	ps_json_netns_obj(j, &inv->netns[s->netns]);
	ps_json_key(j, "proto");
	ps_json_str(j, ps_proto_name(s->proto));
	ps_json_key(j, "family");
	ps_json_str(j, ps_family_name(s->family));
	ps_json_key(j, "state");
	ps_json_str(j, ps_state_name(s->proto, s->state));
	if (s->family == AF_PACKET) {
		ps_json_key(j, "local");
		ps_json_obj_begin(j);
		ps_json_key(j, "addr");
		ps_json_str(j, "*");
		ps_json_key(j, "port");
		ps_json_u64(j, 0);
		ps_json_obj_end(j);
		ps_json_key(j, "remote");
		ps_json_null(j);
	} else {
		json_endpoint(j, "local", s->family, s->laddr, s->proto == PS_PROTO_RAW ? 0 : s->lport);
		json_endpoint(j, "remote", s->family, s->raddr, s->rport);
	}
	ps_json_key(j, "inode");
	ps_json_u64(j, s->inode);
	ps_json_key(j, "cookie");
	ps_json_u64(j, s->cookie);
	ps_json_key(j, "uid");
	ps_json_u64(j, s->uid);
	ps_json_key(j, "user");
	ps_json_str(j, ps_inventory_username(inv, s->uid));
	ps_json_key(j, "recv_q");
	ps_json_u64(j, s->rqueue);
	ps_json_key(j, "send_q");
	ps_json_u64(j, s->wqueue);
	ps_json_key(j, "interface");
	if (s->ifindex) {
		const char *ifn = ps_inventory_ifname(inv, s->netns, s->ifindex);
		ps_json_str(j, ifn);
	} else {
		ps_json_null(j);
	}
	ps_json_key(j, "owners");
	ps_json_owners(j, inv, s);
	ps_json_key(j, "owner_note");
	ps_json_str(j, ps_owner_note_name(s->owner_note));
	ps_json_key(j, "service");
	if (s->proto == PS_PROTO_TCP || s->proto == PS_PROTO_UDP) {
		ps_json_obj_begin(j);
		ps_json_key(j, "name");
		ps_json_str(j, ps_socket_service(db, s));
		ps_json_key(j, "range");
		ps_json_str(j, ps_iana_range_name(ps_iana_range_of(s->lport)));
		ps_json_obj_end(j);
	} else {
		ps_json_null(j);
	}
	ps_json_key(j, "scope");
	ps_json_str(j, scope_cell(s));
	ps_json_key(j, "v6only");
	if (s->v6only < 0)
		ps_json_null(j);
	else
		ps_json_bool(j, s->v6only);
	if (s->proto == PS_PROTO_RAW) {
		ps_json_key(j, "ip_protocol");
		ps_json_u64(j, s->protocol);
	}
	if (s->proto == PS_PROTO_PACKET) {
		ps_json_key(j, "packet");
		ps_json_obj_begin(j);
		ps_json_key(j, "type");
		ps_json_str(j, s->pkt_type == SOCK_RAW ? "raw" : s->pkt_type == SOCK_DGRAM ? "dgram" : "other");
		ps_json_key(j, "ethertype");
		ps_json_str(j, ps_ethertype_name(s->protocol, tmp, sizeof tmp));
		ps_json_key(j, "filter");
		if (s->has_filter) {
			ps_json_arr_begin(j);
			for (uint32_t k = 0; k < s->filter_len; k++) {
				const struct ps_bpf_insn *in = &inv->insns[s->filter_first + k];
				ps_json_arr_begin(j);
				ps_json_u64(j, in->code);
				ps_json_u64(j, in->jt);
				ps_json_u64(j, in->jf);
				ps_json_u64(j, in->k);
				ps_json_arr_end(j);
			}
			ps_json_arr_end(j);
		} else {
			ps_json_null(j);
		}
		ps_json_obj_end(j);
	}
	ps_json_key(j, "sources");
	ps_json_arr_begin(j);
	if (s->sources & PS_SRC_SOCKDIAG)
		ps_json_str(j, "sock_diag");
	if (s->sources & PS_SRC_PROCFS)
		ps_json_str(j, "procfs");
	if (s->sources & PS_SRC_FDWALK)
		ps_json_str(j, "fd_walk");
	ps_json_arr_end(j);
	ps_json_obj_end(j);
}

void ps_json_sources(struct ps_json *j, const struct ps_inventory *inv)
{
	ps_json_key(j, "sources");
	ps_json_arr_begin(j);
	for (size_t i = 0; i < inv->nsources; i++) {
		const struct ps_source_info *s = &inv->sources[i];
		ps_json_obj_begin(j);
		ps_json_key(j, "name");
		ps_json_str(j, s->name);
		ps_json_key(j, "netns");
		if (s->netns_inode)
			ps_json_u64(j, s->netns_inode);
		else
			ps_json_null(j);
		ps_json_key(j, "ok");
		ps_json_bool(j, s->ok);
		ps_json_key(j, "rows");
		ps_json_u64(j, s->rows);
		ps_json_key(j, "detail");
		ps_json_str(j, s->detail[0] ? s->detail : NULL);
		ps_json_obj_end(j);
	}
	ps_json_arr_end(j);
}

void ps_json_warnings(struct ps_json *j, const struct ps_inventory *inv)
{
	ps_json_key(j, "warnings");
	ps_json_arr_begin(j);
	for (size_t i = 0; i < inv->nwarnings; i++)
		ps_json_str(j, inv->warnings[i]);
	ps_json_arr_end(j);
}

struct json_rows {
	const struct ps_svcdb *db;
	const struct ps_socket *first;
};

static void json_row(struct ps_buf *b, const struct ps_inventory *inv, const struct ps_socket *s,
		     const void *p)
{
	const struct json_rows *r = p;
	struct ps_json j;
	if (s != r->first)
		ps_buf_putc(b, ',');
	ps_json_init(&j, b, false);
	ps_json_socket(&j, inv, s, r->db);
	ps_buf_putc(b, '\n');
}

static int emit_json(struct ps_buf *b, const struct ps_inventory *inv, const bool *keep,
		     const struct ps_svcdb *db, const struct ps_out_opts *o)
{
	(void)o;
	struct ps_json j;
	ps_json_init(&j, b, false);
	ps_json_obj_begin(&j);
	ps_json_key(&j, "sockets");
	ps_json_arr_begin(&j);
	/* rows are formatted in parallel, each as ",{...}\n" but the first */
	struct json_rows jr = {db, NULL};
	for (size_t i = 0; i < inv->nsocks && !jr.first; i++)
		if (!keep || keep[i])
			jr.first = &inv->socks[i];
	ps_out_rows(b, inv, keep, json_row, &jr);
	ps_json_arr_end(&j);
	ps_json_key(&j, "namespaces");
	ps_json_arr_begin(&j);
	for (size_t i = 0; i < inv->nnetns; i++) {
		const struct ps_netns *ns = &inv->netns[i];
		ps_json_obj_begin(&j);
		ps_json_key(&j, "inode");
		ps_json_u64(&j, ns->inode);
		ps_json_key(&j, "name");
		ps_json_str(&j, ns->name[0] ? ns->name : NULL);
		ps_json_key(&j, "current");
		ps_json_bool(&j, ns->current);
		ps_json_key(&j, "listed");
		ps_json_bool(&j, ns->entered);
		ps_json_key(&j, "found_via");
		ps_json_str(&j, ns->found_via);
		ps_json_key(&j, "processes");
		ps_json_u64(&j, ns->nprocs);
		ps_json_obj_end(&j);
	}
	ps_json_arr_end(&j);
	ps_json_sources(&j, inv);
	ps_json_warnings(&j, inv);
	ps_json_obj_end(&j);
	ps_buf_putc(b, '\n');
	return b->err;
}

static void jsonl_row(struct ps_buf *b, const struct ps_inventory *inv, const struct ps_socket *s,
		      const void *db)
{
	struct ps_json j;
	ps_json_init(&j, b, false);
	ps_json_socket(&j, inv, s, db);
	ps_buf_putc(b, '\n');
}

static int emit_jsonl(struct ps_buf *b, const struct ps_inventory *inv, const bool *keep,
		      const struct ps_svcdb *db, const struct ps_out_opts *o)
{
	(void)o;
	return ps_out_rows(b, inv, keep, jsonl_row, db);
}

int ps_out_list_table(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return emit_table(b, d->inv, d->keep, d->db, o);
}
int ps_out_list_json(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return emit_json(b, d->inv, d->keep, d->db, o);
}
int ps_out_list_jsonl(struct ps_buf *b, const struct ps_out_doc *d, const struct ps_out_opts *o)
{
	return emit_jsonl(b, d->inv, d->keep, d->db, o);
}
