"""A local Stellar network that speaks Horizon, so the real stellar-sdk runs against it unchanged.

The ledger core knows nothing of HTTP:
    ledger.py             Ledger: submit() checks and queues, close() applies a ledger in fee order
    envelopes.py          base64 envelope -> DecodedTransaction (raw stellar_sdk.xdr, hash, limits)
    validation.py         transaction-level checks, in stellar-core's order
    transaction_apply.py  one transaction, all operations or none
    operations.py         what each operation does (operations_model.py: their decoded values)
    signatures.py         which signatures count for which account
    results.py            result codes, Horizon's names, TransactionResult XDR
    accounts.py, overlay.py, records.py, history.py, amounts.py
Around it:
    node.py               the running sandbox: ledger timer, waiting submissions, friendbot, saving
    http_app.py, http_submit.py, horizon_views.py, paging.py, fee_stats.py, problems.py   Horizon's API
    faults.py             injected faults for the next submissions
    state_file.py         --state: the ledger as JSON, written atomically
    server.py             uvicorn; testing.py: running_sandbox() for tests in the same process
"""
