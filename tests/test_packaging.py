"""The project's own files agree with each other: pyproject.toml vs environment.yml, __all__, Makefile."""

from __future__ import annotations

import re
import subprocess
import tomllib

import yaml

import pmo_nb
from pmo_nb.paths import PROJ_ROOT


def _norm(req: str) -> tuple[str, str]:
    # pip extras ("psycopg[binary]") have no conda equivalent: the package name and version floor must agree
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*?)\s*(?:#.*)?$", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    data = tomllib.loads((PROJ_ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs.extend(extra)
    return dict(_norm(r) for r in reqs)


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((PROJ_ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = _norm(dep)
            if name not in {"python", "pip"}:
                out[name] = spec
        elif isinstance(dep, dict):  # packages not on conda-forge come from PyPI through `pip:`
            out.update(_norm(p) for p in dep.get("pip", []) if not p.startswith("-"))
    return out


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    assert _conda_requirements() == _pyproject_requirements()


def test_environment_yml_pins_the_same_python_floor():
    data = tomllib.loads((PROJ_ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((PROJ_ROOT / "environment.yml").read_text())
    floor = data["project"]["requires-python"]
    assert f"python{floor}" in env["dependencies"]


def test_all_is_sorted_and_every_name_exists():
    assert list(pmo_nb.__all__) == sorted(pmo_nb.__all__)
    for name in pmo_nb.__all__:
        assert hasattr(pmo_nb, name), name


def test_public_names_are_in_all():
    public = {n for n in dir(pmo_nb) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(pmo_nb, n)).__name__ == "module"}
    assert public - modules - {"annotations"} <= set(pmo_nb.__all__)


def test_every_make_target_documented():
    text = (PROJ_ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split()
    documented = set(re.findall(r"^([a-zA-Z_-]+):.*## ", text, re.M))
    assert set(phony) == documented
    out = subprocess.run(["make", "-s", "help"], cwd=PROJ_ROOT, capture_output=True, text=True, check=True)
    for target in phony:
        assert target in out.stdout


def test_readme_shows_the_two_commands():
    readme = (PROJ_ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_reports_folder_holds_only_gitkeep_in_git():
    out = subprocess.run(["git", "ls-files", "reports"], cwd=PROJ_ROOT, capture_output=True, text=True)
    if out.returncode != 0:  # not a git checkout (e.g. an sdist): nothing to check
        return
    assert out.stdout.split() in ([], ["reports/.gitkeep"])
