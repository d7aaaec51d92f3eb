/* ltlm-writer.c — see ltlm-writer.h. The FlatBuffer is laid out front to
 * back: each table's vtable right before it, children after their parent,
 * and every offset field patched once its target is placed (uoffsets point
 * forward, as the format requires).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ltlm-writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 16384

typedef struct {
  uint8_t *b;
  size_t n, cap;
} buf;

static size_t
grow (buf *w, size_t n)
{
  const size_t at = w->n;

  if (w->n + n > w->cap)
    {
      w->cap = (w->n + n) * 2 + 256;
      w->b = realloc (w->b, w->cap);
      if (w->b == NULL)
        abort ();
    }
  memset (w->b + w->n, 0, n);
  w->n += n;
  return at;
}

static void
put (buf *w, size_t at, uint64_t v, int bytes)
{
  for (int i = 0; i < bytes; i++)
    w->b[at + (size_t) i] = (uint8_t) (v >> (8 * i));
}

static void
align (buf *w, size_t a)
{
  while (w->n % a != 0)
    grow (w, 1);
}

/* uoffset at `at` pointing to `target` (after it) */
static void
patch (buf *w, size_t at, size_t target)
{
  put (w, at, (uint64_t) (target - at), 4);
}

/* A table of nf fields with the given sizes (0 = absent); returns the
 * position of each field in pos[]. */
static size_t
table (buf *w, int nf, const int *size, size_t *pos)
{
  size_t vt, t, off = 4;

  align (w, 4);
  vt = grow (w, (size_t) (4 + 2 * nf + (nf % 2 ? 2 : 0)));
  t = grow (w, 4);
  put (w, t, (uint64_t) (uint32_t) (int32_t) (t - vt), 4);
  for (int i = 0; i < nf; i++)
    {
      pos[i] = 0;
      if (size[i] == 0)
        continue;
      while (off % (size_t) size[i] != 0)
        off++;
      pos[i] = t + off;
      put (w, vt + 4 + 2 * (size_t) i, off, 2);
      off += (size_t) size[i];
    }
  grow (w, off - 4);
  put (w, vt, (uint64_t) (4 + 2 * nf), 2);
  put (w, vt + 2, off, 2);
  return t;
}

static size_t
string (buf *w, const char *s)
{
  const size_t len = strlen (s);
  size_t at;

  align (w, 4);
  at = grow (w, 4 + len + 1);
  put (w, at, len, 4);
  memcpy (w->b + at + 4, s, len);
  return at;
}

static size_t
vector (buf *w, size_t count)
{
  size_t at;

  align (w, 4);
  at = grow (w, 4 + 4 * count);
  put (w, at, count, 4);
  return at;
}

static void
kv (buf *w, size_t ref, const ltw_kv *p)
{
  static const int width[] = { 0, 1, 1, 2, 2, 4, 4, 4, 1, 4, 8, 8, 8 };
  const int fs[3] = { p->key != NULL ? 4 : 0, 1, 4 };
  const int vw = p->tag >= 1 && p->tag <= 12 ? width[p->tag] : 4;
  size_t f[3], vf, t;

  t = table (w, 3, fs, f);
  patch (w, ref, t);
  put (w, f[1], (uint64_t) p->tag, 1);
  if (p->key != NULL)
    patch (w, f[0], string (w, p->key));
  t = table (w, 1, &vw, &vf);
  patch (w, f[2], t);
  if (p->tag == LTW_STRING)
    patch (w, vf, string (w, p->s != NULL ? p->s : ""));
  else
    put (w, vf, p->bits, vw);
}

static void
kv_list (buf *w, size_t field, const ltw_kv *items, size_t n)
{
  const size_t v = vector (w, n);

  patch (w, field, v);
  for (size_t i = 0; i < n; i++)
    kv (w, v + 4 + 4 * i, &items[i]);
}

uint8_t *
ltw_build (const ltw_bundle *b, size_t *size, uint64_t *header_end)
{
  buf h = { 0 }, out = { 0 };
  const int root_fs[2] = { 4, b->no_section_table ? 0 : 4 }, one = 4;
  const int sec_fs[4] = { 4, 8, 8, 1 };
  size_t rf[2], f, root, secs_vec = 0, *sec_field = calloc (b->n_sections + 1, 3 * sizeof (size_t));
  uint64_t at;

  /* header FlatBuffer, offsets relative to its own start (file byte 32) */
  root = (grow (&h, 4), table (&h, 2, root_fs, rf));
  patch (&h, 0, root);
  patch (&h, rf[0], table (&h, 1, &one, &f));
  kv_list (&h, f, b->system, b->n_system);
  if (!b->no_section_table)
    {
      patch (&h, rf[1], table (&h, 1, &one, &f));
      secs_vec = vector (&h, b->n_sections);
      patch (&h, f, secs_vec);
      for (size_t i = 0; i < b->n_sections; i++)
        {
          size_t sf[4];

          patch (&h, secs_vec + 4 + 4 * i, table (&h, 4, sec_fs, sf));
          put (&h, sf[3], b->sections[i].type, 1);
          sec_field[3 * i] = sf[1];
          sec_field[3 * i + 1] = sf[2];
          kv_list (&h, sf[0], b->sections[i].items, b->sections[i].n_items);
        }
    }
  align (&h, 8);

  /* prefix, header, then each section on the next 16 KiB boundary */
  grow (&out, 32 + h.n);
  memcpy (out.b, "LITERTLM", 8);
  put (&out, 8, b->major, 4);
  put (&out, 12, b->minor, 4);
  put (&out, 16, b->patch, 4);
  put (&out, 24, 32 + h.n, 8);
  *header_end = 32 + h.n;
  at = 32 + h.n;
  for (size_t i = 0; i < b->n_sections && !b->no_section_table; i++)
    {
      const ltw_section *s = &b->sections[i];
      uint64_t begin = (at + BLOCK - 1) / BLOCK * BLOCK, end = begin + s->size;

      grow (&out, (size_t) (end - out.n));
      if (s->size > 0)
        memcpy (out.b + begin, s->data, s->size);
      at = end;
      put (&h, sec_field[3 * i], s->begin ? s->begin : begin, 8);
      put (&h, sec_field[3 * i + 1], s->end ? s->end : end, 8);
    }
  memcpy (out.b + 32, h.b, h.n);
  free (h.b);
  free (sec_field);
  *size = out.n;
  return out.b;
}

bool
ltw_write_buf (const char *path, const void *data, size_t size)
{
  FILE *fp = fopen (path, "wb");
  bool ok;

  if (fp == NULL)
    return false;
  ok = fwrite (data, 1, size, fp) == size;
  return fclose (fp) == 0 && ok;
}

uint8_t *
ltw_sample (size_t *size, uint64_t *header_end)
{
  static const ltw_kv sys[] = {
    { "author", LTW_STRING, 0, "Gemlet test writer" },
    { "u8", LTW_U8, 200, NULL }, { "i8", LTW_I8, 0xfe, NULL }, { "u16", LTW_U16, 65535, NULL },
    { "i16", LTW_I16, 0x8000, NULL }, { "u32", LTW_U32, 4000000000u, NULL },
    { "i32", LTW_I32, 0xffffffffu, NULL }, { "f32", LTW_F32, 0x3fc00000u, NULL },
    { "bool", LTW_BOOL, 1, NULL }, { "u64", LTW_U64, 0xffffffffffffffffull, NULL },
    { "i64", LTW_I64, 0x8000000000000000ull, NULL }, { "f64", LTW_F64, 0x4004000000000000ull, NULL },
  };
  static const ltw_kv dec[] = {
    { "model_type", LTW_STRING, 0, "tf_lite_prefill_decode" },
    { "backend", LTW_STRING, 0, "cpu" },
  };
  static const ltw_kv emb[] = { { "model_type", LTW_STRING, 0, "tf_lite_embedder" } };
  static const ltw_kv ple[] = { { "model_type", LTW_STRING, 0, "tf_lite_per_layer_embedder" } };
  static const uint8_t tfl[24] = { 0x1c, 0, 0, 0, 'T', 'F', 'L', '3', 1, 2, 3 };
  static const uint8_t meta[5] = { 0x08, 0x02, 0x12, 0x01, 0x01 };
  static const uint8_t sp[6] = { 0x0a, 0x04, 'a', 'b', 'c', 'd' };
  /* 8-byte uncompressed size, then (here only a stand-in for) the zlib stream */
  static const uint8_t hf[12] = { 0x39, 0x30, 0, 0, 0, 0, 0, 0, 0x78, 0x9c, 3, 0 };
  static const uint8_t w[40] = { 7 };
  const ltw_section secs[] = {
    { 5, NULL, 0, meta, sizeof meta, 0, 0 },
    { 3, dec, 2, tfl, sizeof tfl, 0, 0 },
    { 3, emb, 1, tfl, sizeof tfl, 0, 0 },
    { 3, ple, 1, tfl, sizeof tfl, 0, 0 },
    { 7, NULL, 0, w, sizeof w, 0, 0 },
    { 4, NULL, 0, sp, sizeof sp, 0, 0 },
    { 6, NULL, 0, hf, sizeof hf, 0, 0 },
  };
  const ltw_bundle b = { 1, 5, 0, sys, sizeof sys / sizeof *sys, secs, sizeof secs / sizeof *secs, false };

  return ltw_build (&b, size, header_end);
}
