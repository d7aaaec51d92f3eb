/* safetensors.h — read-only safetensors reader over a memory map.
 *
 * Internal to the engine. Layout: a little-endian u64 header length N, N
 * bytes of JSON (an object: tensor name -> {dtype, shape, data_offsets},
 * plus an optional "__metadata__" string map), then the data section that
 * the offsets are relative to. Everything in the header is untrusted and
 * checked before use, so a hostile file yields a "what, where" message,
 * never a crash or a huge allocation.
 *
 * Accepted as the reference (Rust) reader does: any tensor order, empty
 * tensors, scalar tensors (shape []). Stricter: tensor names must be unique
 * (JSON would silently keep the last), valid UTF-8 without NUL, and the
 * header strict JSON. More tolerant: gaps between tensors and bytes after
 * the last one are allowed (only overlaps are refused), and unknown keys
 * inside a tensor entry are ignored.
 *
 * Data pointers point into the map and may be unaligned (the header length
 * is arbitrary): read multi-byte values through memcpy or byte loads.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Header lengths above this are refused: real headers are a few MB at most
 * (about 150 bytes per tensor), and json-c builds a tree of the whole. */
#define SFT_MAX_HEADER_SIZE (100u * 1024u * 1024u)
#define SFT_MAX_DIMS 8

typedef enum {
  SFT_BOOL,
  SFT_U8,
  SFT_I8,
  SFT_U16,
  SFT_I16,
  SFT_F16,
  SFT_BF16,
  SFT_U32,
  SFT_I32,
  SFT_F32,
  SFT_U64,
  SFT_I64,
  SFT_F64,
  SFT_F8_E4M3,
  SFT_F8_E5M2,
  SFT_F8_E8M0,
  SFT_DTYPE_COUNT
} sft_dtype;

typedef struct {
  const char *name;               /* NUL-terminated copy owned by the file */
  sft_dtype dtype;
  uint32_t n_dims;                /* 0 for a scalar */
  int64_t shape[SFT_MAX_DIMS];    /* unused entries are 1 */
  uint64_t n_elements;
  uint64_t offset;                /* absolute byte offset in the file */
  uint64_t n_bytes;
  const void *data;               /* into the map; may be unaligned */
} sft_tensor;

typedef struct sft_file sft_file;

/* Opens and validates a file. On failure returns NULL and writes a message
 * into err (err may be NULL). */
sft_file *sft_open (const char *path, char *err, size_t err_size);

/* Like sft_open; *io_error (may be NULL) tells a file that could not be
 * opened or mapped apart from one that is malformed. */
sft_file *sft_open_full (const char *path, bool *io_error, char *err, size_t err_size);

/* Parses a buffer the caller keeps alive (tests, fuzzing). */
sft_file *sft_open_memory (const void *buf, size_t size, char *err, size_t err_size);

void sft_close (sft_file *f);

uint64_t sft_file_size (const sft_file *f);
uint64_t sft_header_size (const sft_file *f);    /* N, the JSON's length */
uint64_t sft_data_offset (const sft_file *f);    /* 8 + N */

int64_t sft_n_tensors (const sft_file *f);
/* In order of data offset (then name); i in [0, n). */
const sft_tensor *sft_tensor_at (const sft_file *f, int64_t i);
/* NULL when absent. */
const sft_tensor *sft_find (const sft_file *f, const char *name);

/* "__metadata__": string -> string. */
int64_t sft_n_metadata (const sft_file *f);
const char *sft_metadata_key (const sft_file *f, int64_t i);
const char *sft_metadata_value (const sft_file *f, int64_t i);
const char *sft_metadata_get (const sft_file *f, const char *key);  /* NULL if absent */

/* "F32", "BF16", ...; NULL for an out-of-range value. */
const char *sft_dtype_name (sft_dtype t);
size_t sft_dtype_size (sft_dtype t);

/* Reads element i of a 1-element-or-more float tensor (F32, F16, BF16, F64)
 * as float; false for other dtypes or i out of range. */
bool sft_read_float (const sft_tensor *t, uint64_t i, float *out);
/* Same for integer tensors (I8..I64, U8..U64, BOOL); false if the value
 * does not fit an int64. */
bool sft_read_int (const sft_tensor *t, uint64_t i, int64_t *out);
