"""core knows no domain: no module of partybuild/core imports a domain package, nor the
app factory (which imports every domain), neither at module level nor inside a function.
Domains plug into core through registries (jobs, CLI, demo data) the app factory fills."""

import ast
from pathlib import Path

import pytest

import partybuild

PACKAGE = Path(partybuild.__file__).resolve().parent
CORE = PACKAGE / "core"
# What core may import from partybuild: itself and the shared extensions and config.
CORE_MAY_IMPORT = {"core", "extensions", "config"}
# (file, module) pairs where a function-level import is truly unavoidable. Keep it empty;
# an entry needs a comment saying why a registry would not do.
UNAVOIDABLE: set[tuple[str, str]] = set()


def imports(tree: ast.Module) -> list[tuple[int, str, bool]]:
    """(line, imported module, at module level) for every absolute import. Module level
    means it runs on import: outside function bodies (class bodies, if/try included)."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if isinstance(child, ast.Import):
                found.extend((child.lineno, a.name, not in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                if child.module == "partybuild":
                    # `from partybuild import org` names a domain, `... import create_app`
                    # the factory: either way a name below partybuild.
                    found.extend(
                        (child.lineno, f"partybuild.{a.name}", not in_function) for a in child.names
                    )
                else:
                    found.append((child.lineno, child.module, not in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def is_domain_or_factory(module: str) -> bool:
    parts = module.split(".")
    if parts[0] != "partybuild":
        return False
    return len(parts) == 1 or parts[1] not in CORE_MAY_IMPORT


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_no_domain(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    offences = [
        f"{path.name}:{line} imports {module}" + ("" if top else " (inside a function)")
        for line, module, top in imports(tree)
        if is_domain_or_factory(module) and (top or (path.name, module) not in UNAVOIDABLE)
    ]
    assert not offences, "core must not import domains or the app factory: " + "; ".join(offences)


def test_the_check_sees_every_kind_of_domain_import() -> None:
    source = (
        "import sqlalchemy\n"
        "from partybuild.core import audit\n"
        "from partybuild.extensions import db\n"
        "from partybuild.auth.models import User\n"
        "from partybuild import domain_modules\n"
        "if True:\n"
        "    import partybuild.org.models\n"
        "def later():\n"
        "    from partybuild.commitments import rates\n"
    )
    found = [(m, top) for _, m, top in imports(ast.parse(source)) if is_domain_or_factory(m)]
    assert found == [
        ("partybuild.auth.models", True),
        ("partybuild.domain_modules", True),
        ("partybuild.org.models", True),
        ("partybuild.commitments", False),
    ]
