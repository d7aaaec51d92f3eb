/* gk-ops.c — the public kernel entry points, forwarding to the current
 * variant's table, and the element-wise operations that need no SIMD to be
 * fast enough (they run over activations, not weights).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gk-internal.h"

#include <math.h>
#include <pthread.h>

uint32_t
gk_vec_dot_type (uint32_t wtype)
{
  switch (wtype)
    {
    case GK_TYPE_F32:
    case GK_TYPE_F16:
    case GK_TYPE_BF16:
      return wtype;
    case GK_TYPE_Q4_0:
    case GK_TYPE_Q5_0:
    case GK_TYPE_Q8_0:
      return GK_TYPE_Q8_0;
    case GK_TYPE_Q4_1:
    case GK_TYPE_Q5_1:
      return GK_TYPE_Q8_1;
    case GK_TYPE_Q2_K:
    case GK_TYPE_Q3_K:
    case GK_TYPE_Q4_K:
    case GK_TYPE_Q5_K:
    case GK_TYPE_Q6_K:
      return GK_TYPE_Q8_K;
    default:
      return GK_TYPE_COUNT;
    }
}

void
gk_quantize_act (uint32_t act_type, const float *x, void *dst, int64_t k)
{
  const gk_kernels *t = gk_kernels_current ();

  if (act_type >= GK_TYPE_COUNT || t->quantize_act[act_type] == NULL || k <= 0)
    return;
  t->quantize_act[act_type] (x, dst, k);
}

void
gk_matmul (uint32_t wtype, const void *w, size_t w_row_bytes, int64_t k,
           int64_t row_begin, int64_t row_end,
           const void *xq, size_t xq_row_bytes, int64_t n_cols,
           float *y, size_t y_stride)
{
  const gk_kernels *t = gk_kernels_current ();

  if (wtype >= GK_TYPE_COUNT || t->vec_dot[wtype] == NULL || row_end <= row_begin
      || n_cols <= 0)
    return;
  if (t->matmul[wtype])
    {
      t->matmul[wtype] (w, w_row_bytes, k, row_begin, row_end, xq, xq_row_bytes,
                        n_cols, y, y_stride);
      return;
    }

  /* Rows in blocks that stay in L2 and columns in groups that stay in L1,
   * so a batch of many columns (e.g. the BF16 per-layer projection in
   * prefill) reads each row and column from cache for all the dots that
   * use it, instead of all columns from memory for every row.  Each output
   * is still one vec_dot. */
  const gk_vec_dot_fn dot = t->vec_dot[wtype];
  const size_t col_bytes = gk_row_size (gk_vec_dot_type (wtype), k);
  int64_t cb = col_bytes ? (int64_t) ((16 * 1024) / col_bytes) : 1;
  int64_t rb = w_row_bytes ? (int64_t) ((256 * 1024) / w_row_bytes) : 1;

  cb = cb < 1 ? 1 : cb;
  rb = rb < 1 ? 1 : rb;
  for (int64_t r0 = row_begin; r0 < row_end; r0 += rb)
    {
      const int64_t r1 = row_end - r0 > rb ? r0 + rb : row_end;
      for (int64_t c0 = 0; c0 < n_cols; c0 += cb)
        {
          const int64_t c1 = n_cols - c0 > cb ? c0 + cb : n_cols;
          for (int64_t r = r0; r < r1; r++)
            {
              const char *wr = (const char *) w + r * w_row_bytes;
              for (int64_t c = c0; c < c1; c++)
                y[c * y_stride + r] = dot (wr, (const char *) xq + c * xq_row_bytes, k);
            }
        }
    }
}

/* Bytes per 32-value block and panel column: 32 codes, the negated code
 * sum (int32) and the scale (float); see the panel kernels in gk-avx2.c. */
#define PANEL_COL_BLOCK_BYTES 40

size_t
gk_panel_bytes (uint32_t wtype, int64_t k, int64_t n_cols)
{
  const gk_kernels *t = gk_kernels_current ();
  const int64_t w = t->panel_width;

  /* half a strip still beats the row tiles; fewer columns do not */
  if (w == 0 || wtype >= GK_TYPE_COUNT || t->matmul_panel[wtype] == NULL
      || gk_vec_dot_type (wtype) != GK_TYPE_Q8_0 || k <= 0 || k % GK_QK32 != 0
      || n_cols < w / 2)
    return 0;
  return (size_t) gk_panel_strips (n_cols) * (size_t) (k / GK_QK32) * (size_t) w
         * PANEL_COL_BLOCK_BYTES;
}

int64_t
gk_panel_strips (int64_t n_cols)
{
  const int64_t w = gk_kernels_current ()->panel_width;

  return w > 0 ? (n_cols + w - 1) / w : 0;
}

void
gk_panel_pack (uint32_t wtype, const float *x, int64_t k, int64_t n_cols, int64_t s0, int64_t s1,
               void *panel)
{
  const gk_kernels *t = gk_kernels_current ();

  if (t->panel_pack_q8_0 == NULL || gk_vec_dot_type (wtype) != GK_TYPE_Q8_0 || s1 <= s0)
    return;
  t->panel_pack_q8_0 (x, k, n_cols, s0, s1, panel);
}

void
gk_matmul_panel (uint32_t wtype, const void *w, size_t w_row_bytes, int64_t k, int64_t row_begin,
                 int64_t row_end, const void *panel, int64_t n_cols, float *y, size_t y_stride)
{
  const gk_kernels *t = gk_kernels_current ();

  if (wtype >= GK_TYPE_COUNT || t->matmul_panel[wtype] == NULL || row_end <= row_begin
      || n_cols <= 0)
    return;
  t->matmul_panel[wtype] (w, w_row_bytes, k, row_begin, row_end, panel, n_cols, y, y_stride);
}

float
gk_vec_dot (uint32_t wtype, const void *w, const void *xq, int64_t k)
{
  const gk_kernels *t = gk_kernels_current ();

  if (wtype >= GK_TYPE_COUNT || t->vec_dot[wtype] == NULL || k <= 0)
    return 0.0f;
  return t->vec_dot[wtype] (w, xq, k);
}

void
gk_fp16_to_fp32_row (const uint16_t *src, float *dst, int64_t n)
{
  gk_kernels_current ()->fp16_to_fp32_row (src, dst, n);
}

void
gk_fp32_to_fp16_row (const float *src, uint16_t *dst, int64_t n)
{
  gk_kernels_current ()->fp32_to_fp16_row (src, dst, n);
}

void
gk_bf16_to_fp32_row (const uint16_t *src, float *dst, int64_t n)
{
  gk_kernels_current ()->bf16_to_fp32_row (src, dst, n);
}

void
gk_fp32_to_bf16_row (const float *src, uint16_t *dst, int64_t n)
{
  gk_kernels_current ()->fp32_to_bf16_row (src, dst, n);
}

float
gk_dot_f32 (const float *a, const float *b, int64_t n)
{
  return gk_kernels_current ()->dot_f32 (a, b, n);
}

void
gk_axpy_f32 (float a, const float *x, float *y, int64_t n)
{
  gk_kernels_current ()->axpy_f32 (a, x, y, n);
}

void
gk_scale_f32 (float *x, float a, int64_t n)
{
  gk_kernels_current ()->scale_f32 (x, a, n);
}

void
gk_matmul_f16_f32 (const uint16_t *w, size_t w_row_bytes, int64_t k, int64_t row_begin,
                   int64_t row_end, const float *x, size_t x_row_bytes, int64_t n_cols, float *y,
                   size_t y_stride)
{
  const gk_kernels *t = gk_kernels_current ();

  if (row_end <= row_begin || n_cols <= 0)
    return;
  if (t->matmul_f16_f32 != NULL)
    {
      t->matmul_f16_f32 (w, w_row_bytes, k, row_begin, row_end, x, x_row_bytes, n_cols, y,
                         y_stride);
      return;
    }
  for (int64_t r = row_begin; r < row_end; r++)
    {
      const uint16_t *wr = (const uint16_t *) ((const char *) w + (size_t) r * w_row_bytes);

      for (int64_t c = 0; c < n_cols; c++)
        y[(size_t) c * y_stride + (size_t) r]
            = t->dot_f16_f32 (wr, (const float *) ((const char *) x + (size_t) c * x_row_bytes), k);
    }
}

float
gk_dot_f16_f32 (const uint16_t *a, const float *b, int64_t n)
{
  return gk_kernels_current ()->dot_f16_f32 (a, b, n);
}

void
gk_axpy_f16 (float a, const uint16_t *x, float *y, int64_t n)
{
  gk_kernels_current ()->axpy_f16 (a, x, y, n);
}

/* ---- GELU ------------------------------------------------------------- */

#define GELU_COEF_A 0.044715f
#define SQRT_2_OVER_PI 0.79788456080286535587989211986876f

float
gk_gelu_tanh_f32 (float x)
{
  /* ggml's table is built by its AVX2 build, where GCC contracts the inner
   * 1 + a*x*x into one fused multiply-add; do the same so the table
   * entries agree bit for bit with what llama.cpp uses on such CPUs. */
  const float inner = fmaf (GELU_COEF_A * x, x, 1.0f);
  return 0.5f * x * (1.0f + tanhf (SQRT_2_OVER_PI * x * inner));
}

static uint16_t gelu_table[1 << 16];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

static void
gelu_table_init (void)
{
  for (uint32_t i = 0; i < (1u << 16); i++)
    gelu_table[i] = gk_fp32_to_fp16 (gk_gelu_tanh_f32 (gk_fp16_to_fp32 ((uint16_t) i)));
}

const uint16_t *
gk_gelu_table (void)
{
  pthread_once (&gelu_once, gelu_table_init);
  return gelu_table;
}

static inline float
gelu_lookup (const uint16_t *table, float x)
{
  if (x <= -10.0f)
    return 0.0f;
  if (x >= 10.0f)
    return x;
  return gk_fp16_to_fp32 (table[gk_fp32_to_fp16 (x)]);
}

float
gk_gelu (float x, gk_gelu_mode mode)
{
  if (mode == GK_GELU_TANH_TABLE)
    return gelu_lookup (gk_gelu_table (), x);
  return gk_gelu_tanh_f32 (x);
}

void
gk_gelu_inplace (float *x, int64_t n, gk_gelu_mode mode)
{
  if (mode == GK_GELU_TANH_TABLE)
    {
      const uint16_t *table = gk_gelu_table ();
      const gk_kernels *t = gk_kernels_current ();
      if (t->gelu_table_mul != NULL)
        {
          t->gelu_table_mul (x, NULL, x, n, table);
          return;
        }
      for (int64_t i = 0; i < n; i++)
        x[i] = gelu_lookup (table, x[i]);
      return;
    }
  for (int64_t i = 0; i < n; i++)
    x[i] = gk_gelu_tanh_f32 (x[i]);
}

void
gk_geglu (const float *gate, const float *up, float *out, int64_t n, gk_gelu_mode mode)
{
  if (mode == GK_GELU_TANH_TABLE)
    {
      const uint16_t *table = gk_gelu_table ();
      const gk_kernels *t = gk_kernels_current ();
      if (t->gelu_table_mul != NULL)
        {
          t->gelu_table_mul (gate, up, out, n, table);
          return;
        }
      for (int64_t i = 0; i < n; i++)
        {
          /* ggml: x >= 10 gives x * up, i.e. gelu(x) = x exactly */
          out[i] = gelu_lookup (table, gate[i]) * up[i];
        }
      return;
    }
  for (int64_t i = 0; i < n; i++)
    out[i] = gk_gelu_tanh_f32 (gate[i]) * up[i];
}

/* ---- Normalization and softmax ---------------------------------------- */

void
gk_rmsnorm (const float *x, const float *weight, float *out, int64_t n, float eps)
{
  double sum = 0.0;

  if (n <= 0)
    return;
  for (int64_t i = 0; i < n; i++)
    sum += (double) (x[i] * x[i]);
  const float mean = (float) (sum / (double) n);
  const float scale = 1.0f / sqrtf (mean + eps);

  if (weight)
    for (int64_t i = 0; i < n; i++)
      out[i] = x[i] * scale * weight[i];
  else
    for (int64_t i = 0; i < n; i++)
      out[i] = x[i] * scale;
}

void
gk_softmax (float *x, int64_t n)
{
  const gk_kernels *t = gk_kernels_current ();
  float max = -INFINITY;

  if (n <= 0)
    return;
  for (int64_t i = 0; i < n; i++)
    if (x[i] > max)
      max = x[i];
  const double sum = t->exp_sum (x, n, max);
  t->scale_f32 (x, (float) (1.0 / sum), n);
}

void
gk_softcap (float *x, int64_t n, float cap)
{
  if (n > 0)
    gk_kernels_current ()->softcap_f32 (x, n, cap);
}
