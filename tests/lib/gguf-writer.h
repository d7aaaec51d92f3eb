/* gguf-writer.h — a small GGUF v3 writer for tests and the synthetic model
 * generator. Test-side only: the product never writes GGUF.
 *
 * Usage: create, add metadata and tensor infos (data by pointer or by a
 * callback that streams rows, so multi-GB files never sit in memory), write.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gw_writer gw_writer;

/* Fills dst (n_bytes) with the bytes of tensor `index` starting at byte `offset`
 * of its data; called repeatedly with consecutive chunks. Return false to abort. */
typedef bool (*gw_fill_fn) (void *user, uint64_t offset, void *dst, size_t n_bytes);

gw_writer *gw_new (void);
void gw_free (gw_writer *w);

void gw_set_version (gw_writer *w, uint32_t version);      /* default 3 */
void gw_set_alignment (gw_writer *w, uint32_t alignment);  /* default 32; also writes general.alignment when != 32 */

void gw_kv_u8 (gw_writer *w, const char *key, uint8_t v);
void gw_kv_i8 (gw_writer *w, const char *key, int8_t v);
void gw_kv_u16 (gw_writer *w, const char *key, uint16_t v);
void gw_kv_i16 (gw_writer *w, const char *key, int16_t v);
void gw_kv_u32 (gw_writer *w, const char *key, uint32_t v);
void gw_kv_i32 (gw_writer *w, const char *key, int32_t v);
void gw_kv_u64 (gw_writer *w, const char *key, uint64_t v);
void gw_kv_i64 (gw_writer *w, const char *key, int64_t v);
void gw_kv_f32 (gw_writer *w, const char *key, float v);
void gw_kv_f64 (gw_writer *w, const char *key, double v);
void gw_kv_bool (gw_writer *w, const char *key, bool v);
void gw_kv_str (gw_writer *w, const char *key, const char *v);
/* Arrays of a fixed-size element type (GGUF value type id), n elements. */
void gw_kv_arr (gw_writer *w, const char *key, uint32_t elem_type, const void *elems, uint64_t n);
void gw_kv_arr_str (gw_writer *w, const char *key, const char *const *strs, uint64_t n);

/* Tensor with data in memory (copied at write time, not at add time; the
 * pointer must stay valid until gw_write returns). */
void gw_tensor (gw_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
                const int64_t *ne, const void *data);
/* Tensor whose data is produced by fill(user, ...) during gw_write. With
 * fill NULL the data is all zero and gw_write leaves a hole (a sparse file),
 * so multi-GB headers-only test files cost no disk. */
void gw_tensor_cb (gw_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
                   const int64_t *ne, gw_fill_fn fill, void *user);

/* --- for malformed-file tests: no validation of any of these -------------- */

/* A key with a raw value: the u32 type id, then `payload` verbatim (for
 * nested arrays, bogus lengths, unknown type ids). */
void gw_kv_raw (gw_writer *w, const char *key, uint32_t type, const void *payload, size_t n);
/* A tensor info written as given (n_dims entries of ne, relative data offset),
 * with no data of its own; the data section is laid out for the other tensors. */
void gw_tensor_raw (gw_writer *w, const char *name, uint32_t ggml_type, uint32_t n_dims,
                    const int64_t *ne, uint64_t rel_offset);

typedef enum {
  GW_SECTION_KV,          /* first key/value pair */
  GW_SECTION_TENSOR_INFO, /* first tensor info */
  GW_SECTION_PADDING,     /* end of the tensor infos */
  GW_SECTION_DATA,        /* aligned start of the data section */
  GW_SECTION_END,         /* file size */
} gw_section;

/* Byte offset of a section in the file the last successful write produced. */
uint64_t gw_section_offset (const gw_writer *w, gw_section s);

/* Writes the file; returns false with a message in err on failure. */
bool gw_write (gw_writer *w, const char *path, char *err, size_t err_size);
/* Writes to a malloc'd buffer (for in-memory tests/fuzz seeds). */
bool gw_write_memory (gw_writer *w, void **out, size_t *out_size, char *err, size_t err_size);
