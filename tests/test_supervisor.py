"""`paycrypt run` keeps the stack together: when one process dies, the others are stopped."""

from __future__ import annotations

import sys
import time

from paycrypt.cli.supervisor import Service, Supervisor, stack_services


def _python(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def test_when_one_process_exits_the_others_are_stopped_and_its_code_returned():
    lines: list[str] = []
    supervisor = Supervisor(
        [
            Service("long", _python("import time; time.sleep(60)")),
            Service("short", _python("import sys, time; time.sleep(0.3); sys.exit(3)")),
        ],
        echo=lines.append,
        grace_seconds=5,
    )
    started = time.monotonic()
    assert supervisor.run() == 3
    assert time.monotonic() - started < 30
    assert "short exited with code 3; stopping the stack" in lines
    assert {"stopped long", "stopped short"} <= set(lines)


def test_the_sandbox_is_part_of_the_embedded_stack_only(settings_factory):
    embedded = stack_services(settings_factory())
    assert [s.name for s in embedded][:1] == ["sandbox"]
    assert "--port" in embedded[0].argv and "8000" in embedded[0].argv
    remote = stack_services(settings_factory(STELLAR_NETWORK="TESTNET"))
    assert [s.name for s in remote] == ["worker", "api"]


def test_the_stack_serves_the_api_on_its_configured_port(settings_factory):
    [api] = [s for s in stack_services(settings_factory(API_PORT="3100")) if s.name == "api"]
    assert api.argv[-3:] == ("api", "--port", "3100")
    assert api.url == "http://127.0.0.1:3100"
