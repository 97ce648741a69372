"""Passwords: where they come from, and that they never reach logs or error messages."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gaffertape import credentials
from gaffertape.errors import UserError
from gaffertape.logs import configure_logging

SECRET = "correct-horse-battery-staple"


def test_env_var_is_used_when_keyring_has_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "_from_keyring", lambda site, user: None)
    monkeypatch.setenv("GAFFERTAPE_PASSWORD_DEMO_MARKS", SECRET)
    password = credentials.get_password("demo-marks", "tutor", prompt=False)
    assert password.get_secret_value() == SECRET
    assert SECRET not in repr(password) and SECRET not in str(password)


def test_keyring_wins_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "_from_keyring", lambda site, user: "from-keyring")
    monkeypatch.setenv("GAFFERTAPE_PASSWORD", SECRET)
    assert credentials.get_password("x", "u", prompt=False).get_secret_value() == "from-keyring"


def test_missing_password_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "_from_keyring", lambda site, user: None)
    monkeypatch.delenv("GAFFERTAPE_PASSWORD", raising=False)
    monkeypatch.delenv("GAFFERTAPE_PASSWORD_DEMO_MARKS", raising=False)
    with pytest.raises(UserError) as caught:
        credentials.get_password("demo-marks", "tutor", prompt=False)
    assert "gaffertape login demo-marks" in caught.value.one_line()


def test_log_records_are_scrubbed_of_registered_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(credentials, "_from_keyring", lambda site, user: None)
    monkeypatch.setenv("GAFFERTAPE_PASSWORD", SECRET)
    credentials.get_password("site", "user", prompt=False)
    configure_logging(tmp_path)
    log = logging.getLogger("gaffertape.test")
    log.info("posting form %s", {"password": SECRET})
    try:
        raise ValueError(f"login failed with {SECRET}")
    except ValueError:
        log.exception("boom")
    for handler in logging.getLogger("gaffertape").handlers:
        handler.flush()
    text = (tmp_path / "gaffertape.log").read_text()
    assert "posting form" in text and "boom" in text
    assert SECRET not in text
