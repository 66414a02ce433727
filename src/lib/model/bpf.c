/* bpf.c - classic BPF instructions as readable text, in the style of
 * `tcpdump -d`, so a packet filter a backdoor attaches can be read by a
 * person ("(001) jeq #0x800 jt 2 jf 5").  Pure: no I/O, fuzzed. */
#include <stdio.h>
#include <string.h>

#include "portsec/portsec.h"

/* linux/filter.h, spelled out so the model needs no kernel headers */
enum {
	C_LD = 0x00, C_LDX = 0x01, C_ST = 0x02, C_STX = 0x03,
	C_ALU = 0x04, C_JMP = 0x05, C_RET = 0x06, C_MISC = 0x07,
};
#define SKF_AD_OFF (-0x1000)
#define SKF_NET_OFF (-0x100000)
#define SKF_LL_OFF (-0x200000)

static const char *ancillary(uint32_t k)
{
	static const char *const names[] = {
		"proto", "type", "ifidx", "nla", "nlan", "mark", "queue", "hatype",
		"rxhash", "cpu", "xor_x", "vlan_tci", "vlanp", "poff", "rand", "vlan_tpid",
	};
	uint32_t off = k - (uint32_t)SKF_AD_OFF;
	if (off % 4 == 0 && off / 4 < sizeof names / sizeof names[0])
		return names[off / 4];
	return NULL;
}

static void mem_operand(char *dst, size_t cap, uint16_t code, uint32_t k)
{
	switch (code & 0xe0) {
	case 0x00: snprintf(dst, cap, "#0x%x", k); break;                    /* IMM */
	case 0x20: {                                                       /* ABS */
		const char *a = k >= (uint32_t)SKF_AD_OFF ? ancillary(k) : NULL;
		if (a)
			snprintf(dst, cap, "#%s", a);
		else if (k >= (uint32_t)SKF_LL_OFF && k < (uint32_t)SKF_NET_OFF)
			snprintf(dst, cap, "ll[%u]", k - (uint32_t)SKF_LL_OFF);
		else if (k >= (uint32_t)SKF_NET_OFF && k < (uint32_t)SKF_AD_OFF)
			snprintf(dst, cap, "net[%u]", k - (uint32_t)SKF_NET_OFF);
		else
			snprintf(dst, cap, "[%u]", k);
		break;
	}
	case 0x40: snprintf(dst, cap, "[x + %u]", k); break;               /* IND */
	case 0x60: snprintf(dst, cap, "M[%u]", k); break;                  /* MEM */
	case 0x80: snprintf(dst, cap, "#pktlen"); break;                   /* LEN */
	case 0xa0: snprintf(dst, cap, "4*([%u]&0xf)", k); break;           /* MSH */
	default: snprintf(dst, cap, "?"); break;
	}
}

size_t ps_bpf_insn_format(const struct ps_bpf_insn *in, unsigned idx, unsigned total, char *dst,
			  size_t cap)
{
	static const char *const alu[16] = {"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
					    "neg", "mod", "xor", NULL, NULL, NULL, NULL, NULL};
	static const char *const jmp[8] = {"ja", "jeq", "jgt", "jge", "jset", NULL, NULL, NULL};
	char op[24] = "", arg[48] = "", tail[48] = "";
	uint16_t c = in->code;
	const char *sz = (c & 0x18) == 0x08 ? "h" : (c & 0x18) == 0x10 ? "b" : "";
	bool bad = false;
	switch (c & 0x07) {
	case C_LD:
		if ((c & 0x18) == 0x18 || (c & 0xe0) == 0xa0)
			bad = true;
		snprintf(op, sizeof op, "ld%s", sz);
		mem_operand(arg, sizeof arg, c, in->k);
		break;
	case C_LDX:
		snprintf(op, sizeof op, "ldx%s", sz);
		if ((c & 0xe0) != 0x00 && (c & 0xe0) != 0x60 && (c & 0xe0) != 0x80 && (c & 0xe0) != 0xa0)
			bad = true;
		mem_operand(arg, sizeof arg, c, in->k);
		break;
	case C_ST:
	case C_STX:
		snprintf(op, sizeof op, "%s", (c & 0x07) == C_ST ? "st" : "stx");
		snprintf(arg, sizeof arg, "M[%u]", in->k);
		bad = c != C_ST && c != C_STX;
		break;
	case C_ALU: {
		const char *a = alu[(c >> 4) & 0xf];
		if (!a) {
			bad = true;
			break;
		}
		snprintf(op, sizeof op, "%s", a);
		if ((c & 0xf0) != 0x80)
			snprintf(arg, sizeof arg, (c & 0x08) ? "x" : "#0x%x", in->k);
		break;
	}
	case C_JMP: {
		const char *j = jmp[(c >> 4) & 0x7];
		if (!j || (c & 0x80)) {
			bad = true;
			break;
		}
		snprintf(op, sizeof op, "%s", j);
		if ((c & 0xf0) == 0x00) {
			unsigned long t = (unsigned long)idx + 1 + in->k;
			snprintf(arg, sizeof arg, "%lu%s", t, t >= total ? " (out of range)" : "");
		} else {
			snprintf(arg, sizeof arg, (c & 0x08) ? "x" : "#0x%x", in->k);
			unsigned tt = idx + 1 + in->jt, tf = idx + 1 + in->jf;
			snprintf(tail, sizeof tail, "jt %u%s jf %u%s", tt, tt >= total ? "!" : "", tf,
				 tf >= total ? "!" : "");
		}
		break;
	}
	case C_RET:
		snprintf(op, sizeof op, "ret");
		if ((c & 0x18) == 0x00)
			snprintf(arg, sizeof arg, "#%u", in->k);
		else if ((c & 0x18) == 0x08)
			snprintf(arg, sizeof arg, "x");
		else if ((c & 0x18) == 0x10)
			snprintf(arg, sizeof arg, "a");
		else
			bad = true;
		break;
	case C_MISC:
		if ((c & 0xf8) == 0x00)
			snprintf(op, sizeof op, "tax");
		else if ((c & 0xf8) == 0x80)
			snprintf(op, sizeof op, "txa");
		else
			bad = true;
		break;
	}
	int n;
	if (bad)
		n = snprintf(dst, cap, "(%03u) unimp 0x%04x k=0x%x", idx, c, in->k);
	else if (tail[0])
		n = snprintf(dst, cap, "(%03u) %-8s %-16s %s", idx, op, arg, tail);
	else if (arg[0])
		n = snprintf(dst, cap, "(%03u) %-8s %s", idx, op, arg);
	else
		n = snprintf(dst, cap, "(%03u) %s", idx, op);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : (cap ? cap - 1 : 0);
}
