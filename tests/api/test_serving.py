"""`paycrypt api` as operators run it: several workers counted as one by /metrics, and TLS."""

from __future__ import annotations

import contextlib
import datetime
import gc
import importlib.util
import ipaddress
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import create_engine
from uvicorn.importer import import_from_string
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from paycrypt.api import server
from paycrypt.api.server import YOUNG_GENERATION_THRESHOLD, settle_the_heap
from paycrypt.core.storage import schema

from .conftest import JWT_SECRET, MASTER_KEY, free_port

PAYCRYPT = str(Path(sys.executable).with_name("paycrypt"))


@contextlib.contextmanager
def paycrypt_api(env: dict[str, str], *args: str, url: str) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        [PAYCRYPT, "api", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                stderr = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"paycrypt api exited: {stderr[-2000:]}")
            try:
                if httpx.get(f"{url}/health/live", timeout=1, verify=False).status_code == 200:  # noqa: S501
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "paycrypt api did not come up"
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _environment(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    database = f"sqlite:///{tmp_path / 'api.db'}"
    engine = create_engine(database)
    schema.upgrade(engine)
    engine.dispose()
    env = {
        **cli_env,
        "DATABASE_URL": database,
        "JWT_SECRET": JWT_SECRET,
        "PAYCRYPT_MASTER_KEY": MASTER_KEY,
        "API_RATE_LIMITS_PER_IP": "default=100000/minute",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def test_several_workers_add_up_to_one_count(cli_env, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with paycrypt_api(_environment(cli_env, tmp_path), "--port", str(port), "--workers", "2", url=url):
        requests = 40
        for _ in range(requests):  # a new connection each time, so both workers take some
            assert httpx.get(
                f"{url}/api/transactions/payment/limits", headers={"Connection": "close"}
            ).is_success
        pattern = re.compile(
            r'paycrypt_http_request_duration_seconds_count\{method="GET",'
            r'route="/api/transactions/payment/limits",status="200"\} ([0-9.]+)'
        )
        scrapes = []
        for _ in range(6):  # whichever worker answers the scrape, the sum is the same
            text = httpx.get(f"{url}/metrics", headers={"Connection": "close"}).text
            found = pattern.search(text)
            assert found, text[:500]
            scrapes.append(float(found.group(1)))
        assert scrapes == [requests] * 6
    assert list((tmp_path / "var").glob("prometheus-api-*/*.db")), "the workers wrote their samples to files"


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def test_tls_options_serve_https_with_hsts(cli_env, tmp_path):
    cert_file, key_file = _self_signed(tmp_path)
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    args = ("--port", str(port), "--ssl-certfile", str(cert_file), "--ssl-keyfile", str(key_file))
    with paycrypt_api(_environment(cli_env, tmp_path), *args, url=url):
        trusted = ssl.create_default_context(cafile=str(cert_file))
        answer = httpx.get(f"{url}/api/transactions/payment/limits", verify=trusted)
        assert answer.status_code == 200
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_certificate_without_its_key_is_refused_in_one_line(cli_env, tmp_path):
    env = _environment(cli_env, tmp_path)
    result = subprocess.run(
        [PAYCRYPT, "api", "--ssl-certfile", str(tmp_path / "x.crt")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error [tls_incomplete]:")


def test_paycrypt_api_serves_with_the_compiled_http_parser_on_asyncios_loop(api, monkeypatch):
    seen: dict[str, object] = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **options: seen.update(options, app=app))
    server.run_api(server.ServerOptions(host="127.0.0.1", port=free_port()), api.container)
    assert seen["app"] == server.APP_FACTORY and seen["factory"] is True
    assert seen["http"] == server.HTTP_IMPLEMENTATION and seen["loop"] == "asyncio"
    assert issubclass(import_from_string(seen["http"]), HttpToolsProtocol)
    assert importlib.util.find_spec("httptools") is not None  # a dependency, not an option


def test_a_serving_process_collects_garbage_seldom_and_never_walks_its_start_up_objects():
    before = gc.get_threshold()
    try:
        settle_the_heap()
        assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, before[1], before[2])
        assert gc.get_freeze_count() > 10_000  # the modules and objects loaded so far
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_answers_leave_at_once_on_a_connection_accepted_from_a_socket_made_as_uvicorn_makes_it():
    with socket.socket(family=socket.AF_INET) as listener:  # as uvicorn binds for several workers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with socket.create_connection(listener.getsockname()) as _client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0  # asyncio leaves it
                server.no_delay(accepted)
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
