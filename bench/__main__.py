"""Runs every benchmark module in this folder (`*_bench.py`), or those named on the command line."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("*_bench.py"))
    chosen = [m for m in modules if not names or any(n in m for n in names)]
    if not chosen:
        print(f"no benchmark matches {names}; available: {', '.join(modules) or 'none'}")
        return 1
    for name in chosen:
        print(f"== {name}")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
