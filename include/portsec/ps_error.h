/* ps_error.h - the one error enum of libportsec.
 *
 * Every library function that can fail returns 0 (PS_OK) or a negative
 * enum ps_err value; system errors keep errno intact for the caller.
 * ps_strerror() turns a code into a short English phrase.  The library never
 * prints and never exits. */
#ifndef PORTSEC_PS_ERROR_H
#define PORTSEC_PS_ERROR_H

enum ps_err {
	PS_OK = 0,
	PS_ERR_NOMEM = -1,       /* allocation failed */
	PS_ERR_INVAL = -2,       /* malformed input (bad syntax) */
	PS_ERR_RANGE = -3,       /* well-formed input out of range */
	PS_ERR_SYS = -4,         /* a system call failed; errno tells which */
	PS_ERR_PERM = -5,        /* missing privilege */
	PS_ERR_NOTFOUND = -6,    /* named object does not exist */
	PS_ERR_PROTO = -7,       /* the kernel answered something we cannot parse */
	PS_ERR_UNSUPPORTED = -8, /* this kernel or build lacks the feature */
	PS_ERR_TRUNC = -9,       /* input truncated */
	PS_ERR_TIMEOUT = -10,    /* a bounded wait ran out */
};

const char *ps_strerror(int err);

#endif
