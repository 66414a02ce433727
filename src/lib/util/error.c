/* error.c - ps_strerror and the version string */
#include "portsec/portsec.h"

const char *ps_strerror(int err)
{
	switch (err) {
	case PS_OK: return "success";
	case PS_ERR_NOMEM: return "out of memory";
	case PS_ERR_INVAL: return "invalid input";
	case PS_ERR_RANGE: return "value out of range";
	case PS_ERR_SYS: return "system call failed";
	case PS_ERR_PERM: return "permission denied";
	case PS_ERR_NOTFOUND: return "not found";
	case PS_ERR_PROTO: return "malformed kernel answer";
	case PS_ERR_UNSUPPORTED: return "not supported here";
	case PS_ERR_TRUNC: return "input truncated";
	case PS_ERR_TIMEOUT: return "timed out";
	}
	return "unknown error";
}

#ifndef PORTSEC_VERSION
#define PORTSEC_VERSION "0"
#endif
const char *ps_version(void)
{
	return PORTSEC_VERSION;
}
