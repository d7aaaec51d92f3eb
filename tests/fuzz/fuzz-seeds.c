/* fuzz-seeds.c — writes the starting corpus for fuzz-gguf into a directory:
 * small valid files (every value type, nested arrays, a micro Gemma 4) and
 * a few truncated ones, so the fuzzer starts deep inside the format.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "g4-shape.h"
#include "gguf-writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { VT_U8 = 0, VT_I16 = 3, VT_I32 = 5, VT_F32 = 6, VT_BOOL = 7, VT_STRING = 8, VT_ARRAY = 9 };
enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q8_0 = 8, T_Q6_K = 14 };

static const char *dir;
static int n_written;

static void
save (const char *name, const void *buf, size_t size)
{
  char path[4096];
  FILE *fp;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fp = fopen (path, "wb");
  if (fp == NULL || fwrite (buf, 1, size, fp) != size || fclose (fp) != 0)
    {
      perror (path);
      exit (1);
    }
  n_written++;
}

/* Saves w's file, plus copies cut at a few interesting places. */
static void
save_writer (const char *name, gw_writer *w)
{
  char err[256], cut[256];
  void *buf;
  size_t size;

  if (!gw_write_memory (w, &buf, &size, err, sizeof err))
    {
      fprintf (stderr, "%s: %s\n", name, err);
      exit (1);
    }
  save (name, buf, size);
  for (int s = GW_SECTION_KV; s < GW_SECTION_END; s++)
    {
      uint64_t off = gw_section_offset (w, (gw_section) s);
      if (off > 0 && off < size)
        {
          snprintf (cut, sizeof cut, "%s.cut%d", name, s);
          save (cut, buf, (size_t) off - 1);
        }
    }
  free (buf);
  gw_free (w);
}

static void
all_types (void)
{
  gw_writer *w = gw_new ();
  static const int32_t ints[] = { 1, -2, 3 };
  static const float floats[] = { 0.5f, 1e30f };
  static const bool flags[] = { true, false };
  static const char *const strs[] = { "<bos>", "", "tok" };
  static float data[256];
  uint8_t nested[64];
  size_t o = 0;

#define PUT(v, n) (memcpy (nested + o, &(uint64_t) { (uint64_t) (v) }, (n)), o += (n))
  PUT (VT_ARRAY, 4);
  PUT (2, 8);
  PUT (VT_I16, 4);
  PUT (2, 8);
  PUT (7, 2);
  PUT (8, 2);
  PUT (VT_STRING, 4);
  PUT (1, 8);
  PUT (2, 8);
  memcpy (nested + o, "hi", 2), o += 2;
#undef PUT

  gw_kv_u8 (w, "a.u8", 1);
  gw_kv_i8 (w, "a.i8", -1);
  gw_kv_u16 (w, "a.u16", 2);
  gw_kv_i16 (w, "a.i16", -2);
  gw_kv_u32 (w, "a.u32", 3);
  gw_kv_i32 (w, "a.i32", -3);
  gw_kv_u64 (w, "a.u64", 4);
  gw_kv_i64 (w, "a.i64", -4);
  gw_kv_f32 (w, "a.f32", 0.25f);
  gw_kv_f64 (w, "a.f64", 0.125);
  gw_kv_bool (w, "a.bool", true);
  gw_kv_str (w, "a.str", "text");
  gw_kv_arr (w, "a.ints", VT_I32, ints, 3);
  gw_kv_arr (w, "a.floats", VT_F32, floats, 2);
  gw_kv_arr (w, "a.flags", VT_BOOL, flags, 2);
  gw_kv_arr_str (w, "a.strs", strs, 3);
  gw_kv_raw (w, "a.nested", VT_ARRAY, nested, o);
  gw_tensor (w, "t.f32", T_F32, 2, (const int64_t[]) { 4, 2 }, data);
  gw_tensor (w, "t.f16", T_F16, 1, (const int64_t[]) { 8 }, data);
  gw_tensor (w, "t.q4_0", T_Q4_0, 2, (const int64_t[]) { 32, 2 }, data);
  gw_tensor (w, "t.q6_k", T_Q6_K, 1, (const int64_t[]) { 256 }, data);
  save_writer ("all-types.gguf", w);

  w = gw_new ();
  gw_set_version (w, 2);
  gw_set_alignment (w, 64);
  gw_kv_str (w, "general.architecture", "llama");
  gw_tensor (w, "x", T_Q8_0, 2, (const int64_t[]) { 32, 3 }, data);
  save_writer ("v2-align64.gguf", w);
}

/* The smallest layout gm_hparams accepts: 4 layers (S F S F), 2 shared. */
static void
micro_gemma4 (void)
{
  g4_shape s;
  gw_writer *w;

  g4_shape_tiny (&s);
  s.n_layer = 4;
  s.n_embd = 32;
  s.n_head = 1;
  s.head_dim_swa = 32;
  s.head_dim_full = 32;
  s.n_ff = 32;
  s.n_ff_shared = 64;
  s.n_embd_per_layer = 32;
  s.n_vocab = 4;
  s.n_swa = 8;
  s.n_shared_kv = 2;
  s.n_ctx_train = 64;
  for (int i = 0; i < 4; i++)
    s.is_swa[i] = i % 2 == 0;
  w = gw_new ();
  g4_write (w, &s);
  save_writer ("micro-gemma4.gguf", w);

  s.compact = true;
  s.n_embd_per_layer = 0;
  w = gw_new ();
  g4_write (w, &s);
  save_writer ("micro-gemma4-compact.gguf", w);
}

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: %s DIR\n", argv[0]);
      return 2;
    }
  dir = argv[1];
  if (mkdir (dir, 0755) != 0 && errno != EEXIST)
    {
      perror (dir);
      return 1;
    }
  all_types ();
  micro_gemma4 ();
  printf ("%d seed files in %s\n", n_written, dir);
  return 0;
}
