"""``python -m devtools.option_files --write`` regenerates ``options/bebygan.schema.json`` and ``docs/options.md``
from the option declaration (``bebygan_plugin/schema/``); ``--check`` exits 1 when either is stale (run from the
repository root)."""
import argparse
import json
import os
import sys
from typing import Dict, List, Optional

import bebygan_plugin  # noqa: F401  (registers the plugin's components)

from .json_schema import SCHEMA_FILE, build_schema
from .reference import REFERENCE_FILE, build_reference


def generated_files() -> Dict[str, str]:
    """``{path relative to the repository root: text}`` of the files generated from the declarations."""
    return {SCHEMA_FILE: json.dumps(build_schema(), indent=2) + '\n', REFERENCE_FILE: build_reference()}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m devtools.option_files', description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument('--write', action='store_true', help='write the generated files')
    action.add_argument('--check', action='store_true', help='exit 1 if a generated file differs from the declarations')
    parser.add_argument('--root', default='.', help='repository root (default: the current directory)')
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated_files().items():
        full = os.path.join(args.root, path)
        current = open(full, encoding='utf-8').read() if os.path.isfile(full) else None
        if current == text:
            continue
        if args.write:
            os.makedirs(os.path.dirname(full) or '.', exist_ok=True)
            with open(full, 'w', encoding='utf-8', newline='\n') as f:
                f.write(text)
            print(f'wrote {path}')
        else:
            stale.append(path)
    for path in stale:
        print(f'{path} is stale: run python -m devtools.option_files --write', file=sys.stderr)
    return 1 if stale else 0


if __name__ == '__main__':
    sys.exit(main())
