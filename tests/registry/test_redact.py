"""Secret-looking config keys and command-line options are hidden; ordinary ones are not."""

from __future__ import annotations

import pytest

from medlang.registry.redact import REDACTED, is_secret_key, redact, redact_argv


@pytest.mark.parametrize(
    "key",
    [
        "password", "DB_PASSWORD", "passwd", "token", "access_token", "githubToken",
        "secret", "client-secret", "api_key", "apiKey", "API-KEY", "apikey",
        "credential", "credentials", "private_key", "privateKey", "AWSSecretAccessKey",
    ],
)  # fmt: skip
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["seed", "max_tokens", "tokenizer", "n_tokens", "author", "keyword", "passes"]
)
def test_ordinary_keys(key):
    assert not is_secret_key(key)


def test_redact_walks_dicts_and_lists_without_touching_the_input():
    config = {"a": [{"token": 1}, {"b": {"Secret": {"x": 1}}}], "seed": 3}
    assert redact(config) == {"a": [{"token": REDACTED}, {"b": {"Secret": REDACTED}}], "seed": 3}
    assert config["a"][0] == {"token": 1}


def test_redact_argv():
    argv = ["mlc", "run-evidence", "--api-key", "k1", "--token=t1", "--seed", "7", "token"]
    assert redact_argv(argv) == [
        "mlc", "run-evidence", "--api-key", REDACTED, f"--token={REDACTED}", "--seed", "7", "token",
    ]  # fmt: skip
