/* detok.c — streaming detokenizer: token pieces in, complete UTF-8 out.
 *
 * Byte-fallback tokens deliver a character one byte at a time, so the tail
 * of a piece may be the start of a character whose rest comes with later
 * tokens. That tail is held back until it completes. Bytes that can never
 * form a character (stray continuation bytes, a lead byte followed by a
 * non-continuation, overlong forms, surrogates, > U+10FFFF) become U+FFFD
 * at once, so every returned chunk is valid UTF-8 on its own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd"

struct gm_detok {
  const gm_tokenizer *tok;
  bool with_special;
  uint8_t pend[4];  /* an incomplete but so far valid character */
  size_t n_pend;
  char *in;         /* pending bytes + the new piece */
  size_t in_cap;
  char *out;
  size_t out_cap;
};

gm_detok *
gm_detok_new_for_tokenizer (const gm_tokenizer *tok, bool with_special)
{
  gm_detok *d;

  if (tok == NULL)
    return NULL;
  d = calloc (1, sizeof *d);
  if (d == NULL)
    return NULL;
  d->tok = tok;
  d->with_special = with_special;
  return d;
}

void
gm_detok_free (gm_detok *d)
{
  if (d == NULL)
    return;
  free (d->in);
  free (d->out);
  free (d);
}

static bool
reserve (char **buf, size_t *cap, size_t need)
{
  char *p;

  if (need <= *cap)
    return true;
  if (need < 64)
    need = 64;
  p = realloc (*buf, need);
  if (p == NULL)
    return false;
  *buf = p;
  *cap = need;
  return true;
}

/* Length of the character starting with lead byte b, 0 if b cannot start
 * one; lo/hi bound the byte after it (the rest are plain continuations). */
static size_t
utf8_lead (uint8_t b, uint8_t *lo, uint8_t *hi)
{
  *lo = 0x80;
  *hi = 0xbf;
  if (b < 0x80)
    return 1;
  if (b >= 0xc2 && b <= 0xdf)
    return 2;
  if (b >= 0xe0 && b <= 0xef)
    {
      if (b == 0xe0)
        *lo = 0xa0;
      else if (b == 0xed)
        *hi = 0x9f;
      return 3;
    }
  if (b >= 0xf0 && b <= 0xf4)
    {
      if (b == 0xf0)
        *lo = 0x90;
      else if (b == 0xf4)
        *hi = 0x8f;
      return 4;
    }
  return 0;
}

/* Validates d->in[0..n) into d->out; keeps an incomplete tail in d->pend. */
static size_t
drain (gm_detok *d, size_t n)
{
  const uint8_t *s = (const uint8_t *) d->in;
  size_t i = 0, w = 0;

  d->n_pend = 0;
  while (i < n)
    {
      uint8_t lo, hi;
      size_t k = utf8_lead (s[i], &lo, &hi), j;

      if (k == 0)
        {
          memcpy (d->out + w, REPLACEMENT, 3);
          w += 3;
          i++;
          continue;
        }
      for (j = 1; j < k && i + j < n; j++)
        {
          uint8_t c = s[i + j];
          if (j == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xbf))
            break;
        }
      if (j == k)
        {
          memcpy (d->out + w, s + i, k);
          w += k;
          i += k;
        }
      else if (i + j == n)
        {
          /* Valid so far, just not finished: wait for more bytes. */
          memcpy (d->pend, s + i, j);
          d->n_pend = j;
          break;
        }
      else
        {
          /* One U+FFFD for the broken start; resume at the offending byte. */
          memcpy (d->out + w, REPLACEMENT, 3);
          w += 3;
          i += j;
        }
    }
  d->out[w] = '\0';
  return w;
}

const char *
gm_detok_push (gm_detok *d, int32_t token, size_t *len)
{
  int64_t n;
  size_t total, dummy;

  if (len == NULL)
    len = &dummy;
  *len = 0;
  if (d == NULL)
    return "";
  n = gm_tokenizer_piece (d->tok, token, d->with_special, NULL, 0);
  if (n < 0)
    n = 0; /* an invalid id contributes nothing */
  total = d->n_pend + (size_t) n;
  if (!reserve (&d->in, &d->in_cap, total + 1)
      || !reserve (&d->out, &d->out_cap, 3 * total + 1))
    return "";
  memcpy (d->in, d->pend, d->n_pend);
  if (n > 0)
    gm_tokenizer_piece (d->tok, token, d->with_special, d->in + d->n_pend, (size_t) n);
  *len = drain (d, total);
  return d->out;
}

const char *
gm_detok_flush (gm_detok *d, size_t *len)
{
  size_t dummy;

  if (len == NULL)
    len = &dummy;
  *len = 0;
  if (d == NULL || !reserve (&d->out, &d->out_cap, 4))
    return "";
  if (d->n_pend > 0)
    {
      memcpy (d->out, REPLACEMENT, 3);
      *len = 3;
      d->n_pend = 0;
    }
  d->out[*len] = '\0';
  return d->out;
}
