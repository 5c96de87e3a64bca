"""Write docs/configuration.md from the settings table (bot.core.environment.ENVIRONMENT).

    python scripts/configuration_doc.py          # regenerate the file
    python scripts/configuration_doc.py --check  # exit 1 when the file is out of date (what the test does)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.environment import configuration_markdown  # noqa: E402

DOC = ROOT / "docs" / "configuration.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the file differs")
    args = parser.parse_args(argv)
    wanted = configuration_markdown()
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if args.check:
        if current != wanted:
            print(f"{DOC.relative_to(ROOT)} is out of date: run python scripts/configuration_doc.py", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        DOC.write_text(wanted, encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
