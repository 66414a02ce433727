/* ps_policy.h - the policy file (docs/policy.md, portsec-policy(5)): which
 * listeners may exist, shared by `audit` and `watch`.
 *
 *   # comment
 *   default deny                       anything no rule allows is a finding
 *   allow tcp/22 process=sshd user=root scope=any
 *   allow tcp/5432 scope=loopback
 *   allow udp/123 unit=chrony.service
 *   allow tcp/8000-8100 container=* scope=any reason="dev apps"
 *   allow tcp/6379 scope=any firewall=blocked expires=2027-01-31
 *   deny tcp/23
 *
 * First match wins.  The parser is pure (bytes in, rules out) and fuzzed. */
#ifndef PORTSEC_PS_POLICY_H
#define PORTSEC_PS_POLICY_H

#include "ps_model.h"
#include "ps_services.h"

enum ps_pol_action { PS_POL_ALLOW = 0, PS_POL_DENY = 1 };
/* the widest exposure a rule allows (a narrower one matches too) */
enum ps_pol_scope { PS_POL_SCOPE_UNSET = 0, PS_POL_SCOPE_LOOPBACK, PS_POL_SCOPE_SPECIFIC, PS_POL_SCOPE_ANY,
		    PS_POL_SCOPE_CIDR };
enum ps_pol_fw { PS_POL_FW_UNSET = 0, PS_POL_FW_BLOCKED, PS_POL_FW_OPEN };

struct ps_pol_rule {
	uint8_t action;          /* enum ps_pol_action */
	unsigned protos;         /* PS_P_TCP | PS_P_UDP */
	uint16_t lo, hi;
	uint8_t family;          /* 0 both, AF_INET, AF_INET6 */
	uint8_t scope;           /* enum ps_pol_scope */
	struct ps_cidr cidr;     /* scope=CIDR */
	/* shell patterns (fnmatch); NULL = not constrained, "*" = any present */
	char *process;           /* comm or the exe's basename */
	char *exe;               /* the exe's path */
	char *user;              /* a name; or have_uid */
	bool have_uid;
	uint32_t uid;
	char *unit, *container, *netns;
	uint8_t firewall;        /* enum ps_pol_fw: what the verdict from outside must be */
	int64_t expires;         /* unix time of the end of that day (UTC); 0 = never */
	char *reason;
	unsigned line;           /* 1-based, in the file */
	char *text;              /* the rule as written (trimmed) */
};

struct ps_policy {
	struct ps_pol_rule *rules;
	size_t n, cap;
	bool default_deny;       /* `default deny` */
	unsigned default_line;   /* 0: no default line (allow) */
	struct ps_arena *arena;
};

struct ps_policy_error {
	unsigned line, col;      /* 1-based */
	char msg[200];
};

/* Parse a policy; db resolves service names (tcp/ssh), NULL refuses them.
 * PS_ERR_INVAL with *err set on a syntax error. */
int ps_policy_parse(const char *data, size_t len, const struct ps_svcdb *db, struct ps_policy **out,
		    struct ps_policy_error *err);
void ps_policy_free(struct ps_policy *p);

/* what a rule is matched against: one listener */
struct ps_pol_subject {
	uint8_t proto;           /* PS_PROTO_TCP / PS_PROTO_UDP */
	uint16_t port;
	uint8_t family;          /* AF_INET / AF_INET6 */
	const uint8_t *addr;     /* the local address */
	uint8_t scope;           /* PS_POL_SCOPE_LOOPBACK / SPECIFIC / ANY */
	const char *comm, *exe, *user, *unit, *container, *netns; /* NULL: unknown / none */
	bool have_uid;
	uint32_t uid;
};

/* the first rule matching s that has not expired at now; *expired (may be
 * NULL) gets the first expired rule that would have matched.  NULL: none. */
const struct ps_pol_rule *ps_policy_match(const struct ps_policy *p, const struct ps_pol_subject *s, int64_t now,
					  const struct ps_pol_rule **expired);

#endif
