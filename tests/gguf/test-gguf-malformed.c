/* test-gguf-malformed.c — a corpus of broken GGUF files, generated here.
 * Each must be rejected by the reader with a message naming the problem;
 * none may crash, hang or allocate in proportion to a claimed count (the
 * ASan build of this test checks the first two).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "gguf-writer.h"
#include "gguf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int check_failures;

enum { T_F32 = 0, T_F16 = 1, T_Q8_0 = 8 };

static float zeros[1024];

/* A small valid file: a few keys of different kinds and three tensors. */
static gw_writer *
base (void)
{
  gw_writer *w = gw_new ();
  static const char *const toks[] = { "<pad>", "<bos>", "a" };
  static const int32_t ints[] = { 1, 2, 3 };

  gw_kv_str (w, "general.architecture", "test");
  gw_kv_u32 (w, "test.block_count", 3);
  gw_kv_arr_str (w, "tokenizer.ggml.tokens", toks, 3);
  gw_kv_arr (w, "test.ints", GGUF_VT_INT32, ints, 3);
  gw_tensor (w, "a.weight", T_F32, 2, (const int64_t[]) { 8, 4 }, zeros);
  gw_tensor (w, "b.weight", T_Q8_0, 2, (const int64_t[]) { 64, 2 }, zeros);
  gw_tensor (w, "c.weight", T_F16, 1, (const int64_t[]) { 16 }, zeros);
  return w;
}

static uint8_t *
finish (gw_writer *w, size_t *size)
{
  char err[256];
  void *buf = NULL;

  if (!gw_write_memory (w, &buf, size, err, sizeof err))
    {
      fprintf (stderr, "writer failed: %s\n", err);
      check_failures++;
      buf = NULL;
      *size = 0;
    }
  return buf;
}

static void
put_le (uint8_t *p, uint64_t v, unsigned n)
{
  for (unsigned i = 0; i < n; i++)
    p[i] = (uint8_t) (v >> (8 * i));
}

static void
expect_reject_buf (const char *label, const uint8_t *buf, size_t size, const char *needle)
{
  char err[512] = "";
  gguf_file *f = gguf_open_memory (buf, size, err, sizeof err);

  if (f != NULL)
    {
      fprintf (stderr, "%s: accepted a malformed file\n", label);
      check_failures++;
      gguf_close (f);
      return;
    }
  if (getenv ("GEMLET_TEST_VERBOSE") != NULL && needle != NULL)
    printf ("%-34s %s\n", label, err);
  if (err[0] == '\0' || (needle != NULL && strstr (err, needle) == NULL))
    {
      fprintf (stderr, "%s: message \"%s\" lacks \"%s\"\n", label, err, needle ? needle : "");
      check_failures++;
    }
}

/* Builds, writes, rejects, frees. */
static void
expect_reject (const char *label, gw_writer *w, const char *needle)
{
  size_t size;
  uint8_t *buf = finish (w, &size);

  if (buf != NULL)
    expect_reject_buf (label, buf, size, needle);
  free (buf);
  gw_free (w);
}

static void
header_cases (void)
{
  size_t size;
  gw_writer *w = base ();
  uint8_t *buf = finish (w, &size), *copy = malloc (size);
  char err[256];
  gguf_file *f;

  /* the base file itself is fine */
  f = gguf_open_memory (buf, size, err, sizeof err);
  CHECK (f != NULL);
  gguf_close (f);

#define PATCHED(label, off, val, n, needle)            \
  do                                                   \
    {                                                  \
      memcpy (copy, buf, size);                        \
      put_le (copy + (off), (val), (n));               \
      expect_reject_buf (label, copy, size, needle);   \
    }                                                  \
  while (0)

  memcpy (copy, buf, size);
  memcpy (copy, "GGUX", 4);
  expect_reject_buf ("bad magic", copy, size, "not a GGUF file");
  memcpy (copy, "\x00\x01\x02\x03", 4);
  expect_reject_buf ("binary magic", copy, size, "\\x00\\x01");
  PATCHED ("version 1", 4, 1, 4, "version 1 is not supported");
  PATCHED ("version 99", 4, 99, 4, "unsupported GGUF version 99");
  PATCHED ("version 0", 4, 0, 4, "unsupported GGUF version 0");
  PATCHED ("byte-swapped version", 4, 0x03000000, 4, "big-endian");
  PATCHED ("absurd n_kv", 16, 1ull << 62, 8, "metadata keys cannot fit");
  PATCHED ("n_kv UINT64_MAX", 16, UINT64_MAX, 8, "metadata keys cannot fit");
  PATCHED ("absurd n_tensors", 8, 1ull << 62, 8, "tensor infos cannot fit");
  PATCHED ("n_tensors UINT64_MAX", 8, UINT64_MAX, 8, "tensor infos cannot fit");
  /* plausible by size, but more than the file really holds */
  PATCHED ("n_kv too big", 16, 6, 8, "");
  PATCHED ("n_tensors too big", 8, 4, 8, "");
  PATCHED ("n_kv too small", 16, 3, 8, ""); /* a key's bytes then read as a tensor */
  PATCHED ("first key length absurd", 24, 1ull << 40, 8, "key length 1099511627776 exceeds");
  PATCHED ("first key length zero", 24, 0, 8, "empty key");

  /* every truncation before the end of the last tensor's data fails,
   * and at each section boundary with a message saying where */
  {
    uint64_t kv = gw_section_offset (w, GW_SECTION_KV);
    uint64_t ti = gw_section_offset (w, GW_SECTION_TENSOR_INFO);
    uint64_t pad = gw_section_offset (w, GW_SECTION_PADDING);
    uint64_t data = gw_section_offset (w, GW_SECTION_DATA);
    /* a: 8x4 F32 = 128 bytes; b: 2 rows of 2 Q8_0 blocks = 136, padded
     * to 160; c: 16 F16 = 32 bytes, last */
    uint64_t data_end = data + 128 + 160 + 32;

    CHECK_EQ_U (kv, 24);
    CHECK (ti > kv && pad > ti && data >= pad && data % 32 == 0);
    expect_reject_buf ("cut at 0", buf, 0, "too short");
    expect_reject_buf ("cut at 3", buf, 3, "too short");
    expect_reject_buf ("cut in version", buf, 6, "header truncated");
    expect_reject_buf ("cut in header", buf, 20, "header truncated");
    expect_reject_buf ("cut at key section", buf, kv, "cannot fit");
    expect_reject_buf ("cut in first key", buf, kv + 10, "metadata keys cannot fit");
    expect_reject_buf ("cut in last key", buf, ti - 3, "metadata key #3 ('test.ints'): array of 3 i32");
    expect_reject_buf ("cut at tensor infos", buf, ti, "tensor");
    expect_reject_buf ("cut early in tensor infos", buf, ti + 12, "tensor infos cannot fit");
    expect_reject_buf ("cut in last tensor info", buf, pad - 5, "'c.weight': data offset truncated");
    expect_reject_buf ("cut at end of infos", buf, pad, "past end of file");
    expect_reject_buf ("cut at data", buf, data, "past end of file");
    expect_reject_buf ("cut in data", buf, data + 100, "'a.weight': data ends at byte");
    expect_reject_buf ("cut in last tensor", buf, data_end - 1, "'c.weight': data ends at byte");
    for (uint64_t cut = 0; cut < data_end; cut++)
      {
        char label[64];
        snprintf (label, sizeof label, "truncated to %llu bytes", (unsigned long long) cut);
        expect_reject_buf (label, buf, (size_t) cut, NULL);
      }
    /* trailing padding is not needed */
    f = gguf_open_memory (buf, (size_t) data_end, err, sizeof err);
    CHECK (f != NULL);
    gguf_close (f);
  }
  gw_free (w);
  free (copy);
  free (buf);
}

static void
value_cases (void)
{
  gw_writer *w;
  uint8_t raw[64];
  uint8_t *bomb;
  size_t n;

  /* string length far beyond the file */
  w = base ();
  put_le (raw, 1ull << 32, 8);
  gw_kv_raw (w, "x.str", GGUF_VT_STRING, raw, 8);
  expect_reject ("absurd string length", w,
                 "metadata key #4 ('x.str'): string length 4294967296 exceeds the");

  /* arrays claiming more elements than the file has bytes */
  w = base ();
  put_le (raw, GGUF_VT_UINT32, 4);
  put_le (raw + 4, 1ull << 40, 8);
  gw_kv_raw (w, "x.arr", GGUF_VT_ARRAY, raw, 12);
  expect_reject ("absurd u32 array count", w, "'x.arr'): array of 1099511627776 u32");
  w = base ();
  put_le (raw, GGUF_VT_STRING, 4);
  put_le (raw + 4, UINT64_MAX, 8);
  gw_kv_raw (w, "x.strs", GGUF_VT_ARRAY, raw, 12);
  expect_reject ("absurd string array count", w, "array count 18446744073709551615 of string");
  w = base ();
  put_le (raw, GGUF_VT_ARRAY, 4);
  put_le (raw + 4, 1ull << 60, 8);
  gw_kv_raw (w, "x.nest", GGUF_VT_ARRAY, raw, 12);
  expect_reject ("absurd nested array count", w, "of array elements exceeds");

  /* a string array whose count is plausible but whose strings run out */
  w = base ();
  put_le (raw, GGUF_VT_STRING, 4);
  put_le (raw + 4, 2, 8);
  put_le (raw + 12, 1000, 8);
  gw_kv_raw (w, "x.strs", GGUF_VT_ARRAY, raw, 20);
  expect_reject ("string in array too long", w, "string length 1000 exceeds");

  /* nesting bomb: 1000 levels of one-element arrays */
  n = 1000 * 12 + 12;
  bomb = malloc (n);
  for (size_t i = 0; i < 1000; i++)
    {
      put_le (bomb + i * 12, GGUF_VT_ARRAY, 4);
      put_le (bomb + i * 12 + 4, 1, 8);
    }
  put_le (bomb + 1000 * 12, GGUF_VT_UINT8, 4);
  put_le (bomb + 1000 * 12 + 4, 0, 8);
  w = base ();
  gw_kv_raw (w, "x.deep", GGUF_VT_ARRAY, bomb + 12, n - 12);
  expect_reject ("deep nesting", w, "nested more than 8 levels");
  free (bomb);

  /* wide bomb: 2^20 empty arrays is legal and must parse in linear time */
  n = 12 + ((size_t) 1 << 20) * 12;
  bomb = malloc (n);
  put_le (bomb, GGUF_VT_ARRAY, 4);
  put_le (bomb + 4, (size_t) 1 << 20, 8);
  for (size_t i = 0; i < (size_t) 1 << 20; i++)
    {
      put_le (bomb + 12 + i * 12, GGUF_VT_INT64, 4);
      put_le (bomb + 12 + i * 12 + 4, 0, 8);
    }
  w = base ();
  gw_kv_raw (w, "x.wide", GGUF_VT_ARRAY, bomb, n);
  {
    size_t size;
    uint8_t *buf = finish (w, &size);
    char err[256];
    gguf_file *f = gguf_open_memory (buf, size, err, sizeof err);
    gguf_value v, e;
    CHECK (f != NULL);
    if (f != NULL)
      {
        CHECK (gguf_kv_value (f, gguf_find_key (f, "x.wide"), &v) && v.arr_len == (1u << 20));
        CHECK (gguf_value_elem (&v, 5, &e) && e.arr_type == GGUF_VT_INT64 && e.arr_len == 0);
        gguf_close (f);
      }
    /* ... but not with its last byte cut off */
    expect_reject_buf ("wide bomb truncated", buf, gw_section_offset (w, GW_SECTION_TENSOR_INFO) - 1,
                       "'x.wide'");
    free (buf);
  }
  gw_free (w);
  free (bomb);

  /* unknown value types */
  w = base ();
  gw_kv_raw (w, "x.t13", 13, raw, 8);
  expect_reject ("unknown value type", w, "'x.t13'): unknown value type 13");
  w = base ();
  put_le (raw, 77, 4);
  put_le (raw + 4, 1, 8);
  gw_kv_raw (w, "x.arr77", GGUF_VT_ARRAY, raw, 13);
  expect_reject ("unknown array element type", w, "unknown element type 77");

  /* key names */
  w = base ();
  gw_kv_u32 (w, "test.block_count", 4);
  expect_reject ("duplicate key", w, "'test.block_count'): duplicate key (already defined by key #1)");
  w = base ();
  gw_kv_u32 (w, "bad.\xff\xfe", 1);
  expect_reject ("non-UTF-8 key", w, "not valid UTF-8");
  w = base ();
  gw_kv_u32 (w, "overlong.\xc0\xaf", 1);
  expect_reject ("overlong UTF-8 key", w, "not valid UTF-8");
  w = base ();
  gw_kv_u32 (w, "surrogate.\xed\xa0\x80", 1);
  expect_reject ("surrogate in key", w, "not valid UTF-8");
  w = base ();
  gw_kv_u32 (w, "cut.\xe2\x9c", 1);
  expect_reject ("truncated UTF-8 key", w, "not valid UTF-8");
  w = base ();
  gw_kv_u32 (w, "", 1);
  expect_reject ("empty key", w, "metadata key #4 (at byte");

  /* general.alignment */
  w = base ();
  gw_kv_u32 (w, "general.alignment", 33);
  expect_reject ("alignment 33", w, "alignment 33 is not a power of two");
  w = base ();
  gw_kv_u32 (w, "general.alignment", 0);
  expect_reject ("alignment 0", w, "alignment 0 is not a power of two");
  w = base ();
  gw_kv_u64 (w, "general.alignment", 32);
  expect_reject ("alignment as u64", w, "must be a u32, found u64");
}

static void
tensor_cases (void)
{
  gw_writer *w;
  char long_name[80];

  w = base ();
  gw_tensor_raw (w, "five.d", T_F32, 5, (const int64_t[]) { 1, 1, 1, 1, 1 }, 0);
  expect_reject ("5 dimensions", w, "tensor 'five.d': 5 dimensions, at most 4");
  w = base ();
  gw_tensor_raw (w, "huge", T_F32, 2, (const int64_t[]) { 1ll << 32, 1ll << 32 }, 0);
  expect_reject ("ne overflow", w, "tensor 'huge': shape (4294967296, 4294967296, 1, 1) has more than 2^63");
  w = base ();
  gw_tensor_raw (w, "huge4", T_F32, 4,
                 (const int64_t[]) { 1ll << 16, 1ll << 16, 1ll << 16, 1ll << 16 }, 0);
  expect_reject ("ne overflow in dim 3", w, "more than 2^63");
  w = base ();
  gw_tensor_raw (w, "bytes", T_F32, 1, (const int64_t[]) { 1ll << 62 }, 0);
  expect_reject ("byte size overflow", w, "tensor 'bytes': byte size");
  w = base ();
  gw_tensor_raw (w, "neg", T_F32, 2, (const int64_t[]) { 4, -4 }, 0);
  expect_reject ("negative ne", w, "tensor 'neg': dimension 1 has negative size -4");
  w = base ();
  gw_tensor_raw (w, "t99", 99, 1, (const int64_t[]) { 32 }, 0);
  expect_reject ("unknown type 99", w, "tensor 't99': unknown tensor type id 99");
  w = base ();
  gw_tensor_raw (w, "t4", 4, 1, (const int64_t[]) { 32 }, 0); /* removed Q4_2 */
  expect_reject ("removed type 4", w, "unknown tensor type id 4");
  w = base ();
  gw_tensor_raw (w, "rows", T_Q8_0, 2, (const int64_t[]) { 33, 2 }, 0);
  expect_reject ("ne0 not a block multiple", w, "row of 33 values is not a multiple of the Q8_0 block size 32");
  w = base ();
  gw_tensor_raw (w, "misaligned", T_F32, 1, (const int64_t[]) { 4 }, 8);
  expect_reject ("misaligned offset", w, "tensor 'misaligned': data offset 8 is not a multiple of the alignment 32");
  w = base ();
  gw_tensor_raw (w, "far", T_F32, 1, (const int64_t[]) { 4 }, 1ull << 20);
  expect_reject ("offset past end", w, "tensor 'far': data starts at byte 1048576 of the data section, past end of file");
  w = base ();
  gw_tensor_raw (w, "very.far", T_F32, 1, (const int64_t[]) { 4 }, UINT64_MAX - 31);
  expect_reject ("offset near 2^64", w, "past end of file");
  w = base ();
  gw_tensor_raw (w, "long", T_F32, 1, (const int64_t[]) { 1 << 20 }, 0);
  expect_reject ("data past end", w, "tensor 'long': data ends at byte");
  w = base ();
  /* b.weight occupies [128, 264) of the data section */
  gw_tensor_raw (w, "overlap", T_F32, 1, (const int64_t[]) { 16 }, 224);
  expect_reject ("overlapping tensors", w, "overlaps tensor");
  w = base ();
  gw_tensor_raw (w, "same.place", T_F32, 1, (const int64_t[]) { 8 }, 0);
  expect_reject ("tensor on top of another", w, "overlaps tensor 'a.weight'");
  w = base ();
  gw_tensor (w, "b.weight", T_F32, 1, (const int64_t[]) { 8 }, zeros);
  expect_reject ("duplicate tensor name", w, "tensor 'b.weight' (tensor #3): duplicate tensor name (already used by tensor #1)");
  w = base ();
  gw_tensor_raw (w, "", T_F32, 1, (const int64_t[]) { 8 }, 0);
  expect_reject ("empty tensor name", w, "tensor #3 (at byte");
  memset (long_name, 'n', 64);
  long_name[64] = '\0';
  w = base ();
  gw_tensor_raw (w, long_name, T_F32, 1, (const int64_t[]) { 8 }, 0);
  expect_reject ("tensor name too long", w, "name is 64 bytes long, at most 63 allowed");
  w = base ();
  gw_tensor_raw (w, "ctl\x01\x1b[2J", T_F32, 1, (const int64_t[]) { 1 << 20 }, 0);
  expect_reject ("control bytes escaped in messages", w, "tensor 'ctl\\x01\\x1b[2J'");

  /* allowed: zero-size tensors (as in llama.cpp) and a tensor-free file */
  {
    char err[256];
    size_t size;
    uint8_t *buf;
    gguf_file *f;

    w = base ();
    gw_tensor_raw (w, "empty", T_F32, 2, (const int64_t[]) { 0, 7 }, 0);
    buf = finish (w, &size);
    f = gguf_open_memory (buf, size, err, sizeof err);
    CHECK (f != NULL && gguf_find_tensor (f, "empty")->n_bytes == 0);
    gguf_close (f);
    free (buf);
    gw_free (w);

    w = gw_new ();
    gw_kv_u8 (w, "only.key", 1);
    buf = finish (w, &size);
    f = gguf_open_memory (buf, size, err, sizeof err);
    CHECK (f != NULL && gguf_n_tensors (f) == 0 && gguf_n_kv (f) == 1);
    gguf_close (f);
    free (buf);
    gw_free (w);
  }
}

static void
file_cases (void)
{
  char err[256] = "";
  gguf_file *f;

  f = gguf_open ("/nonexistent/model.gguf", err, sizeof err);
  CHECK (f == NULL);
  CHECK_MSG (err, "No such file");
  f = gguf_open ("/", err, sizeof err);
  CHECK (f == NULL);
  CHECK_MSG (err, "not a regular file");
  f = gguf_open_memory (NULL, 0, err, sizeof err);
  CHECK (f == NULL);
  CHECK_MSG (err, "too short");
}

int
main (void)
{
  header_cases ();
  value_cases ();
  tensor_cases ();
  file_cases ();
  return CHECK_DONE ();
}
