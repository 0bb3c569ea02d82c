"""core/ is the ground floor: every app may use it, it uses none of them (docs/architecture.md)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "exams", "photos", "registration", "payments", "certification", "training", "demo")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_core_imports_none_of_the_apps_above_it():
    sources = sorted((ROOT / "core").rglob("*.py"))
    assert len(sources) > 10, "core/ not found where expected"
    above = {f"{path.relative_to(ROOT)}: {name}" for path in sources for name in imported_modules(path)
             if name.split(".")[0] in APPS}
    assert not above, sorted(above)


@pytest.mark.parametrize("source", ['from accounts import demo\n', 'import exams.models\n',
                                    'def f():\n    from payments.services import order_create\n'])
def test_the_check_sees_every_form_of_import(tmp_path, source):
    path = tmp_path / "module.py"
    path.write_text(source, encoding="utf-8")
    assert any(name.split(".")[0] in APPS for name in imported_modules(path))


def test_seed_demo_lives_above_the_apps():
    from django.core.management import get_commands

    assert get_commands()["seed_demo"] == "demo"
