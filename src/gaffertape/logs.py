"""Logging that can never contain a password.

Every secret the process reads is registered here, and a filter on the gaffertape log handlers
replaces it with ``***`` wherever it appears, including in formatted arguments and exceptions.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import quote, quote_plus

_secrets: set[str] = set()
_lock = threading.Lock()
MASK = "***"


def register_secret(value: str) -> None:
    """Remember a secret so that every later log record is scrubbed of it, also as it is
    written in a URL or a form body (``p@ss word`` as ``p%40ss+word``): a sign-in form sent
    by GET puts the password in the address that messages and logs name."""
    if value:
        with _lock:
            _secrets.update({value, quote(value, safe=""), quote_plus(value)})


def redact(text: str) -> str:
    """``text`` with every registered secret masked."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets masked, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        record.msg, record.args = redact(message), None
        return True


def configure_logging(log_dir: Path | None, *, debug: bool = False) -> None:
    """Send gaffertape's log to ``log_dir/gaffertape.log`` (and stderr with --debug)."""
    logger = logging.getLogger("gaffertape")
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        log_file = log_dir / "gaffertape.log"
        log_file.touch(mode=0o600)  # personal data may be named in it: private to the user
        log_file.chmod(0o600)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    if debug:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
