/* gemlet.h — the one public header of the Gemlet engine.
 *
 * Plain C11, no GLib. The app and gemlet-cli use nothing else of the engine.
 * Rules: no global state (two models may be loaded at once); every fallible
 * call returns a gm_status and fills a gm_error with what went wrong and
 * where; nothing here aborts, exits or prints.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

typedef enum {
  GM_OK = 0,
  GM_ERR_IO,           /* cannot open/read/map a file */
  GM_ERR_FORMAT,       /* malformed or truncated file */
  GM_ERR_UNSUPPORTED,  /* well-formed, but not something Gemlet can run */
  GM_ERR_NOMEM,
  GM_ERR_INVALID,      /* bad argument from the caller */
  GM_ERR_CANCELLED,    /* a progress/abort callback asked to stop */
  GM_ERR_CONTEXT_FULL, /* the session's context cannot hold the tokens */
} gm_status;

typedef struct {
  gm_status code;
  char message[512];
} gm_error;

/* Library version string and the kernel variant chosen for this CPU
 * ("avx2+fma+f16c", "scalar", ...). */
const char *gm_version (void);
const char *gm_kernel_variant (void);
/* Human-readable CPU features found (for --version and About). */
const char *gm_cpu_features (void);

/* --------------------------------------------------- checkpoint inspection */

typedef enum {
  GM_VARIANT_NOT_GEMMA4 = 0, /* see variant_reason */
  GM_VARIANT_E2B,
  GM_VARIANT_E4B,
  GM_VARIANT_GEMMA4_OTHER,   /* a gemma4 file with another shape */
} gm_variant;

typedef struct {
  char name[16];     /* "Q4_0", or "type 99" when unknown */
  uint32_t type_id;
  uint64_t n_tensors;
  uint64_t n_bytes;
} gm_type_stat;

#define GM_MAX_TYPE_STATS 32

typedef struct {
  char format[32];           /* "GGUF v3" */
  char architecture[64];     /* general.architecture, "" if absent */
  char name[128];            /* general.name, "" if absent */
  gm_variant variant;
  char variant_reason[256];  /* why not gemma4 / which shape */
  uint32_t n_layer, n_embd, n_head, n_head_kv, n_embd_per_layer;
  uint32_t head_dim_swa, head_dim_full, n_swa, n_shared_kv_layers;
  uint32_t n_layer_full;     /* number of full-attention layers */
  uint64_t n_ctx_train;
  uint64_t n_vocab;
  uint64_t n_tensors;
  uint32_t n_type_stats;
  gm_type_stat type_stats[GM_MAX_TYPE_STATS];
  uint64_t file_bytes;
  bool has_chat_template;
  char tokenizer_model[32];  /* tokenizer.ggml.model */
  /* memory estimate */
  uint64_t weights_resident_bytes;  /* must be in RAM while generating */
  uint64_t weights_on_demand_bytes; /* mapped, touched a row per token (PLE table) */
  uint32_t default_n_ctx;           /* context the estimate assumes */
  uint64_t kv_cache_bytes;          /* KV cache at default_n_ctx */
} gm_checkpoint_info;

/* Reads headers only (fast, no weights touched). Fills info even for files
 * that are valid GGUF but not Gemma 4 (variant = GM_VARIANT_NOT_GEMMA4). */
gm_status gm_inspect (const char *path, gm_checkpoint_info *info, gm_error *err);

/* ------------------------------------------------------------------ model */

typedef struct gm_model gm_model;
typedef struct gm_session gm_session;

/* Called during load with 0..1; return false to cancel (load then fails with
 * GM_ERR_CANCELLED and leaves nothing mapped). */
typedef bool (*gm_progress_fn) (float fraction, void *user);

/* Environment switches read at load (for testing): GEMLET_REFERENCE=1 runs
 * every matrix product through the reference path (dequantize + OpenBLAS),
 * GEMLET_GELU_EXACT=1 uses the tanh formula instead of llama.cpp's fp16
 * GELU table. */
typedef struct {
  int n_threads;     /* 0 = number of physical cores */
  bool text_only;    /* do not load vision/audio encoders */
  bool weight_only;  /* mobile format: dequantize activations exactly (verification) */
} gm_load_opts;

void gm_load_opts_init (gm_load_opts *opts);

gm_model *gm_model_load (const char *path, const gm_load_opts *opts,
                         gm_progress_fn progress, void *user, gm_error *err);
void gm_model_free (gm_model *model);

const gm_checkpoint_info *gm_model_info (const gm_model *model);
int32_t gm_model_n_vocab (const gm_model *model);
/* The vision/audio projector file loaded beside the model (text_only off and
 * a "*mmproj*.gguf" in the model's folder), or NULL. */
const char *gm_model_projector_path (const gm_model *model);
int32_t gm_model_bos (const gm_model *model);
bool gm_token_is_eog (const gm_model *model, int32_t token);

/* -------------------------------------------------------------- tokenizer */

/* The tokenizer is read-only after load: gm_tokenize and gm_token_to_piece
 * may be called from any thread, also while a session of the same model
 * generates on another.
 *
 * Tokenizes text (len bytes). With add_bos a single BOS is prepended; with
 * parse_special, control tokens written in the text ("<|turn>") become their
 * ids. Writes up to cap ids into out and returns the total count needed
 * (call again with a bigger buffer if it exceeds cap); -1 on error. */
int64_t gm_tokenize (const gm_model *model, const char *text, size_t len, bool add_bos,
                     bool parse_special, int32_t *out, size_t cap, gm_error *err);

/* Text of one token (bytes, may be a partial UTF-8 sequence). Control tokens
 * give "" unless with_special. Returns the byte count (may exceed cap: then
 * nothing useful was written), -1 for an invalid id. */
int64_t gm_token_to_piece (const gm_model *model, int32_t token, bool with_special,
                           char *buf, size_t cap);

/* Streaming detokenizer: never emits half a UTF-8 character. */
typedef struct gm_detok gm_detok;
gm_detok *gm_detok_new (const gm_model *model, bool with_special);
/* Pushes a token; returns complete UTF-8 text now available (valid until the
 * next call), *len set to its length. */
const char *gm_detok_push (gm_detok *d, int32_t token, size_t *len);
/* Flushes any incomplete tail (replaced by U+FFFD). */
const char *gm_detok_flush (gm_detok *d, size_t *len);
void gm_detok_free (gm_detok *d);

/* ------------------------------------------------------------ chat format */

typedef enum { GM_ROLE_SYSTEM, GM_ROLE_USER, GM_ROLE_MODEL } gm_role;

typedef struct {
  gm_role role;
  const char *content;  /* UTF-8, NUL-terminated */
} gm_chat_message;

/* Renders a conversation as the model's chat template would (including the
 * leading <bos> text, so tokenize the result with add_bos=false and
 * parse_special=true). Returns a malloc'd string the caller frees with
 * free(), or NULL with err set. */
char *gm_chat_render (const gm_model *model, const gm_chat_message *msgs, size_t n_msgs,
                      bool add_generation_prompt, bool enable_thinking, gm_error *err);

/* Which template family the model's chat template was recognised as:
 * "gemma4-e", "gemma4-thought-channel", or "fallback (...)". */
const char *gm_chat_template_family (const gm_model *model);

/* ---------------------------------------------------------------- sampler */

typedef struct {
  bool greedy;            /* argmax, ties to the lowest id; other fields ignored */
  float temperature;      /* default 1.0 */
  int32_t top_k;          /* 0 = off; default 64 */
  float top_p;            /* 1.0 = off; default 0.95 */
  float min_p;            /* 0 = off */
  float repeat_penalty;   /* 1.0 = off */
  float presence_penalty; /* 0 = off */
  int32_t penalty_last_n; /* window for penalties; default 64 */
  uint64_t seed;
} gm_sampling;

void gm_sampling_init (gm_sampling *s);  /* Gemma's recommended defaults */

typedef struct gm_sampler gm_sampler;
gm_sampler *gm_sampler_new (const gm_sampling *params);
void gm_sampler_free (gm_sampler *s);
/* Picks a token from n_vocab logits (logits may be modified). history is the
 * recent token ids used by the penalties. */
int32_t gm_sampler_sample (gm_sampler *s, float *logits, int32_t n_vocab,
                           const int32_t *history, size_t n_history);

/* ---------------------------------------------------------------- session */

typedef struct {
  uint32_t n_ctx;  /* tokens the KV cache holds; 0 = the model's default */
  int n_threads;   /* 0 = the model's setting */
  uint32_t n_ubatch; /* most tokens per forward step in a prefill; 0 = default (256) */
  bool kv_f16;     /* store K/V as F16: half the memory (llama.cpp's default);
                    * default F32, the most exact */
} gm_session_opts;

void gm_session_opts_init (gm_session_opts *opts);

gm_session *gm_session_new (gm_model *model, const gm_session_opts *opts, gm_error *err);
void gm_session_free (gm_session *s);

uint32_t gm_session_n_ctx (const gm_session *s);
/* Threads the session computes with (resolved from the options). */
int gm_session_n_threads (const gm_session *s);
/* Tokens currently held in the KV cache, in order. */
const int32_t *gm_session_tokens (const gm_session *s, size_t *n);
/* Forgets everything after the first n tokens (cheap; used for regenerate,
 * edit, and to reuse a common prefix across turns). */
void gm_session_truncate (gm_session *s, size_t n);

/* Checked between layers of long prefills and between tokens; returning true
 * aborts with GM_ERR_CANCELLED. */
typedef bool (*gm_abort_fn) (void *user);
void gm_session_set_abort (gm_session *s, gm_abort_fn fn, void *user);

/* Appends n tokens to the context. If logits is non-NULL it receives the
 * soft-capped logits of the last token (n_vocab floats), or of every token
 * when all_logits (n * n_vocab floats). */
gm_status gm_session_eval (gm_session *s, const int32_t *tokens, size_t n, float *logits,
                           bool all_logits, gm_error *err);

/* Called per generated token with its text (complete UTF-8 only); return
 * false to stop. When generation ends with an incomplete UTF-8 character
 * pending, one last call passes GM_TOKEN_NONE and its replacement text
 * (U+FFFD), so the streamed text always equals the detokenized reply. */
#define GM_TOKEN_NONE (-1)
typedef bool (*gm_token_fn) (int32_t token, const char *text, size_t len, void *user);

typedef struct {
  uint64_t n_prompt_tokens;  /* tokens actually evaluated (after prefix reuse) */
  uint64_t n_generated;
  double prompt_seconds;
  double generate_seconds;
  bool stopped_by_eog;
  bool stopped_by_callback;
  bool stopped_by_context_full; /* the context filled up (returns GM_OK) */
} gm_generate_stats;

/* Makes the session hold `prompt` (reusing the longest common prefix already
 * in the cache, evaluating only the rest), then samples up to max_tokens
 * tokens (< 0: no limit), stopping at an end-of-generation token (not
 * emitted), when cb returns false, or when the context is full. The last
 * sampled token is not evaluated into the cache: the next call's prompt
 * brings it in with the rest of its new tokens. */
gm_status gm_session_generate (gm_session *s, const int32_t *prompt, size_t n_prompt,
                               const gm_sampling *sampling, int32_t max_tokens,
                               gm_token_fn cb, void *user, gm_generate_stats *stats,
                               gm_error *err);

/* ----------------------------------------------------------------- memory */

typedef struct {
  uint64_t weights_resident;        /* bytes of weights that must stay in RAM */
  uint64_t weights_on_demand;       /* bytes mapped but read a row at a time */
  uint64_t weights_on_demand_touched; /* of those, pages actually resident now */
  uint64_t kv_cache;                /* allocated KV cache bytes (all sessions given) */
  uint64_t kv_cache_used;           /* bytes holding live tokens */
  uint64_t scratch;                 /* activation buffers */
  uint64_t process_rss;             /* whole process, from /proc */
  uint64_t system_available;        /* MemAvailable */
  uint64_t projector;               /* vision/audio projector weights (text_only off) */
} gm_memory;

/* session may be NULL. Cheap enough to call twice a second, also from
 * another thread while the session generates. */
void gm_memory_report (const gm_model *model, const gm_session *session, gm_memory *out);

/* Estimate before loading: the file's real tensor sizes plus the KV cache and
 * scratch of a session with default options and n_ctx tokens (0 = the
 * default context, min(trained context, 8192)); same as
 * gm_estimate_memory_opts with opts->n_ctx = n_ctx. */
gm_status gm_estimate_memory (const char *path, uint32_t n_ctx, gm_memory *out, gm_error *err);

/* How a session's KV cache is laid out, per kind of layer. Sliding-window
 * layers keep a ring of swa_slots positions (the window, one micro-batch and
 * 512 slots of slack so a short truncation needs no re-evaluation, rounded
 * up to 256 and at most the rounded-up context); full-attention layers keep
 * full_slots = n_ctx rounded up to 256; KV-shared layers read an earlier
 * layer's cache and hold nothing. */
typedef struct {
  uint32_t n_ctx;
  uint32_t n_layer_swa;          /* sliding-window layers with their own K/V */
  uint32_t n_layer_full;         /* full-attention layers with their own K/V */
  uint32_t n_layer_shared_swa;   /* sliding-window layers reading another's cache */
  uint32_t n_layer_shared_full;  /* full-attention layers reading another's cache */
  uint32_t swa_slots, full_slots;
  uint64_t bytes_per_token_swa;  /* K+V bytes of one position, all owning SWA layers */
  uint64_t bytes_per_token_full; /* K+V bytes of one position, all owning full layers */
  uint32_t bytes_per_value;      /* 4 (F32) or 2 (F16, kv_f16) */
  uint64_t bytes;                /* swa_slots·per_token_swa + full_slots·per_token_full */
} gm_kv_layout;

/* The estimate for a session created with opts (NULL = defaults): n_ctx
 * (0 = default), n_ubatch, kv_f16 and n_threads (0 = physical cores) are
 * taken as gm_session_new takes them, so out->kv_cache and out->scratch are
 * exactly what such a session allocates (gm_memory_report's kv_cache and
 * scratch). layout (may be NULL) receives the KV layout behind kv_cache.
 * GGUF files and mobile checkpoints alike. */
gm_status gm_estimate_memory_opts (const char *path, const gm_session_opts *opts, gm_memory *out,
                                   gm_kv_layout *layout, gm_error *err);

/* The largest context worth offering within budget_bytes: the biggest of
 * 2048, 4096, 8192, ... (and the trained context itself as the last step),
 * never above the model's trained context, whose estimate with default
 * session options (weights_resident + kv_cache + scratch; the memory-mapped
 * per-layer embedding table is left to the page cache) fits. If not even
 * 2048 fits, *n_ctx_out is 2048 (or the trained context if smaller) and
 * GM_OK is returned: the caller compares the estimate and warns. */
gm_status gm_suggest_n_ctx (const char *path, uint64_t budget_bytes, uint32_t *n_ctx_out,
                            gm_error *err);
/* The same for sessions created with opts (its n_ctx is ignored). */
gm_status gm_suggest_n_ctx_opts (const char *path, const gm_session_opts *opts,
                                 uint64_t budget_bytes, uint32_t *n_ctx_out, gm_error *err);

#ifdef __cplusplus
}
#endif
