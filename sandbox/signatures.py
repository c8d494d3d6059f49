"""Which signatures of an envelope count for which account (stellar-core's SignatureChecker).

A signature counts for an account when its hint matches one of the account's signers and it verifies
(ed25519 over the transaction hash) against that signer's key. Verification results are cached per
transaction, so the check at intake and the check when the ledger applies it verify each pair once.
"""

from __future__ import annotations

from functools import lru_cache

from stellar_sdk import Keypair
from stellar_sdk.exceptions import BadSignatureError

from paycrypt.sandbox.accounts import Account

MAX_WEIGHT = 255
VerificationCache = dict[tuple[int, str], bool]


@lru_cache(maxsize=65_536)
def _verify_key(signer: str) -> tuple[Keypair, bytes]:
    """The signer's key (stellar-sdk's Keypair, ed25519 by PyNaCl) and its hint: the last 4 bytes."""
    keypair = Keypair.from_public_key(signer)
    return keypair, keypair.raw_public_key()[-4:]


class SignatureChecker:
    def __init__(
        self, tx_hash: bytes, signatures: tuple[tuple[bytes, bytes], ...], cache: VerificationCache
    ) -> None:
        self._hash = tx_hash
        self._signatures = signatures
        self._cache = cache
        self._used = [False] * len(signatures)

    def has_weight(self, account: Account, threshold: int) -> bool:
        """True when the signatures from `account`'s signers weigh at least `threshold` (and at least 1)."""
        needed = max(threshold, 1)
        total = 0
        for signer, weight in account.signer_weights().items():
            if self._signed_by(signer):
                total += weight
                if min(total, MAX_WEIGHT) >= needed:
                    return True
        return False

    def all_used(self) -> bool:
        return all(self._used)

    def _signed_by(self, signer: str) -> bool:
        verify_key, hint = _verify_key(signer)
        for index, (signature_hint, signature) in enumerate(self._signatures):
            if signature_hint != hint:
                continue
            cached = self._cache.get((index, signer))
            if cached is None:
                cached = _verifies(verify_key, self._hash, signature)
                self._cache[(index, signer)] = cached
            if cached:
                self._used[index] = True
                return True
        return False


def _verifies(key: Keypair, message: bytes, signature: bytes) -> bool:
    if len(signature) != 64:
        return False
    try:
        key.verify(message, signature)
    except BadSignatureError:
        return False
    return True
