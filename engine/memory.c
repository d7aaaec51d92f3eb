/* memory.c — what the engine uses right now, for the app's memory panel.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MINCORE_CHUNK 16384 /* pages per mincore() call */

/* Bytes of [ptr, ptr + len) currently in RAM. */
static uint64_t
resident_bytes (const void *ptr, uint64_t len)
{
  const long page = sysconf (_SC_PAGESIZE) > 0 ? sysconf (_SC_PAGESIZE) : 4096;
  uintptr_t lo = (uintptr_t) ptr & ~((uintptr_t) page - 1);
  uintptr_t hi = (uintptr_t) ptr + len;
  unsigned char vec[MINCORE_CHUNK];
  uint64_t pages = 0;

  if (ptr == NULL || len == 0)
    return 0;
  while (lo < hi)
    {
      size_t n_pages = (hi - lo + (uintptr_t) page - 1) / (uintptr_t) page;

      if (n_pages > MINCORE_CHUNK)
        n_pages = MINCORE_CHUNK;
      if (mincore ((void *) lo, n_pages * (size_t) page, vec) != 0)
        return 0;
      for (size_t i = 0; i < n_pages; i++)
        pages += vec[i] & 1;
      lo += n_pages * (uintptr_t) page;
    }
  pages *= (uint64_t) page;
  return pages < len ? pages : len;
}

static uint64_t
process_rss (void)
{
  FILE *fp = fopen ("/proc/self/statm", "r");
  unsigned long long size = 0, rss = 0;
  long page = sysconf (_SC_PAGESIZE);

  if (fp == NULL)
    return 0;
  if (fscanf (fp, "%llu %llu", &size, &rss) != 2)
    rss = 0;
  fclose (fp);
  return (uint64_t) rss * (uint64_t) (page > 0 ? page : 4096);
}

static uint64_t
mem_available (void)
{
  FILE *fp = fopen ("/proc/meminfo", "r");
  char line[256];
  unsigned long long kb = 0;

  if (fp == NULL)
    return 0;
  while (fgets (line, sizeof line, fp) != NULL)
    if (sscanf (line, "MemAvailable: %llu kB", &kb) == 1)
      break;
  fclose (fp);
  return (uint64_t) kb * 1024u;
}

void
gm_memory_report (const gm_model *model, const gm_session *session, gm_memory *out)
{
  if (out == NULL)
    return;
  memset (out, 0, sizeof *out);
  if (model != NULL)
    {
      const gm_weight *t = &model->ple_tok;

      out->weights_resident = model->resident_bytes;
      out->projector = model->projector.weight_bytes;
      if (t->data != NULL)
        {
          out->weights_on_demand = (uint64_t) t->row_bytes * (uint64_t) t->ne1;
          out->weights_on_demand_touched = resident_bytes (t->data, out->weights_on_demand);
        }
    }
  if (session != NULL)
    {
      out->kv_cache = session->kv.bytes;
      out->kv_cache_used = gm_kv_used_bytes (
          &session->kv, (uint32_t) atomic_load_explicit (&session->n_tokens_pub, memory_order_relaxed));
      out->scratch = session->scr.bytes + gm_mm_scratch_bytes (session->mm);
    }
  out->process_rss = process_rss ();
  out->system_available = mem_available ();
}
