/* test-safetensors.c — the safetensors reader: a round trip through the
 * test writer, then a corpus of broken files, each of which must be
 * rejected with a message naming the problem (and, under ASan, without a
 * crash or a read outside the buffer).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "safetensors.h"
#include "st-writer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int check_failures;

static void
test_round_trip (void)
{
  stw_writer *w = stw_new ();
  const float f32[6] = { 1.5f, -2.0f, 0.25f, 3.0f, 0.0f, -0.5f };
  const uint16_t bf16[2] = { stw_bf16 (1.0f), stw_bf16 (-3.5f) };
  const int32_t i32[3] = { -1, 0x7fffffff, 42 };
  const int64_t i64[2] = { 12288, -7 };
  const int8_t i8[4] = { -128, -1, 0, 127 };
  const uint8_t u8[1] = { 200 };
  char err[256], path[] = "/tmp/gemlet-st-XXXXXX";
  const sft_tensor *t;
  sft_file *f;
  uint8_t *buf;
  size_t size;
  float v;
  int64_t iv;
  int fd;

  stw_metadata (w, "format", "pt");
  stw_tensor (w, "b.f32", "F32", 2, (const int64_t[]) { 2, 3 }, f32, sizeof f32);
  stw_tensor (w, "a.bf16", "BF16", 1, (const int64_t[]) { 2 }, bf16, sizeof bf16);
  stw_tensor (w, "c.i32", "I32", 1, (const int64_t[]) { 3 }, i32, sizeof i32);
  stw_tensor (w, "d.shape", "I64", 1, (const int64_t[]) { 2 }, i64, sizeof i64);
  stw_tensor (w, "e.i8", "I8", 2, (const int64_t[]) { 2, 2 }, i8, sizeof i8);
  stw_tensor (w, "f.scalar", "U8", 0, NULL, u8, 1);
  stw_tensor (w, "g.empty", "F16", 2, (const int64_t[]) { 0, 4 }, NULL, 0);
  stw_tensor (w, "h.f8", "F8_E4M3", 1, (const int64_t[]) { 1 }, u8, 1);
  buf = stw_build (w, &size);

  f = sft_open_memory (buf, size, err, sizeof err);
  CHECK (f != NULL);
  if (f == NULL)
    {
      fprintf (stderr, "round trip: %s\n", err);
      goto out;
    }
  CHECK_EQ_U (sft_n_tensors (f), 8);
  CHECK_EQ_U (sft_data_offset (f) % 8, 0);
  CHECK (sft_metadata_get (f, "format") != NULL && strcmp (sft_metadata_get (f, "format"), "pt") == 0);
  CHECK_EQ_U (sft_n_metadata (f), 1);
  CHECK (sft_find (f, "missing") == NULL);

  t = sft_find (f, "b.f32");
  CHECK (t != NULL && t->dtype == SFT_F32 && t->n_dims == 2 && t->shape[0] == 2 && t->shape[1] == 3);
  CHECK (t != NULL && t->n_bytes == 24 && t->offset == sft_data_offset (f));
  CHECK (t != NULL && memcmp (t->data, f32, sizeof f32) == 0);
  CHECK (t != NULL && sft_read_float (t, 5, &v) && v == -0.5f);
  CHECK (t != NULL && !sft_read_float (t, 6, &v));
  t = sft_find (f, "a.bf16");
  CHECK (t != NULL && sft_read_float (t, 1, &v) && v == -3.5f);
  t = sft_find (f, "c.i32");
  CHECK (t != NULL && sft_read_int (t, 0, &iv) && iv == -1);
  CHECK (t != NULL && sft_read_int (t, 1, &iv) && iv == 0x7fffffff);
  CHECK (t != NULL && !sft_read_float (t, 0, &v));
  t = sft_find (f, "d.shape");
  CHECK (t != NULL && sft_read_int (t, 0, &iv) && iv == 12288);
  CHECK (t != NULL && sft_read_int (t, 1, &iv) && iv == -7);
  t = sft_find (f, "e.i8");
  CHECK (t != NULL && sft_read_int (t, 0, &iv) && iv == -128);
  t = sft_find (f, "f.scalar");
  CHECK (t != NULL && t->n_dims == 0 && t->n_elements == 1 && sft_read_int (t, 0, &iv) && iv == 200);
  t = sft_find (f, "g.empty");
  CHECK (t != NULL && t->n_elements == 0 && t->n_bytes == 0);
  t = sft_find (f, "h.f8");
  CHECK (t != NULL && t->dtype == SFT_F8_E4M3 && strcmp (sft_dtype_name (t->dtype), "F8_E4M3") == 0);
  /* Tensors come back ordered by offset. */
  for (int64_t i = 1; i < sft_n_tensors (f); i++)
    CHECK (sft_tensor_at (f, i)->offset >= sft_tensor_at (f, i - 1)->offset);
  sft_close (f);

  /* The same bytes through a file and the memory map. */
  fd = mkstemp (path);
  CHECK (fd >= 0);
  if (fd >= 0)
    {
      close (fd);
      CHECK (stw_write_buf (path, buf, size));
      f = sft_open (path, err, sizeof err);
      CHECK (f != NULL);
      if (f != NULL)
        {
          t = sft_find (f, "b.f32");
          CHECK (t != NULL && memcmp (t->data, f32, sizeof f32) == 0);
          sft_close (f);
        }
      unlink (path);
    }
  {
    bool io = false;

    f = sft_open_full ("/nonexistent/gemlet/x.safetensors", &io, err, sizeof err);
    CHECK (f == NULL && io);
  }

out:
  free (buf);
  stw_free (w);
}

/* Rejected with a message containing needle. */
static void
expect_bad_buf (const uint8_t *buf, size_t size, const char *needle, int line)
{
  char err[512] = "";
  sft_file *f = sft_open_memory (buf, size, err, sizeof err);

  if (f != NULL)
    {
      fprintf (stderr, "line %d: malformed file accepted\n", line);
      check_failures++;
      sft_close (f);
      return;
    }
  if (strstr (err, needle) == NULL)
    {
      fprintf (stderr, "line %d: message \"%s\" lacks \"%s\"\n", line, err, needle);
      check_failures++;
    }
}

static void
expect_bad (const char *header, size_t data_size, const char *needle, int line)
{
  static const uint8_t zeros[256];
  size_t size;
  uint8_t *buf = stw_raw (header, zeros, data_size, &size);

  expect_bad_buf (buf, size, needle, line);
  free (buf);
}

#define BAD(h, n, needle) expect_bad ((h), (n), (needle), __LINE__)

static void
test_malformed (void)
{
  uint8_t small[16] = { 0 };
  size_t size;
  uint8_t *buf;

  /* Header length. */
  expect_bad_buf (small, 5, "too short", __LINE__);
  memset (small, 0, sizeof small);
  small[0] = 200;
  expect_bad_buf (small, sizeof small, "past the end of the file (16 bytes)", __LINE__);
  memset (small, 0xff, 8);
  expect_bad_buf (small, sizeof small, "over the", __LINE__);
  memset (small, 0, sizeof small);
  small[0] = 1;
  expect_bad_buf (small, sizeof small, "too small", __LINE__);

  /* Not JSON, truncated, trailing bytes, not an object. */
  BAD ("[1, 2]", 0, "does not start with a JSON object");
  BAD ("{\"a\": }", 0, "not valid JSON");
  BAD ("{\"a\": {\"dtype\": \"F32\"", 0, "ends early");
  BAD ("{} x", 0, "not valid JSON");
  BAD ("{}{}", 0, "not valid JSON");
  BAD ("{\"a\": 'x'}", 0, "not valid JSON");
  BAD ("{\"a\": [1,]}", 0, "not valid JSON");
  BAD ("{\"a\xff\": 1}", 0, "not valid JSON");
  {
    /* The header length cuts the JSON short of its end. */
    const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";

    buf = stw_raw (h, "\0\0\0\0", 4, &size);
    buf[0] = (uint8_t) (strlen (h) - 3);
    expect_bad_buf (buf, size, "ends early", __LINE__);
    /* The file cut inside the data section. */
    buf[0] = (uint8_t) strlen (h);
    expect_bad_buf (buf, size - 2, "past the data section (2 bytes)", __LINE__);
    free (buf);
  }

  {
    /* NUL padding after the object (serde_json would refuse it too). */
    static const uint8_t nul_pad[12] = { 4, 0, 0, 0, 0, 0, 0, 0, '{', '}', 0, 0 };

    expect_bad_buf (nul_pad, sizeof nul_pad, "JSON", __LINE__);
  }

  /* Wrong types in entries. */
  BAD ("{\"a\": 1}", 0, "tensor 'a': entry is a int");
  BAD ("{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "'dtype' is missing");
  BAD ("{\"a\": {\"dtype\": 5, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "'dtype' is missing or not a string");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": 1, \"data_offsets\": [0, 4]}}", 4, "'shape' is missing or not an array");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4,
       "shape dimension 0 is not a non-negative integer");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1.0], \"data_offsets\": [0, 4]}}", 4,
       "shape dimension 0");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [\"1\"], \"data_offsets\": [0, 4]}}", 4,
       "shape dimension 0");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 4]}}", 4,
       "9 dimensions");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}", 8,
       "'data_offsets' is missing or not two non-negative integers");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", 8, "'data_offsets'");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 8, "'data_offsets'");
  BAD ("{\"__metadata__\": [\"pt\"]}", 0, "'__metadata__' is a array");
  BAD ("{\"__metadata__\": {\"format\": 1}}", 0, "'__metadata__' entry 'format' is a int");

  /* Dtypes. */
  BAD ("{\"a\": {\"dtype\": \"Q9\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
       "tensor 'a': unknown dtype 'Q9'");
  BAD ("{\"a\": {\"dtype\": \"f32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "unknown dtype 'f32'");
  BAD ("{\"a\": {\"dtype\": \"F4\", \"shape\": [2], \"data_offsets\": [0, 1]}}", 4,
       "tensor 'a': dtype F4 is not supported");

  /* Shape overflow: elements, then bytes. */
  BAD ("{\"a\": {\"dtype\": \"U8\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 4]}}", 4,
       "more than 2^64 elements");
  BAD ("{\"a\": {\"dtype\": \"F64\", \"shape\": [4611686018427387904], \"data_offsets\": [0, 4]}}", 4,
       "more than 2^64 bytes");
  BAD ("{\"a\": {\"dtype\": \"U8\", \"shape\": [18446744073709551615], \"data_offsets\": [0, 4]}}", 4,
       "shape dimension 0");

  /* Offsets. */
  BAD ("{\"model.layers.3.mlp.down_proj.weight\": {\"dtype\": \"F32\", \"shape\": [2], "
       "\"data_offsets\": [0, 1234]}}", 8,
       "tensor 'model.layers.3.mlp.down_proj.weight': data_offsets end 1234 past the data section (8 bytes)");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", 8, "begin 8 is after end 4");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 16]}}", 32,
       "data_offsets span 16 bytes, but 6 elements of F32 need 24");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
       " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 16,
       "tensor 'b': data_offsets [4, 12) overlap tensor 'a' [0, 8)");
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
       " \"b\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [0, 8]}}", 16, "overlap");

  /* Names. */
  BAD ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
       " \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8,
       "tensor 'a' appears twice");
  BAD ("{\"ab\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
       " \"a\\u0062\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8,
       "tensor 'ab' appears twice");
  BAD ("{\"a\\u0000b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
       "contains a NUL");
  BAD ("{\"\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "is empty");
}

/* Things the reader tolerates on purpose. */
static void
test_tolerated (void)
{
  static const uint8_t data[32];
  size_t size;
  uint8_t *buf;
  sft_file *f;
  char err[256];

  /* A gap, trailing bytes, an unknown key, null metadata, trailing
   * whitespace (the Python writer pads with spaces). */
  buf = stw_raw ("{\"__metadata__\": null, \"a\": {\"dtype\": \"F32\", \"shape\": [1], "
                 "\"data_offsets\": [8, 12], \"extra\": true}}  \n", data, sizeof data, &size);
  f = sft_open_memory (buf, size, err, sizeof err);
  CHECK (f != NULL);
  if (f == NULL)
    fprintf (stderr, "tolerated: %s\n", err);
  CHECK (f != NULL && sft_n_tensors (f) == 1 && sft_n_metadata (f) == 0);
  sft_close (f);
  free (buf);

  /* An empty header object: no tensors. */
  buf = stw_raw ("{}", NULL, 0, &size);
  f = sft_open_memory (buf, size, err, sizeof err);
  CHECK (f != NULL && sft_n_tensors (f) == 0);
  sft_close (f);
  free (buf);
}

int
main (void)
{
  test_round_trip ();
  test_malformed ();
  test_tolerated ();
  return CHECK_DONE ();
}
