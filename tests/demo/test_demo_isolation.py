"""The demo stands alone: it imports only the stdlib (and itself), and product code ignores it.

It plays a remote legacy system; if it shared code with the client, a bug on one side could
hide the same bug on the other. Only the CLI (``gaffertape.cli``) may start it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import gaffertape

PACKAGE = Path(gaffertape.__file__).parent
DEMO = PACKAGE / "demo"
CLI = PACKAGE / "cli"


def imports(path: Path) -> set[str]:
    """Absolute module names a source file imports (relative imports resolved, names included)."""
    package = list(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return found


def test_demo_imports_only_stdlib_and_itself() -> None:
    for path in DEMO.rglob("*.py"):
        for module in imports(path):
            top = module.split(".")[0]
            allowed = module.startswith("gaffertape.demo") or top in sys.stdlib_module_names
            assert allowed, f"{path.relative_to(PACKAGE)} imports {module}"


def test_product_code_never_imports_the_demo() -> None:
    product = (p for p in PACKAGE.rglob("*.py") if not {DEMO, CLI} & set(p.parents))
    for path in product:
        bad = {m for m in imports(path) if f"{m}.".startswith("gaffertape.demo.")}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"
