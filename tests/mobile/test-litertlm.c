/* test-litertlm.c — the LiteRT-LM container reader (engine/litertlm.c) on
 * bundles from the test writer (ltlm-writer.c): a Gemma-4-shaped bundle
 * read back field by field (every value type, section types, offsets, the
 * TFLite identifier, the zlib size prefix); gm_inspect and gm_model_load
 * refusing it with a message that says what it is; and broken files, each
 * rejected with the message naming the problem: truncated at every length,
 * bad magic and versions, header offsets, FlatBuffer offsets, vector
 * counts, union tags, missing required fields, section ranges. Byte
 * flips of the header must never crash (run under ASan in build-asan).
 *
 *   test-litertlm            run the checks
 *   test-litertlm --write F  write the sample bundle to F (for the CLI test)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "gemlet.h"
#include "litertlm.h"
#include "ltlm-writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int check_failures;

static char path[] = "/tmp/gemlet-ltlm-XXXXXX";

/* Writes buf and opens it; returns whether it was accepted, with the
 * message in err. */
static bool
open_buf (const uint8_t *buf, size_t size, ltlm_file *lf, char *err, size_t err_size)
{
  err[0] = '\0';
  CHECK (ltw_write_buf (path, buf, size));
  return ltlm_open (path, lf, err, err_size);
}

/* buf must be rejected with a message containing want. */
static void
expect_reject (const char *what, const uint8_t *buf, size_t size, const char *want)
{
  char err[512];
  ltlm_file lf;

  if (open_buf (buf, size, &lf, err, sizeof err))
    {
      fprintf (stderr, "FAIL: %s: accepted\n", what);
      check_failures++;
      ltlm_clear (&lf);
      return;
    }
  if (strstr (err, want) == NULL)
    {
      fprintf (stderr, "FAIL: %s: message \"%s\" lacks \"%s\"\n", what, err, want);
      check_failures++;
    }
  else
    printf ("ok: %s: %s\n", what, err);
}

static const ltlm_kv *
find_kv (const ltlm_kv *kv, size_t n, const char *key)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (kv[i].key, key) == 0)
      return &kv[i];
  return NULL;
}

static void
test_sample (void)
{
  size_t size;
  uint64_t hend;
  uint8_t *buf = ltw_sample (&size, &hend);
  char err[512], text[256];
  ltlm_file lf;
  const ltlm_kv *kv;

  CHECK (open_buf (buf, size, &lf, err, sizeof err));
  if (err[0] != '\0')
    fprintf (stderr, "%s\n", err);
  CHECK (lf.major == 1 && lf.minor == 5 && lf.patch == 0);
  CHECK (lf.header_end == hend && lf.file_size == size);
  CHECK_EQ_U (lf.n_system, 12);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "author")) != NULL && kv->type == LTLM_V_STRING
         && strcmp (kv->s, "Gemlet test writer") == 0);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "u8")) != NULL && kv->v.u == 200);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "i8")) != NULL && kv->v.i == -2);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "u16")) != NULL && kv->v.u == 65535);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "i16")) != NULL && kv->v.i == -32768);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "u32")) != NULL && kv->v.u == 4000000000u);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "i32")) != NULL && kv->v.i == -1);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "f32")) != NULL && kv->v.f == 1.5);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "bool")) != NULL && kv->v.b);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "u64")) != NULL && kv->v.u == UINT64_MAX);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "i64")) != NULL && kv->v.i == INT64_MIN);
  CHECK ((kv = find_kv (lf.system, lf.n_system, "f64")) != NULL && kv->v.f == 2.5);
  ltlm_value_text (find_kv (lf.system, lf.n_system, "i64"), false, text, sizeof text);
  CHECK (strcmp (text, "-9223372036854775808") == 0);

  CHECK_EQ_U (lf.n_sections, 7);
  if (lf.n_sections == 7)
    {
      static const uint8_t types[7] = { 5, 3, 3, 3, 7, 4, 6 };

      for (size_t i = 0; i < 7; i++)
        {
          CHECK (lf.sections[i].type == types[i]);
          CHECK (lf.sections[i].begin % 16384 == 0 && lf.sections[i].begin >= lf.header_end);
          CHECK (i == 0 || lf.sections[i].begin >= lf.sections[i - 1].end);
        }
      CHECK (lf.sections[1].tflite_ident && !lf.sections[0].tflite_ident);
      CHECK (lf.sections[1].end - lf.sections[1].begin == 24);
      CHECK (strcmp (ltlm_section_model_type (&lf.sections[1]), "tf_lite_prefill_decode") == 0);
      CHECK (strcmp (ltlm_section_model_type (&lf.sections[3]), "tf_lite_per_layer_embedder") == 0);
      CHECK (ltlm_section_model_type (&lf.sections[0]) == NULL);
      CHECK ((kv = find_kv (lf.sections[1].items, lf.sections[1].n_items, "backend")) != NULL
             && strcmp (kv->s, "cpu") == 0);
      CHECK (lf.sections[6].zlib_size == 12345);
      CHECK (strcmp (ltlm_section_type_name (lf.sections[6].type), "HF_Tokenizer_Zlib") == 0);
    }
  ltlm_summary ("x.litertlm", &lf, text, sizeof text);
  CHECK (strstr (text, "LiteRT-LM bundle") != NULL && strstr (text, "cannot run") != NULL);
  ltlm_print (stdout, "sample.litertlm", &lf, false);
  ltlm_clear (&lf);

  /* the public API: described, and refused with the reason */
  {
    gm_checkpoint_info info;
    gm_error e;
    gm_load_opts opts;
    gm_model *m;

    CHECK (gm_inspect (path, &info, &e) == GM_ERR_UNSUPPORTED);
    CHECK (strstr (e.message, "LiteRT-LM bundle") != NULL && strstr (e.message, "TFLite") != NULL);
    CHECK (strcmp (info.format, "LiteRT-LM 1.5.0") == 0 && info.file_bytes == size);
    CHECK (info.n_tensors == 7);
    printf ("gm_inspect: %s\n", e.message);
    gm_load_opts_init (&opts);
    m = gm_model_load (path, &opts, NULL, NULL, &e);
    CHECK (m == NULL && e.code == GM_ERR_UNSUPPORTED && strstr (e.message, "LiteRT-LM") != NULL);
    gm_model_free (m);
  }

  /* every truncation is refused (the last section ends the file) */
  for (size_t n = 0; n < size; n += n < hend + 64 ? 1 : 997)
    {
      ltlm_file t;

      if (open_buf (buf, n, &t, err, sizeof err))
        {
          fprintf (stderr, "FAIL: truncated to %zu bytes: accepted\n", n);
          check_failures++;
          ltlm_clear (&t);
        }
      else if (strstr (err, "truncated") == NULL && strstr (err, "malformed") == NULL
               && strstr (err, "magic") == NULL)
        {
          fprintf (stderr, "FAIL: truncated to %zu bytes: \"%s\"\n", n, err);
          check_failures++;
        }
    }
  expect_reject ("truncated inside the prefix", buf, 20, "truncated LiteRT-LM file");
  expect_reject ("truncated inside the header", buf, (size_t) hend - 1, "the header ends at byte");
  expect_reject ("last section cut", buf, size - 1, "section 6 (HF_Tokenizer_Zlib) ends at byte");
  free (buf);
}

/* A header field of the sample, changed. */
static void
mutate (const char *what, size_t at, const void *bytes, size_t n, const char *want)
{
  size_t size;
  uint64_t hend;
  uint8_t *buf = ltw_sample (&size, &hend);

  memcpy (buf + at, bytes, n);
  expect_reject (what, buf, size, want);
  free (buf);
}

static void
test_prefix (void)
{
  const uint32_t two = 2;
  const uint64_t small = 16, huge = 1ull << 40, big = 64ull << 20;

  mutate ("bad magic", 0, "LITERTLX", 8, "no LITERTLM magic");
  mutate ("major version 2", 8, &two, 4, "only major version 1");
  mutate ("header end inside the prefix", 24, &small, 8, "leaves no header");
  mutate ("header end past the file", 24, &huge, 8, "truncated LiteRT-LM file: the header ends");
  {
    /* a header end within a (sparse) 64 MiB file, but too large a header */
    size_t size;
    uint64_t hend;
    uint8_t *buf = ltw_sample (&size, &hend), *big_buf = calloc (1, (size_t) big + 64);

    memcpy (big_buf, buf, size);
    memcpy (big_buf + 24, &big, 8);
    expect_reject ("64 MiB header", big_buf, (size_t) big + 64, "header (at most");
    free (buf);
    free (big_buf);
  }
}

/* Bundles broken in their FlatBuffer or section table. */
static void
test_header (void)
{
  static const uint8_t d[32] = { 1 };
  const ltw_kv good[] = { { "k", LTW_STRING, 0, "v" } };
  const ltw_kv no_key[] = { { NULL, LTW_U32, 1, NULL } };
  const ltw_kv tag0[] = { { "k", 0, 1, NULL } };
  const ltw_kv tag13[] = { { "k", 13, 1, NULL } };
  ltw_section s2[2] = { { 3, good, 1, d, sizeof d, 0, 0 }, { 4, NULL, 0, d, sizeof d, 0, 0 } };
  ltw_bundle b = { 1, 9, 0, good, 1, s2, 2, false };
  size_t size;
  uint64_t hend;
  uint8_t *buf;

#define BUILD_REJECT(what, want)                 \
  do                                             \
    {                                            \
      buf = ltw_build (&b, &size, &hend);        \
      expect_reject (what, buf, size, want);     \
      free (buf);                                \
    }                                            \
  while (0)

  /* control: this bundle is fine */
  {
    char err[512];
    ltlm_file lf;

    buf = ltw_build (&b, &size, &hend);
    CHECK (open_buf (buf, size, &lf, err, sizeof err));
    CHECK (lf.n_sections == 2 && lf.minor == 9);
    ltlm_clear (&lf);
    /* the root offset out of the header; the vtable offset out of it */
    memset (buf + 32, 0xff, 4);
    expect_reject ("root offset past the header", buf, size, "root table");
    free (buf);
    buf = ltw_build (&b, &size, &hend);
    {
      uint32_t root;

      memcpy (&root, buf + 32, 4);
      memset (buf + 32 + root, 0x7f, 4);   /* soffset: vtable far before the start */
      expect_reject ("vtable before the header", buf, size, "vtable outside the header");
    }
    free (buf);
  }

  b.system = no_key;
  BUILD_REJECT ("key/value pair without a key", "without its required key");
  b.system = tag0;
  BUILD_REJECT ("value type tag 0", "type tag 0");
  b.system = tag13;
  BUILD_REJECT ("value type tag 13", "type tag 13");
  b.system = good;

  b.no_section_table = true;
  BUILD_REJECT ("no section table", "no section table");
  b.no_section_table = false;
  b.n_sections = 0;
  BUILD_REJECT ("no sections", "no sections");
  b.n_sections = 2;

  s2[1].begin = 100;
  s2[1].end = 50;
  BUILD_REJECT ("section ends before it begins", "section 1 ends (50) before it begins (100)");
  s2[1].begin = 40;
  s2[1].end = 60;
  BUILD_REJECT ("section inside the header", "inside the header");
  s2[1].begin = 16384;
  s2[1].end = 16384 + 20;
  BUILD_REJECT ("overlapping sections", "overlap");
  s2[1].begin = 1ull << 40;
  s2[1].end = (1ull << 40) + 1;
  BUILD_REJECT ("section past the end of the file", "section 1 (SP_Tokenizer) ends at byte");
  s2[1].begin = s2[1].end = 0;

  /* more key/value pairs than the reader keeps in total (17 × 4096) */
  {
    ltw_kv *many = calloc (4096, sizeof *many);
    ltw_section *ss = calloc (17, sizeof *ss);
    const ltw_bundle big = { 1, 9, 0, good, 1, ss, 17, false };

    for (int i = 0; i < 4096; i++)
      many[i] = (ltw_kv) { "k", LTW_U8, 1, NULL };
    for (int i = 0; i < 17; i++)
      ss[i] = (ltw_section) { 1, many, 4096, d, sizeof d, 0, 0 };
    buf = ltw_build (&big, &size, &hend);
    expect_reject ("69632 key/value pairs", buf, size, "more than 65536 key/value pairs");
    free (buf);
    free (many);
    free (ss);
  }

  /* a vector count far past the header */
  buf = ltw_build (&b, &size, &hend);
  for (size_t i = 32; i + 4 <= hend; i += 4)
    {
      uint32_t v;

      memcpy (&v, buf + i, 4);
      if (v == 2)   /* the section vector's count (the only 2 among the words) */
        {
          const uint32_t many = 5000, past = 1000;
          uint8_t *copy = malloc (size);

          memcpy (copy, buf, size);
          memcpy (copy + i, &many, 4);
          expect_reject ("5000 sections", copy, size, "has 5000 entries");
          memcpy (copy + i, &past, 4);
          expect_reject ("1000 sections in a short header", copy, size, "section list");
          free (copy);
          break;
        }
    }
  free (buf);
#undef BUILD_REJECT
}

static uint32_t rng = 77;

/* Random byte flips of the header: refused or accepted, never a crash or
 * a read outside the buffer (ASan); an accepted file stays consistent. */
static void
test_flips (void)
{
  size_t size;
  uint64_t hend;
  uint8_t *buf = ltw_sample (&size, &hend), *copy = malloc (size);
  int accepted = 0;

  for (int it = 0; it < 3000; it++)
    {
      char err[512];
      ltlm_file lf;

      memcpy (copy, buf, size);
      for (int k = 0; k < 1 + it % 4; k++)
        {
          rng = rng * 1664525u + 1013904223u;
          copy[32 + (rng >> 8) % (hend - 32)] ^= (uint8_t) (1u << ((rng >> 4) % 8));
        }
      if (open_buf (copy, size, &lf, err, sizeof err))
        {
          accepted++;
          for (size_t i = 0; i < lf.n_sections; i++)
            CHECK (lf.sections[i].begin <= lf.sections[i].end && lf.sections[i].end <= size
                   && (lf.sections[i].begin >= hend || lf.sections[i].begin == lf.sections[i].end));
          ltlm_clear (&lf);
        }
      else
        CHECK (err[0] != '\0');
    }
  printf ("%d of 3000 flipped headers still accepted\n", accepted);
  free (buf);
  free (copy);
}

int
main (int argc, char **argv)
{
  int fd;

  if (argc == 3 && strcmp (argv[1], "--write") == 0)
    {
      size_t size;
      uint64_t hend;
      uint8_t *buf = ltw_sample (&size, &hend);
      const bool ok = ltw_write_buf (argv[2], buf, size);

      free (buf);
      return ok ? 0 : 1;
    }
  fd = mkstemp (path);
  if (fd < 0)
    {
      perror ("mkstemp");
      return 1;
    }
  close (fd);
  test_sample ();
  test_prefix ();
  test_header ();
  test_flips ();
  unlink (path);
  return CHECK_DONE ();
}
