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
