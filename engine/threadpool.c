/* threadpool.c — persistent workers with a spin-then-sleep start/finish.
 *
 * Jobs are short (one matmul or one attention pass), so workers spin briefly
 * on the generation counter before falling back to a condition variable;
 * that keeps per-op dispatch cheap without burning a core while idle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* Pause iterations before sleeping (a few microseconds); every
 * YIELD_EVERY of them the waiter also yields, so on an oversubscribed
 * machine a descheduled partner can run instead of a spinning thread. */
#define SPIN_ITERS 2000
#define YIELD_EVERY 128

typedef struct
{
  gm_pool *pool;
  int ith;
} worker_arg;

struct gm_pool
{
  int n_threads;
  pthread_t *threads;
  worker_arg *args;
  int n_started;

  pthread_mutex_t mutex;
  pthread_cond_t cv_start;
  pthread_cond_t cv_done;

  gm_pool_fn fn;
  void *arg;
  atomic_uint generation;
  atomic_int pending;
  atomic_bool quit;
};

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

static void *
worker_main (void *data)
{
  worker_arg *wa = data;
  gm_pool *pool = wa->pool;
  unsigned seen = 0;

  for (;;)
    {
      unsigned gen = atomic_load (&pool->generation);

      for (int i = 0; gen == seen && i < SPIN_ITERS && !atomic_load (&pool->quit); i++)
        {
          if (i % YIELD_EVERY == YIELD_EVERY - 1)
            sched_yield ();
          else
            cpu_relax ();
          gen = atomic_load (&pool->generation);
        }
      if (gen == seen)
        {
          pthread_mutex_lock (&pool->mutex);
          while ((gen = atomic_load (&pool->generation)) == seen && !atomic_load (&pool->quit))
            pthread_cond_wait (&pool->cv_start, &pool->mutex);
          pthread_mutex_unlock (&pool->mutex);
        }
      if (atomic_load (&pool->quit))
        return NULL;
      seen = gen;

      pool->fn (pool->arg, wa->ith, pool->n_threads);

      if (atomic_fetch_sub (&pool->pending, 1) == 1)
        {
          pthread_mutex_lock (&pool->mutex);
          pthread_cond_signal (&pool->cv_done);
          pthread_mutex_unlock (&pool->mutex);
        }
    }
}

gm_pool *
gm_pool_new (int n_threads)
{
  gm_pool *pool;

  if (n_threads < 1)
    n_threads = 1;
  pool = calloc (1, sizeof *pool);
  if (pool == NULL)
    return NULL;
  pool->n_threads = n_threads;
  pthread_mutex_init (&pool->mutex, NULL);
  pthread_cond_init (&pool->cv_start, NULL);
  pthread_cond_init (&pool->cv_done, NULL);
  atomic_init (&pool->generation, 0);
  atomic_init (&pool->pending, 0);
  atomic_init (&pool->quit, false);

  if (n_threads > 1)
    {
      pool->threads = calloc ((size_t) n_threads - 1, sizeof *pool->threads);
      pool->args = calloc ((size_t) n_threads - 1, sizeof *pool->args);
      if (pool->threads == NULL || pool->args == NULL)
        {
          gm_pool_free (pool);
          return NULL;
        }
      for (int i = 1; i < n_threads; i++)
        {
          pool->args[i - 1].pool = pool;
          pool->args[i - 1].ith = i;
          if (pthread_create (&pool->threads[i - 1], NULL, worker_main, &pool->args[i - 1]) != 0)
            {
              gm_pool_free (pool);
              return NULL;
            }
          pool->n_started++;
        }
    }
  return pool;
}

void
gm_pool_free (gm_pool *pool)
{
  if (pool == NULL)
    return;
  pthread_mutex_lock (&pool->mutex);
  atomic_store (&pool->quit, true);
  pthread_cond_broadcast (&pool->cv_start);
  pthread_mutex_unlock (&pool->mutex);
  for (int i = 0; i < pool->n_started; i++)
    pthread_join (pool->threads[i], NULL);
  pthread_mutex_destroy (&pool->mutex);
  pthread_cond_destroy (&pool->cv_start);
  pthread_cond_destroy (&pool->cv_done);
  free (pool->threads);
  free (pool->args);
  free (pool);
}

int
gm_pool_n_threads (const gm_pool *pool)
{
  return pool->n_threads;
}

void
gm_pool_run (gm_pool *pool, gm_pool_fn fn, void *arg)
{
  if (pool->n_threads == 1)
    {
      fn (arg, 0, 1);
      return;
    }
  pool->fn = fn;
  pool->arg = arg;
  atomic_store (&pool->pending, pool->n_threads - 1);

  pthread_mutex_lock (&pool->mutex);
  atomic_fetch_add (&pool->generation, 1);
  pthread_cond_broadcast (&pool->cv_start);
  pthread_mutex_unlock (&pool->mutex);

  fn (arg, 0, pool->n_threads);

  for (int i = 0; i < SPIN_ITERS && atomic_load (&pool->pending) > 0; i++)
    {
      if (i % YIELD_EVERY == YIELD_EVERY - 1)
        sched_yield ();
      else
        cpu_relax ();
    }
  if (atomic_load (&pool->pending) > 0)
    {
      pthread_mutex_lock (&pool->mutex);
      while (atomic_load (&pool->pending) > 0)
        pthread_cond_wait (&pool->cv_done, &pool->mutex);
      pthread_mutex_unlock (&pool->mutex);
    }
}
