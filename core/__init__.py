"""PayCrypt's domain core: settings, storage and the payment engine. Knows nothing of HTTP or UIs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("paycrypt")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
