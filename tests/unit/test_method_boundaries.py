"""Shared code never tests a payment method's name: a method's code appears as a literal only
in that method's own modules (and the demo data that configures demo shops)."""
import re
from pathlib import Path

import pytest

from payments import methods

ROOT = Path(__file__).resolve().parents[2]
#: Where a method's code may be written out, besides its own modules.
ALLOWED = {"cart/demo.py"}


def _own(path: str, code: str) -> bool:
    return (path.startswith(f"cart/methods/{code}") or path.startswith(f"templates/methods/{code}")
            or path == f"payments/methods/{code}.py"
            or path in ("payments/methods/basic.py", "cart/methods/basic.py")
            and code in {m.code for m in methods.ALL if m.group == "basic"})


@pytest.mark.parametrize("code", methods.CODES)
def test_a_methods_code_is_written_only_in_its_own_modules(code):
    literal = re.compile(rf"""["']{re.escape(code)}["']""")
    offenders = []
    for folder, pattern in (("cart", "*.py"), ("templates", "*.html"), ("payments", "*.py")):
        for file in sorted((ROOT / folder).rglob(pattern)):
            path = file.relative_to(ROOT).as_posix()
            if path.startswith("payments/sandbox") or path in ALLOWED or _own(path, code):
                continue
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if literal.search(line):
                    offenders.append(f"{path}:{number}: {line.strip()}")
    assert offenders == []
