/* gen-dequant.c — the F32 twin of a GGUF file: same metadata, same tensors,
 * every tensor stored as F32 holding exactly its dequantized values.
 *
 * The conformance suite runs our F32 path on the twin as the "exact"
 * reference when judging quantized files: both engines start from the same
 * weights, so their distance to it measures only their own arithmetic.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gen-model.h"
#include "gemlet-kernels.h"
#include "gguf-writer.h"
#include "gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const uint8_t *src;
  uint32_t type;
  int64_t ne0;
  size_t src_row;
} twin_tensor;

static bool
twin_fill (void *user, uint64_t offset, void *dst, size_t n_bytes)
{
  const twin_tensor *t = user;
  const uint64_t rb = (uint64_t) t->ne0 * sizeof (float);
  float *row = malloc (rb);
  uint64_t end = offset + n_bytes;

  for (uint64_t r = offset / rb; r * rb < end; r++)
    {
      uint64_t rs = r * rb, re = rs + rb;
      uint64_t a = rs > offset ? rs : offset, b = re < end ? re : end;
      if (t->type == GK_TYPE_F32)
        memcpy (row, t->src + r * t->src_row, rb);
      else
        gk_dequantize_row (t->type, t->src + r * t->src_row, row, t->ne0);
      memcpy ((uint8_t *) dst + (a - offset), (uint8_t *) row + (a - rs), b - a);
    }
  free (row);
  return true;
}

static size_t
fixed_size (gguf_value_type t)
{
  switch (t)
    {
    case GGUF_VT_UINT8: case GGUF_VT_INT8: case GGUF_VT_BOOL: return 1;
    case GGUF_VT_UINT16: case GGUF_VT_INT16: return 2;
    case GGUF_VT_UINT32: case GGUF_VT_INT32: case GGUF_VT_FLOAT32: return 4;
    case GGUF_VT_UINT64: case GGUF_VT_INT64: case GGUF_VT_FLOAT64: return 8;
    default: return 0;
    }
}

typedef struct {
  void **ptr;
  size_t n, cap;
} ptr_list;

static void
keep_ptr (ptr_list *l, void *p)
{
  if (l->n == l->cap)
    {
      l->cap = l->cap ? 2 * l->cap : 64;
      l->ptr = realloc (l->ptr, l->cap * sizeof *l->ptr);
    }
  l->ptr[l->n++] = p;
}

static bool
copy_kv (gw_writer *w, const gguf_file *f, int64_t i, ptr_list *keep, char *err, size_t err_size)
{
  const char *key = gguf_key_name (f, i);
  gguf_value v;

  if (strcmp (key, "general.alignment") == 0)
    return true;  /* set through gw_set_alignment */
  if (!gguf_kv_value (f, i, &v))
    {
      snprintf (err, err_size, "cannot read metadata '%s'", key);
      return false;
    }
  if (strcmp (key, "general.file_type") == 0)
    {
      gw_kv_u32 (w, key, 0);  /* LLAMA_FTYPE_ALL_F32 */
      return true;
    }

  if (v.type == GGUF_VT_STRING)
    {
      char *s = strndup ((const char *) v.ptr, v.n_bytes);
      gw_kv_str (w, key, s);
      keep_ptr (keep, s);
      return true;
    }
  if (v.type == GGUF_VT_ARRAY && v.arr_type == GGUF_VT_STRING)
    {
      /* walk the (u64 length, bytes) records in one pass */
      char **strs = malloc ((v.arr_len ? v.arr_len : 1) * sizeof *strs);
      const uint8_t *p = v.ptr;
      for (uint64_t k = 0; k < v.arr_len; k++)
        {
          uint64_t len;
          memcpy (&len, p, 8);
          strs[k] = strndup ((const char *) p + 8, len);
          p += 8 + len;
        }
      gw_kv_arr_str (w, key, (const char *const *) strs, v.arr_len);
      /* the writer may keep the pointers until gw_write: free them after */
      for (uint64_t k = 0; k < v.arr_len; k++)
        keep_ptr (keep, strs[k]);
      keep_ptr (keep, strs);
      return true;
    }
  if (v.type == GGUF_VT_ARRAY)
    {
      if (fixed_size (v.arr_type) == 0)
        {
          snprintf (err, err_size, "metadata '%s': nested arrays are not copied", key);
          return false;
        }
      gw_kv_arr (w, key, v.arr_type, v.ptr, v.arr_len);
      return true;
    }

  union { uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32;
          float f32; uint64_t u64; int64_t i64; double f64; } x;
  memcpy (&x, v.ptr, fixed_size (v.type));
  switch (v.type)
    {
    case GGUF_VT_UINT8: gw_kv_u8 (w, key, x.u8); break;
    case GGUF_VT_INT8: gw_kv_i8 (w, key, x.i8); break;
    case GGUF_VT_UINT16: gw_kv_u16 (w, key, x.u16); break;
    case GGUF_VT_INT16: gw_kv_i16 (w, key, x.i16); break;
    case GGUF_VT_UINT32: gw_kv_u32 (w, key, x.u32); break;
    case GGUF_VT_INT32: gw_kv_i32 (w, key, x.i32); break;
    case GGUF_VT_FLOAT32: gw_kv_f32 (w, key, x.f32); break;
    case GGUF_VT_BOOL: gw_kv_bool (w, key, x.u8 != 0); break;
    case GGUF_VT_UINT64: gw_kv_u64 (w, key, x.u64); break;
    case GGUF_VT_INT64: gw_kv_i64 (w, key, x.i64); break;
    case GGUF_VT_FLOAT64: gw_kv_f64 (w, key, x.f64); break;
    default:
      snprintf (err, err_size, "metadata '%s': unexpected type", key);
      return false;
    }
  return true;
}

bool
gen_dequant_copy (const char *in_path, const char *out_path, char *err, size_t err_size)
{
  gguf_file *f = gguf_open (in_path, err, err_size);
  if (f == NULL)
    return false;

  gw_writer *w = gw_new ();
  int64_t n_kv = gguf_n_kv (f), n_t = gguf_n_tensors (f);
  ptr_list keep = { 0 };
  twin_tensor *tw = calloc ((size_t) n_t + 1, sizeof *tw);
  bool ok = true;

  gw_set_alignment (w, (uint32_t) gguf_alignment (f));
  for (int64_t i = 0; i < n_kv && ok; i++)
    ok = copy_kv (w, f, i, &keep, err, err_size);

  for (int64_t i = 0; i < n_t && ok; i++)
    {
      const gguf_tensor *t = gguf_tensor_at (f, i);
      const gk_type_info *ti = gk_type_get (t->type);
      if (ti == NULL || !ti->supported)
        {
          snprintf (err, err_size, "%s: tensor '%s' has a type we cannot dequantize (%u)",
                    in_path, t->name, t->type);
          ok = false;
          break;
        }
      tw[i] = (twin_tensor) { t->data, t->type, t->ne[0], gk_row_size (t->type, t->ne[0]) };
      gw_tensor_cb (w, t->name, GK_TYPE_F32, t->n_dims, t->ne, twin_fill, &tw[i]);
    }
  if (ok)
    ok = gw_write (w, out_path, err, err_size);

  gw_free (w);
  for (size_t i = 0; i < keep.n; i++)
    free (keep.ptr[i]);
  free (keep.ptr);
  free (tw);
  gguf_close (f);
  return ok;
}
