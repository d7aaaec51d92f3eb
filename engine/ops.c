/* ops.c — norms, RoPE, GELU, softmax and soft-cap for the forward pass.
 *
 * The float expression order follows llama.cpp's CPU backend so that our
 * logits can be compared with it at tight tolerances.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ops.h"

#include "gemlet-kernels.h"

#include <math.h>
#include <string.h>

void
gm_rms_norm (const float *x, const float *w, float *y, int64_t n, float eps)
{
  double sum = 0.0;
  float mean, scale;

  /* the square is rounded to float before the double accumulation */
  for (int64_t i = 0; i < n; i++)
    sum += (double) (x[i] * x[i]);
  mean = (float) (sum / (double) n);
  scale = 1.0f / sqrtf (mean + eps);

  if (w != NULL)
    for (int64_t i = 0; i < n; i++)
      y[i] = x[i] * scale * w[i];
  else
    for (int64_t i = 0; i < n; i++)
      y[i] = x[i] * scale;
}

void
gm_rope_angles (float *cs, int32_t pos, int n_rot, float base, const float *freq_factors)
{
  /* iterative product rather than pow per pair: bit-compatible with ggml */
  const float theta_scale = powf (base, -2.0f / (float) n_rot);
  float theta = (float) pos;

  for (int i = 0; i < n_rot / 2; i++)
    {
      const float ff = freq_factors != NULL ? freq_factors[i] : 1.0f;
      const float t = theta / ff;

      cs[2 * i] = cosf (t);
      cs[2 * i + 1] = sinf (t);
      theta *= theta_scale;
    }
}

void
gm_rope_neox (float *x, int n_rot, const float *cs)
{
  const int half = n_rot / 2;

  for (int i = 0; i < half; i++)
    {
      const float c = cs[2 * i], s = cs[2 * i + 1];
      const float x0 = x[i], x1 = x[i + half];

      x[i] = x0 * c - x1 * s;
      x[i + half] = x0 * s + x1 * c;
    }
}

float
gm_gelu_exact (float x)
{
  const float coef_a = 0.044715f;
  const float sqrt_2_over_pi = 0.79788456080286535587989211986876f;

  return 0.5f * x * (1.0f + tanhf (sqrt_2_over_pi * x * (1.0f + coef_a * x * x)));
}

void
gm_gelu_table_init (uint16_t *table)
{
  for (uint32_t i = 0; i < (1u << 16); i++)
    table[i] = gk_fp32_to_fp16 (gm_gelu_exact (gk_fp16_to_fp32 ((uint16_t) i)));
}

float
gm_gelu_table (const uint16_t *table, float x)
{
  if (x <= -10.0f)
    return 0.0f;
  if (x >= 10.0f)
    return x;
  return gk_fp16_to_fp32 (table[gk_fp32_to_fp16 (x)]);
}

void
gm_gelu_row (const uint16_t *table, const float *x, float *y, int64_t n)
{
  if (table != NULL)
    for (int64_t i = 0; i < n; i++)
      y[i] = gm_gelu_table (table, x[i]);
  else
    for (int64_t i = 0; i < n; i++)
      y[i] = gm_gelu_exact (x[i]);
}

void
gm_geglu_row (const uint16_t *table, const float *g, const float *u, float *y, int64_t n)
{
  if (table != NULL)
    for (int64_t i = 0; i < n; i++)
      y[i] = gm_gelu_table (table, g[i]) * u[i];
  else
    for (int64_t i = 0; i < n; i++)
      y[i] = gm_gelu_exact (g[i]) * u[i];
}

void
gm_softcap_row (float *x, int64_t n, float cap)
{
  const float inv = 1.0f / cap;

  for (int64_t i = 0; i < n; i++)
    x[i] = tanhf (x[i] * inv) * cap;
}

void
gm_softmax_row (float *x, int64_t n)
{
  float max = -INFINITY;
  double sum = 0.0;
  float inv;

  for (int64_t i = 0; i < n; i++)
    if (x[i] > max)
      max = x[i];
  for (int64_t i = 0; i < n; i++)
    {
      const float e = x[i] == -INFINITY ? 0.0f : expf (x[i] - max);
      x[i] = e;
      sum += (double) e;
    }
  inv = (float) (1.0 / sum);
  for (int64_t i = 0; i < n; i++)
    x[i] *= inv;
}
