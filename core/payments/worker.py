"""The worker: claims accepted payments, signs them, submits them safely and records the outcome.

Several workers may run at once: each claims payments under a lease (FOR UPDATE SKIP LOCKED on
PostgreSQL). A payment whose worker died keeps its stored envelope; once the lease expires another worker
resubmits that same envelope or settles it by its hash, so a crash at any point never pays twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from stellar_sdk import Keypair

from paycrypt.core.control import is_paused
from paycrypt.core.errors import NotFoundError, PayCryptError
from paycrypt.core.horizon import AccountNotFound, AccountState, HorizonError
from paycrypt.core.horizon_async import AsyncPoster
from paycrypt.core.limits import release_daily_usage
from paycrypt.core.payment_status import PaymentStatus
from paycrypt.core.payments import metrics
from paycrypt.core.payments.balances import spendable
from paycrypt.core.payments.builder import (
    UnsignedTransaction,
    build_transaction,
    envelope_sequence,
    sign_transaction,
)
from paycrypt.core.payments.channels import LEASE_MARGIN
from paycrypt.core.payments.engine import PaymentEngine
from paycrypt.core.payments.fees import FeeQuote, quote_fee, raise_bid
from paycrypt.core.payments.model import Payment
from paycrypt.core.payments.signing import SigningPlan, needed_weight, plan_signatures
from paycrypt.core.payments.submission import Outcome, submit_until_final
from paycrypt.core.records import SealedSeed
from paycrypt.core.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

S = PaymentStatus
NEW = (S.RECEIVED, S.HELD)
IN_FLIGHT = (S.SIGNED, S.SUBMITTED)
UNFINISHED = (*IN_FLIGHT, S.AWAITING_SIGNATURES)
# New payments signed and stored together: large enough to share the database work, small enough that the
# first envelopes are on their way while the next batch is signed.
BATCH = 50


@dataclass(frozen=True)
class Prepared:
    envelope_xdr: str
    tx_hash: str
    fee: int
    max_time: datetime
    channel: str | None
    channel_sequence: int | None  # the channel's last used sequence when leased
    complete: bool
    needed: int
    weight: int

    @property
    def consumed_sequence(self) -> int | None:
        """The channel sequence number this envelope uses up once it lands (None without a channel)."""
        if self.channel is None or self.channel_sequence is None:
            return None
        return self.channel_sequence + 1


@dataclass(frozen=True)
class Sent:
    """A payment whose envelope is stored and about to be posted; ``sequence``: what it consumes of its
    channel's sequence numbers once it lands (None when not through a channel or unknown)."""

    payment: Payment
    sequence: int | None


Settled = queue.SimpleQueue[tuple[Sent, Outcome]]


class PaymentWorker:
    def __init__(self, engine: PaymentEngine, *, lease_seconds: float = 60.0, name: str | None = None):
        self.engine = engine
        self.lease = timedelta(seconds=lease_seconds)
        self.owner = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._sealed: dict[str, SealedSeed] = {}
        self._next_recovery = 0.0  # monotonic time of the next look for others' unfinished payments
        self._poster: AsyncPoster | None = None  # first POSTs from one event loop, while run_forever runs

    # --- the loop --------------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, *, concurrency: int = 16, idle_seconds: float = 0.5) -> None:
        """Claims payments as slots free up and keeps up to ``concurrency`` submissions in flight.

        A synchronous submission waits for its ledger, so throughput comes from many payments in flight
        (each on its own channel account). The database work around them is done in batches by this
        thread: claim, lease channels, store envelopes, record successes."""
        log.info("worker %s started (%d at a time)", self.owner, concurrency)
        in_flight: set[Future[None]] = set()
        settled: Settled = queue.SimpleQueue()
        self._poster = self.engine.horizon.poster(concurrency)
        if self._poster is not None:
            self._poster.start()
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="payment") as pool:
            try:
                self._loop(stop, pool, settled, in_flight, concurrency, idle_seconds)
            finally:
                wait(in_flight)
                self._settle(settled)
                if self._poster is not None:
                    self._poster.close()
                    self._poster = None
        log.info("worker %s stopped", self.owner)

    def _loop(
        self,
        stop: threading.Event,
        pool: ThreadPoolExecutor,
        settled: Settled,
        in_flight: set[Future[None]],
        concurrency: int,
        idle_seconds: float,
    ) -> None:
        while not stop.is_set():
            self._settle(settled)
            free = concurrency - len(in_flight)
            started: list[Future[None]] = []
            # Claim in batches (a tenth of the slots at least): each claim is a locking query.
            if free >= max(1, min(concurrency // 10, BATCH)) or not in_flight:
                try:
                    started = self._start(pool, settled, free)
                except PayCryptError as err:
                    log.warning("worker could not claim payments: [%s] %s", err.code, err.message)
            in_flight |= set(started)
            if len(started) >= BATCH and len(in_flight) < concurrency:
                continue  # more may be waiting: sign the next batch while these are on their way
            if in_flight:
                done, _ = wait(
                    in_flight, timeout=0.05 if started else idle_seconds, return_when=FIRST_COMPLETED
                )
                in_flight.difference_update(done)
                if done:
                    stop.wait(0.01)  # answers come by the ledger: let a ledger's worth arrive together
            else:
                stop.wait(idle_seconds)

        log.info("worker %s stopped", self.owner)

    def _start(self, pool: ThreadPoolExecutor, settled: Settled, free: int) -> list[Future[None]]:
        """Claims up to ``free`` payments: unfinished ones (other workers' whose lease ran out, looked for
        once a second), then a batch of new ones unless paused."""
        started: list[Future[None]] = []
        if time.monotonic() >= self._next_recovery:
            self._next_recovery = time.monotonic() + 1.0
            started = [
                pool.submit(self._process_logged, payment)
                for payment in self._claim(UNFINISHED, free, respect_pause=False)
            ]
        if free > len(started):
            fresh = self._claim(NEW, min(free - len(started), BATCH), respect_pause=True)
            sent, others = self._sign_and_store(fresh)
            started += [self._post(one, settled, pool) for one in sent]
            started += [pool.submit(self._process_logged, payment) for payment in others]
        return started

    def _process_logged(self, payment: Payment) -> None:
        try:
            self.process(payment)
        except Exception:
            # The payment keeps its stored state and lease; once the lease expires a pass settles it.
            log.exception("payment %s: unexpected error while processing", payment.id)

    def _post(self, sent: Sent, settled: Settled, pool: ThreadPoolExecutor) -> Future[None]:
        if self._poster is None:
            return pool.submit(self._submit_logged, sent, settled)
        return self._poster.run(self._post_first(sent, settled, pool))

    async def _post_first(self, sent: Sent, settled: Settled, pool: ThreadPoolExecutor) -> None:
        """The first POST of a stored envelope, from the poster's event loop. A success waits in
        ``settled``; anything else (a refusal, a timeout, no answer) goes to the synchronous path, which
        posts the same envelope again and decides what the answer means, as for any retry."""
        assert self._poster is not None and sent.payment.envelope_xdr is not None
        try:
            result = await self._poster.submit(sent.payment.envelope_xdr)
        except HorizonError as err:
            if err.retriable:
                _count_retry(err.code)
            result = None
        except Exception:
            log.exception("payment %s: unexpected error while posting", sent.payment.id)
            result = None
        if result is not None and result.successful:
            settled.put(
                (sent, Outcome(kind="succeeded", ledger=result.ledger, fee_charged=result.fee_charged))
            )
            return
        await asyncio.get_running_loop().run_in_executor(pool, self._submit_logged, sent, settled)

    def _submit_logged(self, sent: Sent, settled: Settled) -> None:
        try:
            self._submit_and_settle(sent, settled)
        except Exception:
            log.exception("payment %s: unexpected error while submitting", sent.payment.id)

    def run_once(self, limit: int = 20) -> int:
        """One pass: unfinished payments first, then new ones unless paused. Returns how many it handled."""
        handled = 0
        for payment in self._claim(UNFINISHED, limit, respect_pause=False):
            self.process(payment)
            handled += 1
        fresh = self._claim(NEW, limit, respect_pause=True)
        sent, others = self._sign_and_store(fresh)
        settled: Settled = queue.SimpleQueue()
        for one in sent:
            self._submit_and_settle(one, settled)
        self._settle(settled)
        for payment in others:
            self.process(payment)
        return handled + len(fresh)

    def process_by_id(self, payment_id: str) -> Payment | None:
        """Claims and processes one payment now (``paycrypt pay --wait``); None if it is not claimable."""
        with self.engine.uow_factory() as uow:
            payment = uow.payments.get(payment_id, for_update=True)
            if payment is None or payment.status.is_terminal:
                return payment
            if payment.status in NEW and is_paused(uow):
                return payment
            claimed = uow.payments.claim(
                self.owner, [payment.status], lease=self.lease, limit=1, only_id=payment_id
            )
            uow.commit()
        if claimed:
            self.process(claimed[0])
        with self.engine.uow_factory() as uow:
            return uow.payments.get(payment_id)

    def _claim(self, statuses: tuple[S, ...], limit: int, *, respect_pause: bool) -> list[Payment]:
        with self.engine.uow_factory() as uow:
            # The pause switch is read in the same transaction that claims, and an unreadable switch
            # counts as paused.
            if respect_pause and is_paused(uow, hold=True):
                return []
            claimed = uow.payments.claim(self.owner, statuses, lease=self.lease, limit=limit)
            uow.commit()
        return claimed

    # --- new payments, in batches -----------------------------------------------------------------------

    def _sign_and_store(self, payments: list[Payment]) -> tuple[list[Sent], list[Payment]]:
        """Signs a batch of new payments, each through its own channel, and stores their envelopes in one
        transaction. Returns those ready to post, and those to take one by one (no free channel, missing
        co-signers, a retry, or anything unusual), which :meth:`process` handles."""
        if not payments:
            return [], []
        try:
            prepared, others = self._prepare_batch(payments)
        except HorizonError as err:
            metrics.horizon_errors.labels(code=err.code).inc()
            log.warning("cannot prepare %d payments: %s; one by one instead", len(payments), err.message)
            return [], payments
        return self._store_batch(prepared), others

    def _prepare_batch(self, payments: list[Payment]) -> tuple[list[tuple[Payment, Prepared]], list[Payment]]:
        engine = self.engine
        ledger = engine.latest_ledger()
        max_time = max(engine.clock(), ledger.closed_at) + timedelta(seconds=engine.policy.tx_timeout_seconds)
        fee = quote_fee(
            engine.fee_stats(), operations=1, max_per_operation=engine.policy.max_fee_per_operation
        )
        plans: list[tuple[Payment, SigningPlan]] = []
        others: list[Payment] = []
        with engine.uow_factory() as uow:
            for payment in payments:
                plan = self._plan_through_channel(uow, payment, ledger.base_reserve)
                if plan is None:
                    others.append(payment)
                else:
                    plans.append((payment, plan))
            leases = uow.channels.lease_many([p.id for p, _ in plans], until=max_time + LEASE_MARGIN)
            # Channels signing for the first time: their sealed seeds in one read, not one read each.
            first_use = [channel for channel, _ in leases.values() if channel not in self._sealed]
            self._sealed.update(
                (sealed.account_id, sealed) for sealed in uow.signing_keys.get_many(first_use)
            )
            uow.commit()
        prepared: list[tuple[Payment, Prepared]] = []
        funds_keys = _Unsealed(self._signer)  # the funds accounts' keys, unsealed once for this batch
        for payment, plan in plans:
            lease = leases.get(payment.id)
            if lease is None:  # every channel is busy
                others.append(payment)
                continue
            channel, sequence = lease
            if sequence is None:  # a new channel, or one whose last envelope's fate was unknown
                try:
                    sequence = engine.horizon.load_account(channel).sequence
                except HorizonError:
                    self._release_channel(channel, payment.id, None)
                    others.append(payment)
                    continue
            try:
                unsigned = self._transaction(payment, sequence, fee, max_time, channel)
                envelope_xdr, tx_hash = sign_transaction(
                    unsigned, [*(funds_keys.get(signer) for signer in plan.signers), self._signer(channel)]
                )
            except Exception:
                # Nothing was stored or sent: free the channel; the one-by-one path retries and reports.
                log.exception("payment %s: cannot sign it in a batch", payment.id)
                self._release_channel(channel, payment.id, sequence)
                others.append(payment)
                continue
            prepared.append(
                (
                    payment,
                    Prepared(
                        envelope_xdr=envelope_xdr,
                        tx_hash=tx_hash,
                        fee=fee.total,
                        max_time=max_time,
                        channel=channel,
                        channel_sequence=sequence,
                        complete=True,
                        needed=plan.needed,
                        weight=plan.weight,
                    ),
                )
            )
        return prepared, others

    def _plan_through_channel(
        self, uow: UnitOfWork, payment: Payment, base_reserve: int
    ) -> SigningPlan | None:
        """The signers for a first envelope sent through a channel; None when the payment needs the
        one-by-one path (a retry, a source the ledger lacks, co-signers to wait for, too little money)."""
        if payment.attempts or payment.error_code:
            return None
        try:
            source = self.engine.recent_account(payment.source_account)
        except AccountNotFound:
            return None
        plan = plan_signatures(source, needed_weight(source, threshold="medium"), self._held(uow, source))
        if not plan.complete:
            return None
        if spendable(source, payment.asset, base_reserve=base_reserve, fee=0) < payment.amount_stroops:
            return None
        return plan

    def _held(self, uow: UnitOfWork, source: AccountState) -> set[str]:
        return {s.key for s in source.signers if s.key in self._sealed or uow.signing_keys.holds(s.key)}

    def _store_batch(self, prepared: list[tuple[Payment, Prepared]]) -> list[Sent]:
        """Stores every envelope and hash before the first POST, in one transaction; if payments were
        paused meanwhile, or one payment was taken by someone else, each is stored on its own instead."""
        if not prepared:
            return []
        rows: list[dict[str, Any]] = [
            {
                "id": payment.id,
                "envelope_xdr": ready.envelope_xdr,
                "tx_hash": ready.tx_hash,
                "fee_stroops": ready.fee,
                "max_time": ready.max_time,
                "attempts": payment.attempts + 1,
                "channel_account": ready.channel,
                "detail": {"hash": ready.tx_hash},
            }
            for payment, ready in prepared
        ]
        submitted_at = self.engine.clock()
        with self.engine.uow_factory() as uow:
            stored = not is_paused(uow, hold=True) and uow.payments.move_many(
                S.SUBMITTED,
                rows,
                expected=NEW,
                lease_owner=self.owner,
                passing_through=(S.SIGNED,),
                submitted_at=submitted_at,
            )
            if stored:
                uow.commit()
        if not stored:
            sent = [(self._store_envelope(payment, ready), ready) for payment, ready in prepared]
            return [Sent(one, ready.consumed_sequence) for one, ready in sent if one is not None]
        return [
            Sent(
                replace(
                    payment,
                    status=S.SUBMITTED,
                    submitted_at=submitted_at,
                    **{k: v for k, v in row.items() if k not in ("id", "detail")},
                ),
                ready.consumed_sequence,
            )
            for (payment, ready), row in zip(prepared, rows, strict=True)
        ]

    def _submit_and_settle(self, sent: Sent, settled: Settled) -> None:
        """Posts the stored envelope; a success waits in ``settled`` to be recorded with others, anything
        else is recorded now."""
        try:
            outcome = self._submit(sent.payment)
        except HorizonError as err:
            metrics.horizon_errors.labels(code=err.code).inc()
            log.warning("payment %s: %s; will retry", sent.payment.id, err.message)
            self._release(sent.payment)
            return
        if outcome.kind == "succeeded":
            settled.put((sent, outcome))
        else:
            self._record(sent.payment, outcome)

    def _settle(self, settled: Settled) -> None:
        """Records the successes waiting in ``settled`` in one transaction (one by one if that fails)."""
        batch: list[tuple[Sent, Outcome]] = []
        while True:
            try:
                batch.append(settled.get_nowait())
            except queue.Empty:
                break
        if not batch:
            return
        rows = [
            {
                "id": sent.payment.id,
                "ledger": outcome.ledger,
                "fee_stroops": outcome.fee_charged
                if outcome.fee_charged is not None
                else sent.payment.fee_stroops,
            }
            for sent, outcome in batch
        ]
        with self.engine.uow_factory() as uow:
            recorded = uow.payments.move_many(
                S.SUCCEEDED,
                rows,
                expected=(S.SUBMITTED,),
                lease_owner=self.owner,
                lease_owner_reset=True,
                result_codes=None,
            )
            if recorded:
                uow.channels.release_many(
                    [
                        (sent.payment.channel_account, sent.payment.id, sent.sequence)
                        for sent, _ in batch
                        if sent.payment.channel_account is not None
                    ]
                )
                uow.commit()
        if not recorded:
            for sent, outcome in batch:
                self._record(sent.payment, outcome)
            return
        now = self.engine.clock()
        metrics.payments.labels(outcome=S.SUCCEEDED.value).inc(len(batch))
        for sent, _ in batch:
            if sent.payment.submitted_at is not None:
                metrics.submission_latency.observe(
                    max((now - sent.payment.submitted_at).total_seconds(), 0.0)
                )
        log.info("%d payments succeeded", len(batch))
        log.debug("succeeded: %s", ", ".join(sent.payment.id for sent, _ in batch))

    # --- one payment -----------------------------------------------------------------------------------

    def process(self, payment: Payment) -> None:
        try:
            if payment.status in NEW:
                self._sign_and_send(payment)
            elif payment.status is S.AWAITING_SIGNATURES:
                self._expire_if_too_late(payment)
            else:
                self._send(payment)
        except HorizonError as err:
            # Horizon unreachable before anything was sent: leave the payment as it is for the next pass.
            metrics.horizon_errors.labels(code=err.code).inc()
            log.warning("payment %s: %s; will retry", payment.id, err.message)
            self._release(payment)

    def _sign_and_send(self, payment: Payment) -> None:
        prepared = self._prepare(payment)
        if prepared is None:
            return
        submitted = self._store_envelope(payment, prepared)
        if submitted is not None:
            self._send(submitted)

    def _prepare(self, payment: Payment) -> Prepared | None:
        """Reads the ledger, checks funds, picks signers (and a channel), builds and signs the envelope.
        None when the payment was finished as failed instead."""
        engine = self.engine
        try:
            # Through a channel the funds account's sequence is not needed: a state a moment old will do
            # for signers and balance (the ledger has the last word on both).
            source = engine.recent_account(payment.source_account)
        except AccountNotFound:
            self._finish(
                payment, S.FAILED, code="source_account_missing", message="the source account is gone"
            )
            return None
        ledger = engine.latest_ledger()
        fee = self._fee_bid(payment)
        if fee is None:
            return None
        max_time = max(engine.clock(), ledger.closed_at) + timedelta(seconds=engine.policy.tx_timeout_seconds)

        # With a channel, the funds account signs only for its operation (medium threshold) and the channel
        # is the transaction's source; without one, the funds account needs both thresholds.
        lease: tuple[str, int | None] | None = None
        with engine.uow_factory() as uow:
            held = self._held(uow, source)
            plan = plan_signatures(source, needed_weight(source, threshold="medium"), held)
            if plan.complete:
                lease = uow.channels.lease(payment.id, until=max_time + LEASE_MARGIN)
            uow.commit()
        channel, channel_sequence = lease if lease is not None else (None, None)
        if channel is None:
            source = engine.horizon.load_account(payment.source_account)  # its sequence must be current
            needed = max(needed_weight(source, threshold="low"), needed_weight(source, threshold="medium"))
            plan = plan_signatures(source, needed, held)
        if not plan.complete:
            window = engine.policy.cosign_window_seconds
            max_time = max(engine.clock(), ledger.closed_at) + timedelta(seconds=window)

        charged_here = 0 if channel is not None else fee.total
        if (
            spendable(source, payment.asset, base_reserve=ledger.base_reserve, fee=charged_here)
            < payment.amount_stroops
        ):
            self._release_channel(channel, payment.id, channel_sequence)
            self._finish(
                payment, S.FAILED, code="insufficient_balance", message="not enough to spend when signing"
            )
            return None
        if channel is None:
            sequence = source.sequence
        elif channel_sequence is not None:
            sequence = channel_sequence
        else:
            try:
                sequence = engine.horizon.load_account(channel).sequence
            except HorizonError:
                self._release_channel(channel, payment.id, None)
                raise
        unsigned = self._transaction(payment, sequence, fee, max_time, channel)
        signers = (*plan.signers, *([channel] if channel is not None else []))
        envelope_xdr, tx_hash = sign_transaction(unsigned, (self._signer(signer) for signer in signers))
        return Prepared(
            envelope_xdr=envelope_xdr,
            tx_hash=tx_hash,
            fee=fee.total,
            max_time=max_time,
            channel=channel,
            channel_sequence=channel_sequence,
            complete=plan.complete,
            needed=plan.needed,
            weight=plan.weight,
        )

    def _transaction(
        self, payment: Payment, sequence: int, fee: FeeQuote, max_time: datetime, channel: str | None
    ) -> UnsignedTransaction:
        return build_transaction(
            payment,
            sequence=sequence,
            passphrase=self.engine.policy.network_passphrase,
            fee_per_operation=fee.per_operation,
            max_time=max_time,
            channel=channel,
        )

    def _signer(self, account_id: str) -> Keypair:
        """The key that signs for ``account_id``. Sealed seeds (ciphertext) are kept in memory after the
        first read; a seed is unsealed only for the signature and not kept."""
        sealed = self._sealed.get(account_id)
        if sealed is None:
            with self.engine.uow_factory() as uow:
                sealed = uow.signing_keys.get(account_id)
            if sealed is None:
                raise NotFoundError(
                    f"PayCrypt holds no signing key for {account_id}", code="signing_key_not_found"
                )
            self._sealed[account_id] = sealed
        return self.engine.vault.unseal(sealed)

    def _fee_bid(self, payment: Payment) -> FeeQuote | None:
        cap = self.engine.policy.max_fee_per_operation
        fee = quote_fee(self.engine.fee_stats(), operations=1, max_per_operation=cap)
        if payment.error_code == "tx_insufficient_fee" and payment.fee_stroops:
            # The last envelope bid too little: bid higher this time, within the configured cap.
            higher = raise_bid(payment.fee_stroops, max_per_operation=cap)
            if higher is None:
                self._finish(
                    payment, S.FAILED, code="fee_cap_reached", message="the network asks more than the cap"
                )
                return None
            fee = FeeQuote(
                per_operation=max(higher, fee.per_operation), operations=1, surge=True, capped=False
            )
        return fee

    def _store_envelope(self, payment: Payment, prepared: Prepared) -> Payment | None:
        """Envelope and hash are stored before the first POST: after a crash, the same envelope is resent.
        Returns the payment as submitted, or None when it is not to be sent now."""
        stored: dict[str, Any] = {
            "envelope_xdr": prepared.envelope_xdr,
            "tx_hash": prepared.tx_hash,
            "fee_stroops": prepared.fee,
            "max_time": prepared.max_time,
            "attempts": payment.attempts + 1,
            "channel_account": prepared.channel,
        }
        with self.engine.uow_factory() as uow:
            if not prepared.complete:
                moved = uow.payments.move(
                    payment.id,
                    S.AWAITING_SIGNATURES,
                    expected=NEW,
                    lease_owner=self.owner,
                    detail={"needed_weight": prepared.needed, "signed_weight": prepared.weight},
                    lease_owner_reset=True,
                    **stored,
                )
                uow.commit()
                if moved:
                    log.info(
                        "payment %s waits for co-signers (%d of %d)",
                        payment.id,
                        prepared.weight,
                        prepared.needed,
                    )
                return None
            if is_paused(uow, hold=True):
                # Paused while this payment was being prepared: nothing is sent; it waits as held.
                uow.payments.move(
                    payment.id,
                    S.HELD,
                    expected=NEW,
                    lease_owner=self.owner,
                    detail={"reason": "payments were paused before it was sent"},
                    lease_owner_reset=True,
                )
                uow.commit()
                moved = False
            else:
                moved = uow.payments.move(
                    payment.id, S.SIGNED, expected=NEW, lease_owner=self.owner, **stored
                )
            submitted_at = self.engine.clock()
            moved = moved and uow.payments.move(
                payment.id,
                S.SUBMITTED,
                expected=(S.SIGNED,),
                lease_owner=self.owner,
                submitted_at=submitted_at,
                detail={"hash": prepared.tx_hash},
            )
            if moved:
                uow.commit()
        if not moved:  # another worker or a control action took it; it is theirs now
            self._release_channel(prepared.channel, payment.id, prepared.channel_sequence)
            return None
        return replace(payment, status=S.SUBMITTED, submitted_at=submitted_at, **stored)

    def _send(self, payment: Payment) -> None:
        if payment.status is S.SIGNED:
            with self.engine.uow_factory() as uow:
                # A fully co-signed payment: submitted only while payments are running.
                moved = not is_paused(uow) and uow.payments.move(
                    payment.id,
                    S.SUBMITTED,
                    expected=(S.SIGNED,),
                    lease_owner=self.owner,
                    submitted_at=self.engine.clock(),
                )
                if moved:
                    uow.commit()
                submitted = uow.payments.get(payment.id)
            if not moved or submitted is None:
                self._release(payment)
                return
            payment = submitted
        self._record(payment, self._submit(payment))

    def _submit(self, payment: Payment) -> Outcome:
        """Posts the stored envelope (again after transient errors) until the ledger answers or this
        worker's lease is nearly over."""
        assert payment.envelope_xdr and payment.tx_hash and payment.max_time
        lease_end = self.engine.clock() + self.lease * 0.8
        return submit_until_final(
            self.engine.horizon,
            envelope_xdr=payment.envelope_xdr,
            tx_hash=payment.tx_hash,
            max_time=payment.max_time,
            sleep=self.engine.sleep,
            deadline=lambda: self.engine.clock() >= lease_end,
            on_retry=_count_retry,
        )

    def _record(self, payment: Payment, outcome: Outcome) -> None:
        fields: dict[str, Any] = {"result_codes": outcome.result_codes or None}
        if outcome.fee_charged is not None:
            fields["fee_stroops"] = outcome.fee_charged
        if outcome.kind == "succeeded":
            self._finish(payment, S.SUCCEEDED, ledger=outcome.ledger, **fields)
            if payment.submitted_at is not None:
                latency = (self.engine.clock() - payment.submitted_at).total_seconds()
                metrics.submission_latency.observe(max(latency, 0.0))
        elif outcome.kind == "failed":
            self._finish(
                payment,
                S.FAILED,
                code=outcome.error_code,
                message=outcome.message or "the ledger refused it",
                ledger=outcome.ledger,
                **fields,
            )
        elif outcome.kind == "dead":
            self._rebuild_or_expire(payment, outcome)
        else:
            log.info(
                "payment %s still unconfirmed (%s); the next pass settles it", payment.id, outcome.error_code
            )
            self._release(payment)

    def _rebuild_or_expire(self, payment: Payment, outcome: Outcome) -> None:
        """The envelope can provably never apply: build a new one, up to max_attempts, else expire."""
        if payment.attempts >= self.engine.policy.max_attempts:
            self._finish(
                payment,
                S.EXPIRED,
                code=outcome.error_code or "expired",
                message="the ledger never took the payment",
                result_codes=outcome.result_codes or None,
            )
            return
        with self.engine.uow_factory() as uow:
            uow.payments.move(
                payment.id,
                S.RECEIVED,
                expected=(payment.status,),
                lease_owner=self.owner,
                detail={"rebuild_after": outcome.error_code, "old_hash": payment.tx_hash},
                envelope_xdr=None,
                tx_hash=None,
                error_code=outcome.error_code,
                channel_account=None,
                lease_owner_reset=True,
            )
            if payment.channel_account is not None:
                uow.channels.release(payment.channel_account, payment.id)
            uow.commit()

    def _expire_if_too_late(self, payment: Payment) -> None:
        if payment.max_time is not None and self.engine.latest_ledger().closed_at > payment.max_time:
            self._finish(
                payment, S.EXPIRED, code="cosign_window_passed", message="co-signers did not sign in time"
            )
        else:
            self._release(payment, retry_after=timedelta(seconds=30))

    # --- bookkeeping -----------------------------------------------------------------------------------

    def _finish(
        self,
        payment: Payment,
        status: S,
        *,
        code: str | None = None,
        message: str | None = None,
        **fields: Any,
    ) -> None:
        with self.engine.uow_factory() as uow:
            moved = uow.payments.move(
                payment.id,
                status,
                expected=(payment.status,),
                lease_owner=self.owner,
                error_code=code,
                error_message=message,
                lease_owner_reset=True,
                **fields,
            )
            if moved and status in (S.FAILED, S.EXPIRED):
                _give_back_limits(uow, payment)
            if moved and payment.channel_account is not None:
                landed = fields.get("ledger") is not None
                consumed = (
                    envelope_sequence(payment.envelope_xdr) if landed and payment.envelope_xdr else None
                )
                uow.channels.release(payment.channel_account, payment.id, sequence=consumed)
            uow.commit()
        if moved:
            metrics.payments.labels(outcome=status.value).inc()
            log.info("payment %s %s%s", payment.id, status.value, f" [{code}]" if code else "")

    def _release_channel(self, channel: str | None, payment_id: str, sequence: int | None) -> None:
        """Frees a channel whose envelope was never sent; its sequence number is unchanged."""
        if channel is None:
            return
        with self.engine.uow_factory() as uow:
            uow.channels.release(channel, payment_id, sequence=sequence)
            uow.commit()

    def _release(self, payment: Payment, retry_after: timedelta = timedelta(seconds=1)) -> None:
        with self.engine.uow_factory() as uow:
            uow.payments.release(payment.id, self.owner, retry_after=retry_after)
            uow.commit()


class _Unsealed:
    """Keys unsealed for one batch of signatures, then dropped with it."""

    def __init__(self, unseal: Callable[[str], Keypair]):
        self._unseal = unseal
        self._keys: dict[str, Keypair] = {}

    def get(self, account_id: str) -> Keypair:
        key = self._keys.get(account_id)
        if key is None:
            key = self._keys[account_id] = self._unseal(account_id)
        return key


def _give_back_limits(uow: UnitOfWork, payment: Payment) -> None:
    if payment.source_tag and payment.limit_day:
        release_daily_usage(
            uow, payment.source_tag, payment.amount_stroops, date.fromisoformat(payment.limit_day)
        )


def _count_retry(code: str) -> None:
    """A transient Horizon error that made the worker send the same envelope again."""
    metrics.horizon_errors.labels(code=code).inc()
    metrics.retries.labels(code=code).inc()
