"""docker-compose.yml follows the compose specification (checked offline) and the wheel carries the code."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROCESSES = {"sandbox", "api", "worker", "scheduler", "dashboard"}


def validate_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_compose_file_is_valid_against_the_compose_specification():
    result = validate_compose(ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_check_rejects_a_broken_file(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  api:\n    image: paycrypt\n    restat: always\n")
    assert validate_compose(broken).returncode != 0


def test_every_process_is_built_from_one_image_with_a_health_check():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis"} | PROCESSES <= set(services)
    for name in PROCESSES:
        service = services[name]
        assert service["build"] == "." and service["image"] == "paycrypt:latest", name
        assert "healthcheck" in service, name
        assert "JWT_SECRET" not in service["environment"], "secrets come from files"
        assert service["environment"]["JWT_SECRET_FILE"] == "/run/secrets/jwt_secret"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    [built] = out.glob("paycrypt-*.whl")
    return built


def test_the_wheel_holds_every_part_under_the_paycrypt_namespace(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for part in ("core", "cli", "jobs", "checks", "dashboard", "api", "sandbox", "migrations"):
        assert f"paycrypt/{part}/__init__.py" in names
    assert "paycrypt/migrations/script.py.mako" in names
    assert any(n.startswith("paycrypt/migrations/versions/2026") for n in names)
    assert not any(n.startswith(("core/", "tests/", "bench/")) for n in names)


def test_the_built_wheel_imports_and_finds_its_migrations(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    site_packages = next((BIN.parent / "lib").glob("python3*/site-packages"))
    probe = (
        "import paycrypt.core.settings, paycrypt.cli.main, paycrypt.migrations;"
        "from paycrypt.core.storage.schema import alembic_config;"
        "from alembic.script import ScriptDirectory;"
        "print(paycrypt.migrations.__file__);"
        "print(ScriptDirectory.from_config(alembic_config()).get_current_head())"
    )
    # -S skips site-packages' .pth files, so the editable install of the source tree cannot answer.
    result = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        env={"PYTHONPATH": f"{target}:{site_packages}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    module_file, head = result.stdout.split()
    assert module_file.startswith(str(target))
    assert head.startswith("0001") or head[:4].isdigit()
