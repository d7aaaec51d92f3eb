/* test-mobile-api.c DIR TWIN — the public API on a generated mobile
 * checkpoint folder DIR and its GGUF twin TWIN (test-mobile-model.sh makes
 * both): gm_inspect / gm_estimate_memory for the folder and for a file in
 * it, the same KV-cache estimate as the twin, cancelled and completed
 * loads, weight-only vs int8 modes, the memory report, the chat template
 * and the special tokens, all as the app uses them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "check.h"
#include "gemlet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int check_failures;

static bool
cancel_at_half (float f, void *user)
{
  (void) user;
  return f < 0.5f;
}

int
main (int argc, char **argv)
{
  gm_checkpoint_info *info = calloc (1, sizeof *info), *tinfo = calloc (1, sizeof *tinfo);
  gm_memory mem, tmem, rep;
  gm_error err;
  gm_load_opts lo;
  gm_model *m;
  char file[4096];
  const gm_chat_message msg = { GM_ROLE_USER, "Hi" };
  char *text;

  if (argc != 3)
    {
      fprintf (stderr, "usage: test-mobile-api DIR TWIN\n");
      return 2;
    }
  CHECK (gm_inspect (argv[1], info, &err) == GM_OK);
  CHECK (gm_inspect (argv[2], tinfo, &err) == GM_OK);
  CHECK (strcmp (info->format, "mobile (compressed-tensors)") == 0);
  CHECK (info->n_layer == tinfo->n_layer && info->n_vocab == tinfo->n_vocab);
  CHECK (info->kv_cache_bytes == tinfo->kv_cache_bytes);
  CHECK (info->weights_resident_bytes > 0 && info->weights_on_demand_bytes > 0);
  CHECK (info->weights_resident_bytes < tinfo->weights_resident_bytes);
  CHECK (info->has_chat_template);
  snprintf (file, sizeof file, "%s/config.json", argv[1]);
  CHECK (gm_inspect (file, tinfo, &err) == GM_OK);
  CHECK (tinfo->weights_resident_bytes == info->weights_resident_bytes);

  CHECK (gm_estimate_memory (argv[1], 256, &mem, &err) == GM_OK);
  CHECK (gm_estimate_memory (argv[2], 256, &tmem, &err) == GM_OK);
  CHECK (mem.weights_resident == info->weights_resident_bytes);
  CHECK (mem.weights_on_demand == info->weights_on_demand_bytes);
  CHECK (mem.kv_cache == tmem.kv_cache && mem.kv_cache > 0);

  gm_load_opts_init (&lo);
  lo.n_threads = 2;
  CHECK (gm_model_load (argv[1], &lo, cancel_at_half, NULL, &err) == NULL);
  CHECK (err.code == GM_ERR_CANCELLED);

  for (int wo = 0; wo < 2; wo++)
    {
      gm_session *s;
      float *logits;
      const int32_t toks[4] = { 2, 500, 600, 700 };

      lo.weight_only = wo == 1;
      m = gm_model_load (file, &lo, NULL, NULL, &err);
      CHECK (m != NULL);
      if (m == NULL)
        {
          fprintf (stderr, "%s\n", err.message);
          break;
        }
      CHECK (strcmp (gm_model_info (m)->format, "mobile (compressed-tensors)") == 0);
      CHECK (gm_model_bos (m) == 2);
      CHECK (gm_token_is_eog (m, 1));
      CHECK (strcmp (gm_chat_template_family (m), "gemma4-e") == 0);
      text = gm_chat_render (m, &msg, 1, true, false, &err);
      CHECK (text != NULL && strstr (text, "<|turn>user\nHi") != NULL);
      free (text);
      s = gm_session_new (m, NULL, &err);
      logits = malloc ((size_t) gm_model_n_vocab (m) * sizeof *logits);
      CHECK (s != NULL && gm_session_eval (s, toks, 4, logits, false, &err) == GM_OK);
      gm_memory_report (m, s, &rep);
      CHECK (rep.weights_resident == info->weights_resident_bytes);
      CHECK (rep.weights_on_demand > 0 && rep.kv_cache > 0);
      free (logits);
      gm_session_free (s);
      gm_model_free (m);
    }
  free (info);
  free (tinfo);
  return check_failures ? 1 : 0;
}
