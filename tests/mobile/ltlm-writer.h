/* ltlm-writer.h — a small LiteRT-LM bundle writer for tests: the fixed
 * prefix, a FlatBuffer header built by hand (written independently of the
 * reader in engine/litertlm.c, from the schema litertlm_header_schema.fbs)
 * and sections on 16 KiB boundaries. Test-side only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* VData tags of the schema */
enum {
  LTW_U8 = 1, LTW_I8, LTW_U16, LTW_I16, LTW_U32, LTW_I32, LTW_F32, LTW_BOOL, LTW_STRING,
  LTW_U64, LTW_I64, LTW_F64,
};

typedef struct {
  const char *key;       /* NULL: the pair is written without its key */
  int tag;               /* LTW_*; 0 or > 12 is written as it is */
  uint64_t bits;         /* scalar value, two's complement / IEEE bits */
  const char *s;         /* LTW_STRING */
} ltw_kv;

typedef struct {
  uint8_t type;          /* AnySectionDataType */
  const ltw_kv *items;
  size_t n_items;
  const void *data;
  size_t size;
  /* 0: placed by the writer; else forced offsets (for broken files) */
  uint64_t begin, end;
} ltw_section;

typedef struct {
  uint32_t major, minor, patch;
  const ltw_kv *system;
  size_t n_system;
  const ltw_section *sections;
  size_t n_sections;
  bool no_section_table;  /* root without section_metadata */
} ltw_bundle;

/* The whole file in a malloc'ed buffer; *header_end receives where the
 * FlatBuffer ends. */
uint8_t *ltw_build (const ltw_bundle *b, size_t *size, uint64_t *header_end);
bool ltw_write_buf (const char *path, const void *buf, size_t size);

/* A bundle shaped like the Gemma 4 E2B one (LlmMetadata, TFLite decoder,
 * embedder and per-layer embedder with model_type items, TFLiteWeights, a
 * SentencePiece and a zlib HF tokenizer section), every value type used. */
uint8_t *ltw_sample (size_t *size, uint64_t *header_end);
