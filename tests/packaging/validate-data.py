#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Strict validation of the desktop integration files in data/.

  validate-data.py desktop  DESKTOP_FILE LINGUAS
  validate-data.py metainfo METAINFO_FILE LINGUAS SRCDIR
  validate-data.py schema   SCHEMA_DIR APP_ID
  validate-data.py icons    SRCDIR APP_ID

desktop-file-validate and appstreamcli only fail on errors; here any warning
fails too, and for appstreamcli every info and pedantic note must be one that
is understood (see ALLOWED_APPSTREAM).
"""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

# appstreamcli notes that are expected, with the reason.
ALLOWED_APPSTREAM = {
    # The reverse-DNS app id has an upper-case last part, as GNOME apps do.
    'cid-contains-uppercase-letter': 'GNOME app ids are CamelCase',
    # <developer id><name> is AppStream 1.0; Debian 12 has appstream 0.16,
    # which does not know the tag yet. Flathub requires it.
    'unknown-tag developer': 'AppStream 1.0 tag, unknown to appstream 0.16',
}
XML_LANG = '{http://www.w3.org/XML/1998/namespace}lang'


def fail(msg):
    print('FAIL: ' + msg)
    return 1


def linguas(path):
    with open(path, encoding='utf-8') as f:
        return [l.strip() for l in f if l.strip() and not l.startswith('#')]


def check_desktop(path, linguas_path):
    status = 0
    r = subprocess.run(['desktop-file-validate', '--warn-kde', path], capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    if out:
        print(out)
    if r.returncode != 0 or re.search(r'\b(error|warning):', out):
        status |= fail('desktop-file-validate reports problems')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    for lang in linguas(linguas_path):
        for key in ('Name', 'GenericName', 'Comment', 'Keywords'):
            if not re.search(r'^%s\[%s\]=' % (key, re.escape(lang)), text, re.M):
                status |= fail('%s has no %s[%s]' % (path, key, lang))
        m = re.search(r'^Keywords\[%s\]=(.*)$' % re.escape(lang), text, re.M)
        if m and not m.group(1).endswith(';'):
            status |= fail('Keywords[%s] must end with a semicolon' % lang)
    if status == 0:
        print('ok: desktop file valid and translated')
    return status


def check_metainfo(path, linguas_path, srcdir):
    status = 0
    r = subprocess.run(['appstreamcli', 'validate', '--no-net', '--pedantic', '--explain', path],
                       capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    print(out)
    if r.returncode != 0:
        status |= fail('appstreamcli validate failed')
    for line in out.splitlines():
        m = re.match(r'^([EWIP]): [^:]+:(?:\d+:)? (\S+)(?: (.*))?$', line)
        if not m:
            continue
        sev, tag, rest = m.group(1), m.group(2), (m.group(3) or '')
        key = tag if tag in ALLOWED_APPSTREAM else (tag + ' ' + rest).strip()
        if key in ALLOWED_APPSTREAM:
            print('  (understood: %s — %s)' % (key, ALLOWED_APPSTREAM[key]))
            continue
        status |= fail('appstreamcli %s: %s %s' % (sev, tag, rest))

    root = ET.parse(path).getroot()
    # What Flathub and GNOME Software need.
    for xp in ['id', 'name', 'summary', 'description', 'launchable', 'url[@type="homepage"]',
               'url[@type="bugtracker"]', 'url[@type="vcs-browser"]', 'developer/name',
               'content_rating', 'releases/release', 'screenshots/screenshot',
               'branding/color[@scheme_preference="light"]', 'branding/color[@scheme_preference="dark"]',
               'requires/display_length', 'recommends/memory', 'translation', 'provides/binary']:
        if root.find(xp) is None:
            status |= fail('metainfo has no <%s>' % xp)
    cr = root.find('content_rating')
    if cr is not None and cr.get('type') != 'oars-1.1':
        status |= fail('content_rating should be oars-1.1')
    summary = root.find('summary')
    if summary is not None and len(summary.text or '') > 35:
        status |= fail('summary longer than 35 characters (Flathub guideline)')
    # Screenshots: the image URLs point into the repository, and the files exist.
    prefix = 'https://raw.githubusercontent.com/gemlet/gemlet/main/'
    shots = root.findall('screenshots/screenshot')
    if len([s for s in shots if s.get('type') == 'default']) != 1:
        status |= fail('exactly one screenshot must be the default')
    for s in shots:
        img = s.find('image')
        if img is None or not (img.text or '').startswith(prefix):
            status |= fail('screenshot image must be under ' + prefix)
            continue
        local = os.path.join(srcdir, img.text[len(prefix):])
        if not os.path.isfile(local):
            status |= fail('screenshot %s is not in the repository (%s)' % (img.text, local))
        else:
            with open(local, 'rb') as f:
                if f.read(8) != b'\x89PNG\r\n\x1a\n':
                    status |= fail(local + ' is not a PNG')
        if s.find('caption') is None:
            status |= fail('screenshot %s has no caption' % img.text)
    # Translations merged for every language.
    for lang in linguas(linguas_path):
        for xp in ['summary', 'description/p', 'screenshots/screenshot/caption']:
            if not any(e.get(XML_LANG) == lang for e in root.findall(xp)):
                status |= fail('metainfo <%s> has no xml:lang="%s" translation' % (xp, lang))
    if status == 0:
        print('ok: metainfo valid, complete and translated')
    return status


def check_schema(schema_dir, app_id):
    status = 0
    r = subprocess.run(['glib-compile-schemas', '--strict', '--dry-run', schema_dir],
                       capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    if out:
        print(out)
    if r.returncode != 0 or out:
        status |= fail('glib-compile-schemas --strict reports problems')
    path = os.path.join(schema_dir, app_id + '.gschema.xml')
    root = ET.parse(path).getroot()
    if root.get('gettext-domain') != 'gemlet':
        status |= fail('schemalist needs gettext-domain="gemlet"')
    for schema in root.findall('schema'):
        if schema.get('id') != app_id or schema.get('path') != '/' + app_id.replace('.', '/') + '/':
            status |= fail('schema id/path do not match the app id')
        for key in schema.findall('key'):
            for child in ('summary', 'description'):
                e = key.find(child)
                if e is None or not (e.text or '').strip():
                    status |= fail('key %s has no <%s>' % (key.get('name'), child))
    if status == 0:
        print('ok: schema valid, every key has a summary and a description')
    return status


def check_icons(srcdir, app_id):
    status = 0
    base = os.path.join(srcdir, 'data', 'icons', 'hicolor')
    for rel in ['scalable/apps/%s.svg' % app_id, 'symbolic/apps/%s-symbolic.svg' % app_id]:
        path = os.path.join(base, rel)
        if not os.path.isfile(path):
            status |= fail('missing icon ' + path)
            continue
        root = ET.parse(path).getroot()
        if not root.tag.endswith('svg'):
            status |= fail(path + ' is not an SVG')
        vb = (root.get('viewBox') or '').split()
        w, h = root.get('width'), root.get('height')
        size = vb[2:] if len(vb) == 4 else [w, h]
        want = '128' if 'scalable' in rel else '16'
        if [str(x).replace('px', '') for x in size] not in ([want, want], [want + '.0', want + '.0']):
            status |= fail('%s should be %sx%s (it is %s)' % (path, want, want, size))
    if status == 0:
        print('ok: app icon (128×128 scalable) and symbolic icon (16×16) present')
    return status


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    if mode == 'desktop':
        return check_desktop(sys.argv[2], sys.argv[3])
    if mode == 'metainfo':
        return check_metainfo(sys.argv[2], sys.argv[3], sys.argv[4])
    if mode == 'schema':
        return check_schema(sys.argv[2], sys.argv[3])
    if mode == 'icons':
        return check_icons(sys.argv[2], sys.argv[3])
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main())
