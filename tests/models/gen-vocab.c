/* gen-vocab.c — what both synthetic vocabularies share: Gemma 4's special
 * tokens and the chat template.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gen-model.h"

#include <stdlib.h>
#include <string.h>

/* Gemma 4's special tokens at their real ids. Types follow the converter:
 * tokenizer specials are control tokens; the channel/tool-call/tool-response
 * /quote tokens are forced to user-defined so they always render. */
static const struct
{
  uint32_t id;
  const char *text;
  int32_t type;
} gemma4_specials[] = {
  { 0, "<pad>", GEN_TOK_CONTROL },
  { 1, "<eos>", GEN_TOK_CONTROL },
  { 2, "<bos>", GEN_TOK_CONTROL },
  { 3, "<unk>", GEN_TOK_CONTROL },
  { 46, "<|tool>", GEN_TOK_CONTROL },
  { 47, "<tool|>", GEN_TOK_CONTROL },
  { 48, "<|tool_call>", GEN_TOK_USER_DEFINED },
  { 49, "<tool_call|>", GEN_TOK_USER_DEFINED },
  { 50, "<|tool_response>", GEN_TOK_USER_DEFINED },
  { 51, "<tool_response|>", GEN_TOK_USER_DEFINED },
  { 52, "<|\"|>", GEN_TOK_USER_DEFINED },
  { 98, "<|think|>", GEN_TOK_CONTROL },
  { 100, "<|channel>", GEN_TOK_USER_DEFINED },
  { 101, "<channel|>", GEN_TOK_USER_DEFINED },
  { 105, "<|turn>", GEN_TOK_CONTROL },
  { 106, "<turn|>", GEN_TOK_CONTROL },
  { 255999, "<|image>", GEN_TOK_CONTROL },
  { 256000, "<|audio>", GEN_TOK_CONTROL },
  { 258880, "<|image|>", GEN_TOK_CONTROL },
  { 258881, "<|audio|>", GEN_TOK_CONTROL },
  { 258882, "<image|>", GEN_TOK_CONTROL },
  { 258883, "<audio|>", GEN_TOK_CONTROL },
  { 258884, "<|video|>", GEN_TOK_CONTROL },
};

void
gen_vocab_put_gemma4_specials (gen_vocab *v)
{
  const size_t n = sizeof gemma4_specials / sizeof gemma4_specials[0];
  uint32_t n_high = 0, k = 0;

  for (size_t i = 0; i < n; i++)
    if (gemma4_specials[i].id >= v->n_tokens)
      n_high++;

  for (size_t i = 0; i < n; i++)
    {
      uint32_t id = gemma4_specials[i].id;
      if (id >= v->n_tokens)
        id = v->n_tokens - n_high + k++;  /* small vocab: keep order, move to the end */
      free (v->tokens[id]);
      v->tokens[id] = strdup (gemma4_specials[i].text);
      v->types[id] = gemma4_specials[i].type;
    }
}

void
gen_vocab_clear (gen_vocab *v)
{
  for (uint32_t i = 0; i < v->n_tokens; i++)
    free (v->tokens[i]);
  for (uint32_t i = 0; i < v->n_merges; i++)
    free (v->merges[i]);
  free (v->tokens);
  free (v->types);
  free (v->scores);
  free (v->merges);
  memset (v, 0, sizeof *v);
}

/* Our own rendering of the documented E-series behaviour (architecture
 * notes §4.5): one BOS; a system turn when there is a system/developer
 * message or thinking is enabled (<|think|> first); roles user/system/model;
 * contents trimmed; earlier model turns lose their thought channel; the
 * generation prompt is a bare "<|turn>model\n" (no empty thought channel). */
const char gen_chat_template[] =
  "{{- bos_token -}}\n"
  "{%- set ns = namespace(first=0) -%}\n"
  "{%- set sys = messages | length > 0 and messages[0]['role'] in ['system', 'developer'] -%}\n"
  "{%- if sys or enable_thinking | default(false) -%}\n"
  "  {{- '<|turn>system\\n' -}}\n"
  "  {%- if enable_thinking | default(false) -%}{{- '<|think|>' -}}{%- endif -%}\n"
  "  {%- if sys -%}\n"
  "    {{- messages[0]['content'] | trim -}}\n"
  "    {%- set ns.first = 1 -%}\n"
  "  {%- endif -%}\n"
  "  {{- '<turn|>\\n' -}}\n"
  "{%- endif -%}\n"
  "{%- for m in messages[ns.first:] -%}\n"
  "  {%- set role = 'model' if m['role'] == 'assistant' else m['role'] -%}\n"
  "  {%- set text = m['content'] -%}\n"
  "  {%- if role == 'model' and '<channel|>' in text -%}\n"
  "    {%- set text = text.split('<channel|>') | last -%}\n"
  "  {%- endif -%}\n"
  "  {{- '<|turn>' + role + '\\n' + (text | trim) + '<turn|>\\n' -}}\n"
  "{%- endfor -%}\n"
  "{%- if add_generation_prompt -%}\n"
  "  {{- '<|turn>model\\n' -}}\n"
  "{%- endif -%}\n";
