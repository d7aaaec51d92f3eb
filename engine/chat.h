/* chat.h — Gemma 4 chat formatting, internal side of gm_chat_render.
 *
 * Gemlet does not interpret Jinja. Google ships a few revisions of the Gemma 4
 * template that differ, for plain system/user/model text, in three details;
 * those are recognised in the template text and the conversation is then
 * rendered byte for byte as the template would:
 *
 *  - thought_suffix: the generation prompt of the larger models' template
 *    ends with an empty, closed thought channel when thinking is off;
 *  - think_newline: "<|think|>" is followed by "\n" in later revisions;
 *  - merge_model_turns: later revisions continue the open model turn instead
 *    of opening another when two model messages follow each other.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "gemlet.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  const char *family; /* "gemma4-e", "gemma4-thought-channel" or "fallback (...)" */
  bool thought_suffix;
  bool think_newline;
  bool merge_model_turns;
} gm_chat_format;

/* Recognises the template (NULL = the file has none). An unknown or absent
 * template gets the current E-series format and a "fallback (...)" family. */
void gm_chat_format_detect (const char *tmpl, size_t len, gm_chat_format *fmt);

/* Renders msgs; bos is the BOS token's text ("<bos>"). Returns a malloc'd
 * NUL-terminated string, or NULL with err filled. */
char *gm_chat_render_format (const gm_chat_format *fmt, const char *bos, size_t bos_len,
                             const gm_chat_message *msgs, size_t n_msgs,
                             bool add_generation_prompt, bool enable_thinking, gm_error *err);
