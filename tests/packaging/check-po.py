#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the gettext set-up in po/.

  check-po.py msgfmt   SRCDIR PO     msgfmt -c --check-format on one catalogue
  check-po.py complete SRCDIR        a fresh .pot (xgettext over POTFILES.in,
                                     with meson's 'glib' preset) is fully and
                                     non-fuzzily translated by every language
                                     in LINGUAS, with no obsolete leftovers
  check-po.py potfiles SRCDIR        POTFILES.in lists exactly the files that
                                     contain translatable strings
"""
import os
import re
import subprocess
import sys
import tempfile

# meson's i18n.gettext(preset: 'glib') arguments (mesonbuild/modules/i18n.py),
# plus the ones meson's gettext script adds itself.
XGETTEXT_ARGS = [
    '--package-name=gemlet', '-k_',
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
    '--flag=g_string_printf:2:c-format', '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format', '--flag=g_printf:1:c-format',
    '--flag=g_fprintf:2:c-format', '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
]

# Where translatable strings may live, and how to recognise them.
SCAN_GLOBS = [('app', '.c'), ('app', '.ui'), ('app/gtk', '.ui'),
              ('data', '.in.in'), ('data', '.xml'), ('data', '.in')]
C_MARKERS = re.compile(r'(?<![A-Za-z0-9_])(_|N_|C_|NC_|ngettext|g_dngettext|g_dpgettext2|g_dcgettext)\s*\(')
UI_MARKER = re.compile(r'translatable\s*=\s*"(yes|true|1)"')
# Desktop entries and metainfo are translated as a whole by merge_file: any
# file of those kinds with text counts.
XML_TEXT = re.compile(r'<(summary|description|caption|name|p|li)\b')
SCHEMA_DOMAIN = re.compile(r'gettext-domain\s*=')


def fail(msg):
    print('FAIL: ' + msg)
    return 1


def read_lines(path):
    with open(path, encoding='utf-8') as f:
        return [l.strip() for l in f if l.strip() and not l.lstrip().startswith('#')]


def check_msgfmt(srcdir, po):
    r = subprocess.run(['msgfmt', '-c', '--check-format', '--check-accelerators=_',
                        '--statistics', '-o', os.devnull, po],
                       capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    print(out)
    if r.returncode != 0:
        return fail('msgfmt rejected ' + po)
    if 'fuzzy' in out or 'untranslated' in out:
        return fail(po + ' has fuzzy or untranslated messages')
    return 0


def generate_pot(srcdir, out):
    cmd = ['xgettext', '-f', os.path.join(srcdir, 'po', 'POTFILES.in'), '-D', srcdir,
           '-o', out] + XGETTEXT_ARGS
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(out):
        print(r.stdout + r.stderr)
        raise SystemExit('FAIL: xgettext failed')
    if r.stderr.strip():
        print(r.stderr.strip())


def check_complete(srcdir):
    status = 0
    langs = read_lines(os.path.join(srcdir, 'po', 'LINGUAS'))
    if not langs:
        return fail('LINGUAS is empty')
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'gemlet.pot')
        generate_pot(srcdir, pot)
        n = subprocess.run(['msgattrib', '--no-obsolete', pot], capture_output=True,
                           text=True).stdout.count('\nmsgid ') - 1
        print('%d messages in a fresh template' % n)
        for lang in langs:
            po = os.path.join(srcdir, 'po', lang + '.po')
            if not os.path.exists(po):
                status |= fail('%s is in LINGUAS but %s is missing' % (lang, po))
                continue
            merged = os.path.join(tmp, lang + '.po')
            r = subprocess.run(['msgmerge', '--quiet', '--no-fuzzy-matching', '-o', merged, po, pot],
                               capture_output=True, text=True)
            if r.returncode != 0:
                status |= fail('msgmerge %s: %s' % (lang, r.stderr))
                continue
            for what, flag in [('untranslated', '--untranslated'), ('fuzzy', '--only-fuzzy'),
                               ('obsolete (no longer in the sources)', '--only-obsolete')]:
                r = subprocess.run(['msgattrib', flag, merged], capture_output=True, text=True)
                ids = [m for m in re.findall(r'^(?:#~ )?msgid "(.*)"', r.stdout, re.M) if m]
                ids += re.findall(r'^(?:#~ )?msgid ""\n(?:#~ )?"(.*)"', r.stdout, re.M)
                if ids:
                    status |= fail('%s: %d %s message(s), e.g. %r (update with `ninja gemlet-update-po`, then translate)' % (lang, len(ids), what, ids[:3]))
            r = subprocess.run(['msgfmt', '-c', '--check-format', '--statistics', '-o', os.devnull,
                                merged], capture_output=True, text=True)
            print('%s: %s' % (lang, (r.stdout + r.stderr).strip()))
            if r.returncode != 0:
                status |= fail('%s does not compile against the fresh template' % lang)
            # Plural-Forms must match what the language needs.
            with open(po, encoding='utf-8') as f:
                text = f.read()
            expected = {
                'zh_CN': 'nplurals=1; plural=0;',
                'de': 'nplurals=2; plural=(n != 1);',
                'es': 'nplurals=2; plural=(n != 1);',
                'fr': 'nplurals=2; plural=(n > 1);',
            }.get(lang)
            if expected and ('"Plural-Forms: %s\\n"' % expected) not in text:
                status |= fail('%s: Plural-Forms should be "%s"' % (lang, expected))
            if ('"Language: %s\\n"' % lang) not in text:
                status |= fail('%s: Language header missing or wrong' % lang)
    if status == 0:
        print('ok: every language in LINGUAS translates every message')
    return status


def check_potfiles(srcdir):
    listed = set(read_lines(os.path.join(srcdir, 'po', 'POTFILES.in')))
    skip = set()
    skip_path = os.path.join(srcdir, 'po', 'POTFILES.skip')
    if os.path.exists(skip_path):
        skip = set(read_lines(skip_path))
    found = set()
    for sub, ext in SCAN_GLOBS:
        d = os.path.join(srcdir, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            rel = sub + '/' + name
            path = os.path.join(d, name)
            if not os.path.isfile(path) or not name.endswith(ext):
                continue
            with open(path, encoding='utf-8', errors='replace') as f:
                text = f.read()
            if name.endswith('.c'):
                # Ignore comments, so that an example in a comment does not count.
                code = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
                code = re.sub(r'//[^\n]*', '', code)
                hit = C_MARKERS.search(code)
            elif name.endswith('.ui'):
                hit = UI_MARKER.search(text)
            elif '.desktop.' in name:
                hit = re.search(r'^(Name|GenericName|Comment|Keywords)=', text, re.M)
            elif '.metainfo.' in name or '.appdata.' in name:
                hit = XML_TEXT.search(text)
            elif name.endswith('.gschema.xml'):
                hit = SCHEMA_DOMAIN.search(text) and re.search(r'<(summary|description)>', text)
            else:
                hit = UI_MARKER.search(text)
            if hit:
                found.add(rel)
    status = 0
    for rel in sorted(found - listed - skip):
        status |= fail('%s has translatable strings but is not in po/POTFILES.in' % rel)
    for rel in sorted(listed):
        if not os.path.exists(os.path.join(srcdir, rel)):
            status |= fail('po/POTFILES.in lists %s, which does not exist' % rel)
        elif rel not in found:
            status |= fail('po/POTFILES.in lists %s, which has no translatable strings' % rel)
    if sorted(listed) != [l for l in read_lines(os.path.join(srcdir, 'po', 'POTFILES.in'))]:
        status |= fail('po/POTFILES.in is not sorted')
    if status == 0:
        print('ok: POTFILES.in lists exactly the %d files with translatable strings' % len(found))
    return status


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    mode, srcdir = sys.argv[1], sys.argv[2]
    if mode == 'msgfmt':
        return check_msgfmt(srcdir, sys.argv[3])
    if mode == 'complete':
        return check_complete(srcdir)
    if mode == 'potfiles':
        return check_potfiles(srcdir)
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main())
