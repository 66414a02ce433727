/* unit tests: fd links, cgroup paths (unit, container), passwd, cmdline */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portsec/portsec.h"

static void test_socket_link(void **st)
{
	(void)st;
	uint64_t ino = 0;
	assert_true(ps_parse_socket_link("socket:[12345]", 14, &ino));
	assert_int_equal(ino, 12345);
	assert_false(ps_parse_socket_link("socket:[]", 9, &ino));
	assert_false(ps_parse_socket_link("socket:[12a]", 12, &ino));
	assert_false(ps_parse_socket_link("pipe:[12345]", 12, &ino));
	assert_false(ps_parse_socket_link("socket:[12345", 13, &ino));
	assert_false(ps_parse_socket_link("socket:[999999999999999999999999]", 33, &ino));
}

struct cg {
	const char *in, *path, *unit, *container;
};

static void test_cgroup(void **st)
{
	(void)st;
	static const struct cg cases[] = {
		{"0::/system.slice/ssh.service\n", "/system.slice/ssh.service", "ssh.service", ""},
		{"0::/init.scope\n", "/init.scope", "init.scope", ""},
		{"0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1234.scope\n",
		 "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1234.scope",
		 "app-gnome-firefox-1234.scope", ""},
		{"0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n",
		 "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
		 "docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
		 "docker:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"12:pids:/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		 "1:name=systemd:/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
		 "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "",
		 "docker:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-abcdef0123.scope\n",
		 "/kubepods.slice/kubepods-burstable.slice/cri-containerd-abcdef0123.scope",
		 "cri-containerd-abcdef0123.scope", "containerd:abcdef0123"},
		{"0::/lxc.payload.web1/system.slice/nginx.service\n", "/lxc.payload.web1/system.slice/nginx.service",
		 "nginx.service", "lxc:web1"},
		{"0::/\n", "/", "", ""},
		{"", "", "", ""},
		{"garbage without colons\n", "", "", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char path[256], unit[128], cont[128];
		ps_cgroup_parse(cases[i].in, strlen(cases[i].in), path, sizeof path, unit, sizeof unit,
				cont, sizeof cont);
		assert_string_equal(path, cases[i].path);
		assert_string_equal(unit, cases[i].unit);
		assert_string_equal(cont, cases[i].container);
	}
	/* tiny output buffers truncate, never overflow */
	char p[4], u[4], c[4];
	ps_cgroup_parse(cases[0].in, strlen(cases[0].in), p, sizeof p, u, sizeof u, c, sizeof c);
	assert_string_equal(p, "/sy");
	assert_string_equal(u, "ssh");
}

struct users {
	int n;
	uint32_t uid[8];
	char name[8][32];
};

static int on_user(void *ctx, uint32_t uid, const char *name, size_t n)
{
	struct users *u = ctx;
	if (u->n < 8) {
		u->uid[u->n] = uid;
		snprintf(u->name[u->n], 32, "%.*s", (int)n, name);
		u->n++;
	}
	return 0;
}

static void test_passwd(void **st)
{
	(void)st;
	const char *pw = "root:x:0:0:root:/root:/bin/bash\n"
			 "# comment:x:1:1\n"
			 "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			 "broken:x:notanumber:1::/:/bin/sh\n"
			 "+nis::::::\n"
			 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin";
	struct users u = {0};
	assert_int_equal(ps_passwd_parse(pw, strlen(pw), on_user, &u), PS_OK);
	assert_int_equal(u.n, 3);
	assert_string_equal(u.name[0], "root");
	assert_int_equal(u.uid[2], 65534);
	assert_string_equal(u.name[2], "nobody");
}

static void test_cmdline(void **st)
{
	(void)st;
	char b[32];
	memcpy(b, "sshd:\0-D\0\0", 10);
	assert_int_equal(ps_cmdline_clean(b, 10), 8);
	assert_string_equal(b, "sshd: -D");
	memcpy(b, "a\x1b[31mb\0", 8);
	ps_cmdline_clean(b, 8);
	assert_string_equal(b, "a?[31mb"); /* no terminal escapes reach the output */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_link),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_passwd),
		cmocka_unit_test(test_cmdline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
