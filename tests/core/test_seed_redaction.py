"""Seeds stay out of logs: our code does not log them, and the redacting filter masks one that slips in."""

import io
import logging

import pytest
from stellar_sdk import Keypair

from paycrypt.cli.accounts import read_secret
from paycrypt.core.accounts import create_custodial_account, import_account
from paycrypt.core.errors import ValidationError
from paycrypt.core.secrets import REDACTED, RedactingFilter, Secret


@pytest.fixture
def filtered_log():
    """A root handler like the one configure_logging installs: DEBUG and up, through the RedactingFilter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def test_a_seed_pasted_as_the_secret_file_name_is_masked_in_the_log_line(filtered_log):
    seed = Keypair.random().secret
    with pytest.raises(ValidationError) as caught:
        read_secret(seed)
    assert caught.value.code == "secret_on_command_line" and seed not in caught.value.message
    logged = filtered_log.getvalue()
    assert f"reading a secret seed from {REDACTED}" in logged
    assert seed not in logged


def test_importing_creating_and_signing_log_no_seed(uow_factory, vault, caplog):
    keypair = Keypair.random()
    with caplog.at_level(logging.DEBUG):
        import_account("cold", Secret(keypair.secret), uow=uow_factory(), vault=vault)
        created = create_custodial_account("hot", uow=uow_factory(), vault=vault)
        with uow_factory() as uow:
            hot = vault.signer_for(uow.signing_keys, created.record.account.account_id)
            vault.signer_for(uow.signing_keys, keypair.public_key)
    assert caplog.records, "the services are expected to say what they did"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert keypair.secret not in logged and hot.secret not in logged
