/* threadpool.h — a persistent pool of worker threads for row-split kernels.
 *
 * Workers are created once (per session) and parked between jobs; a job runs
 * fn(arg, ith, nth) on every thread, the caller being thread 0, and returns
 * when all have finished (the barrier).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

typedef struct gm_pool gm_pool;

typedef void (*gm_pool_fn) (void *arg, int ith, int nth);

/* n_threads counts the caller; returns NULL if threads cannot be created. */
gm_pool *gm_pool_new (int n_threads);
void gm_pool_free (gm_pool *pool);
int gm_pool_n_threads (const gm_pool *pool);

/* Runs fn on all threads and waits for them. Not reentrant. */
void gm_pool_run (gm_pool *pool, gm_pool_fn fn, void *arg);

/* The contiguous share [*lo, *hi) of n items for thread ith of nth. */
static inline void
gm_pool_split (long n, int ith, int nth, long *lo, long *hi)
{
  *lo = n * ith / nth;
  *hi = n * (ith + 1) / nth;
}
