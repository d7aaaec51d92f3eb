#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`meson install` into a temporary DESTDIR, then checks the tree.

  check-install.py BUILDDIR SRCDIR APP_ID PREFIX BINDIR DATADIR LOCALEDIR
"""
import os
import stat
import subprocess
import sys
import tempfile


def main():
    builddir, srcdir, app_id, prefix, bindir, datadir, localedir = sys.argv[1:8]
    fails = []
    with tempfile.TemporaryDirectory(prefix='gemlet-install-') as dest:
        env = dict(os.environ)
        env.pop('DESTDIR', None)
        r = subprocess.run(['meson', 'install', '-C', builddir, '--no-rebuild', '--quiet',
                            '--destdir', dest], capture_output=True, text=True, env=env)
        print((r.stdout + r.stderr).strip())
        if r.returncode != 0:
            print('FAIL: meson install failed')
            return 1

        def p(d, *rest):
            d = d if os.path.isabs(d) else os.path.join(prefix, d)
            return os.path.join(dest + d, *rest)

        with open(os.path.join(srcdir, 'po', 'LINGUAS'), encoding='utf-8') as f:
            langs = [l.strip() for l in f if l.strip() and not l.startswith('#')]

        expected = {
            p(bindir, 'gemlet'): 'exe',
            p(bindir, 'gemlet-cli'): 'exe',
            p(datadir, 'applications', app_id + '.desktop'): 'file',
            p(datadir, 'metainfo', app_id + '.metainfo.xml'): 'file',
            p(datadir, 'icons', 'hicolor', 'scalable', 'apps', app_id + '.svg'): 'file',
            p(datadir, 'icons', 'hicolor', 'symbolic', 'apps', app_id + '-symbolic.svg'): 'file',
            p(datadir, 'glib-2.0', 'schemas', app_id + '.gschema.xml'): 'file',
        }
        for lang in langs:
            expected[p(localedir, lang, 'LC_MESSAGES', 'gemlet.mo')] = 'file'

        for path, kind in sorted(expected.items()):
            rel = os.path.relpath(path, dest)
            if not os.path.isfile(path):
                fails.append('missing /' + rel)
            elif kind == 'exe' and not os.stat(path).st_mode & stat.S_IXUSR:
                fails.append('/%s is not executable' % rel)
            elif os.path.getsize(path) == 0:
                fails.append('/%s is empty' % rel)

        # Everything installed, for the log; nothing unexpected (headers, static
        # libraries, test programs) may be installed.
        installed = []
        for root, _, files in os.walk(dest):
            for fn in files:
                installed.append(os.path.join(root, fn))
        print('installed:')
        for path in sorted(installed):
            print('  /' + os.path.relpath(path, dest))
            if path not in expected:
                fails.append('unexpected file /' + os.path.relpath(path, dest))

        # The installed files are usable: the schema compiles, the catalogues load.
        schemas = p(datadir, 'glib-2.0', 'schemas')
        if os.path.isdir(schemas):
            r = subprocess.run(['glib-compile-schemas', '--strict', '--dry-run', schemas],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fails.append('installed schema does not compile: ' + r.stderr.strip())
        for lang in langs:
            mo = p(localedir, lang, 'LC_MESSAGES', 'gemlet.mo')
            if os.path.isfile(mo):
                r = subprocess.run(['msgunfmt', mo], capture_output=True, text=True)
                if r.returncode != 0 or 'msgid "Preferences"' not in r.stdout:
                    fails.append('%s does not hold the app’s messages' % mo)
        desktop = p(datadir, 'applications', app_id + '.desktop')
        if os.path.isfile(desktop):
            r = subprocess.run(['desktop-file-validate', desktop], capture_output=True, text=True)
            if r.returncode != 0:
                fails.append('installed desktop file invalid: ' + r.stdout.strip())

    for f in fails:
        print('FAIL: ' + f)
    if not fails:
        print('ok: %d expected files installed, nothing else' % len(expected))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
