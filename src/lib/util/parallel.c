/* parallel.c - a minimal parallel-for over pthreads (work handed out one
 * item at a time through an atomic counter, so uneven items balance). */
#include <time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "portsec/portsec.h"

struct pf {
	size_t n;
	atomic_size_t next;
	void (*fn)(void *, size_t, int);
	void *ctx;
};

struct pf_arg {
	struct pf *pf;
	int tid;
};

static void *pf_run(void *p)
{
	struct pf_arg *a = p;
	struct pf *pf = a->pf;
	for (;;) {
		size_t i = atomic_fetch_add_explicit(&pf->next, 1, memory_order_relaxed);
		if (i >= pf->n)
			break;
		pf->fn(pf->ctx, i, a->tid);
	}
	return NULL;
}

int ps_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int ps_parallel_for(size_t n, int nthreads, void (*fn)(void *, size_t, int), void *ctx)
{
	struct pf pf = {.n = n, .fn = fn, .ctx = ctx};
	atomic_init(&pf.next, 0);
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 16)
		nthreads = 16;
	if ((size_t)nthreads > n)
		nthreads = n ? (int)n : 1;
	pthread_t th[16];
	struct pf_arg args[16];
	int started = 0;
	for (int t = 1; t < nthreads; t++) {
		args[t] = (struct pf_arg){&pf, t};
		if (pthread_create(&th[t], NULL, pf_run, &args[t]) != 0)
			break; /* fewer threads: the work still gets done */
		started = t;
	}
	args[0] = (struct pf_arg){&pf, 0};
	pf_run(&args[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
	return PS_OK;
}

double ps_mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}
