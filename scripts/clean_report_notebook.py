#!/usr/bin/env python3
"""Make report files fit to commit: no face images, no paths of the machine that ran them.

    scripts/clean_report_notebook.py [--root DIR] FILE...

Each FILE is rewritten in place (only when something changes):
  *.ipynb   every output that carries an image/* mime type and every cell attachment is removed
            (text outputs stay); in every string of the notebook (sources, outputs, metadata
            such as papermill's input_path, output_path and parameters) absolute paths are
            written relative to the repository root
  other     (json, md, csv, ...) absolute paths in the text are written relative to the root

A path is rewritten when it lies in the root's own top folder (/work/shared/data with root
/work/main becomes ../shared/data), in the temporary folder (/tmp/tmpab12cd34/x becomes <tmp>/x)
or in a home folder (/root/x, /home/NAME/x, /Users/NAME/x become ~/x). Other text, numbers
included, is left as it is. --root defaults to the repository that holds this script; give it
when cleaning files written by a checkout elsewhere. Standard library only.
"""
import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

# an absolute path: a slash not preceded by a word character, dot, tilde, colon or slash (so not
# part of a relative path, a URL or a fraction) unless that is an escaped newline or tab in JSON
# text, then name characters and slashes
PATH_RE = re.compile(r'(?:(?<![\w.~:/-])|(?<=\\[nt]))/[\w.@+-]+(?:/[\w.@+-]*)*')
TEMP_DIRS = sorted({'/tmp', '/var/tmp', tempfile.gettempdir().rstrip('/')}, key=len, reverse=True)
HOME_RE = re.compile(r'^(/root|/home/[^/]+|/Users/[^/]+)(?=/|$)')


def relative_path(path, root):
    "`path` (absolute) as the repository should record it, or unchanged when it is not machine-specific."
    slash = '/' if path.endswith('/') and len(path) > 1 else ''
    top = '/' + root.strip('/').split('/')[0]
    if path == top or path.startswith(top + '/'):
        return os.path.relpath(path, root) + slash
    for tmp in TEMP_DIRS:
        if path == tmp or path.startswith(tmp + '/'):
            rest = path[len(tmp):]
            return '<tmp>' + re.sub(r'^/tmp[\w-]{6,}(?=/|$)', '', rest)  # tempfile's random folder names
    m = HOME_RE.match(path)
    if m: return '~' + path[m.end():]
    return path


def relative_text(text, root):
    return PATH_RE.sub(lambda m: relative_path(m.group(0), root), text)


def relative_strings(obj, root):
    "Every string inside a parsed JSON value, paths made relative."
    if isinstance(obj, str): return relative_text(obj, root)
    if isinstance(obj, list): return [relative_strings(o, root) for o in obj]
    if isinstance(obj, dict): return {k: relative_strings(v, root) for k, v in obj.items()}
    return obj


def strip_images(nb):
    "Drop image outputs and attachments from a notebook (a dict); returns how many were dropped."
    n = 0
    for cell in nb.get('cells', []):
        if cell.pop('attachments', None): n += 1
        outs = cell.get('outputs')
        if outs is None: continue
        keep = [o for o in outs if not any(k.startswith('image/') for k in o.get('data', {}))]
        n += len(outs) - len(keep)
        cell['outputs'] = keep
    return n


def clean_notebook_text(raw, root):
    nb = json.loads(raw)
    strip_images(nb)
    nb = relative_strings(nb, root)
    # papermill and nbformat write one-space indents, sorted keys, unescaped unicode
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + ('\n' if raw.endswith('\n') else '')


def clean_file(path, root):
    "Clean one file in place; returns True when it changed."
    path = Path(path)
    raw = path.read_text(encoding='utf-8')
    new = clean_notebook_text(raw, root) if path.suffix == '.ipynb' else relative_text(raw, root)
    if new == raw: return False
    tmp = path.with_name(path.name + '.cleaning')
    tmp.write_text(new, encoding='utf-8')
    os.replace(tmp, path)
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('files', nargs='+', type=Path)
    ap.add_argument('--root', default=str(Path(__file__).resolve().parents[1]),
                    help='the repository root that paths are made relative to (default: %(default)s)')
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    for f in args.files:
        if clean_file(f, root): print(f'{f}: cleaned')
    return 0


if __name__ == '__main__':
    sys.exit(main())
