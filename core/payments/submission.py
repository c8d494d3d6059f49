"""Submitting one signed envelope until the ledger gives a final answer, never paying twice.

The rules (docs: "Never paying twice"): the envelope and its hash are stored before the first POST; on a
timeout, 5xx, 429 or a transport error the *same* envelope is sent again or its hash polled; it is declared
"not sent" only when the ledger's close time has passed the envelope's max time and the hash is unknown.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from paycrypt.core.horizon import HorizonError, HorizonPort

log = logging.getLogger(__name__)

# Codes after which this envelope can never be applied, so a new one may be built.
REBUILDABLE = frozenset({"tx_bad_seq", "tx_insufficient_fee", "tx_too_late"})


@dataclass(frozen=True)
class Outcome:
    """``kind``: succeeded | failed | dead (provably never applied) | unknown (try again later)."""

    kind: str
    ledger: int | None = None
    fee_charged: int | None = None
    result_codes: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    message: str | None = None
    retries: int = 0


@dataclass
class Backoff:
    """Exponential backoff with full jitter, capped."""

    base: float = 0.25
    cap: float = 4.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0, min(self.cap, self.base * 2**attempt))


def submit_until_final(
    horizon: HorizonPort,
    *,
    envelope_xdr: str,
    tx_hash: str,
    max_time: datetime,
    sleep: Callable[[float], None],
    deadline: Callable[[], bool],
    backoff: Backoff | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> Outcome:
    """Sends the envelope, and again after transient errors, until success, failure or proof of death.

    ``deadline()`` says when to stop trying for now (the payment stays submitted and the reconciler goes on).
    """
    backoff = backoff or Backoff()
    retries = 0
    while True:
        try:
            result = horizon.submit(envelope_xdr)
        except HorizonError as err:
            if err.result_codes:
                outcome = _after_refusal(horizon, err, tx_hash, max_time)
                if outcome is not None:
                    return Outcome(**{**outcome.__dict__, "retries": retries})
            elif not err.retriable:
                return Outcome(kind="failed", error_code=err.code, message=err.message, retries=retries)
            if on_retry is not None:
                on_retry(err.code)
            known = settle_by_lookup(horizon, tx_hash, max_time)
            if known is not None:
                return Outcome(**{**known.__dict__, "retries": retries})
            if deadline():
                return Outcome(kind="unknown", error_code=err.code, message=err.message, retries=retries)
            sleep(backoff.delay(retries))
            retries += 1
            continue
        if result.successful:
            return Outcome(
                kind="succeeded", ledger=result.ledger, fee_charged=result.fee_charged, retries=retries
            )
        return Outcome(
            kind="failed",
            ledger=result.ledger,
            fee_charged=result.fee_charged,
            result_codes=result.result_codes,
            error_code=_main_code(result.result_codes),
            retries=retries,
        )


def _after_refusal(
    horizon: HorizonPort, err: HorizonError, tx_hash: str, max_time: datetime
) -> Outcome | None:
    """A 400 with result codes. None means: not final, keep trying the same envelope."""
    code = _main_code(err.result_codes)
    if code == "tx_bad_seq":
        # An earlier copy of this very envelope may have been applied, or a gap may still close: never
        # re-sequence blindly. It is dead only once a ledger closed past its max time without it.
        known = settle_by_lookup(horizon, tx_hash, max_time)
        if known is not None and known.kind == "dead":
            return Outcome(kind="dead", result_codes=err.result_codes, error_code=code, message=err.message)
        return known
    if code in REBUILDABLE:
        # Refused before any ledger (fee too low, or past its time bounds): this envelope cannot apply.
        known = settle_by_lookup(horizon, tx_hash, max_time, assume_dead=True)
        if known is not None and known.kind != "dead":
            return known
        return Outcome(kind="dead", result_codes=err.result_codes, error_code=code, message=err.message)
    return Outcome(kind="failed", result_codes=err.result_codes, error_code=code, message=err.message)


def settle_by_lookup(
    horizon: HorizonPort, tx_hash: str, max_time: datetime, *, assume_dead: bool = False
) -> Outcome | None:
    """Asks the ledger about the hash: its result if known; dead if the ledger closed past max_time
    without it; None while it may still land. Network errors here mean "don't know yet" (None)."""
    try:
        record = horizon.transaction(tx_hash)
        if record is not None:
            if record.successful:
                return Outcome(kind="succeeded", ledger=record.ledger, fee_charged=record.fee_charged)
            return Outcome(
                kind="failed",
                ledger=record.ledger,
                fee_charged=record.fee_charged,
                result_codes=record.result_codes,
                error_code=_main_code(record.result_codes),
            )
        if assume_dead:
            return Outcome(kind="dead")
        closed_at = horizon.latest_ledger().closed_at
    except HorizonError as err:
        log.info("cannot look up %s yet: %s", tx_hash, err.code)
        return None
    if closed_at > max_time:
        return Outcome(
            kind="dead", error_code="tx_too_late", message="the ledger passed the envelope's max time"
        )
    return None


def _main_code(result_codes: dict[str, Any]) -> str | None:
    code = result_codes.get("transaction")
    if code == "tx_failed":
        failing = [op for op in result_codes.get("operations", []) if op not in ("op_success", None)]
        return failing[0] if failing else code
    return code
