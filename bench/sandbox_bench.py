"""How fast the sandbox takes in and applies transactions.

1. In process (no HTTP), CPU seconds by time.process_time for one full ledger of 1,000 payment operations,
   as 1,000 one-payment transactions from 1,000 accounts and as 10 transactions of 100 payments: intake
   (decode, hash, signature checks, queue) and close (fees, apply, results, records). Target: under 1 s.
2. Over HTTP against `paycrypt sandbox` in its own process (5 s ledgers, as in development): async
   submissions per second, the server's CPU for that intake and for closing the ledger, and a wave of
   1,000 synchronous submissions answered by one ledger close.
Envelopes are built and signed before any clock starts: that is the client's work, not the sandbox's.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from stellar_sdk import Account, Asset, Keypair, TransactionBuilder

from paycrypt.core.settings import SANDBOX_PASSPHRASE
from paycrypt.sandbox.ledger import AdmissionStatus, Ledger, root_keypair

FULL_LEDGER = 1000
ROOT = root_keypair(SANDBOX_PASSPHRASE)


def signed(
    source: Keypair, sequence: int, destinations: list[str], fee: int = 100, stroops: int = 10**7
) -> str:
    builder = TransactionBuilder(Account(source.public_key, sequence), SANDBOX_PASSPHRASE, base_fee=fee)
    amount = f"{stroops // 10**7}.{stroops % 10**7:07d}"
    for destination in destinations:
        builder.append_payment_op(destination, Asset.native(), amount)
    envelope = builder.set_timeout(600).build()
    envelope.sign(source)
    return envelope.to_xdr()


def funding_envelopes(root_sequence: int, keypairs: list[Keypair]) -> list[str]:
    """Root transactions creating `keypairs` with 100 XLM each, 100 per transaction (one per ledger)."""
    envelopes = []
    for index, start in enumerate(range(0, len(keypairs), 100)):
        builder = TransactionBuilder(Account(ROOT.public_key, root_sequence + index), SANDBOX_PASSPHRASE, 100)
        for keypair in keypairs[start : start + 100]:
            builder.append_create_account_op(keypair.public_key, "100")
        envelope = builder.set_timeout(600).build()
        envelope.sign(ROOT)
        envelopes.append(envelope.to_xdr())
    return envelopes


# --- 1. in process ----------------------------------------------------------------------------------------


def funded_ledger(count: int) -> tuple[Ledger, list[Keypair]]:
    ledger = Ledger(SANDBOX_PASSPHRASE)
    keypairs = [Keypair.random() for _ in range(count)]
    root = ledger.account(ROOT.public_key)
    assert root is not None
    for envelope in funding_envelopes(root.sequence, keypairs):
        assert ledger.submit(envelope).status is AdmissionStatus.PENDING
        ledger.close()
    return ledger, keypairs


def apply_cpu(transactions: int, operations_each: int) -> tuple[float, float]:
    """(intake CPU s, close CPU s) for one ledger of transactions x operations_each payments."""
    ledger, keypairs = funded_ledger(transactions + 1)
    sink = keypairs[-1].public_key
    envelopes = []
    for source in keypairs[:transactions]:
        account = ledger.account(source.public_key)
        assert account is not None
        envelopes.append(signed(source, account.sequence, [sink] * operations_each, stroops=10**5))
    started = time.process_time()
    for envelope in envelopes:
        ledger.submit(envelope)
    taken_in = time.process_time()
    closed = ledger.close()
    finished = time.process_time()
    assert len(closed.applied) == transactions
    assert all(record.successful for record in closed.applied.values())
    return taken_in - started, finished - taken_in


# --- 2. over HTTP -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def post_all(url: str, path: str, envelopes: list[str], concurrency: int) -> list[tuple[int, int]]:
    """(HTTP status, ledger or 0) of each submission."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        gate = asyncio.Semaphore(concurrency)

        async def post(envelope: str) -> tuple[int, int]:
            async with gate:
                response = await client.post(path, data={"tx": envelope})
                ledger = response.json().get("ledger", 0) if response.status_code == 200 else 0
                return response.status_code, ledger

        return await asyncio.gather(*(post(envelope) for envelope in envelopes))


def http_bench() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = "from paycrypt.cli.sandbox import sandbox; sandbox()"
    args = ["--port", str(port), "--ledger-close", "5", "--admin"]
    server = subprocess.Popen(
        [sys.executable, "-c", command, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            for _ in range(200):
                try:
                    client.get("/")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            keypairs = [Keypair.random() for _ in range(FULL_LEDGER + 1)]
            root_sequence = int(client.get(f"/accounts/{ROOT.public_key}").json()["sequence"])
            for envelope in funding_envelopes(root_sequence, keypairs):
                assert client.post("/transactions_async", data={"tx": envelope}).status_code == 201
                client.post("/_sandbox/close")
            sink = keypairs[-1].public_key
            first_wave, second_wave = [], []
            for source in keypairs[:FULL_LEDGER]:
                sequence = int(client.get(f"/accounts/{source.public_key}").json()["sequence"])
                first_wave.append(signed(source, sequence, [sink]))
                second_wave.append(signed(source, sequence + 1, [sink]))

            cpu_before, wall_before = process_cpu(server.pid), time.perf_counter()
            answers = asyncio.run(post_all(url, "/transactions_async", first_wave, concurrency=32))
            wall, intake_cpu = time.perf_counter() - wall_before, process_cpu(server.pid) - cpu_before
            assert [status for status, _ in answers].count(201) == FULL_LEDGER
            print(
                f"  HTTP async intake: {FULL_LEDGER / wall:,.0f} submissions/s over 32 connections from one "
                f"client process ({wall:.2f} s wall); sandbox CPU {intake_cpu:.2f} s, i.e. "
                f"{FULL_LEDGER / intake_cpu:,.0f} submissions per sandbox CPU-second"
            )
            cpu_before, wall_before = process_cpu(server.pid), time.perf_counter()
            closed = client.post("/_sandbox/close").json()
            close_cpu = process_cpu(server.pid) - cpu_before
            print(
                f"  HTTP close of that ledger: {closed['operation_count']} operations applied, "
                f"{time.perf_counter() - wall_before:.3f} s wall, sandbox CPU {close_cpu:.2f} s"
            )

        wall_before = time.perf_counter()
        answers = asyncio.run(post_all(url, "/transactions", second_wave, concurrency=FULL_LEDGER))
        wall = time.perf_counter() - wall_before
        ok = [ledger for status, ledger in answers if status == 200]
        print(
            f"  HTTP sync wave: {len(ok)}/{FULL_LEDGER} answered 200 in {wall:.2f} s over {FULL_LEDGER} "
            f"connections, applied in {len(set(ok))} ledger(s) of the 5 s timer"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    for transactions, operations in ((FULL_LEDGER, 1), (10, 100)):
        intake, close = apply_cpu(transactions, operations)
        print(
            f"  in process, {transactions} tx x {operations} payment(s): intake {intake:.3f} s CPU, "
            f"close {close:.3f} s CPU, total {intake + close:.3f} s CPU (target < 1 s)"
        )
    http_bench()


if __name__ == "__main__":
    main()
