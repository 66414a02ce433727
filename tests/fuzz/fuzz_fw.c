/* fuzz: nf_tables netlink dump bytes -> ruleset model, then everything that
 * reads the model: the verdict evaluator, rule text, own-table entries.
 *
 * libnftnl 1.2.4 calls exit() when an attribute has the wrong length for its
 * type (its "ABI breakage" handler).  The bytes come from the kernel in
 * portsec, so that cannot happen there, but it would end a fuzzing run.  So
 * each input is first parsed in a child: an input on which libnftnl exits is
 * skipped; one that crashes the child (signal, sanitizer abort) is a finding;
 * the rest run again here, where libFuzzer sees the coverage. */
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "portsec/portsec.h"

static int one(const uint8_t *data, size_t size);

/* a sanitizer report in the child must end it by a signal, not by exit(1),
 * which the parent would take for libnftnl's exit() and skip */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "abort_on_error=1";
}
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "abort_on_error=1:halt_on_error=1";
}

/* registered in the child after fork, so it runs before libFuzzer's own
 * exit handler (which would report the exit as a crash) */
static void child_exit_hook(void)
{
	_exit(3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pid_t pid = fork();
	if (pid == 0) {
		atexit(child_exit_hook);
		one(data, size);
		_exit(0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 0;
	if (WIFSIGNALED(st))
		__builtin_trap(); /* the child crashed on this input */
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		return 0; /* libnftnl exit()ed: malformed attribute lengths */
	return one(data, size);
}

static int one(const uint8_t *data, size_t size)
{
	struct ps_fw_ruleset rs;
	ps_fw_ruleset_init(&rs);
	ps_fw_parse(&rs, data, size);
	ps_fw_parse_finish(&rs);
	static const uint16_t ports[] = {22, 25, 110, 3306, 8080, 8443, 9450};
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
			struct ps_fw_pkt p = {.family = f ? AF_INET6 : AF_INET,
					      .l4proto = (i & 1) ? IPPROTO_UDP : IPPROTO_TCP, .dport = ports[i]};
			struct ps_fw_verdict v;
			if (ps_fw_eval(&rs, &p, NULL, &v) == PS_OK) {
				struct ps_buf b;
				ps_buf_init(&b);
				ps_fw_verdict_summary(&v, &b);
				ps_buf_free(&b);
			}
		}
	struct ps_buf b;
	ps_buf_init(&b);
	for (size_t i = 0; i < rs.nchains; i++)
		for (size_t r = 0; r < rs.chains[i].nrules; r++)
			ps_fw_rule_text(&rs, &rs.chains[i], &rs.chains[i].rules[r], &b);
	ps_buf_free(&b);
	struct ps_fw_own o;
	if (ps_fw_own_from_ruleset(&rs, &o) == PS_OK) {
		ps_buf_init(&b);
		ps_fw_own_script(&o, &b);
		ps_buf_free(&b);
		ps_fw_own_free(&o);
	}
	struct ps_fw_manager m[PS_FW_MAX_MANAGERS];
	ps_fw_managers(&rs, m, PS_FW_MAX_MANAGERS);
	ps_fw_ruleset_free(&rs);
	return 0;
}
