"""SEP-10 web authentication: whoever proves control of a Stellar account gets a read token for its tags.

The challenge is built and checked by stellar-sdk (``stellar_sdk.sep.stellar_web_authentication``); this
module decides what a proof is worth. A challenge for an account on the ledger must carry signatures worth
its medium threshold; one for an account not (yet) on the ledger, its own key's. The token it earns has
the subject ``G...``, the scope payments:read, and only the tags that name that account (none: it reads
nothing). Muxed (``M...``) accounts are refused: a tag names a muxed address exactly, and one key
controls every muxed address of an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from stellar_sdk import Keypair, StrKey, TransactionEnvelope
from stellar_sdk.exceptions import SdkError
from stellar_sdk.sep.ed25519_public_key_signer import Ed25519PublicKeySigner
from stellar_sdk.sep.stellar_web_authentication import (
    build_challenge_transaction,
    read_challenge_transaction,
    verify_challenge_transaction_signed_by_client_master_key,
    verify_challenge_transaction_threshold,
)

from paycrypt.core.errors import NotFoundError, PayCryptError, ValidationError
from paycrypt.core.horizon import AccountNotFound, HorizonPort
from paycrypt.core.payments.signing import needed_weight
from paycrypt.core.secrets import Secret
from paycrypt.core.storage.unit_of_work import UnitOfWork

CHALLENGE_SECONDS: Final = 900  # SEP-10's recommended 15 minutes to sign and return the challenge


class InvalidChallenge(PayCryptError):
    code = "challenge_invalid"


@dataclass(frozen=True)
class WebAuth:
    """The server's side of SEP-10: its signing key, its home domain and where it is served."""

    signing_key: Secret
    home_domain: str
    web_auth_domain: str
    network_passphrase: str

    @property
    def signing_account(self) -> str:
        return Keypair.from_secret(self.signing_key.reveal()).public_key

    def challenge(self, account: str) -> str:
        """A challenge for ``account`` (G...), signed by the server, valid for 15 minutes."""
        if not StrKey.is_valid_ed25519_public_key(account):
            raise ValidationError(
                "account: a G... account with a correct checksum", code="account_invalid", field="account"
            )
        return build_challenge_transaction(
            server_secret=self.signing_key.reveal(),
            client_account_id=account,
            home_domain=self.home_domain,
            web_auth_domain=self.web_auth_domain,
            network_passphrase=self.network_passphrase,
            timeout=CHALLENGE_SECONDS,
        )

    def verify(self, challenge_xdr: str, *, horizon: HorizonPort) -> str:
        """The account a signed challenge proves control of; InvalidChallenge when it proves nothing."""
        arguments = {
            "challenge_transaction": challenge_xdr,
            "server_account_id": self.signing_account,
            "home_domains": self.home_domain,
            "web_auth_domain": self.web_auth_domain,
            "network_passphrase": self.network_passphrase,
        }
        try:
            TransactionEnvelope.from_xdr(challenge_xdr, self.network_passphrase)
        except Exception:  # untrusted bytes: whatever the decoder trips on, it is not a challenge
            raise InvalidChallenge("the challenge is not a transaction envelope (base64 XDR)") from None
        try:
            account = read_challenge_transaction(**arguments).client_account_id
            if not StrKey.is_valid_ed25519_public_key(account):
                raise InvalidChallenge("muxed accounts cannot sign in here; use the G... account")
            try:
                state = horizon.load_account(account)
            except AccountNotFound:
                verify_challenge_transaction_signed_by_client_master_key(**arguments)
                return account
            signers = [
                Ed25519PublicKeySigner(s.key, s.weight)
                for s in state.signers
                if s.weight > 0 and s.type == "ed25519_public_key"
            ]
            verify_challenge_transaction_threshold(
                **arguments, threshold=needed_weight(state, threshold="medium"), signers=signers
            )
        except (SdkError, ValueError, EOFError) as err:
            # The sdk's reasons name the failed check (time bounds, signatures, domain); nothing secret.
            raise InvalidChallenge(f"the challenge is not valid: {_reason(err)}") from None
        return account


def tags_of(account: str, *, uow: UnitOfWork) -> list[str]:
    """The tags that name ``account`` directly (not through a muxed address)."""
    with uow:
        return sorted(r.tag.value for r in uow.tags.by_address(account))


def web_auth_or_refuse(web_auth: WebAuth | None) -> WebAuth:
    if web_auth is None:
        raise NotFoundError(
            "web authentication is not served here (PAYCRYPT_SEP10_SIGNING_KEY is not set)",
            code="web_auth_disabled",
        )
    return web_auth


def _reason(err: Exception) -> str:
    text = str(err).strip().rstrip(".")
    return text[:200] if text else type(err).__name__
