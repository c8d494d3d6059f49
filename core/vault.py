"""The key vault: signing seeds sealed with PAYCRYPT_MASTER_KEY (Fernet), opened only to sign.

A seed is held in memory only inside ``signer_for``/``sign``; it is never logged, put in an error message,
shown by a repr or written to a plain column. The stored row carries a fingerprint of the master key that
sealed it, so a wrong key is told apart from damaged data and a rotation can find what to re-seal.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from stellar_sdk import Keypair, StrKey
from stellar_sdk.base_transaction_envelope import BaseTransactionEnvelope
from stellar_sdk.exceptions import Ed25519PublicKeyInvalidError, Ed25519SecretSeedInvalidError

from paycrypt.core.errors import NotFoundError, PayCryptError
from paycrypt.core.records import SealedSeed
from paycrypt.core.secrets import Secret
from paycrypt.core.storage.signing_key_repository import SigningKeyRepository
from paycrypt.core.storage.types import utcnow

log = logging.getLogger(__name__)

_FINGERPRINT_CONTEXT = b"paycrypt master key id v1\x00"


class VaultError(PayCryptError):
    code = "vault_error"


def master_key_id(master_key: Secret) -> str:
    """A short public fingerprint of a master key: a domain-separated hash, useless for finding the key."""
    raw = base64.urlsafe_b64decode(master_key.reveal().encode("ascii"))
    return hashlib.sha256(_FINGERPRINT_CONTEXT + raw).hexdigest()[:16]


class KeyVault:
    """Seals and opens signing seeds. ``previous_keys`` are older master keys still accepted for reading."""

    def __init__(self, master_key: Secret, previous_keys: Sequence[Secret] = ()):
        self._current_id = master_key_id(master_key)
        self._current = Fernet(master_key.reveal().encode("ascii"))
        self._readers: dict[str, Fernet] = {self._current_id: self._current}
        for key in previous_keys:
            self._readers.setdefault(master_key_id(key), Fernet(key.reveal().encode("ascii")))

    def __repr__(self) -> str:
        return f"KeyVault(master_key_id={self._current_id!r})"

    @property
    def key_id(self) -> str:
        return self._current_id

    # --- sealing --------------------------------------------------------------------------------------

    def seal(self, keypair: Keypair) -> SealedSeed:
        if not keypair.can_sign():
            raise VaultError("only a keypair with its secret seed can be stored", code="secret_missing")
        token = self._current.encrypt(keypair.secret.encode("ascii")).decode("ascii")
        return SealedSeed(account_id=keypair.public_key, token=token, master_key_id=self._current_id)

    def unseal(self, sealed: SealedSeed) -> Keypair:
        reader = self._readers.get(sealed.master_key_id)
        if reader is None:
            raise VaultError(
                f"the signing key for {sealed.account_id} was sealed with another master key "
                f"(id {sealed.master_key_id}, ours is {self._current_id}); check PAYCRYPT_MASTER_KEY",
                code="master_key_mismatch",
            )
        try:
            seed = reader.decrypt(sealed.token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise VaultError(
                f"the stored signing key for {sealed.account_id} cannot be decrypted with the master key "
                f"(id {sealed.master_key_id}): the key or the stored row is wrong",
                code="master_key_mismatch",
            ) from None
        try:
            keypair = Keypair.from_secret(seed)  # verifies the seed's checksum
        except Ed25519SecretSeedInvalidError:
            raise VaultError(
                f"the stored signing key for {sealed.account_id} is damaged", code="signing_key_corrupt"
            ) from None
        try:
            expected = _raw_account_id(sealed.account_id)
        except Ed25519PublicKeyInvalidError:
            expected = None
        if keypair.raw_public_key() != expected:
            # A row copied onto another account must never sign for it.
            raise VaultError(
                f"the stored signing key for {sealed.account_id} belongs to another account",
                code="signing_key_corrupt",
            )
        return keypair

    # --- with storage ---------------------------------------------------------------------------------

    def store(self, keys: SigningKeyRepository, keypair: Keypair) -> None:
        """Seals and stores the key in the caller's unit of work (the caller commits)."""
        keys.add(self.seal(keypair), created_at=utcnow())
        log.debug("stored the signing key for %s (master key id %s)", keypair.public_key, self._current_id)

    def signer_for(self, keys: SigningKeyRepository, account_id: str) -> Keypair:
        """The keypair that signs for ``account_id`` (G...). Keep it only as long as signing takes."""
        sealed = keys.get(account_id)
        if sealed is None:
            raise NotFoundError(
                f"PayCrypt holds no signing key for {account_id}", code="signing_key_not_found"
            )
        return self.unseal(sealed)

    def sign(self, keys: SigningKeyRepository, envelope: BaseTransactionEnvelope, account_id: str) -> None:
        """Adds ``account_id``'s signature to the envelope; the seed does not outlive this call."""
        envelope.sign(self.signer_for(keys, account_id))

    def reseal(self, keys: SigningKeyRepository, account_id: str) -> bool:
        """Re-seals one stored key with the current master key; True when it changed (key rotation)."""
        sealed = keys.get(account_id)
        if sealed is None or sealed.master_key_id == self._current_id:
            return False
        keys.replace(self.seal(self.unseal(sealed)))
        return True


@lru_cache(maxsize=4096)
def _raw_account_id(account_id: str) -> bytes:
    """The 32 bytes of a G... account, decoded once per account: signing for the same channels and funds
    accounts again and again should not decode their StrKeys each time."""
    return StrKey.decode_ed25519_public_key(account_id)
