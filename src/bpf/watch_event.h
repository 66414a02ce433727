/* watch_event.h - the event the BPF side writes into the ring buffer
 * (shared by watch.bpf.c and src/lib/watch/). */
#ifndef PS_WATCH_EVENT_H
#define PS_WATCH_EVENT_H

enum { PS_WEV_LISTEN = 1, PS_WEV_CLOSE = 2, PS_WEV_BIND = 3 };

struct ps_wev {
	unsigned long long ts_ns;   /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	unsigned long long cookie;  /* socket cookie */
	unsigned int netns;         /* network namespace inode (0: not known at bind) */
	unsigned int tgid, pid, uid;
	char comm[16];
	unsigned char kind, proto, family, pad;
	unsigned short port;
	unsigned short pad2;
	union {
		unsigned char addr[16];
		unsigned int addr32[4];
	};
};
#endif
