/* test-gguf-roundtrip.c — write a GGUF with every value type (nested arrays
 * included) and tensors of several types, read it back, check everything.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "gguf-writer.h"
#include "gguf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int check_failures;

enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q8_0 = 8, T_Q6_K = 14, T_BF16 = 30 };

static uint64_t
le (const uint8_t *p, unsigned n)
{
  uint64_t v = 0;

  for (unsigned i = 0; i < n; i++)
    v |= (uint64_t) p[i] << (8 * i);
  return v;
}

static bool
str_is (gguf_str s, const char *want)
{
  return s.len == strlen (want) && memcmp (s.ptr, want, s.len) == 0;
}

/* Payload of a nested array: [[1, 2, 3] (i16), [] (u8), [["x", "yz"]]]. */
static size_t
nested_payload (uint8_t *b)
{
  size_t o = 0;
#define PUT(v, n) (memcpy (b + o, &(uint64_t) { (uint64_t) (v) }, (n)), o += (n))
  PUT (GGUF_VT_ARRAY, 4); /* outer element type */
  PUT (3, 8);             /* three elements */
  PUT (GGUF_VT_INT16, 4);
  PUT (3, 8);
  PUT (1, 2);
  PUT (2, 2);
  PUT ((uint16_t) -3, 2);
  PUT (GGUF_VT_UINT8, 4);
  PUT (0, 8);
  PUT (GGUF_VT_ARRAY, 4);
  PUT (1, 8);
  PUT (GGUF_VT_STRING, 4);
  PUT (2, 8);
  PUT (1, 8);
  memcpy (b + o, "x", 1), o += 1;
  PUT (2, 8);
  memcpy (b + o, "yz", 2), o += 2;
#undef PUT
  return o;
}

static bool
fill_ramp (void *user, uint64_t offset, void *dst, size_t n)
{
  (void) user;
  for (size_t i = 0; i < n; i++)
    ((uint8_t *) dst)[i] = (uint8_t) (offset + i);
  return true;
}

static float f32_data[4 * 3];
static uint16_t f16_data[64];
static uint8_t q8_data[2 * 34 * 2];

static gw_writer *
build (uint32_t version, uint32_t alignment)
{
  gw_writer *w = gw_new ();
  static const int8_t i8s[] = { -128, 0, 127 };
  static const uint32_t u32s[] = { 0, 1, 4000000000u };
  static const float f32s[] = { 0.5f, -2.25f };
  static const double f64s[] = { 1e300, -0.0 };
  static const bool bools[] = { true, false, true };
  static const int64_t i64s[] = { INT64_MIN, -1, INT64_MAX };
  static const char *const strs[] = { "", "a", "héllo ✓" };
  static const int64_t ne_f32[] = { 4, 3 }, ne_f16[] = { 64 }, ne_q8[] = { 64, 2 };
  static const int64_t ne_q4[] = { 32, 2, 3, 2 }, ne_empty[] = { 0, 5 };
  uint8_t nested[256];
  size_t nested_len = nested_payload (nested);

  gw_set_version (w, version);
  gw_set_alignment (w, alignment);
  gw_kv_u8 (w, "v.u8", 200);
  gw_kv_i8 (w, "v.i8", -5);
  gw_kv_u16 (w, "v.u16", 65535);
  gw_kv_i16 (w, "v.i16", -30000);
  gw_kv_u32 (w, "v.u32", 4000000000u);
  gw_kv_i32 (w, "v.i32", -2000000000);
  gw_kv_u64 (w, "v.u64", UINT64_MAX);
  gw_kv_i64 (w, "v.i64", INT64_MIN);
  gw_kv_f32 (w, "v.f32", 3.5f);
  gw_kv_f64 (w, "v.f64", -1.0 / 3.0);
  gw_kv_bool (w, "v.bool", true);
  gw_kv_str (w, "v.str", "Gemma ✓");
  gw_kv_str (w, "v.empty_str", "");
  gw_kv_arr (w, "a.i8", GGUF_VT_INT8, i8s, 3);
  gw_kv_arr (w, "a.u32", GGUF_VT_UINT32, u32s, 3);
  gw_kv_arr (w, "a.f32", GGUF_VT_FLOAT32, f32s, 2);
  gw_kv_arr (w, "a.f64", GGUF_VT_FLOAT64, f64s, 2);
  gw_kv_arr (w, "a.bool", GGUF_VT_BOOL, bools, 3);
  gw_kv_arr (w, "a.i64", GGUF_VT_INT64, i64s, 3);
  gw_kv_arr (w, "a.empty", GGUF_VT_UINT16, NULL, 0);
  gw_kv_arr_str (w, "a.str", strs, 3);
  gw_kv_raw (w, "a.nested", GGUF_VT_ARRAY, nested, nested_len);
  gw_kv_u32 (w, "layer.scalar", 7);

  for (int i = 0; i < 12; i++)
    f32_data[i] = (float) i - 5.5f;
  for (int i = 0; i < 64; i++)
    f16_data[i] = (uint16_t) (0x3c00 + i);
  for (size_t i = 0; i < sizeof q8_data; i++)
    q8_data[i] = (uint8_t) (i * 7);
  gw_tensor (w, "t.f32", T_F32, 2, ne_f32, f32_data);
  gw_tensor (w, "t.f16", T_F16, 1, ne_f16, f16_data);
  gw_tensor (w, "t.q8_0", T_Q8_0, 2, ne_q8, q8_data);
  gw_tensor_cb (w, "t.q4_0.streamed", T_Q4_0, 4, ne_q4, fill_ramp, NULL);
  gw_tensor_cb (w, "t.empty", T_F32, 2, ne_empty, NULL, NULL);
  return w;
}

static void
check_file (const gguf_file *f, uint32_t version, uint32_t alignment)
{
  uint32_t u32;
  uint64_t u64;
  int64_t i64;
  float f32;
  bool b;
  gguf_str s;
  int64_t k;
  double d;
  gguf_value v, e, e2, e3;
  uint32_t per_layer[4];
  const gguf_tensor *t;

  CHECK_EQ_U (gguf_version (f), version);
  CHECK_EQ_U (gguf_alignment (f), alignment);
  CHECK_EQ_U (gguf_n_kv (f), 23 + (alignment != 32));
  CHECK_EQ_U (gguf_n_tensors (f), 5);

  /* scalars, exact and converted */
  CHECK (gguf_get_u32 (f, "v.u8", &u32) && u32 == 200);
  CHECK (gguf_get_i64 (f, "v.i8", &i64) && i64 == -5);
  CHECK (!gguf_get_u32 (f, "v.i8", &u32)); /* negative does not fit */
  CHECK (gguf_get_u32 (f, "v.u16", &u32) && u32 == 65535);
  CHECK (gguf_get_i64 (f, "v.i16", &i64) && i64 == -30000);
  CHECK (gguf_get_u32 (f, "v.u32", &u32) && u32 == 4000000000u);
  CHECK (gguf_get_i64 (f, "v.i32", &i64) && i64 == -2000000000);
  CHECK (gguf_get_u64 (f, "v.u64", &u64) && u64 == UINT64_MAX);
  CHECK (!gguf_get_u32 (f, "v.u64", &u32)); /* too big */
  CHECK (!gguf_get_i64 (f, "v.u64", &i64));
  CHECK (gguf_get_i64 (f, "v.i64", &i64) && i64 == INT64_MIN);
  CHECK (gguf_get_f32 (f, "v.f32", &f32) && f32 == 3.5f);
  CHECK (gguf_get_f32 (f, "v.f64", &f32) && f32 == (float) (-1.0 / 3.0));
  CHECK (gguf_get_f32 (f, "v.u32", &f32) && f32 == 4e9f);
  CHECK (!gguf_get_u32 (f, "v.f32", &u32));
  CHECK (gguf_get_bool (f, "v.bool", &b) && b);
  CHECK (!gguf_get_bool (f, "v.u8", &b));
  CHECK (gguf_get_str (f, "v.str", &s) && str_is (s, "Gemma ✓"));
  CHECK (gguf_get_str (f, "v.empty_str", &s) && s.len == 0);
  CHECK (!gguf_get_str (f, "v.u8", &s));
  CHECK (!gguf_get_u32 (f, "no.such.key", &u32));
  CHECK (gguf_find_key (f, "no.such.key") == -1);

  k = gguf_find_key (f, "v.f64");
  CHECK (k >= 0 && strcmp (gguf_key_name (f, k), "v.f64") == 0);
  CHECK (gguf_kv_type (f, k) == GGUF_VT_FLOAT64);
  CHECK (gguf_key_name (f, -1) == NULL && gguf_key_name (f, 999) == NULL);

  /* fixed-size arrays */
  k = gguf_find_key (f, "a.i8");
  CHECK (gguf_kv_type (f, k) == GGUF_VT_ARRAY && gguf_arr_type (f, k) == GGUF_VT_INT8);
  CHECK_EQ_U (gguf_arr_len (f, k), 3);
  CHECK (gguf_arr_get_i64 (f, k, 0, &i64) && i64 == -128);
  CHECK (gguf_arr_get_i64 (f, k, 2, &i64) && i64 == 127);
  CHECK (!gguf_arr_get_i64 (f, k, 3, &i64));
  k = gguf_find_key (f, "a.u32");
  CHECK (gguf_arr_get_i64 (f, k, 2, &i64) && i64 == 4000000000ll);
  CHECK (gguf_arr_data (f, k) != NULL && le (gguf_arr_data (f, k), 4) == 0);
  k = gguf_find_key (f, "a.f32");
  CHECK (gguf_arr_get_f64 (f, k, 1, &d) && d == -2.25);
  CHECK (!gguf_arr_get_i64 (f, k, 1, &i64));
  k = gguf_find_key (f, "a.f64");
  CHECK (gguf_arr_get_f64 (f, k, 0, &d) && d == 1e300);
  CHECK (gguf_arr_get_f64 (f, k, 1, &d) && d == 0.0 && signbit (d));
  k = gguf_find_key (f, "a.bool");
  CHECK (gguf_arr_type (f, k) == GGUF_VT_BOOL);
  CHECK (gguf_arr_get_i64 (f, k, 0, &i64) && i64 == 1);
  CHECK (gguf_arr_get_i64 (f, k, 1, &i64) && i64 == 0);
  k = gguf_find_key (f, "a.i64");
  CHECK (gguf_arr_get_i64 (f, k, 0, &i64) && i64 == INT64_MIN);
  CHECK (gguf_arr_get_i64 (f, k, 2, &i64) && i64 == INT64_MAX);
  k = gguf_find_key (f, "a.empty");
  CHECK (gguf_arr_type (f, k) == GGUF_VT_UINT16 && gguf_arr_len (f, k) == 0);
  CHECK (!gguf_arr_get_i64 (f, k, 0, &i64));

  /* string array */
  k = gguf_find_key (f, "a.str");
  CHECK (gguf_arr_type (f, k) == GGUF_VT_STRING && gguf_arr_len (f, k) == 3);
  CHECK (gguf_arr_get_str (f, k, 0, &s) && s.len == 0);
  CHECK (gguf_arr_get_str (f, k, 1, &s) && str_is (s, "a"));
  CHECK (gguf_arr_get_str (f, k, 2, &s) && str_is (s, "héllo ✓"));
  CHECK (!gguf_arr_get_str (f, k, 3, &s));
  CHECK (gguf_arr_data (f, k) == NULL);
  CHECK (!gguf_arr_get_str (f, gguf_find_key (f, "a.i8"), 0, &s));

  /* nested arrays through the generic view */
  k = gguf_find_key (f, "a.nested");
  CHECK (gguf_kv_value (f, k, &v));
  CHECK (v.type == GGUF_VT_ARRAY && v.arr_type == GGUF_VT_ARRAY && v.arr_len == 3);
  CHECK (gguf_value_elem (&v, 0, &e) && e.type == GGUF_VT_ARRAY && e.arr_type == GGUF_VT_INT16);
  CHECK (e.arr_len == 3 && gguf_value_elem (&e, 2, &e2) && (int16_t) le (e2.ptr, 2) == -3);
  CHECK (gguf_value_elem (&e, 1, &e2) && le (e2.ptr, 2) == 2);
  CHECK (gguf_value_elem (&v, 1, &e) && e.arr_type == GGUF_VT_UINT8 && e.arr_len == 0);
  CHECK (gguf_value_elem (&v, 2, &e) && e.arr_type == GGUF_VT_ARRAY && e.arr_len == 1);
  CHECK (gguf_value_elem (&e, 0, &e2) && e2.arr_type == GGUF_VT_STRING && e2.arr_len == 2);
  CHECK (gguf_value_elem (&e2, 1, &e3) && e3.type == GGUF_VT_STRING && e3.n_bytes == 2
         && memcmp (e3.ptr, "yz", 2) == 0);
  CHECK (!gguf_value_elem (&v, 3, &e));
  CHECK (!gguf_arr_get_i64 (f, k, 0, &i64));
  CHECK (gguf_arr_data (f, k) == NULL);

  /* per-layer getters: broadcast scalars, exact-length arrays */
  CHECK (gguf_get_u32_per_layer (f, "layer.scalar", per_layer, 4, NULL, 0));
  CHECK (per_layer[0] == 7 && per_layer[3] == 7);
  CHECK (gguf_get_u32_per_layer (f, "a.u32", per_layer, 3, NULL, 0) && per_layer[2] == 4000000000u);
  {
    char err[256] = "";
    bool flags[3];
    CHECK (!gguf_get_u32_per_layer (f, "a.u32", per_layer, 4, err, sizeof err));
    CHECK_MSG (err, "expected 4");
    CHECK (!gguf_get_u32_per_layer (f, "a.i8", per_layer, 3, err, sizeof err));
    CHECK_MSG (err, "negative");
    CHECK (!gguf_get_u32_per_layer (f, "missing", per_layer, 3, err, sizeof err));
    CHECK_MSG (err, "missing");
    CHECK (gguf_get_bool_per_layer (f, "a.bool", flags, 3, NULL, 0));
    CHECK (flags[0] && !flags[1] && flags[2]);
    CHECK (!gguf_get_bool_per_layer (f, "a.f32", flags, 2, err, sizeof err));
    CHECK_MSG (err, "a.f32");
  }

  /* tensors: shapes, types, data in place and aligned */
  t = gguf_find_tensor (f, "t.f32");
  CHECK (t != NULL && t->type == T_F32 && t->n_dims == 2 && t->ne[0] == 4 && t->ne[1] == 3
         && t->ne[2] == 1 && t->ne[3] == 1 && t->n_bytes == 48);
  if (t != NULL)
    {
      CHECK (memcmp (t->data, f32_data, sizeof f32_data) == 0);
      CHECK ((const uint8_t *) t->data == (const uint8_t *) gguf_base (f) + t->offset);
      CHECK_EQ_U (t->offset, gguf_data_offset (f));
      CHECK (t->offset % alignment == 0);
    }
  t = gguf_find_tensor (f, "t.f16");
  CHECK (t != NULL && t->type == T_F16 && t->n_dims == 1 && t->n_bytes == 128);
  if (t != NULL)
    CHECK (memcmp (t->data, f16_data, sizeof f16_data) == 0 && t->offset % alignment == 0);
  t = gguf_find_tensor (f, "t.q8_0");
  CHECK (t != NULL && t->type == T_Q8_0 && t->n_bytes == 136);
  if (t != NULL)
    CHECK (memcmp (t->data, q8_data, sizeof q8_data) == 0);
  t = gguf_find_tensor (f, "t.q4_0.streamed");
  CHECK (t != NULL && t->type == T_Q4_0 && t->n_dims == 4 && t->ne[3] == 2);
  /* 32*2*3*2 = 384 values = 12 blocks of 18 bytes */
  CHECK (t != NULL && t->n_bytes == 216);
  if (t != NULL)
    {
      const uint8_t *p = t->data;
      CHECK (p[0] == 0 && p[1] == 1 && p[215] == 215);
    }
  t = gguf_find_tensor (f, "t.empty");
  CHECK (t != NULL && t->ne[0] == 0 && t->ne[1] == 5 && t->n_bytes == 0);
  CHECK (gguf_find_tensor (f, "t.none") == NULL);
  CHECK (gguf_tensor_at (f, 0) != NULL && strcmp (gguf_tensor_at (f, 0)->name, "t.f32") == 0);
  CHECK (gguf_tensor_at (f, 5) == NULL && gguf_tensor_at (f, -1) == NULL);
}

static void
run (uint32_t version, uint32_t alignment)
{
  gw_writer *w = build (version, alignment);
  char err[512] = "";
  void *buf = NULL;
  size_t size = 0;
  gguf_file *f;
  const char *dir = getenv ("GEMLET_TEST_TMP");
  char path[4096];

  CHECK (gw_write_memory (w, &buf, &size, err, sizeof err));
  f = gguf_open_memory (buf, size, err, sizeof err);
  CHECK (f != NULL);
  if (f == NULL)
    fprintf (stderr, "open failed: %s\n", err);
  else
    {
      CHECK_EQ_U (gguf_file_size (f), size);
      check_file (f, version, alignment);
      gguf_close (f);
    }

  /* the same through a file and mmap */
  snprintf (path, sizeof path, "%s/gemlet-roundtrip-%d-%u.gguf", dir ? dir : "/tmp", (int) getpid (),
            alignment);
  CHECK (gw_write (w, path, err, sizeof err));
  f = gguf_open (path, err, sizeof err);
  CHECK (f != NULL);
  if (f != NULL)
    {
      check_file (f, version, alignment);
      gguf_close (f);
    }
  unlink (path);
  free (buf);
  gw_free (w);
}

int
main (void)
{
  char err[256];
  gw_writer *w;

  run (3, 32);
  run (2, 32);
  run (3, 64);
  run (3, 1);

  /* writer reports unusable input instead of producing a bad file */
  w = gw_new ();
  gw_tensor (w, "bad", T_Q4_0, 1, (const int64_t[]) { 33 }, f32_data);
  CHECK (!gw_write (w, "/nonexistent-dir/x.gguf", err, sizeof err));
  CHECK_MSG (err, "bad");
  gw_free (w);
  /* and write errors */
  w = gw_new ();
  gw_kv_u32 (w, "k", 1);
  CHECK (!gw_write (w, "/nonexistent-dir/x.gguf", err, sizeof err));
  CHECK_MSG (err, "cannot create");
  if (access ("/dev/full", W_OK) == 0)
    {
      gw_tensor_cb (w, "big", T_F32, 1, (const int64_t[]) { 1 << 20 }, fill_ramp, NULL);
      CHECK (!gw_write (w, "/dev/full", err, sizeof err));
      CHECK_MSG (err, "No space");
    }
  gw_free (w);
  return CHECK_DONE ();
}
