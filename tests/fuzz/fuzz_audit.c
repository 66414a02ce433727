/* fuzz: the audit's inputs, bytes -> model: the policy file (then every
 * rule is matched against a fixed subject), the baseline file and the nmap
 * XML of the outside view.  The first byte picks the parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ps_svcdb *db;
	if (!db)
		ps_svcdb_open(NULL, &db);
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	char why[200];
	switch (data[0] % 3) {
	case 0: {
		struct ps_policy *p = NULL;
		struct ps_policy_error e;
		if (ps_policy_parse(text, len, db, &p, &e) == PS_OK) {
			static const uint8_t addr[16] = {198, 18, 0, 10};
			struct ps_pol_subject s = {.proto = PS_PROTO_TCP, .port = 22, .family = AF_INET, .addr = addr,
						   .scope = PS_POL_SCOPE_ANY, .comm = "sshd", .exe = "/usr/sbin/sshd",
						   .user = "root", .netns = "host", .have_uid = true};
			const struct ps_pol_rule *exp;
			for (unsigned port = 0; port < 70000; port += 997) {
				s.port = (uint16_t)port;
				(void)ps_policy_match(p, &s, 1800000000, &exp);
			}
			ps_policy_free(p);
		} else if (e.line == 0 && e.msg[0] == 0) {
			abort(); /* an error must say where and what */
		}
		break;
	}
	case 1: {
		struct ps_baseline b;
		unsigned line;
		if (ps_baseline_parse(text, len, &b, &line, why, sizeof why) == PS_OK)
			ps_baseline_free(&b);
		break;
	}
	default: {
		struct ps_outside o;
		if (ps_outside_parse_xml(text, len, &o, why, sizeof why) == PS_OK)
			ps_outside_free(&o);
		break;
	}
	}
	return 0;
}
