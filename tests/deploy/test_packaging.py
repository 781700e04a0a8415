"""What the packaging and deployment files promise, checked without building anything.

Building and running the image itself is ``scripts/test-image`` (slow, run
once by CI); these checks catch the cheap mistakes on every run: a
dependency added without relocking, an image that would run as root or
lose its data.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CLIENT_PYPROJECT = tomllib.loads((ROOT / "packages/client/pyproject.toml").read_text())


def _constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements/constraints.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def _declared() -> list[Requirement]:
    project = PYPROJECT["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    lines += CLIENT_PYPROJECT["project"]["dependencies"]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize("requirement", _declared(), ids=str)
def test_every_dependency_is_locked_within_its_range(requirement):
    pins = _constraints()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{name} is not in requirements/constraints.txt: run scripts/lock"
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"{name}=={pins[name]} is outside {requirement.specifier}: run scripts/lock"
    )


def test_dependencies_are_ranges_not_pins():
    for requirement in _declared():
        assert not any(spec.operator == "==" for spec in requirement.specifier), requirement


def test_the_license_file_matches_the_metadata():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert CLIENT_PYPROJECT["project"]["license"] == "MIT"


def test_the_changelog_has_this_version_and_an_unreleased_section():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## Unreleased" in changelog
    assert f"## {PYPROJECT['project']['version']} - " in changelog


def test_the_image_runs_unprivileged_with_its_data_in_a_volume():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim" in dockerfile
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2  # multi-stage
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^VOLUME \[\"/data\"\]", dockerfile, re.M)
    assert "STOPLIST_DATABASE_URL=/data/stoplist.db" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n?.*/readyz", dockerfile, re.M)
    assert "-c requirements/constraints.txt" in dockerfile


def test_only_what_the_image_needs_is_sent_to_the_build():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored  # everything out, then back in only what the build copies
    copied = set(re.findall(r"^COPY (?!--from)(.+) \S+$", (ROOT / "Dockerfile").read_text(), re.M))
    for sources in copied:
        for source in sources.split():
            top = source.split("/")[0]
            assert f"!{top}" in ignored or f"!{top}/" in ignored, source


def test_compose_runs_stoplist_on_postgresql():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    stoplist, db = services["stoplist"], services["db"]
    assert db["image"].startswith("postgres:")
    assert stoplist["depends_on"]["db"]["condition"] == "service_healthy"
    assert stoplist["environment"]["STOPLIST_DATABASE_URL"].startswith("postgresql://")
    assert "${POSTGRES_PASSWORD" in db["environment"]["POSTGRES_PASSWORD"]
    assert any(volume.endswith(":/data") for volume in stoplist["volumes"])


def test_ci_runs_the_image_test_beside_the_suite_and_fails_with_it():
    steps = (ROOT / ".ci/run").read_text()
    started = steps.index('scripts/test-image >"$image_log" 2>&1 &')
    suite = steps.index("scripts/test 2>&1 | tee")
    waited = steps.index('wait "$image_pid" || image_status=$?')
    assert started < suite < waited  # started first, waited for once the suite is done
    assert steps.index('cat "$image_log"') > waited  # its log, when it failed
    assert steps.rstrip().endswith('exit "$image_status"')  # a failed image fails CI
    assert steps.index('tail -n 1 "$suite_log"') > steps.index('cat "$image_log"')
