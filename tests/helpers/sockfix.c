/* sockfix - test fixture: opens the sockets named on the command line, prints
 * "ready PID [CHILD_PID]" and holds them until killed (or for -T seconds,
 * 120 by default, so a forgotten fixture never outlives its test for long).
 *
 *   tcp-listen:ADDR:PORT           listen (IPv4 or IPv6 by ADDR)
 *   tcp6only-listen:ADDR:PORT      IPv6 listener with IPV6_V6ONLY=1
 *   tcp6dual-listen:ADDR:PORT      IPv6 listener with IPV6_V6ONLY=0
 *   tcp-reuseport:ADDR:PORT:N      N listeners in one SO_REUSEPORT group
 *   tcp-bound:ADDR:PORT            bound, never listen()ed (bound-inactive)
 *   tcp-pair:ADDR:PORT             listener + a connected client + the accepted socket
 *   udp:ADDR:PORT                  unconnected UDP
 *   udp-connected:ADDR:PORT:RPORT  UDP bound to PORT, connected to ADDR:RPORT
 *   raw-icmp                       raw IPv4 ICMP socket
 *   packet-bpf                     AF_PACKET SOCK_RAW ETH_P_IP with a 4-insn classic BPF filter
 *   in-netns:PATH                  the following sockets are created inside the netns
 *                                  file PATH (a thread setns()es there and back)
 *   in-private-netns               the following sockets are created in a fresh unnamed netns
 *                                  that no process lives in (only the sockets keep it alive)
 *   tcp-bound-reuse:ADDR:PORT      bound with SO_REUSEADDR, never listen()ed
 *   tcp-timewait:ADDR:PORT         a connection closed by the listening side first, then
 *                                  the listener closed: only a time-wait socket holds PORT
 *   tcp-inflight:ADDR:PORT         a listener sent over a unix socket to ourselves and
 *                                  closed: no fd holds it, only a message in flight
 *   packet-ebpf                    AF_PACKET socket with an eBPF socket filter (SO_ATTACH_BPF)
 *   masq:NAME                      at the end: comm and argv become NAME (as BPFDoor does)
 *   fork                           after creating all sockets, fork a child that holds them too
 * Only loopback and addresses of the caller's own namespaces are used. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int home_ns = -1;

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "sockfix: %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

static socklen_t mkaddr(const char *addr, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			die("bad address", addr);
		return sizeof *s6;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
		die("bad address", addr);
	return sizeof *s4;
}

/* split "kind:ADDR:PORT[:X]" where ADDR may be [v6] */
static int split(char *spec, char **kind, char **addr, int *port, int *extra)
{
	*kind = spec;
	char *p = strchr(spec, ':');
	if (!p)
		return 0;
	*p++ = '\0';
	if (*p == '[') {
		*addr = p + 1;
		char *e = strchr(p, ']');
		if (!e)
			return -1;
		*e = '\0';
		p = e + 1;
		if (*p != ':')
			return -1;
		p++;
	} else {
		*addr = p;
		p = strchr(p, ':');
		if (!p)
			return -1;
		*p++ = '\0';
	}
	*port = atoi(p);
	char *x = strchr(p, ':');
	*extra = x ? atoi(x + 1) : 0;
	return 1;
}

static int sock_for(const char *addr, int type)
{
	int s = socket(strchr(addr, ':') ? AF_INET6 : AF_INET, type, 0);
	if (s < 0)
		die("socket", addr);
	return s;
}

static void bind_or_die(int s, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t l = mkaddr(addr, port, &ss);
	if (bind(s, (struct sockaddr *)&ss, l) != 0)
		die("bind", addr);
}

/* a listener with SO_REUSEADDR on addr:port */
static int listen_on(const char *addr, int port, int backlog)
{
	int one = 1, l = sock_for(addr, SOCK_STREAM);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bind_or_die(l, addr, port);
	if (listen(l, backlog) != 0)
		die("listen", addr);
	return l;
}

/* a client connected to addr:port */
static int connect_to(const char *addr, int port)
{
	int c = sock_for(addr, SOCK_STREAM);
	struct sockaddr_storage ss;
	socklen_t sl = mkaddr(addr, port, &ss);
	if (connect(c, (struct sockaddr *)&ss, sl) != 0)
		die("connect", addr);
	return c;
}

static int load_socket_filter(void)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0}, /* r0 = 0 */
		{.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insn_cnt = 2;
	a.insns = (unsigned long)insns;
	a.license = (unsigned long)"GPL";
	memcpy(a.prog_name, "psfix_filter", 13);
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
}

static void send_fd(int via, int fd)
{
	char c = 'x';
	struct iovec iov = {&c, 1};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			   .msg_controllen = sizeof u.b};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(via, &m, 0) != 1)
		die("sendmsg", "SCM_RIGHTS");
}

int main(int argc, char **argv)
{
	char masq[64] = "";
	int ttl = 120, do_fork = 0;
	int opt;
	/* fd numbers appear in the goldens: start from the same table whatever the runner
	 * left open (a CI shell and a developer's terminal differ) */
	(void)syscall(SYS_close_range, 3U, ~0U, 0U);
	while ((opt = getopt(argc, argv, "T:")) != -1)
		if (opt == 'T')
			ttl = atoi(optarg);
	home_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int in_other = 0;
	for (int i = optind; i < argc; i++) {
		char buf[256];
		snprintf(buf, sizeof buf, "%s", argv[i]);
		char *kind, *addr = NULL;
		int port = 0, extra = 0, one = 1, zero = 0;
		if (strncmp(buf, "in-netns:", 9) == 0)
			buf[8] = '\0', kind = buf; /* a path follows, not ADDR:PORT */
		else if (strncmp(buf, "masq:", 5) == 0)
			buf[4] = '\0', kind = buf; /* a name follows */
		else if (split(buf, &kind, &addr, &port, &extra) < 0)
			die("bad spec", argv[i]);
		if (strcmp(kind, "fork") == 0) {
			do_fork = 1;
		} else if (strcmp(kind, "in-netns") == 0) {
			/* "in-netns:PATH" has no port: take the rest literally */
			const char *path = argv[i] + strlen("in-netns:");
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWNET) != 0)
				die("enter netns", path);
			close(fd);
			in_other = 1;
		} else if (strcmp(kind, "in-private-netns") == 0) {
			if (unshare(CLONE_NEWNET) != 0)
				die("unshare", "netns");
			in_other = 1;
			/* bring lo up so 127.0.0.1 binds work: ioctl SIOCSIFFLAGS */
			int s = socket(AF_INET, SOCK_DGRAM, 0);
			struct { char name[16]; short flags; char pad[24]; } ifr;
			memset(&ifr, 0, sizeof ifr);
			strcpy(ifr.name, "lo");
			ifr.flags = 1 | 0x40; /* IFF_UP | IFF_RUNNING */
			if (ioctl(s, 0x8914 /* SIOCSIFFLAGS */, &ifr) != 0)
				die("lo up", "");
			close(s);
		} else if (strcmp(kind, "tcp-listen") == 0 || strcmp(kind, "tcp6only-listen") == 0 ||
			   strcmp(kind, "tcp6dual-listen") == 0) {
			int s = sock_for(addr, SOCK_STREAM);
			setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
			if (strcmp(kind, "tcp6only-listen") == 0)
				setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
			if (strcmp(kind, "tcp6dual-listen") == 0)
				setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
			bind_or_die(s, addr, port);
			if (listen(s, 16) != 0)
				die("listen", addr);
		} else if (strcmp(kind, "tcp-reuseport") == 0) {
			for (int k = 0; k < (extra > 0 ? extra : 2); k++) {
				int s = sock_for(addr, SOCK_STREAM);
				setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
				bind_or_die(s, addr, port);
				if (listen(s, 16) != 0)
					die("listen", addr);
			}
		} else if (strcmp(kind, "tcp-bound") == 0) {
			int s = sock_for(addr, SOCK_STREAM);
			bind_or_die(s, addr, port);
		} else if (strcmp(kind, "tcp-pair") == 0) {
			int l = listen_on(addr, port, 4);
			connect_to(addr, port);
			if (accept(l, NULL, NULL) < 0)
				die("accept", addr);
		} else if (strcmp(kind, "udp") == 0) {
			int s = sock_for(addr, SOCK_DGRAM);
			bind_or_die(s, addr, port);
		} else if (strcmp(kind, "udp-connected") == 0) {
			int s = sock_for(addr, SOCK_DGRAM);
			bind_or_die(s, addr, port);
			struct sockaddr_storage ss;
			socklen_t sl = mkaddr(addr, extra, &ss);
			if (connect(s, (struct sockaddr *)&ss, sl) != 0)
				die("connect", addr);
		} else if (strcmp(kind, "raw-icmp") == 0) {
			if (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0)
				die("socket", "raw");
		} else if (strcmp(kind, "tcp-bound-reuse") == 0) {
			int s = sock_for(addr, SOCK_STREAM);
			setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
			bind_or_die(s, addr, port);
		} else if (strcmp(kind, "tcp-timewait") == 0) {
			int l = listen_on(addr, port, 4);
			int c = connect_to(addr, port);
			int a = accept(l, NULL, NULL);
			if (a < 0)
				die("accept", addr);
			close(a); /* the listening side closes first: its socket ends in time-wait */
			char b;
			if (read(c, &b, 1) != 0)
				die("read eof", addr);
			close(c);
			close(l);
			usleep(50000);
		} else if (strcmp(kind, "tcp-inflight") == 0) {
			int sp[2];
			if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) != 0)
				die("socketpair", "");
			int l = listen_on(addr, port, 4);
			send_fd(sp[0], l);
			close(l); /* only the message in sp[1]'s queue keeps it */
		} else if (strcmp(kind, "packet-ebpf") == 0) {
			int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
			if (s < 0)
				die("socket", "packet");
			int pfd = load_socket_filter();
			if (pfd < 0)
				die("bpf prog load", "socket_filter");
			if (setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, &pfd, sizeof pfd) != 0)
				die("attach bpf", "");
			close(pfd); /* the filter lives on, on the socket only */
		} else if (strcmp(kind, "masq") == 0) {
			snprintf(masq, sizeof masq, "%s", argv[i] + 5);
		} else if (strcmp(kind, "packet-bpf") == 0) {
			int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
			if (s < 0)
				die("socket", "packet");
			struct sock_filter code[] = {
				{0x28, 0, 0, 0x0000000c}, /* ldh [12] */
				{0x15, 0, 1, 0x00001234}, /* jeq #0x1234 */
				{0x06, 0, 0, 0x00040000}, /* ret #262144 */
				{0x06, 0, 0, 0x00000000}, /* ret #0 */
			};
			struct sock_fprog prog = {4, code};
			if (setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
				die("attach filter", "");
		} else {
			errno = EINVAL;
			die("unknown spec", argv[i]);
		}
	}
	if (in_other && setns(home_ns, CLONE_NEWNET) != 0)
		die("return to netns", "");
	if (masq[0]) {
		/* argv strings are contiguous: overwrite them all with the new name */
		char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]);
		size_t room = (size_t)(end - start);
		memset(start, 0, room);
		snprintf(start, room, "%s", masq);
		prctl(PR_SET_NAME, strrchr(masq, '/') ? strrchr(masq, '/') + 1 : masq);
	}
	pid_t child = 0;
	if (do_fork) {
		child = fork();
		if (child == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			alarm((unsigned)ttl);
			for (;;)
				pause();
		}
	}
	if (child > 0)
		printf("ready %d %d\n", getpid(), child);
	else
		printf("ready %d\n", getpid());
	fflush(stdout);
	alarm((unsigned)ttl);
	for (;;)
		pause();
}
