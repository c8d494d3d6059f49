"""Which stored keys to sign with: enough weight for the thresholds, and not one signature more.

Stellar refuses a transaction carrying a signature it did not need (tx_bad_auth_extra), so the plan is the
smallest set of available signers whose weights reach the needed threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from paycrypt.core.horizon import AccountState

ED25519 = "ed25519_public_key"


@dataclass(frozen=True)
class SigningPlan:
    needed: int
    signers: tuple[str, ...]  # account ids (G...) to sign with, from the available keys
    weight: int

    @property
    def complete(self) -> bool:
        return self.weight >= self.needed


def needed_weight(account: AccountState, *, threshold: str) -> int:
    """The weight a transaction needs from this account; a zero threshold still needs one signature."""
    value = getattr(account.thresholds, threshold)
    return max(int(value), 1)


def plan_signatures(
    account: AccountState,
    needed: int,
    available: set[str] | frozenset[str],
    already: frozenset[str] = frozenset(),
) -> SigningPlan:
    """The fewest available signers (beside those ``already`` signed) reaching ``needed`` weight.

    When the available keys cannot reach it, the plan holds every available signer with weight and is
    incomplete: the payment then waits for co-signers.
    """
    weights = {s.key: s.weight for s in account.signers if s.type == ED25519 and s.weight > 0}
    have = sum(weights.get(key, 0) for key in already)
    candidates = sorted(
        (k for k in available if k in weights and k not in already), key=lambda k: -weights[k]
    )
    if have >= needed:
        return SigningPlan(needed=needed, signers=(), weight=have)
    if have + sum(weights[k] for k in candidates) < needed:
        return SigningPlan(
            needed=needed, signers=tuple(candidates), weight=have + sum(weights[k] for k in candidates)
        )
    for size in range(1, len(candidates) + 1):  # at most 20 signers per account: small search
        best = None
        for combo in combinations(candidates, size):
            total = have + sum(weights[k] for k in combo)
            if total >= needed and (best is None or total < best[1]):
                best = (combo, total)
        if best is not None:
            return SigningPlan(needed=needed, signers=best[0], weight=best[1])
    raise AssertionError("unreachable: the total weight was checked above")
