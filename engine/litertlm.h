/* litertlm.h — reading the container of LiteRT-LM bundles (".litertlm",
 * the files of Google AI Edge Gallery): magic, version, the FlatBuffer
 * header with the section table, and what each section holds. Gemlet runs
 * none of them (their models are TFLite graphs); it recognises them so
 * that info can say what they are and loading can say why it refuses.
 * Layout and sources: engine/MOBILE-FORMAT.md §11.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bytes 0–31: magic, three version words, padding, header end offset. */
#define LTLM_PREFIX_BYTES 32
/* The header FlatBuffer is read whole into memory: refuse larger ones (a
 * real header is a few KB). */
#define LTLM_MAX_HEADER_BYTES (16u << 20)
#define LTLM_MAX_SECTIONS 4096
#define LTLM_MAX_ITEMS 4096

/* schema AnySectionDataType (litertlm_header_schema.fbs) */
typedef enum {
  LTLM_SEC_NONE = 0,
  LTLM_SEC_GENERIC_BINARY = 1,
  LTLM_SEC_DEPRECATED = 2,
  LTLM_SEC_TFLITE_MODEL = 3,
  LTLM_SEC_SP_TOKENIZER = 4,
  LTLM_SEC_LLM_METADATA_PROTO = 5,
  LTLM_SEC_HF_TOKENIZER_ZLIB = 6,
  LTLM_SEC_TFLITE_WEIGHTS = 7,
  LTLM_SEC_EXECUTOR_METADATA_PROTO = 8,
} ltlm_section_type;

/* schema union VData: the type tag of a key/value pair's value */
typedef enum {
  LTLM_V_NONE = 0,
  LTLM_V_U8, LTLM_V_I8, LTLM_V_U16, LTLM_V_I16, LTLM_V_U32, LTLM_V_I32,
  LTLM_V_F32, LTLM_V_BOOL, LTLM_V_STRING, LTLM_V_U64, LTLM_V_I64, LTLM_V_F64,
} ltlm_value_type;

typedef struct {
  char *key;
  ltlm_value_type type;
  union {
    uint64_t u;
    int64_t i;
    double f;
    bool b;
  } v;
  char *s;  /* LTLM_V_STRING */
} ltlm_kv;

typedef struct {
  uint8_t type;             /* ltlm_section_type; other values kept as read */
  uint64_t begin, end;      /* [begin, end) in the file */
  ltlm_kv *items;
  size_t n_items;
  /* from the section's first bytes (ltlm_open reads them) */
  bool tflite_ident;        /* a TFLite FlatBuffer ("TFL3" at bytes 4–7) */
  uint64_t zlib_size;       /* HF_Tokenizer_Zlib: the uncompressed size */
} ltlm_section;

typedef struct {
  uint32_t major, minor, patch;
  uint64_t header_end;
  uint64_t file_size;
  ltlm_kv *system;          /* system_metadata entries */
  size_t n_system;
  ltlm_section *sections;
  size_t n_sections;
} ltlm_file;

/* True when the first bytes of path are the LITERTLM magic. */
bool ltlm_is_litertlm (const char *path);
/* ltlm_is_litertlm, or a regular file named *.litertlm: what should be
 * read as a bundle, so that a broken one is reported as such. */
bool ltlm_is_candidate (const char *path);

/* Decodes the header FlatBuffer hdr (n bytes, the file's bytes from 32 to
 * header_end) into f, whose version and sizes are already set; checks
 * every offset against n and every section against the file. */
bool ltlm_parse_header (const uint8_t *hdr, size_t n, ltlm_file *f, char *err, size_t err_size);

/* Reads and checks the prefix and header of path (not the sections'
 * data, but their first bytes); on failure err names the problem. */
bool ltlm_open (const char *path, ltlm_file *f, char *err, size_t err_size);
void ltlm_clear (ltlm_file *f);

const char *ltlm_section_type_name (unsigned type);
/* The value of a key/value pair as text (strings quoted only in JSON). */
void ltlm_value_text (const ltlm_kv *kv, bool json, char *buf, size_t size);
/* The "model_type" item of a section, or NULL. */
const char *ltlm_section_model_type (const ltlm_section *s);

/* The one-paragraph verdict: what the bundle is and why Gemlet does not
 * run it (for gm_inspect/gm_model_load errors). */
void ltlm_summary (const char *path, const ltlm_file *f, char *buf, size_t size);

/* What `gemlet-cli info` prints for a bundle: every section (type,
 * offsets, size, items) and the verdict; JSON with json. */
void ltlm_print (FILE *fp, const char *path, const ltlm_file *f, bool json);
