/* litertlm.c — the LiteRT-LM bundle container (engine/MOBILE-FORMAT.md §11):
 *
 *   0   "LITERTLM"
 *   8   u32 major, u32 minor, u32 patch (little-endian)
 *   20  4 bytes of padding
 *   24  u64 header_end
 *   32  FlatBuffer, root LiteRTLMMetaData, up to header_end
 *   …   sections, each [begin_offset, end_offset) in the file
 *
 * The FlatBuffer is decoded by hand (no flatbuffers library): every offset
 * is checked against the buffer before it is followed, tables are read
 * through their vtables with absent fields taking the schema defaults, and
 * the schema's nesting is fixed, so there is no recursion to bound.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "litertlm.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest key or string value kept (real ones are short names). */
#define LTLM_MAX_STRING (1u << 20)
/* FlatBuffers may point many entries at one table or string, so a small
 * header can describe a huge one: bound what is copied out in total. */
#define LTLM_MAX_COPY (64u << 20)
#define LTLM_MAX_PAIRS (1u << 16)

/* ------------------------------------------------------------ FlatBuffer */

typedef struct {
  const uint8_t *b;
  size_t n;
  char *err;
  size_t err_size;
  size_t copied;   /* string bytes copied out so far */
  size_t pairs;    /* key/value pairs read so far */
} fb;

/* A table: its position, its vtable and the table's own size. */
typedef struct {
  size_t pos, vt;
  uint16_t vt_len, t_len;
} fb_table;

static uint64_t
le (const uint8_t *p, int bytes)
{
  uint64_t v = 0;

  for (int i = bytes - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static bool
fb_fail (fb *f, const char *what, size_t pos)
{
  gm_err_printf (f->err, f->err_size, "malformed LiteRT-LM header: %s (at header byte %zu of %zu)",
                 what, pos, f->n);
  return false;
}

/* The table a uoffset at pos points to. */
static bool
fb_table_at_ref (fb *f, size_t pos, fb_table *t, const char *what)
{
  uint64_t target;
  int64_t vt;

  if (pos > f->n || f->n - pos < 4)
    return fb_fail (f, what, pos);
  target = (uint64_t) pos + le (f->b + pos, 4);
  if (target > f->n || f->n - target < 4)
    return fb_fail (f, what, pos);
  t->pos = (size_t) target;
  /* soffset: the vtable is at pos - soffset, before or after the table */
  vt = (int64_t) t->pos - (int64_t) (int32_t) (uint32_t) le (f->b + t->pos, 4);
  if (vt < 0 || (uint64_t) vt > f->n || f->n - (uint64_t) vt < 4)
    return fb_fail (f, "vtable outside the header", t->pos);
  t->vt = (size_t) vt;
  t->vt_len = (uint16_t) le (f->b + t->vt, 2);
  t->t_len = (uint16_t) le (f->b + t->vt + 2, 2);
  if (t->vt_len < 4 || t->vt_len % 2 != 0 || t->vt + t->vt_len > f->n)
    return fb_fail (f, "bad vtable size", t->vt);
  if (t->t_len < 4 || t->pos + t->t_len > f->n)
    return fb_fail (f, "table runs past the header", t->pos);
  return true;
}

/* Position of field id (of width bytes) in table t, 0 when absent. */
static bool
fb_field (fb *f, const fb_table *t, unsigned id, unsigned width, size_t *pos)
{
  const size_t slot = 4 + 2 * (size_t) id;
  uint16_t off;

  *pos = 0;
  if (slot + 2 > t->vt_len)
    return true;   /* written by an older schema: default */
  off = (uint16_t) le (f->b + t->vt + slot, 2);
  if (off == 0)
    return true;
  if (off < 4 || (size_t) off + width > t->t_len)
    return fb_fail (f, "field outside its table", t->pos);
  *pos = t->pos + off;
  return true;
}

static bool
fb_scalar (fb *f, const fb_table *t, unsigned id, unsigned width, uint64_t *v)
{
  size_t pos;

  *v = 0;
  if (!fb_field (f, t, id, width, &pos))
    return false;
  if (pos != 0)
    *v = le (f->b + pos, (int) width);
  return true;
}

/* A vector field: start of its elements and their count (elem bytes each). */
static bool
fb_vector (fb *f, const fb_table *t, unsigned id, size_t elem, size_t max, size_t *start,
           size_t *count, const char *what)
{
  size_t pos;
  uint64_t v, len;

  *count = 0;
  *start = 0;
  if (!fb_field (f, t, id, 4, &pos))
    return false;
  if (pos == 0)
    return true;
  v = (uint64_t) pos + le (f->b + pos, 4);
  if (v > f->n || f->n - v < 4)
    return fb_fail (f, what, pos);
  len = le (f->b + v, 4);
  if (len > max)
    {
      gm_err_printf (f->err, f->err_size,
                     "malformed LiteRT-LM header: %s has %" PRIu64 " entries (at most %zu)", what,
                     len, max);
      return false;
    }
  if (len * elem > f->n - v - 4)
    return fb_fail (f, what, (size_t) v);
  *start = (size_t) v + 4;
  *count = (size_t) len;
  return true;
}

/* A string field as a new NUL-terminated copy ("" when absent). */
static bool
fb_string (fb *f, const fb_table *t, unsigned id, char **out, const char *what)
{
  size_t pos;
  uint64_t v, len;

  *out = NULL;
  if (!fb_field (f, t, id, 4, &pos))
    return false;
  if (pos != 0)
    {
      v = (uint64_t) pos + le (f->b + pos, 4);
      if (v > f->n || f->n - v < 4)
        return fb_fail (f, what, pos);
      len = le (f->b + v, 4);
      if (len > LTLM_MAX_STRING || len > f->n - v - 4)
        return fb_fail (f, what, (size_t) v);
      if (f->copied + len > LTLM_MAX_COPY)
        {
          gm_err_printf (f->err, f->err_size,
                         "malformed LiteRT-LM header: its strings add up to more than %u bytes",
                         LTLM_MAX_COPY);
          return false;
        }
      f->copied += (size_t) len;
      *out = malloc ((size_t) len + 1);
      if (*out == NULL)
        {
          gm_err_printf (f->err, f->err_size, "out of memory");
          return false;
        }
      memcpy (*out, f->b + v + 4, (size_t) len);
      (*out)[len] = '\0';
      return true;
    }
  *out = calloc (1, 1);
  if (*out == NULL)
    gm_err_printf (f->err, f->err_size, "out of memory");
  return *out != NULL;
}

/* KeyValuePair { key: string (required); value: VData (required) }: the
 * union is two fields, the type tag (id 1) and the table (id 2). */
static bool
read_kv (fb *f, size_t ref_pos, ltlm_kv *kv)
{
  static const unsigned width[] = { 0, 1, 1, 2, 2, 4, 4, 4, 1, 0, 8, 8, 8 };
  fb_table t, vt;
  uint64_t tag, raw;
  size_t pos;

  if (!fb_table_at_ref (f, ref_pos, &t, "key/value pair")
      || !fb_field (f, &t, 0, 4, &pos))
    return false;
  if (pos == 0)
    return fb_fail (f, "key/value pair without its required key", t.pos);
  if (!fb_string (f, &t, 0, &kv->key, "key") || !fb_scalar (f, &t, 1, 1, &tag))
    return false;
  if (tag == LTLM_V_NONE || tag > LTLM_V_F64)
    {
      gm_err_printf (f->err, f->err_size,
                     "malformed LiteRT-LM header: value of \"%s\" has type tag %" PRIu64
                     " (known: 1-12)", kv->key, tag);
      return false;
    }
  kv->type = (ltlm_value_type) tag;
  if (!fb_field (f, &t, 2, 4, &pos))
    return false;
  if (pos == 0)
    return fb_fail (f, "key/value pair without its required value", t.pos);
  if (!fb_table_at_ref (f, pos, &vt, "value"))
    return false;
  if (kv->type == LTLM_V_STRING)
    return fb_string (f, &vt, 0, &kv->s, "string value");
  if (!fb_scalar (f, &vt, 0, width[kv->type], &raw))
    return false;
  switch (kv->type)
    {
    case LTLM_V_I8: kv->v.i = (int8_t) raw; break;
    case LTLM_V_I16: kv->v.i = (int16_t) raw; break;
    case LTLM_V_I32: kv->v.i = (int32_t) raw; break;
    case LTLM_V_I64: kv->v.i = (int64_t) raw; break;
    case LTLM_V_BOOL: kv->v.b = raw != 0; break;
    case LTLM_V_F32:
      {
        const uint32_t u = (uint32_t) raw;
        float x;

        memcpy (&x, &u, sizeof x);
        kv->v.f = x;
        break;
      }
    case LTLM_V_F64: memcpy (&kv->v.f, &raw, sizeof kv->v.f); break;
    default: kv->v.u = raw; break;
    }
  return true;
}

/* A [KeyValuePair] field of table t. */
static bool
read_kv_list (fb *f, const fb_table *t, unsigned id, ltlm_kv **out, size_t *n_out, const char *what)
{
  size_t start, count;

  *out = NULL;
  *n_out = 0;
  if (!fb_vector (f, t, id, 4, LTLM_MAX_ITEMS, &start, &count, what))
    return false;
  if (count == 0)
    return true;
  if (f->pairs + count > LTLM_MAX_PAIRS)
    {
      gm_err_printf (f->err, f->err_size,
                     "malformed LiteRT-LM header: more than %u key/value pairs", LTLM_MAX_PAIRS);
      return false;
    }
  f->pairs += count;
  *out = calloc (count, sizeof **out);
  if (*out == NULL)
    {
      gm_err_printf (f->err, f->err_size, "out of memory");
      return false;
    }
  for (size_t i = 0; i < count; i++)
    {
      (*n_out)++;   /* counted first, so ltlm_clear frees a half-read pair */
      if (!read_kv (f, start + 4 * i, &(*out)[i]))
        return false;
    }
  return true;
}

static int
cmp_begin (const void *a, const void *b)
{
  const ltlm_section *x = *(const ltlm_section *const *) a, *y = *(const ltlm_section *const *) b;

  return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Sections lie after the header, inside the file, and do not overlap. */
static bool
check_sections (const ltlm_file *lf, char *err, size_t err_size)
{
  const ltlm_section **by_begin;
  bool ok = true;

  for (size_t i = 0; i < lf->n_sections; i++)
    {
      const ltlm_section *s = &lf->sections[i];

      if (s->end < s->begin)
        {
          gm_err_printf (err, err_size,
                         "malformed LiteRT-LM header: section %zu ends (%" PRIu64
                         ") before it begins (%" PRIu64 ")", i, s->end, s->begin);
          return false;
        }
      if (s->begin < lf->header_end && s->end > s->begin)
        {
          gm_err_printf (err, err_size,
                         "malformed LiteRT-LM header: section %zu begins at %" PRIu64
                         ", inside the header (which ends at %" PRIu64 ")", i, s->begin,
                         lf->header_end);
          return false;
        }
      if (s->end > lf->file_size)
        {
          gm_err_printf (err, err_size,
                         "truncated LiteRT-LM file: section %zu (%s) ends at byte %" PRIu64
                         " but the file has %" PRIu64 " bytes", i, ltlm_section_type_name (s->type),
                         s->end, lf->file_size);
          return false;
        }
    }
  if (lf->n_sections < 2)
    return true;
  by_begin = malloc (lf->n_sections * sizeof *by_begin);
  if (by_begin == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  for (size_t i = 0; i < lf->n_sections; i++)
    by_begin[i] = &lf->sections[i];
  qsort (by_begin, lf->n_sections, sizeof *by_begin, cmp_begin);
  for (size_t i = 1; i < lf->n_sections && ok; i++)
    if (by_begin[i]->begin < by_begin[i - 1]->end && by_begin[i]->end > by_begin[i]->begin)
      {
        gm_err_printf (err, err_size,
                       "malformed LiteRT-LM header: sections %zu and %zu overlap ([%" PRIu64
                       ", %" PRIu64 ") and [%" PRIu64 ", %" PRIu64 "))",
                       (size_t) (by_begin[i - 1] - lf->sections),
                       (size_t) (by_begin[i] - lf->sections), by_begin[i - 1]->begin,
                       by_begin[i - 1]->end, by_begin[i]->begin, by_begin[i]->end);
        ok = false;
      }
  free (by_begin);
  return ok;
}

bool
ltlm_parse_header (const uint8_t *hdr, size_t n, ltlm_file *lf, char *err, size_t err_size)
{
  fb f = { hdr, n, err, err_size, 0, 0 };
  fb_table root, sys, secs;
  size_t pos, start, count;

  if (!fb_table_at_ref (&f, 0, &root, "root table"))
    return false;
  /* LiteRTLMMetaData { system_metadata; section_metadata } */
  if (!fb_field (&f, &root, 0, 4, &pos))
    return false;
  if (pos != 0
      && (!fb_table_at_ref (&f, pos, &sys, "system metadata")
          || !read_kv_list (&f, &sys, 0, &lf->system, &lf->n_system, "system metadata")))
    return false;
  if (!fb_field (&f, &root, 1, 4, &pos))
    return false;
  if (pos == 0)
    return fb_fail (&f, "no section table", root.pos);
  if (!fb_table_at_ref (&f, pos, &secs, "section table")
      || !fb_vector (&f, &secs, 0, 4, LTLM_MAX_SECTIONS, &start, &count, "section list"))
    return false;
  if (count == 0)
    return fb_fail (&f, "no sections", secs.pos);
  lf->sections = calloc (count, sizeof *lf->sections);
  if (lf->sections == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      return false;
    }
  for (size_t i = 0; i < count; i++)
    {
      ltlm_section *s = &lf->sections[i];
      fb_table so;
      uint64_t type;

      lf->n_sections++;
      /* SectionObject { items; begin_offset; end_offset; data_type } */
      if (!fb_table_at_ref (&f, start + 4 * i, &so, "section")
          || !read_kv_list (&f, &so, 0, &s->items, &s->n_items, "section items")
          || !fb_scalar (&f, &so, 1, 8, &s->begin) || !fb_scalar (&f, &so, 2, 8, &s->end)
          || !fb_scalar (&f, &so, 3, 1, &type))
        return false;
      s->type = (uint8_t) type;
    }
  return check_sections (lf, err, err_size);
}

/* ------------------------------------------------------------- the file */

bool
ltlm_is_litertlm (const char *path)
{
  char magic[8];
  FILE *fp = path != NULL ? fopen (path, "rb") : NULL;
  bool yes;

  if (fp == NULL)
    return false;
  yes = fread (magic, 1, sizeof magic, fp) == sizeof magic && memcmp (magic, "LITERTLM", 8) == 0;
  fclose (fp);
  return yes;
}

bool
ltlm_is_candidate (const char *path)
{
  const size_t n = path != NULL ? strlen (path) : 0;
  struct stat st;

  if (ltlm_is_litertlm (path))
    return true;
  return n > 9 && strcmp (path + n - 9, ".litertlm") == 0 && stat (path, &st) == 0
         && S_ISREG (st.st_mode);
}

static bool
read_at (int fd, uint64_t off, void *buf, size_t n)
{
  size_t got = 0;

  while (got < n)
    {
      const ssize_t r = pread (fd, (uint8_t *) buf + got, n - got, (off_t) (off + got));

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return false;
      got += (size_t) r;
    }
  return true;
}

bool
ltlm_open (const char *path, ltlm_file *lf, char *err, size_t err_size)
{
  uint8_t pre[LTLM_PREFIX_BYTES], *hdr = NULL;
  struct stat st;
  bool ok = false;
  int fd;

  memset (lf, 0, sizeof *lf);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      gm_err_printf (err, err_size, "%s: %s", path, strerror (errno));
      if (fd >= 0)
        close (fd);
      return false;
    }
  lf->file_size = (uint64_t) st.st_size;
  if (lf->file_size < LTLM_PREFIX_BYTES || !read_at (fd, 0, pre, sizeof pre))
    {
      gm_err_printf (err, err_size,
                     "truncated LiteRT-LM file: %" PRIu64 " bytes, the fixed prefix alone is %d",
                     lf->file_size, LTLM_PREFIX_BYTES);
      goto out;
    }
  if (memcmp (pre, "LITERTLM", 8) != 0)
    {
      gm_err_printf (err, err_size, "not a LiteRT-LM file (no LITERTLM magic)");
      goto out;
    }
  lf->major = (uint32_t) le (pre + 8, 4);
  lf->minor = (uint32_t) le (pre + 12, 4);
  lf->patch = (uint32_t) le (pre + 16, 4);
  lf->header_end = le (pre + 24, 8);
  if (lf->major != 1)
    {
      /* the reference reader refuses other major versions too */
      gm_err_printf (err, err_size,
                     "LiteRT-LM container version %u.%u.%u: only major version 1 is known",
                     lf->major, lf->minor, lf->patch);
      goto out;
    }
  if (lf->header_end <= LTLM_PREFIX_BYTES)
    {
      gm_err_printf (err, err_size, "malformed LiteRT-LM file: header end offset %" PRIu64
                     " leaves no header (it starts at byte 32)", lf->header_end);
      goto out;
    }
  if (lf->header_end > lf->file_size)
    {
      gm_err_printf (err, err_size, "truncated LiteRT-LM file: the header ends at byte %" PRIu64
                     " but the file has %" PRIu64 " bytes", lf->header_end, lf->file_size);
      goto out;
    }
  if (lf->header_end - LTLM_PREFIX_BYTES > LTLM_MAX_HEADER_BYTES)
    {
      gm_err_printf (err, err_size, "malformed LiteRT-LM file: a %" PRIu64
                     "-byte header (at most %u accepted)", lf->header_end - LTLM_PREFIX_BYTES,
                     LTLM_MAX_HEADER_BYTES);
      goto out;
    }
  hdr = malloc ((size_t) (lf->header_end - LTLM_PREFIX_BYTES));
  if (hdr == NULL)
    {
      gm_err_printf (err, err_size, "out of memory");
      goto out;
    }
  if (!read_at (fd, LTLM_PREFIX_BYTES, hdr, (size_t) (lf->header_end - LTLM_PREFIX_BYTES)))
    {
      gm_err_printf (err, err_size, "%s: read error in the header", path);
      goto out;
    }
  if (!ltlm_parse_header (hdr, (size_t) (lf->header_end - LTLM_PREFIX_BYTES), lf, err, err_size))
    goto out;
  for (size_t i = 0; i < lf->n_sections; i++)
    {
      ltlm_section *s = &lf->sections[i];
      uint8_t head[8];

      if (s->end - s->begin < sizeof head || !read_at (fd, s->begin, head, sizeof head))
        continue;
      s->tflite_ident = memcmp (head + 4, "TFL3", 4) == 0;
      if (s->type == LTLM_SEC_HF_TOKENIZER_ZLIB)
        s->zlib_size = le (head, 8);
    }
  ok = true;

out:
  free (hdr);
  close (fd);
  if (!ok)
    ltlm_clear (lf);
  return ok;
}

static void
clear_kvs (ltlm_kv *kv, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].s);
    }
  free (kv);
}

void
ltlm_clear (ltlm_file *lf)
{
  if (lf == NULL)
    return;
  clear_kvs (lf->system, lf->n_system);
  for (size_t i = 0; i < lf->n_sections; i++)
    clear_kvs (lf->sections[i].items, lf->sections[i].n_items);
  free (lf->sections);
  lf->system = NULL;
  lf->sections = NULL;
  lf->n_system = lf->n_sections = 0;
}

/* --------------------------------------------------------------- reports */

const char *
ltlm_section_type_name (unsigned type)
{
  static const char *const names[] = {
    "NONE", "GenericBinaryData", "Deprecated", "TFLiteModel", "SP_Tokenizer",
    "LlmMetadataProto", "HF_Tokenizer_Zlib", "TFLiteWeights", "ExecutorMetadataProto",
  };

  return type < sizeof names / sizeof *names ? names[type] : "unknown";
}

/* What a section of this type holds, in words. */
static const char *
section_words (const ltlm_section *s)
{
  switch (s->type)
    {
    case LTLM_SEC_TFLITE_MODEL: return s->tflite_ident ? "TFLite model (FlatBuffer TFL3)" : "TFLite model";
    case LTLM_SEC_TFLITE_WEIGHTS: return "external weights of a TFLite model";
    case LTLM_SEC_SP_TOKENIZER: return "SentencePiece tokenizer (serialized model proto)";
    case LTLM_SEC_HF_TOKENIZER_ZLIB: return "Hugging Face tokenizer.json, zlib-compressed";
    case LTLM_SEC_LLM_METADATA_PROTO: return "LlmMetadata protobuf (special tokens, chat template, sampler)";
    case LTLM_SEC_EXECUTOR_METADATA_PROTO: return "ExecutorMetadata protobuf";
    case LTLM_SEC_GENERIC_BINARY: return "binary data";
    case LTLM_SEC_DEPRECATED: return "deprecated section";
    case LTLM_SEC_NONE: return "no type";
    default: return "a section type newer than this reader";
    }
}

/* Printable text of s: control bytes and quotes escaped (file contents
 * may be hostile to a terminal). */
static void
escape (const char *s, char *buf, size_t size)
{
  size_t o = 0;

  if (size == 0)
    return;
  for (; *s != '\0' && o + 5 < size; s++)
    {
      const unsigned char c = (unsigned char) *s;

      if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
        o += (size_t) snprintf (buf + o, size - o, c == '"' ? "\\\"" : c == '\\' ? "\\\\" : "\\x%02x", c);
      else
        buf[o++] = (char) c;
    }
  buf[o] = '\0';
}

void
ltlm_value_text (const ltlm_kv *kv, bool json, char *buf, size_t size)
{
  char tmp[256];

  switch (kv->type)
    {
    case LTLM_V_STRING:
      escape (kv->s != NULL ? kv->s : "", tmp, sizeof tmp);
      snprintf (buf, size, json ? "%s" : "\"%s\"", tmp);
      break;
    case LTLM_V_I8: case LTLM_V_I16: case LTLM_V_I32: case LTLM_V_I64:
      snprintf (buf, size, "%" PRId64, kv->v.i);
      break;
    case LTLM_V_F32: case LTLM_V_F64:
      snprintf (buf, size, "%.9g", kv->v.f);
      break;
    case LTLM_V_BOOL:
      snprintf (buf, size, "%s", kv->v.b ? "true" : "false");
      break;
    default:
      snprintf (buf, size, "%" PRIu64, kv->v.u);
      break;
    }
}

const char *
ltlm_section_model_type (const ltlm_section *s)
{
  for (size_t i = 0; i < s->n_items; i++)
    if (s->items[i].type == LTLM_V_STRING && strcmp (s->items[i].key, "model_type") == 0)
      return s->items[i].s;
  return NULL;
}

void
ltlm_summary (const char *path, const ltlm_file *lf, char *buf, size_t size)
{
  size_t n_tfl = 0, o;
  bool tok = false;
  char models[200] = "", esc[64];

  for (size_t i = 0; i < lf->n_sections; i++)
    {
      const ltlm_section *s = &lf->sections[i];
      const char *mt = ltlm_section_model_type (s);

      if (s->type == LTLM_SEC_SP_TOKENIZER || s->type == LTLM_SEC_HF_TOKENIZER_ZLIB)
        tok = true;
      if (s->type != LTLM_SEC_TFLITE_MODEL)
        continue;
      n_tfl++;
      if (mt != NULL && strlen (models) + strlen (mt) + 8 < sizeof models)
        {
          escape (mt, esc, sizeof esc);
          o = strlen (models);
          snprintf (models + o, sizeof models - o, "%s%s", o ? ", " : "", esc);
        }
    }
  snprintf (buf, size,
            "%s is a LiteRT-LM bundle (.litertlm, container %u.%u.%u, %zu sections: %zu TFLite "
            "model%s%s%s%s%s). Gemlet cannot run it: its networks are TFLite graphs, and Gemlet "
            "runs GGUF files and -qat-mobile-ct checkpoint folders. Use the Q4_0 QAT GGUF or the "
            "compressed-tensors mobile checkpoint of the same model.",
            path, lf->major, lf->minor, lf->patch, lf->n_sections, n_tfl, n_tfl == 1 ? "" : "s",
            models[0] ? " (" : "", models, models[0] ? ")" : "", tok ? ", a tokenizer" : "");
}

static void
human_size (uint64_t b, char *buf, size_t size)
{
  if (b >= 1000000000)
    snprintf (buf, size, "%.2f GB", (double) b / 1e9);
  else if (b >= 1000000)
    snprintf (buf, size, "%.1f MB", (double) b / 1e6);
  else if (b >= 1000)
    snprintf (buf, size, "%.1f KB", (double) b / 1e3);
  else
    snprintf (buf, size, "%" PRIu64 " B", b);
}

static json_object *
kv_object (const ltlm_kv *kv, size_t n)
{
  json_object *o = json_object_new_object ();

  for (size_t i = 0; i < n; i++)
    {
      json_object *v;

      switch (kv[i].type)
        {
        case LTLM_V_STRING: v = json_object_new_string (kv[i].s != NULL ? kv[i].s : ""); break;
        case LTLM_V_I8: case LTLM_V_I16: case LTLM_V_I32: case LTLM_V_I64:
          v = json_object_new_int64 (kv[i].v.i);
          break;
        case LTLM_V_F32: case LTLM_V_F64: v = json_object_new_double (kv[i].v.f); break;
        case LTLM_V_BOOL: v = json_object_new_boolean (kv[i].v.b); break;
        default: v = json_object_new_uint64 (kv[i].v.u); break;
        }
      /* a repeated key keeps its last value, as a JSON object must */
      json_object_object_add (o, kv[i].key, v);
    }
  return o;
}

void
ltlm_print (FILE *fp, const char *path, const ltlm_file *lf, bool json)
{
  char verdict[768], sz[32], val[256], key[128];

  ltlm_summary (path, lf, verdict, sizeof verdict);
  if (json)
    {
      json_object *root = json_object_new_object (), *secs = json_object_new_array ();
      char ver[48];

      snprintf (ver, sizeof ver, "%u.%u.%u", lf->major, lf->minor, lf->patch);
      json_object_object_add (root, "file", json_object_new_string (path));
      json_object_object_add (root, "format", json_object_new_string ("litertlm"));
      json_object_object_add (root, "container_version", json_object_new_string (ver));
      json_object_object_add (root, "file_bytes", json_object_new_uint64 (lf->file_size));
      json_object_object_add (root, "header_end", json_object_new_uint64 (lf->header_end));
      json_object_object_add (root, "system_metadata", kv_object (lf->system, lf->n_system));
      for (size_t i = 0; i < lf->n_sections; i++)
        {
          const ltlm_section *s = &lf->sections[i];
          json_object *o = json_object_new_object ();

          json_object_object_add (o, "index", json_object_new_int64 ((int64_t) i));
          json_object_object_add (o, "type", json_object_new_string (ltlm_section_type_name (s->type)));
          json_object_object_add (o, "type_id", json_object_new_int (s->type));
          json_object_object_add (o, "begin", json_object_new_uint64 (s->begin));
          json_object_object_add (o, "end", json_object_new_uint64 (s->end));
          json_object_object_add (o, "bytes", json_object_new_uint64 (s->end - s->begin));
          json_object_object_add (o, "contents", json_object_new_string (section_words (s)));
          if (s->type == LTLM_SEC_HF_TOKENIZER_ZLIB && s->end - s->begin >= 8)
            json_object_object_add (o, "uncompressed_bytes", json_object_new_uint64 (s->zlib_size));
          json_object_object_add (o, "items", kv_object (s->items, s->n_items));
          json_object_array_add (secs, o);
        }
      json_object_object_add (root, "sections", secs);
      json_object_object_add (root, "runnable", json_object_new_boolean (false));
      json_object_object_add (root, "reason", json_object_new_string (verdict));
      fprintf (fp, "%s\n", json_object_to_json_string_ext (root, JSON_C_TO_STRING_PRETTY
                                                                   | JSON_C_TO_STRING_NOSLASHESCAPE));
      json_object_put (root);
      return;
    }
  human_size (lf->file_size, sz, sizeof sz);
  fprintf (fp, "File:            %s\n", path);
  fprintf (fp, "Format:          LiteRT-LM bundle (.litertlm), container version %u.%u.%u, %s\n",
           lf->major, lf->minor, lf->patch, sz);
  fprintf (fp, "Header:          bytes 32-%" PRIu64 "\n", lf->header_end);
  for (size_t i = 0; i < lf->n_system; i++)
    {
      escape (lf->system[i].key, key, sizeof key);
      ltlm_value_text (&lf->system[i], false, val, sizeof val);
      fprintf (fp, "%s %s = %s\n", i == 0 ? "System metadata:" : "                ", key, val);
    }
  fprintf (fp, "Sections:        %zu\n", lf->n_sections);
  fprintf (fp, "  %3s  %-22s %14s %11s  %s\n", "#", "type", "offset", "size", "contents");
  for (size_t i = 0; i < lf->n_sections; i++)
    {
      const ltlm_section *s = &lf->sections[i];

      human_size (s->end - s->begin, sz, sizeof sz);
      fprintf (fp, "  %3zu  %-22s %14" PRIu64 " %11s  %s", i, ltlm_section_type_name (s->type),
               s->begin, sz, section_words (s));
      if (s->type == LTLM_SEC_HF_TOKENIZER_ZLIB && s->end - s->begin >= 8)
        fprintf (fp, " (%" PRIu64 " bytes uncompressed)", s->zlib_size);
      if (s->type > LTLM_SEC_EXECUTOR_METADATA_PROTO)
        fprintf (fp, " (type %u)", s->type);
      fputc ('\n', fp);
      for (size_t k = 0; k < s->n_items; k++)
        {
          escape (s->items[k].key, key, sizeof key);
          ltlm_value_text (&s->items[k], false, val, sizeof val);
          fprintf (fp, "  %3s  %s = %s\n", "", key, val);
        }
    }
  fprintf (fp, "\n%s\n", verdict);
}
