/* unit tests: the pure pieces of `portsec hidden` (environment blocks,
 * process-name rules, ld.so.preload, which listing explains an in-use port),
 * the classic BPF decoder, the sockstat parser and the bind probe of one
 * port against a socket of our own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portsec/portsec.h"

static void test_environ(void **st)
{
	(void)st;
	static const char env[] = "PATH=/bin\0LD_PRELOAD=/tmp/x.so\0LD_PRELOADX=no\0EMPTY=\0";
	size_t n = 0;
	const char *v = ps_environ_get(env, sizeof env - 1, "LD_PRELOAD", &n);
	assert_non_null(v);
	assert_int_equal(n, 9);
	assert_memory_equal(v, "/tmp/x.so", 9);
	assert_null(ps_environ_get(env, sizeof env - 1, "LD_AUDIT", &n));
	assert_null(ps_environ_get(env, sizeof env - 1, "LD_PRELOA", &n));
	v = ps_environ_get(env, sizeof env - 1, "EMPTY", &n);
	assert_non_null(v);
	assert_int_equal(n, 0);
	/* no trailing NUL, truncated block */
	static const char cut[] = {'L', 'D', '_', 'A', 'U', 'D', 'I', 'T', '=', 'a'};
	v = ps_environ_get(cut, sizeof cut, "LD_AUDIT", &n);
	assert_non_null(v);
	assert_int_equal(n, 1);
	assert_null(ps_environ_get("", 0, "X", &n));
}

static void test_names_fit(void **st)
{
	(void)st;
	assert_true(ps_name_fits_exe("sshd", 4, "sshd"));
	assert_true(ps_name_fits_exe("sshd: root@pts/0", 16, "sshd"));
	assert_true(ps_name_fits_exe("/usr/sbin/nginx", 15, "nginx"));
	assert_true(ps_name_fits_exe("nginx: master process /usr/sbin/nginx", 37, "nginx"));
	assert_true(ps_name_fits_exe("postgres: checkpointer", 22, "postgres"));
	assert_true(ps_name_fits_exe("systemd-journal", 15, "systemd-journald")); /* comm cut at 15 */
	assert_true(ps_name_fits_exe("python3", 7, "python3.11"));
	assert_true(ps_name_fits_exe("vim", 3, "vim.basic"));
	assert_true(ps_name_fits_exe("-bash", 5, "bash"));
	assert_true(ps_name_fits_exe("nc.openbsd", 10, "nc"));
	/* the BPFDoor mask */
	assert_false(ps_name_fits_exe("/sbin/udevd -d", 14, "kdmtmpflush"));
	assert_false(ps_name_fits_exe("udevd", 5, "kdmtmpflush"));
	assert_false(ps_name_fits_exe("sshdx", 5, "sshd"));
	assert_false(ps_name_fits_exe("ssh", 3, "sshd"));
	assert_false(ps_name_fits_exe("", 0, "sshd"));
	assert_false(ps_name_fits_exe(":", 1, "sshd"));
	assert_true(ps_exe_is_interpreter("python3.11"));
	assert_true(ps_exe_is_interpreter("perl"));
	assert_true(ps_exe_is_interpreter("sh"));
	assert_true(ps_exe_is_interpreter("qemu-system-x86_64"));
	assert_false(ps_exe_is_interpreter("sshd"));
	assert_false(ps_exe_is_interpreter("nodemon"));
	assert_false(ps_exe_is_interpreter("shd"));
}

static void count_cb(void *ctx, const char *s, size_t n)
{
	char *out = ctx;
	strncat(out, s, n);
	strcat(out, "|");
}

static void test_preload_parse(void **st)
{
	(void)st;
	static const char f[] = "# comment /nope.so\n/lib/a.so /lib/b.so:/lib/c.so\n\n  #x\n/lib/d.so # tail\n";
	char got[256] = "";
	assert_int_equal(ps_preload_parse(f, sizeof f - 1, count_cb, got), 4);
	assert_string_equal(got, "/lib/a.so|/lib/b.so|/lib/c.so|/lib/d.so|");
	assert_int_equal(ps_preload_parse("", 0, NULL, NULL), 0);
	assert_int_equal(ps_preload_parse("#only\n", 6, NULL, NULL), 0);
}

static struct ps_socket *row(struct ps_inventory *inv, uint8_t proto, uint8_t fam, const char *addr,
			     uint16_t port, int8_t v6only, uint8_t state)
{
	struct ps_socket *s = ps_inventory_add_socket(inv);
	assert_non_null(s);
	memset(s, 0, sizeof *s);
	s->proto = proto;
	s->family = fam;
	s->lport = port;
	s->v6only = v6only;
	s->state = state;
	struct ps_cidr c;
	assert_int_equal(ps_parse_addr(addr, &c), PS_OK);
	memcpy(s->laddr, c.addr, fam == AF_INET ? 4 : 16);
	return s;
}

static void test_port_explained(void **st)
{
	(void)st;
	struct ps_inventory *inv = ps_inventory_new();
	assert_non_null(inv);
	row(inv, PS_PROTO_TCP, AF_INET, "127.0.0.1", 80, -1, PS_ST_LISTEN);
	row(inv, PS_PROTO_TCP, AF_INET6, "::", 81, 1, PS_ST_LISTEN);       /* v6-only */
	row(inv, PS_PROTO_TCP, AF_INET6, "::", 82, 0, PS_ST_LISTEN);       /* dual-stack */
	row(inv, PS_PROTO_TCP, AF_INET6, "::", 83, -1, PS_ST_LISTEN);      /* procfs: unknown */
	row(inv, PS_PROTO_TCP, AF_INET6, "::ffff:127.0.0.1", 84, 0, PS_ST_ESTABLISHED);
	row(inv, PS_PROTO_TCP, AF_INET6, "2001:db8::1", 85, 0, PS_ST_LISTEN);
	row(inv, PS_PROTO_UDP, AF_INET, "0.0.0.0", 53, -1, PS_ST_CLOSE);
	row(inv, PS_PROTO_TCP, AF_INET, "127.0.0.1", 9100, -1, PS_ST_TIME_WAIT);
	/* a client's FIN-WAIT-2 mini-socket on [::1] (connected, not v6-only) */
	row(inv, PS_PROTO_TCP, AF_INET6, "::1", 51998, -1, PS_ST_FIN_WAIT2);
	inv->socks[inv->nsocks - 1].tw_mini = true;
	/* v4 space */
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 80, false, 0));
	assert_false(ps_port_explained(inv, PS_PROTO_TCP, 80, true, 0));
	assert_false(ps_port_explained(inv, PS_PROTO_TCP, 81, false, 0)); /* v6-only leaves IPv4 free */
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 81, true, 0));
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 82, false, 0));
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 82, true, 0));
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 83, false, 0)); /* unknown = dual */
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 84, false, 0)); /* mapped = IPv4 */
	assert_false(ps_port_explained(inv, PS_PROTO_TCP, 84, true, 0));
	assert_false(ps_port_explained(inv, PS_PROTO_TCP, 85, false, 0));
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 85, true, 0));
	assert_true(ps_port_explained(inv, PS_PROTO_UDP, 53, false, 0));
	assert_false(ps_port_explained(inv, PS_PROTO_TCP, 53, false, 0)); /* other protocol */
	assert_false(ps_port_explained(inv, PS_PROTO_UDP, 53, false, 1)); /* other netns */
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 9100, false, 0)); /* time-wait holds it */
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 51998, false, 0)); /* 127.0.0.6 placeholder */
	assert_true(ps_port_explained(inv, PS_PROTO_TCP, 51998, true, 0));
	assert_false(ps_port_explained(inv, PS_PROTO_TCP, 31337, false, 0));
	ps_inventory_free(inv);
}

static void fmt(const struct ps_bpf_insn *in, unsigned idx, unsigned total, const char *want)
{
	char buf[128];
	ps_bpf_insn_format(in, idx, total, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void test_bpf_format(void **st)
{
	(void)st;
	/* tcpdump -d "tcp port 22"-like pieces */
	fmt(&(struct ps_bpf_insn){0x28, 0, 0, 12}, 0, 6, "(000) ldh      [12]");
	fmt(&(struct ps_bpf_insn){0x15, 0, 3, 0x800}, 1, 6, "(001) jeq      #0x800           jt 2 jf 5");
	fmt(&(struct ps_bpf_insn){0x30, 0, 0, 23}, 2, 6, "(002) ldb      [23]");
	fmt(&(struct ps_bpf_insn){0xb1, 0, 0, 14}, 3, 6, "(003) ldxb     4*([14]&0xf)");
	fmt(&(struct ps_bpf_insn){0x48, 0, 0, 16}, 3, 6, "(003) ldh      [x + 16]");
	fmt(&(struct ps_bpf_insn){0x06, 0, 0, 262144}, 4, 6, "(004) ret      #262144");
	fmt(&(struct ps_bpf_insn){0x06, 0, 0, 0}, 5, 6, "(005) ret      #0");
	fmt(&(struct ps_bpf_insn){0x16, 0, 0, 0}, 5, 6, "(005) ret      a");
	fmt(&(struct ps_bpf_insn){0x28, 0, 0, 0xfffff000}, 0, 2, "(000) ldh      #proto");
	fmt(&(struct ps_bpf_insn){0x20, 0, 0, 0xfffff000 + 8}, 0, 2, "(000) ld       #ifidx");
	fmt(&(struct ps_bpf_insn){0x54, 0, 0, 0x1fff}, 0, 2, "(000) and      #0x1fff");
	fmt(&(struct ps_bpf_insn){0x05, 0, 0, 1}, 0, 3, "(000) ja       2");
	fmt(&(struct ps_bpf_insn){0x05, 0, 0, 9}, 0, 3, "(000) ja       10 (out of range)");
	fmt(&(struct ps_bpf_insn){0x15, 7, 0, 1}, 0, 3, "(000) jeq      #0x1             jt 8! jf 1");
	fmt(&(struct ps_bpf_insn){0x07, 0, 0, 0}, 0, 1, "(000) tax");
	fmt(&(struct ps_bpf_insn){0x87, 0, 0, 0}, 0, 1, "(000) txa");
	fmt(&(struct ps_bpf_insn){0x02, 0, 0, 3}, 0, 1, "(000) st       M[3]");
	fmt(&(struct ps_bpf_insn){0x84, 0, 0, 0}, 0, 1, "(000) neg");
	fmt(&(struct ps_bpf_insn){0xff, 1, 2, 3}, 0, 1, "(000) unimp 0x00ff k=0x3");
	/* truncation to a small buffer is safe */
	char tiny[8];
	size_t n = ps_bpf_insn_format(&(struct ps_bpf_insn){0x15, 0, 3, 0x800}, 1, 6, tiny, sizeof tiny);
	assert_int_equal(n, 7);
	assert_int_equal(strlen(tiny), 7);
}

static void test_sockstat(void **st)
{
	(void)st;
	static const char v4[] = "sockets: used 190\nTCP: inuse 5 orphan 0 tw 2 alloc 8 mem 1\n"
				 "UDP: inuse 3 mem 0\nUDPLITE: inuse 0\nRAW: inuse 1\nFRAG: inuse 0 memory 0\n";
	static const char v6[] = "TCP6: inuse 4\nUDP6: inuse 2\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n";
	struct ps_sockstat s = {0};
	assert_int_equal(ps_sockstat_parse(v4, sizeof v4 - 1, false, &s), PS_OK);
	assert_int_equal(ps_sockstat_parse(v6, sizeof v6 - 1, true, &s), PS_OK);
	assert_true(s.ok4 && s.ok6);
	assert_int_equal(s.tcp, 5);
	assert_int_equal(s.tcp_tw, 2);
	assert_int_equal(s.udp, 3);
	assert_int_equal(s.raw, 1);
	assert_int_equal(s.tcp6, 4);
	assert_int_equal(s.udp6, 2);
	struct ps_sockstat z = {0};
	assert_int_equal(ps_sockstat_parse("nothing here\n", 13, false, &z), PS_ERR_INVAL);
	assert_int_equal(ps_sockstat_parse("TCP: inuse x\n", 13, false, &z), PS_ERR_INVAL);
	assert_int_equal(ps_sockstat_parse("TCP: inuse 99999999999\n", 23, false, &z), PS_ERR_INVAL);
	assert_false(z.ok4);
}

static void test_bind_probe_own_socket(void **st)
{
	(void)st;
	/* a socket of our own on an ephemeral port: the probe must see it in
	 * the IPv4 space only, and see the port free again once closed */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t l = sizeof a;
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
	uint16_t port = ntohs(a.sin_port);
	bool v4 = false, v6 = true;
	int r = ps_bind_probe_port(PS_PROTO_TCP, port, &v4, &v6);
	assert_int_equal(r, PS_OK);
	assert_true(v4);
	assert_false(v6);
	close(s);
	assert_int_equal(ps_bind_probe_port(PS_PROTO_TCP, port, &v4, &v6), PS_OK);
	assert_false(v4);
	assert_false(v6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_environ),
		cmocka_unit_test(test_names_fit),
		cmocka_unit_test(test_preload_parse),
		cmocka_unit_test(test_port_explained),
		cmocka_unit_test(test_bpf_format),
		cmocka_unit_test(test_sockstat),
		cmocka_unit_test(test_bind_probe_own_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
