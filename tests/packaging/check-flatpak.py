#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the Flatpak manifest as far as possible without building it (the
GNOME runtime is not available to the test machines):

  check-flatpak.py SRCDIR BUILDDIR APP_ID

- valid JSON; the keys flatpak-builder needs; runtime/sdk/runtime-version
- every module has a name and a build system, every source is well formed:
  archive/file need url + sha256 (64 hex digits), git needs url + commit or
  tag, dir/patch need an existing path; no unknown source types
- OpenBLAS is a pinned release built with DYNAMIC_ARCH=1 TARGET=GENERIC
  BUILD_BFLOAT16=1, without Fortran/LAPACK, with the same flags for build and
  install
- finish-args are narrow: no home/host file system, no network, no session
  or system bus names beyond the portals
- the app id is the same in the manifest, desktop file, metainfo, GSettings
  schema, GResource prefix, meson.build and app/main code
- no -march=native (or -mtune=native) in any file of the repository
- `flatpak-builder --show-manifest` accepts it, when flatpak-builder is installed
"""
import json
import os
import re
import shutil
import subprocess
import sys

FAILS = 0


def fail(msg):
    global FAILS
    FAILS += 1
    print('FAIL: ' + msg)


def ok(msg):
    print('ok: ' + msg)


SOURCE_TYPES = {'archive', 'git', 'bzr', 'svn', 'dir', 'file', 'script', 'inline', 'shell',
                'patch', 'extra-data'}
BUILDSYSTEMS = {'autotools', 'cmake', 'cmake-ninja', 'meson', 'simple', 'qmake'}
FORBIDDEN_ARGS = [
    (r'^--filesystem=(home|host|host-os|host-etc|~)(:.*)?$', 'broad file system access'),
    (r'^--filesystem=/', 'absolute file system path'),
    (r'^--share=network$', 'network access (the app works offline)'),
    (r'^--socket=(x11|session-bus|system-bus|pulseaudio|ssh-auth)$', 'broad socket'),
    (r'^--device=all$', 'all devices'),
    (r'^--talk-name=org\.freedesktop\.Flatpak$', 'sandbox escape'),
    (r'^--own-name=', 'owning bus names'),
]
ALLOWED_ARGS = [
    r'^--share=ipc$', r'^--socket=(wayland|fallback-x11)$', r'^--device=dri$',
    r'^--filesystem=xdg-download:ro$', r'^--env=[A-Z_]+=.*$',
]


def check_source(mod, src):
    where = '%s: source %r' % (mod, src.get('url') or src.get('path') or src.get('type'))
    t = src.get('type')
    if t not in SOURCE_TYPES:
        fail('%s: unknown type %r' % (where, t))
        return
    if t in ('archive', 'file'):
        if not re.match(r'^https://', src.get('url', '')):
            fail(where + ': needs an https url')
        if not re.fullmatch(r'[0-9a-f]{64}', src.get('sha256', '')):
            fail(where + ': needs a sha256 of 64 hex digits')
    elif t == 'git':
        if not src.get('url'):
            fail(where + ': git source needs url')
        if not (re.fullmatch(r'[0-9a-f]{40}', src.get('commit', '')) or src.get('tag')):
            fail(where + ': git source needs a commit (40 hex digits) or a tag')
        if src.get('branch') and not src.get('commit'):
            fail(where + ': a branch alone is not reproducible')
    elif t in ('dir', 'patch'):
        path = src.get('path') or (src.get('paths') or [None])[0]
        if not path:
            fail(where + ': needs a path')
    return t


def main():
    srcdir, builddir, app_id = sys.argv[1:4]
    manifest_path = os.path.join(srcdir, 'flatpak', app_id + '.json')
    try:
        with open(manifest_path, encoding='utf-8') as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        fail('%s is not valid JSON: %s' % (manifest_path, e))
        return 1
    ok('valid JSON')

    # Top level.
    for key, want in [('id', app_id), ('runtime', 'org.gnome.Platform'), ('sdk', 'org.gnome.Sdk'),
                      ('runtime-version', '50'), ('command', 'gemlet')]:
        if m.get(key) != want:
            fail('%s should be %r, is %r' % (key, want, m.get(key)))
    if 'app-id' in m:
        fail('use "id", not the old "app-id"')
    mods = m.get('modules')
    if not isinstance(mods, list) or not mods:
        fail('no modules')
        mods = []

    # Modules and sources.
    names = []
    for mod in mods:
        if not isinstance(mod, dict):
            fail('module %r must be inline, not a file' % mod)
            continue
        name = mod.get('name')
        if not name:
            fail('a module has no name')
            continue
        names.append(name)
        bs = mod.get('buildsystem', 'autotools')
        if bs not in BUILDSYSTEMS:
            fail('%s: unknown buildsystem %r' % (name, bs))
        if bs == 'simple' and not mod.get('build-commands'):
            fail('%s: simple build system without build-commands' % name)
        srcs = mod.get('sources')
        if not isinstance(srcs, list) or not srcs:
            fail('%s: no sources' % name)
            continue
        for src in srcs:
            if not isinstance(src, dict):
                fail('%s: source %r must be an object' % (name, src))
                continue
            t = check_source(name, src)
            if t == 'dir':
                path = os.path.normpath(os.path.join(os.path.dirname(manifest_path), src['path']))
                if not os.path.isfile(os.path.join(path, 'meson.build')):
                    fail('%s: dir source %s does not hold the project' % (name, path))
    if len(set(names)) != len(names):
        fail('module names are not unique: %s' % names)
    if names and names[-1] != 'gemlet':
        fail('the app must be the last module')
    ok('%d modules: %s' % (len(names), ', '.join(names)))

    # The app module: meson, no tests, release build.
    app = next((x for x in mods if isinstance(x, dict) and x.get('name') == 'gemlet'), None)
    if app is None:
        fail('no gemlet module')
    else:
        if app.get('buildsystem') != 'meson':
            fail('gemlet must be built with meson')
        if '-Dtests=false' not in app.get('config-opts', []):
            fail('gemlet: pass -Dtests=false')

    # OpenBLAS.
    ob = next((x for x in mods if isinstance(x, dict) and x.get('name') == 'openblas'), None)
    if ob is None:
        fail('no openblas module')
    else:
        src = ob['sources'][0]
        if not re.search(r'/OpenBLAS/releases/download/v[0-9.]+/OpenBLAS-[0-9.]+\.tar\.gz$',
                         src.get('url', '')):
            fail('openblas must come from a pinned upstream release tarball')
        cmds = ob.get('build-commands', [])
        make_cmds = [c for c in cmds if re.match(r'^make\b', c)]
        if len(make_cmds) < 2:
            fail('openblas: expected a build and an install make command')
        required = ['DYNAMIC_ARCH=1', 'TARGET=GENERIC', 'BUILD_BFLOAT16=1', 'NOFORTRAN=1',
                    'NO_LAPACK=1', 'USE_OPENMP=0']
        flagsets = []
        for c in make_cmds:
            flags = set(re.findall(r'\b[A-Z_0-9]+=[^\s]+', c)) - {f for f in re.findall(
                r'\b(?:PREFIX|DESTDIR)=[^\s]+', c)}
            flagsets.append(flags)
            for r in required:
                if r not in c:
                    fail('openblas: %r lacks %s' % (c, r))
        if flagsets and any(fs != flagsets[0] for fs in flagsets):
            fail('openblas: build and install must use the same make variables: %s' % flagsets)
        if not any('PREFIX=/app' in c for c in make_cmds):
            fail('openblas: install with PREFIX=/app')
        # The engine only calls cblas_sgemm/cblas_sgemv/openblas_set_num_threads;
        # if it starts to use LAPACK, NO_LAPACK=1 must go.
        engine = os.path.join(srcdir, 'engine')
        lapack = []
        for root, _, files in os.walk(engine):
            for fn in files:
                if fn.endswith(('.c', '.h')):
                    with open(os.path.join(root, fn), encoding='utf-8', errors='replace') as f:
                        txt = f.read()
                    if re.search(r'\b(LAPACKE_\w+|[sd](gesv|getrf|potrf|syev|gesdd)_?)\s*\(', txt):
                        lapack.append(fn)
        if lapack:
            fail('engine uses LAPACK (%s) but openblas is built with NO_LAPACK=1' % lapack)
        ok('openblas: %s' % ', '.join(sorted(flagsets[0])) if flagsets else 'openblas')

    # finish-args.
    fa = m.get('finish-args', [])
    for a in fa:
        for pat, why in FORBIDDEN_ARGS:
            if re.match(pat, a):
                fail('finish-arg %s: %s' % (a, why))
        if not any(re.match(p, a) for p in ALLOWED_ARGS):
            fail('finish-arg %s is not on the reviewed list (tests/packaging/check-flatpak.py)' % a)
    for need in ('--share=ipc', '--socket=wayland', '--socket=fallback-x11'):
        if need not in fa:
            fail('finish-args lack ' + need)
    ok('finish-args: ' + ' '.join(fa))

    # The app id everywhere.
    checks = [
        ('meson.build', r"app_id\s*=\s*'([^']+)'"),
        ('data/%s.gschema.xml' % app_id, r'<schema id="([^"]+)"'),
        ('data/%s.metainfo.xml.in.in' % app_id, r'<launchable type="desktop-id">(@app_id@)\.desktop<'),
        ('app/gemlet.gresource.xml.in', r'<gresource prefix="/([^"]+)"'),
    ]
    for rel, pat in checks:
        p = os.path.join(srcdir, rel)
        if not os.path.exists(p):
            fail('missing ' + rel)
            continue
        with open(p, encoding='utf-8') as f:
            mm = re.search(pat, f.read())
        val = mm.group(1) if mm else None
        if val == '@app_id@':
            continue
        if val and rel.endswith('gresource.xml.in'):
            val = val.replace('/', '.')
        if val != app_id:
            fail('%s has app id %r, not %s' % (rel, val, app_id))
    for rel, pat in [('data/%s.metainfo.xml' % app_id, r'<id>([^<]+)</id>'),
                     ('data/%s.desktop' % app_id, r'^Icon=(.+)$')]:
        p = os.path.join(builddir, rel)
        if os.path.exists(p):
            with open(p, encoding='utf-8') as f:
                mm = re.search(pat, f.read(), re.M)
            if not mm or mm.group(1) != app_id:
                fail('%s has %r, not %s' % (rel, mm and mm.group(1), app_id))
        else:
            fail('%s was not built' % rel)
    for rel in ['data/icons/hicolor/scalable/apps/%s.svg' % app_id,
                'data/icons/hicolor/symbolic/apps/%s-symbolic.svg' % app_id,
                'data/%s.desktop.in.in' % app_id]:
        if not os.path.exists(os.path.join(srcdir, rel)):
            fail('missing ' + rel)
    ok('app id %s consistent' % app_id)

    # No -march=native / -mtune=native anywhere in the repository.
    r = subprocess.run(['git', '-C', srcdir, 'ls-files', '-co', '--exclude-standard'],
                       capture_output=True, text=True)
    files = r.stdout.split() if r.returncode == 0 else []
    if not files:
        for root, dirs, fs in os.walk(srcdir):
            dirs[:] = [d for d in dirs if not d.startswith('.') and d != 'build']
            files += [os.path.relpath(os.path.join(root, f), srcdir) for f in fs]
    me = os.path.relpath(os.path.abspath(__file__), os.path.abspath(srcdir))
    native = []
    for rel in files:
        p = os.path.join(srcdir, rel)
        if rel == me or not os.path.isfile(p) or os.path.getsize(p) > 4 << 20:
            continue
        with open(p, 'rb') as f:
            data = f.read()
        if re.search(rb'-m(arch|tune|cpu)=native', data):
            native.append(rel)
    if native:
        fail('-march/-mtune/-mcpu=native in: %s' % ', '.join(native))
    else:
        ok('no -march=native in %d files' % len(files))

    # flatpak-builder's own parser.
    fb = shutil.which('flatpak-builder')
    if fb:
        r = subprocess.run([fb, '--show-manifest', manifest_path], capture_output=True, text=True)
        if r.returncode != 0:
            fail('flatpak-builder --show-manifest: %s' % r.stderr.strip())
        else:
            try:
                shown = json.loads(r.stdout)
            except ValueError:
                shown = None
                fail('flatpak-builder --show-manifest printed no JSON')
            if shown is not None:
                # Keys flatpak-builder did not understand are dropped from its output.
                def keys(o, path=''):
                    if isinstance(o, dict):
                        for k, v in o.items():
                            yield path + '/' + k
                            yield from keys(v, path + '/' + k)
                    elif isinstance(o, list):
                        for v in o:
                            yield from keys(v, path + '[]')
                lost = set(keys(m)) - set(keys(shown))
                if lost:
                    fail('flatpak-builder ignored: %s' % ', '.join(sorted(lost)))
                if r.stderr.strip():
                    print(r.stderr.strip())
                    fail('flatpak-builder warned')
                ok('flatpak-builder --show-manifest accepts it')
    else:
        print('SKIP: flatpak-builder not installed (tests/install-deps.sh test installs it)')

    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())
