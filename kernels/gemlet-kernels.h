/* gemlet-kernels.h — the one public header of the kernels library.
 *
 * Kernels know nothing of models: they know block formats, how to turn them
 * into floats and back, and how to multiply them with activations.  Type ids
 * are ggml's, so a tensor type read from a GGUF file can be used as is.
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

/* ggml type ids (stable on-disk numbers; never renumber). */
typedef enum {
  GK_TYPE_F32 = 0,
  GK_TYPE_F16 = 1,
  GK_TYPE_Q4_0 = 2,
  GK_TYPE_Q4_1 = 3,
  GK_TYPE_Q5_0 = 6,
  GK_TYPE_Q5_1 = 7,
  GK_TYPE_Q8_0 = 8,
  GK_TYPE_Q8_1 = 9,
  GK_TYPE_Q2_K = 10,
  GK_TYPE_Q3_K = 11,
  GK_TYPE_Q4_K = 12,
  GK_TYPE_Q5_K = 13,
  GK_TYPE_Q6_K = 14,
  GK_TYPE_Q8_K = 15,
  GK_TYPE_BF16 = 30,
  GK_TYPE_COUNT = 48 /* table size; ids above are rejected */
} gk_type;

typedef struct {
  const char *name;     /* "Q4_0"; NULL for an id no table entry knows */
  uint32_t block_size;  /* values per block (1 for F32/F16/BF16) */
  uint32_t type_size;   /* bytes per block */
  bool supported;       /* Gemlet can dequantize it */
} gk_type_info;

/* Type table lookup; returns NULL for an unknown id. Names are also returned
 * for ggml ids Gemlet knows by name but cannot compute with (supported=false). */
const gk_type_info *gk_type_get (uint32_t type);

/* Bytes of a row of n values; 0 if n is not a multiple of the block size or
 * the type is unknown. */
size_t gk_row_size (uint32_t type, int64_t n);

/* Scalar reference conversions (exact, round-to-nearest-even for F16/BF16). */
float gk_fp16_to_fp32 (uint16_t h);
uint16_t gk_fp32_to_fp16 (float f);
float gk_bf16_to_fp32 (uint16_t b);
uint16_t gk_fp32_to_bf16 (float f);

/* Reference dequantize of n values (n a multiple of the block size). */
void gk_dequantize_row (uint32_t type, const void *src, float *dst, int64_t n);

/* Reference quantize of n finite values; returns bytes written (0 on bad
 * args).  Output is byte-identical to ggml's *_ref quantizers (what
 * llama-quantize writes without an imatrix) for every supported type; the
 * unit tests hold hashes of ggml's output and the conformance suite compares
 * against libggml directly. */
size_t gk_quantize_row_ref (uint32_t type, const float *src, void *dst, int64_t n);

/* Row conversions for activations and the KV cache: exact, F16C-backed
 * where the CPU has it.  Results equal the scalar functions above. */
void gk_fp16_to_fp32_row (const uint16_t *src, float *dst, int64_t n);
void gk_fp32_to_fp16_row (const float *src, uint16_t *dst, int64_t n);
void gk_bf16_to_fp32_row (const uint16_t *src, float *dst, int64_t n);
void gk_fp32_to_bf16_row (const float *src, uint16_t *dst, int64_t n);

/* ---- Run-time dispatch ------------------------------------------------ */

/* Kernel sets.  SCALAR is portable C and always available; the others are
 * picked at run time (CPUID + XGETBV on x86-64, getauxval (AT_HWCAP) on
 * AArch64 Linux), never from build flags.  The x86 variants are ordered
 * (AVX512 includes AVX2); NEON only exists where they do not, so it never
 * compares as one of them. */
typedef enum {
  GK_VARIANT_SCALAR = 0,
  GK_VARIANT_AVX2 = 1,   /* AVX2 + FMA + F16C (x86-64) */
  GK_VARIANT_AVX512 = 2, /* AVX-512 F/BW/VL/DQ + VNNI (x86-64) */
  GK_VARIANT_NEON = 3,   /* Advanced SIMD + dot product, ARMv8.2-A (AArch64) */
  GK_VARIANT_COUNT
} gk_variant;

/* Detect the CPU and select the best variant.  Idempotent and thread-safe;
 * every other function calls it implicitly, so calling it is optional.
 * GEMLET_KERNELS=scalar|avx2|avx512|neon in the environment caps the
 * choice. */
void gk_init (void);

/* Name of the variant in use: "scalar", "avx2+fma+f16c", "avx512+vnni",
 * "neon+dotprod". */
const char *gk_variant_name (void);

/* Space-separated CPU features that matter here, e.g.
 * "sse4.2 avx avx2 fma f16c avx512f avx512bw avx512vl avx512vnni" or
 * "asimd fphp asimdhp dotprod". */
const char *gk_cpu_features (void);

bool gk_variant_supported (gk_variant v);   /* compiled in and CPU/OS capable */
const char *gk_variant_label (gk_variant v); /* as gk_variant_name; NULL if out of range */
gk_variant gk_variant_current (void);

/* For tests and benchmarks: switch every later call to variant v.  Returns
 * false (and changes nothing) if v is not supported.  Not meant to be called
 * while other threads run kernels. */
bool gk_force_variant (gk_variant v);

/* ---- Matrix products -------------------------------------------------- */

/* Format the activations are converted to before a product with weights of
 * type wtype, as in ggml: Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K
 * for the K formats, F16/BF16/F32 for those.  GK_TYPE_COUNT if wtype has no
 * product kernel. */
uint32_t gk_vec_dot_type (uint32_t wtype);

/* Convert k floats (k a multiple of the act_type block size) to act_type,
 * which must be a value gk_vec_dot_type returns; dst must not overlap x.
 * Uses the current variant's converter, which mirrors ggml's for that ISA
 * (e.g. AVX2 rounds Q8_0 codes half-to-even, the scalar one away from 0). */
void gk_quantize_act (uint32_t act_type, const float *x, void *dst, int64_t k);

/* y[c * y_stride + r] = dot (row r of W, column c of X) for row_begin <= r <
 * row_end and 0 <= c < n_cols.  W holds rows of k values of type wtype, row r
 * at (char *) w + r * w_row_bytes; column c of X is at (char *) xq + c *
 * xq_row_bytes, already in gk_vec_dot_type (wtype).  y_stride counts floats.
 * Threads may call this concurrently on disjoint row ranges.  k must be a
 * multiple of the weight block size.  Columns are processed in small tiles
 * so each weight block is loaded once for several columns.
 *
 * Each output depends only on its row and column, never on the tiling or on
 * how rows are split among threads.  On the AVX2 and AVX-512 variants the
 * activation conversion and every dot product reproduce llama.cpp's x86
 * CPU backend (its AVX2 build) bit for bit. */
void gk_matmul (uint32_t wtype, const void *w, size_t w_row_bytes, int64_t k,
                int64_t row_begin, int64_t row_end,
                const void *xq, size_t xq_row_bytes, int64_t n_cols,
                float *y, size_t y_stride);

/* Prefill products through an activation panel.  With many columns the
 * row-by-row tiles above spend most of their time on float work per 32-value
 * block; a panel lays the quantized columns out side by side (strips of a
 * variant-chosen width, 4 codes of each column per 32-bit lane), so one
 * integer multiply-add serves a whole strip and each block's integer sum
 * is complete before its single float multiply-add.  The codes and scales
 * are exactly those gk_quantize_act gives; the sum of each block is exact,
 * so results differ from gk_matmul's only in float rounding (the block
 * terms are added in the same order, but not split into 8 lanes first).
 *
 * gk_panel_bytes: bytes of the panel of n_cols columns of k values for
 * weights of type wtype, or 0 when the current variant has no panel kernel
 * for it or n_cols is too small to gain (then use gk_quantize_act +
 * gk_matmul).  gk_panel_strips: strips of n_cols columns; gk_panel_pack
 * converts strips [s0, s1) of the columns (column c at x + c * k) and may
 * run concurrently on disjoint strip ranges.  gk_matmul_panel: as
 * gk_matmul, the activations given as a complete panel; threads may call it
 * concurrently on disjoint row ranges; outputs never depend on the row
 * split. */
size_t gk_panel_bytes (uint32_t wtype, int64_t k, int64_t n_cols);
int64_t gk_panel_strips (int64_t n_cols);
void gk_panel_pack (uint32_t wtype, const float *x, int64_t k, int64_t n_cols, int64_t s0,
                    int64_t s1, void *panel);
void gk_matmul_panel (uint32_t wtype, const void *w, size_t w_row_bytes, int64_t k,
                      int64_t row_begin, int64_t row_end, const void *panel, int64_t n_cols,
                      float *y, size_t y_stride);

/* Convenience: one dot product of a weight row with an activation row in
 * gk_vec_dot_type (wtype). */
float gk_vec_dot (uint32_t wtype, const void *w, const void *xq, int64_t k);

/* ---- Element-wise helpers -------------------------------------------- */

typedef enum {
  GK_GELU_TANH = 0,       /* 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))) in F32 */
  GK_GELU_TANH_TABLE = 1, /* llama.cpp CPU: x rounded to F16, 64K-entry F16
                           * table; x <= -10 -> 0, x >= 10 -> x */
} gk_gelu_mode;

float gk_gelu (float x, gk_gelu_mode mode);
/* out[i] = gelu (gate[i]) * up[i]; out may alias gate or up. */
void gk_geglu (const float *gate, const float *up, float *out, int64_t n, gk_gelu_mode mode);
/* x[i] = gelu (x[i]) in place. */
void gk_gelu_inplace (float *x, int64_t n, gk_gelu_mode mode);

/* out = x / sqrt(mean(x^2) + eps) [* weight when weight != NULL], with the
 * sum of squares in double as ggml does; out may alias x. */
void gk_rmsnorm (const float *x, const float *weight, float *out, int64_t n, float eps);

/* In place x = softmax(x): max-subtracted, exponent sum in double. */
void gk_softmax (float *x, int64_t n);

/* Soft-capping in place: x[i] = cap * tanh (x[i] / cap), cap > 0.  SIMD
 * variants stay within a few ulp of tanhf (NaN and ±inf as tanhf). */
void gk_softcap (float *x, int64_t n, float cap);

float gk_dot_f32 (const float *a, const float *b, int64_t n);
/* y += a * x */
void gk_axpy_f32 (float a, const float *x, float *y, int64_t n);
/* x *= a */
void gk_scale_f32 (float *x, float a, int64_t n);
/* Dot of an F16 row (e.g. a K-cache row) with F32 values. */
float gk_dot_f16_f32 (const uint16_t *a, const float *b, int64_t n);
/* Rows row_begin..row_end of F16 w (row stride w_row_bytes) times n_cols
 * F32 columns x (stride x_row_bytes), k values each:
 * y[c * y_stride + r] = gk_dot_f16_f32 (w_r, x_c, k), bit for bit.  SIMD
 * variants convert each F16 row once for several columns (attention over
 * an F16 K/V cache: the query heads sharing a K/V head). */
void gk_matmul_f16_f32 (const uint16_t *w, size_t w_row_bytes, int64_t k, int64_t row_begin,
                        int64_t row_end, const float *x, size_t x_row_bytes, int64_t n_cols,
                        float *y, size_t y_stride);
/* y += a * x for an F16 row x (e.g. a V-cache row). */
void gk_axpy_f16 (float a, const uint16_t *x, float *y, int64_t n);

/* ---- Channel-wise integer weights (Gemma 4 mobile QAT checkpoints) -----
 * Reference (scalar) kernels for compressed-tensors int2/int4/int8 rows with
 * one scale per row or per group; layout in engine/MOBILE-FORMAT.md
 * (gk-chanwise.c). */

typedef enum {
  GK_CW_SCALE_F32 = 0,
  GK_CW_SCALE_F16 = 1,
  GK_CW_SCALE_BF16 = 2,
} gk_cw_scale_type;

typedef struct {
  const uint8_t *codes;        /* start of the row; may be unaligned */
  int bits;                    /* 2, 4 or 8 */
  bool offset_binary;          /* packed fields q + 2^(bits-1), LSB first;
                                * else one two's-complement int8 each */
  const void *scales;          /* this row's scales, one per group */
  gk_cw_scale_type scale_type;
  int64_t group_size;          /* elements per scale (the row length when
                                * channel-wise) */
} gk_cw_row;

/* out[j] = signed code j, j in [0, n). */
void gk_cw_unpack_row (const uint8_t *codes, int bits, bool offset_binary, int8_t *out, int64_t n);
/* out[j] = code j * scale[j / group_size]. */
void gk_cw_dequant_row (const gk_cw_row *row, float *out, int64_t n);
/* Sum over groups of scale * sum(code * x) (float accumulation). */
float gk_cw_dot_f32 (const gk_cw_row *row, const float *x, int64_t n);
/* Static per-tensor int8 activations: q = clamp(round_half_even(x / scale),
 * -128, 127); scale > 0. */
void gk_cw_quant_act (const float *x, float scale, int8_t *q, int64_t n);
/* In place x = dequant(quant(x)), the fake-quant vLLM and the LiteRT
 * reference apply around a layer; scale 0 leaves x unchanged. */
void gk_cw_fake_quant (float *x, float scale, int64_t n);
/* max |x[i]| (0 for n = 0; NaNs ignored, as fmaxf does): the dynamic
 * activation scale. */
float gk_cw_absmax (const float *x, int64_t n);
/* x_scale * sum over groups of scale * sum(code * xq), the integer part
 * exact per group. */
float gk_cw_dot_i8 (const gk_cw_row *row, const int8_t *xq, float x_scale, int64_t n);
/* The sums of xq over each 32-element block, as prefix sums: pre[0] = 0,
 * pre[b + 1] = pre[b] + Σ block b (n / 32 + 1 values; n a multiple of 32).
 * They do not depend on the weight row, so a matrix product computes them
 * once per activation row for gk_cw_dot_i8_pre. */
void gk_cw_act_prefix (const int8_t *xq, int64_t n, int32_t *pre);
/* gk_cw_dot_i8 with the block sums of xq given (same result). */
float gk_cw_dot_i8_pre (const gk_cw_row *row, const int8_t *xq, const int32_t *pre, float x_scale,
                        int64_t n);
/* Packed int2/int4 rows whose length and groups are whole chunks (128
 * elements for int2, 64 for int4) can run against activations permuted to
 * the packing: chunk c, field i of byte k (element c + k·8/bits + i) meets
 * out[c + 32·i + k]. The matrix product permutes each activation row once
 * (gk_cw_permute_act); gk_cw_dot_i8_perm then equals gk_cw_dot_i8 on the
 * unpermuted row. pre: gk_cw_act_prefix of the permuted row. 8-bit rows
 * (either storage) take the same entry points with chunks of 32 and the
 * identity layout. */
bool gk_cw_perm_ok (const gk_cw_row *row, int64_t n);
void gk_cw_permute_act (const int8_t *xq, int bits, int8_t *out, int64_t n);
float gk_cw_dot_i8_perm (const gk_cw_row *row, const int8_t *xp, const int32_t *pre, float x_scale,
                         int64_t n);

/* A whole channel-wise matrix: row r's codes at row0.codes + r·row_bytes,
 * its scales at row0.scales + r·scale_row_bytes. */
typedef struct {
  gk_cw_row row0;
  size_t row_bytes;
  size_t scale_row_bytes;
} gk_cw_matrix;

/* y[r] = gk_cw_dot_i8_perm (row r, ...) for r in [r0, r1): one call per
 * block of rows, since short rows would otherwise cost as much in per-row
 * overhead as in the dot product. */
void gk_cw_matvec_i8_perm (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                           const int32_t *pre, float x_scale, int64_t n, float *y);
/* Several activation rows (prefill): y[t·ldy + r] = gk_cw_dot_i8_perm (row
 * r, xp + t·n, pre + t·(n/32 + 1), x_scale[t], n) for r in [r0, r1), t in
 * [0, n_tok); each weight row is read once per block of tokens (as many
 * as keep their activations in L2), not once per token. */
void gk_cw_matmul_i8_perm (const gk_cw_matrix *w, int64_t r0, int64_t r1, const int8_t *xp,
                           const int32_t *pre, const float *x_scale, int64_t n_tok, int64_t n,
                           float *y, size_t ldy);

#ifdef __cplusplus
}
#endif
