"""Passwords: read from the system keyring, else a prompt; an environment variable only for CI.

Passwords are carried as :class:`pydantic.SecretStr`, whose ``repr`` and ``str`` are masked, so
a password cannot leak through a log line, an error message or a traceback by accident. They
are never written to disk by gaffertape: ``gaffertape login`` stores them in the keyring.
Every password read is also registered with :func:`gaffertape.logs.register_secret` so log
output is scrubbed of it.
"""

from __future__ import annotations

import getpass
import os
import re
import sys

import keyring
import keyring.errors
from pydantic import SecretStr

from gaffertape.errors import UserError
from gaffertape.logs import register_secret

KEYRING_SERVICE = "gaffertape"
ENV_VAR = "GAFFERTAPE_PASSWORD"


def env_var_for(site: str) -> str:
    """The CI-only variable for one site, e.g. ``GAFFERTAPE_PASSWORD_DEMO_MARKS``."""
    return f"{ENV_VAR}_{re.sub(r'[^A-Z0-9]', '_', site.upper())}"


def _keyring_name(site: str, username: str) -> str:
    return f"{site}:{username}"


def get_password(site: str, username: str, *, prompt: bool = True) -> SecretStr:
    """The password for ``username`` on ``site``: keyring, then env (CI), then a prompt."""
    value = _from_keyring(site, username)
    if value is None:
        value = os.environ.get(env_var_for(site)) or os.environ.get(ENV_VAR)
    if value is None and prompt and sys.stdin is not None and sys.stdin.isatty():
        value = getpass.getpass(f"Password for {username} on {site}: ")
    if not value:
        raise UserError(
            f"no password for user {username!r} on site {site!r}",
            hint=f"run `gaffertape login {site} --username {username}` to store it in the keyring",
        )
    register_secret(value)
    return SecretStr(value)


def set_password(site: str, username: str, password: SecretStr) -> None:
    """Store a password in the system keyring (never in a file)."""
    try:
        keyring.set_password(
            KEYRING_SERVICE, _keyring_name(site, username), password.get_secret_value()
        )
    except keyring.errors.KeyringError as exc:
        raise UserError(
            f"no usable system keyring to store the password for {site!r}: {exc}",
            hint=f"you will be prompted instead; in CI only, set {env_var_for(site)}",
        ) from exc


def _from_keyring(site: str, username: str) -> str | None:
    """The keyring's copy, or None when there is no entry or no usable keyring backend."""
    try:
        return keyring.get_password(KEYRING_SERVICE, _keyring_name(site, username))
    except keyring.errors.KeyringError:
        return None
