/* fuzz-gguf.c — libFuzzer harness for the GGUF reader and the Gemma 4
 * hyper-parameter parser. The input buffer is exactly the file, so any read
 * past a checked bound is caught by AddressSanitizer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gguf.h"
#include "hparams.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static volatile uint64_t sink;

/* Walks a value with the generic accessors, a bounded number of elements
 * per level, so the harness itself stays fast on huge arrays. */
static void
walk (const gguf_value *v, int depth)
{
  sink += v->n_bytes ? v->ptr[0] + v->ptr[v->n_bytes - 1] : 0;
  if (v->type != GGUF_VT_ARRAY || depth > 10)
    return;
  for (uint64_t i = 0; i < v->arr_len && i < 16; i++)
    {
      gguf_value e;
      if (!gguf_value_elem (v, i, &e))
        __builtin_trap (); /* validated arrays must be walkable */
      walk (&e, depth + 1);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char err[512] = "";
  gguf_file *f = gguf_open_memory (data, size, err, sizeof err);
  gm_hparams hp;

  if (f == NULL)
    {
      if (err[0] == '\0')
        __builtin_trap (); /* every rejection says why */
      return 0;
    }

  for (int64_t i = 0; i < gguf_n_kv (f); i++)
    {
      const char *key = gguf_key_name (f, i);
      gguf_value v;
      gguf_str s;
      int64_t i64;
      double f64;
      uint64_t n = gguf_arr_len (f, i);

      if (key == NULL || gguf_find_key (f, key) != i || !gguf_kv_value (f, i, &v))
        __builtin_trap ();
      walk (&v, 0);
      if (n > 0)
        {
          /* first and last element through every typed accessor */
          sink += gguf_arr_get_str (f, i, n - 1, &s) ? s.len + (s.len ? (uint8_t) s.ptr[s.len - 1] : 0) : 0;
          sink += gguf_arr_get_i64 (f, i, n - 1, &i64) ? (uint64_t) i64 : 0;
          sink += gguf_arr_get_f64 (f, i, 0, &f64) ? (uint64_t) (f64 == f64) : 0;
        }
    }
  for (int64_t i = 0; i < gguf_n_tensors (f); i++)
    {
      const gguf_tensor *t = gguf_tensor_at (f, i);
      const uint8_t *p = t->data;

      if (gguf_find_tensor (f, t->name) != t)
        __builtin_trap ();
      /* the claimed data must really be inside the buffer */
      if (t->n_bytes > 0)
        sink += p[0] + p[t->n_bytes - 1];
    }

  if (gm_hparams_load (f, &hp, err, sizeof err))
    sink += gm_hparams_kv_bytes (&hp, 4096, 4);
  else if (err[0] == '\0')
    __builtin_trap ();
  gguf_close (f);
  return 0;
}
