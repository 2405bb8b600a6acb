"""Redaction, table-driven, through the registry layer: whatever ``Registry.log_run`` or
``log_artifact`` is given, no secret reaches the files, and ordinary values stay."""

from __future__ import annotations

import json

import pytest

from medlang.registry import MemoryStore, Registry, RunKind
from medlang.registry.redact import REDACTED, is_secret_key
from medlang.registry.storage import Table
from tests.registry.factories import artifact, fixed_id, run

SECRET = "s3cr3t-Value-42"

# (key, is it a secret?)
KEYS = [
    # the list of keys that were kept in clear
    ("PGPASSWORD", True), ("apitoken", True), ("accesstoken", True), ("authtoken", True),
    ("pass", True), ("dbpass", True), ("pgpass", True), ("jwt", True), ("ssh_key", True),
    ("bearer", True), ("pat", True), ("pin", True), ("sessionid", True),
    ("encryption_key", True), ("signing_key", True), ("connection_string", True),
    ("webhook_url", True),
    # more spellings
    ("password", True), ("DB_PASSWORD", True), ("dbPassword", True), ("passwd", True),
    ("pwd", True), ("user_pw", True), ("passphrase", True), ("token", True),
    ("access_token", True), ("githubToken", True), ("GITHUB_TOKEN", True),
    ("refresh_token", True), ("id_token", True), ("secret", True), ("client-secret", True),
    ("clientSecret", True), ("AWS_SECRET_ACCESS_KEY", True), ("AWSSecretAccessKey", True),
    ("api_key", True), ("apiKey", True), ("API-KEY", True), ("apikey", True),
    ("x-api-key", True), ("access_key", True), ("private_key", True), ("privateKey", True),
    ("privkey", True), ("credential", True), ("credentials", True), ("creds", True),
    ("auth", True), ("basic_auth", True), ("oauth", True), ("Authorization", True),
    ("cookie", True), ("session_cookie", True), ("set-cookie", True), ("session", True),
    ("session_id", True), ("SESSION_KEY", True), ("dsn", True), ("SENTRY_DSN", True),
    ("database_dsn", True), ("conn_str", True), ("connStr", True), ("slack_webhook", True),
    ("github_pat", True), ("GITLAB_PAT", True), ("pat_token", True), ("otp", True),
    ("sim_pin", True), ("master_key", True), ("hmac_key", True), ("license_key", True),
    ("mysql_root_pass", True), ("user_pass", True), ("jwt_secret", True),
    # ordinary keys
    ("seed", False), ("max_tokens", False), ("tokenizer", False), ("n_tokens", False),
    ("token_count", False), ("num_tokens", False), ("token_limit", False),
    ("token_type", False), ("author", False), ("authors", False), ("keyword", False),
    ("keys", False), ("key", False), ("primary_key", False), ("sort_key", False),
    ("cache_key", False), ("monkey", False), ("passes", False), ("passthrough", False),
    ("bypass", False), ("compass", False), ("first_pass", False),
    ("first_pass_extraction", False), ("n_pat", False), ("pat_id", False),
    ("patient_id", False), ("patients", False), ("pattern", False), ("spin", False),
    ("pinned", False), ("pin_count", False), ("session_count", False),
    ("n_sessions", False), ("secretary", False), ("dose_mg", False), ("cv", False),
    ("hidden_layers", False), ("epsilon_decay", False), ("mech_threshold", False),
    ("surrogate", False), ("dose_levels_mg", False), ("auth_type", False),
    ("description", False), ("passage", False), ("compassion", False),
]  # fmt: skip

# (value, the part that must disappear, or None: the value is stored unchanged)
VALUES = [
    ("postgresql://u:PASSWORD1@host/db", "PASSWORD1"),
    ("mysql://admin:hunter2@db.example.org:3306/trials", "hunter2"),
    ("https://user:p%40ss@example.org/x", "p%40ss"),
    ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
    ("authorization=Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ("Bearer eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9"),
    ("Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ("host=db user=u password=topsecret dbname=x", "topsecret"),
    ("https://api.example.org/v1?token=abc123&page=2", "abc123"),
    ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("key id AKIAIOSFODNN7EXAMPLE in text", "AKIAIOSFODNN7EXAMPLE"),
    ("ghp_" + "a" * 36, "a" * 36),
    ("github_pat_" + "B" * 40, "B" * 40),
    ("glpat-" + "c" * 20, "c" * 20),
    ("xoxb-123456789012-abcdefghij", "abcdefghij"),
    ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "XXXXXXXX"),
    ("sk_live_" + "d" * 24, "d" * 24),
    ("AIza" + "e" * 35, "e" * 35),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sflKxwRJSMeKKF2QT4fw", "sflKxwRJSMeKKF2QT4fw"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
    ("redis://:only-a-password@cache:6379/0", "only-a-password"),
    # ordinary values
    ("/home/ada/projects/oncology/trial", None),
    ("https://example.org/docs/page", None),
    ("http://localhost:8080/path", None),
    ("/data/token=1/prog.medlang", None),
    ("tumour bearer mice", None),
    ("basic dosing schedule", None),
    ("token budget per run", None),
    ("a first-pass effect of 0.3", None),
    ("SmallEvidence", None),
    ("model/surrogate.json", None),
]

# (argv, stored argv)
R = REDACTED
ARGV = [
    (["mlc", "run", "--token", "X1"], ["mlc", "run", "--token", R]),
    (["mlc", "run", "--token=X1"], ["mlc", "run", f"--token={R}"]),
    (["mlc", "run", "--api-key", "X1"], ["mlc", "run", "--api-key", R]),
    (["psql", "-p", "X1", "-h", "db"], ["psql", "-p", R, "-h", "db"]),
    (["mysql", "-pX1"], ["mysql", f"-p{R}"]),
    (["env", "PGPASSWORD=X1", "mlc"], ["env", f"PGPASSWORD={R}", "mlc"]),
    (["mlc", "password=X1", "seed=3"], ["mlc", f"password={R}", "seed=3"]),
    (["curl", "https://u:X1@host/x"], ["curl", f"https://u:{R}@host/x"]),
    (["curl", "--header=Authorization: Bearer X1"], ["curl", f"--header=Authorization: {R}"]),
    (["curl", "-H", "Authorization: Bearer X1"], ["curl", "-H", f"Authorization: {R}"]),
    (["mlc", "--seed", "7", "-q", "--out", "r"], ["mlc", "--seed", "7", "-q", "--out", "r"]),
    (["mlc", "run", "/data/token=1/prog.medlang"], ["mlc", "run", "/data/token=1/prog.medlang"]),
    (["mlc", "--max-tokens", "100"], ["mlc", "--max-tokens", "100"]),
]  # fmt: skip


@pytest.fixture
def registry(tmp_path) -> Registry:
    """The registry layer over the in-memory backend (no fsync per case); the JSONL
    files are checked once below, with every case at once."""
    return Registry(tmp_path / "registry", store=MemoryStore())


def _stored(registry: Registry) -> str:
    runs = registry.store.select(Table.RUNS)
    return json.dumps([runs, registry.store.select(Table.ARTIFACTS)])


def test_the_table_is_big_enough():
    assert len(KEYS) + len(VALUES) + len(ARGV) >= 100
    assert {secret for _, secret in KEYS} == {True, False}


@pytest.mark.parametrize(("key", "secret"), KEYS, ids=[k for k, _ in KEYS])
def test_keys_at_every_depth_of_config_metadata_and_metrics(registry, key, secret):
    assert is_secret_key(key) is secret
    deep = {"outer": [{"inner": {key: SECRET}}]}
    registry.log_artifact(artifact(1, metadata={key: SECRET, **deep}))
    record = run(1, config={key: SECRET, **deep}, metrics={key: 0.25, "nested": {key: 0.5}})
    registry.log_run(record)  # a ready-made record: the registry layer still redacts

    stored = registry.run_json(fixed_id(1))
    metadata = registry.artifact_json(artifact(1).id)["metadata"]
    expected = REDACTED if secret else SECRET
    assert stored["config"][key] == expected
    assert stored["config"]["outer"][0]["inner"][key] == expected
    assert metadata[key] == expected and metadata["outer"][0]["inner"][key] == expected
    assert stored["metrics"][key] == (REDACTED if secret else 0.25)
    assert stored["metrics"]["nested"][key] == (REDACTED if secret else 0.5)
    assert (SECRET in _stored(registry)) is not secret
    assert record.config[key] == SECRET  # the caller's record is not changed


@pytest.mark.parametrize(("value", "hidden"), VALUES, ids=[f"v{i}" for i in range(len(VALUES))])
def test_secret_looking_values_whatever_their_key(registry, value, hidden):
    registry.log_run(
        run(2, config={"setting": value, "list": [value]}, project_root=f"/p/{value[:8]}")
    )
    stored = registry.run_json(fixed_id(2))["config"]
    if hidden is None:
        assert stored == {"setting": value, "list": [value]}
    else:
        assert hidden not in _stored(registry)
        assert REDACTED in stored["setting"] and stored["list"] == [stored["setting"]]


@pytest.mark.parametrize(("argv", "expected"), ARGV, ids=[" ".join(a) for a, _ in ARGV])
def test_command_lines(registry, argv, expected):
    registry.log_run(run(3, env={"python": "3.11", "argv": argv}))
    assert registry.run_json(fixed_id(3))["env"]["argv"] == expected
    if expected != argv:
        assert "X1" not in _stored(registry)


def test_no_secret_of_the_table_reaches_the_jsonl_files(tmp_path):
    registry = Registry(tmp_path / "registry")
    secret_keys = [key for key, secret in KEYS if secret]
    registry.log_artifact(artifact(7, metadata={key: SECRET for key in secret_keys}))
    values = [value for value, hidden in VALUES if hidden]
    argv = [arg for line, _ in ARGV for arg in line]
    registry.log_run(
        run(7, config={"keys": dict.fromkeys(secret_keys, SECRET), "values": values},
            metrics=dict.fromkeys(secret_keys, 1.0), env={"argv": argv})
    )  # fmt: skip
    text = "".join(p.read_text() for p in sorted(registry.root.glob("*.jsonl")))
    assert SECRET not in text and "X1" not in text
    assert not [hidden for _, hidden in VALUES if hidden and hidden in text]


def test_notes_and_tags_are_redacted_too(tmp_path):
    registry = Registry(tmp_path / "registry")
    registry.log_run(run(4))
    registry.tag_run(fixed_id(4), {"db_password": "hunter2", "owner": "ada"})
    registry.note_run(fixed_id(4), "used postgresql://u:hunter2@db/trials")
    assert "hunter2" not in (registry.root / "annotations.jsonl").read_text()
    assert registry.get_tags(fixed_id(4)) == {"db_password": REDACTED, "owner": "ada"}


def test_a_dsn_keeps_its_host_readable(registry):
    registry.log_run(run(5, config={"db": "postgresql://u:PASSWORD@host:5432/db"}))
    stored = registry.run_json(fixed_id(5))["config"]["db"]
    assert stored == f"postgresql://u:{REDACTED}@host:5432/db"
    assert json.loads(json.dumps(stored)) == stored


def test_run_kind_and_ids_are_never_touched(registry):
    registry.log_run(run(6, RunKind.RLEval, config={"token": "x"}))
    stored = registry.run_json(fixed_id(6))
    assert stored["id"] == fixed_id(6) and stored["kind"] == "RLEval"
