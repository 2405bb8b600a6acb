"""Keep secrets out of the registry.

``Registry.log_run`` / ``log_artifact`` pass every record through ``redact_record``,
so no caller can bypass it. Three rules, applied at every depth of a run's config,
metrics and env and an artifact's metadata:

1. **Secret keys.** A key is split into words (``apiKey``, ``API-KEY`` and ``api_key``
   all give ``api key``); its value is replaced by ``***REDACTED***`` when

   - a word is, or contains, a secret stem: ``password``, ``passwd``, ``passphrase``,
     ``secret``, ``credential``, ``apikey``, ``accesskey``, ``privatekey``,
     ``sessionid``, ``bearer``, ``cookie``, ``webhook`` (so ``PGPASSWORD``, ``dbPassword``);
   - a word is ``pwd``, ``pw``, ``jwt``, ``dsn``, ``auth``, ``oauth``, ``authorization``,
     ``creds``, ``otp``, ``pin``, ``session``, ``token``, ``privkey``, ``connstr``, or
     ends in ``token`` (``apitoken``, ``authtoken``), or is ``<db|pg|mysql|…>pass``;
   - ``pass`` is the whole key or follows ``db``, ``pg``, ``user``, ``admin``, ``root``,
     ``mysql``, ``ssh``, ``ldap`` … (``first_pass`` is pharmacokinetics, not a secret);
   - two adjacent words are ``<api|access|private|secret|auth|ssh|encryption|signing|
     master|client|session|hmac|license> key``, ``connection string``, ``conn str``;
   - ``pat`` (a personal access token) is the whole key or stands next to ``github``,
     ``gitlab``, ``personal``, ``access`` or ``token``: ``n_pat`` stays a patient count.

   Counting words (``count``, ``n``, ``max``, ``limit``, ``type`` …) next to ``token``,
   ``session``, ``pin`` or ``auth`` make the key ordinary again: ``token_count``,
   ``max_token``, ``session_count``, ``token_type`` (``n_tokens``: plural, ordinary).
2. **Secret values, whatever their key**: the password of a URL's userinfo
   (``postgresql://u:PASSWORD@host/db``), ``Bearer``/``Basic`` credentials, the value
   of an ``Authorization:`` header, ``password=…``/``token=…`` pairs inside a string
   (libpq DSNs, query strings), AWS access key ids, GitHub, GitLab, Slack, Stripe and
   Google API key formats, Slack webhook URLs, JWTs and PEM private keys. Only the
   secret part is replaced: the DSN's host stays readable.
3. **Command lines** (``env.argv``): ``--opt X``, ``--opt=X``, ``-p X`` / ``-pX``,
   ``NAME=X`` for a secret name, and rule 2 on every argument
   (``--header=Authorization: Bearer X``, ``https://u:X@host``).

Matching words, not substrings, keeps ``max_tokens``, ``tokenizer``, ``author``,
``keyword`` and ``passes`` visible. The table-driven test
(``tests/registry/test_redaction_table.py``) holds the cases.
"""

from __future__ import annotations

import functools
import re
from typing import Any

REDACTED = "***REDACTED***"

# --- rule 1: keys ------------------------------------------------------------

_STEMS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "credential",
    "apikey",
    "accesskey",
    "privatekey",
    "sessionid",
    "bearer",
    "cookie",
    "webhook",
)
_NOT_SECRET_WORDS = frozenset({"secretary", "secretariat"})
_SECRET_WORDS = frozenset(
    {
        "pwd",
        "pw",
        "jwt",
        "dsn",
        "auth",
        "oauth",
        "authorization",
        "creds",
        "otp",
        "pin",
        "session",
        "token",
        "pass",
        "privkey",
        "connstr",
    }
)
_PASS_OWNERS = frozenset(
    {"db", "pg", "user", "admin", "root", "mysql", "sql", "ssh", "ftp", "smtp", "ldap", "redis",
     "mongo", "mail", "login", "app", "my", "sudo", "vault", "keystore", "wifi", "proxy"}
)  # fmt: skip
_PASS_WORD = re.compile(r"(db|pg|mysql|sql|root|admin|user|ftp|smtp|ldap|redis|mongo|ssh|mail)pass")
_KEY_PREFIXES = frozenset(
    {
        "api",
        "access",
        "private",
        "secret",
        "auth",
        "ssh",
        "encryption",
        "signing",
        "sign",
        "master",
        "client",
        "session",
        "hmac",
        "license",
    }
)
_SECRET_PAIRS = frozenset({("connection", "string"), ("conn", "str"), ("conn", "string")})
# next to these, a word that may be secret (token, session ...) counts something
_COUNTING = frozenset(
    {
        "count",
        "counts",
        "n",
        "num",
        "number",
        "max",
        "min",
        "limit",
        "len",
        "length",
        "size",
        "budget",
        "usage",
        "total",
        "per",
        "rate",
        "timeout",
        "duration",
        "type",
        "types",
        "index",
        "idx",
    }
)
_NEUTRALIZABLE = frozenset({"token", "session", "pin", "auth"})
_PAT_FRIENDS = frozenset({"github", "gitlab", "gh", "personal", "access", "token"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@functools.lru_cache(maxsize=4096)  # the same few keys come back in every record
def is_secret_key(key: str) -> bool:
    """Does ``key`` name a secret (rule 1 above)?"""
    words = [word.lower() for word in _WORD.findall(key)]
    for position, word in enumerate(words):
        neighbours = words[max(0, position - 1) : position] + words[position + 1 : position + 2]
        if _secret_word(word, words, neighbours):
            return True
    for first, second in zip(words, words[1:], strict=False):
        if (first in _KEY_PREFIXES and second == "key") or (first, second) in _SECRET_PAIRS:
            return True
    return False


def _secret_word(word: str, words: list[str], neighbours: list[str]) -> bool:
    if word in _NOT_SECRET_WORDS:
        return False
    if any(stem in word for stem in _STEMS):
        return True
    if word == "pat":
        return len(words) == 1 or any(w in _PAT_FRIENDS for w in words)
    if word == "pass":  # "first_pass" is pharmacokinetics, "db_pass" a password
        before = words[words.index(word) - 1] if words.index(word) else None
        return len(words) == 1 or before in _PASS_OWNERS
    secret = word in _SECRET_WORDS or word.endswith("token") or bool(_PASS_WORD.fullmatch(word))
    if secret and (word in _NEUTRALIZABLE or word.endswith("token")):
        return not any(neighbour in _COUNTING for neighbour in neighbours)
    return secret


# --- rule 2: values ----------------------------------------------------------

_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM private keys: the whole block
    (
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
        ),
        REDACTED,
    ),
    # scheme://user:PASSWORD@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/?#@]*:)[^\s@/?#]+(@)"), rf"\1{REDACTED}\2"),
    # Authorization: <anything up to the end of the header>
    (
        re.compile(r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*)[^\r\n\"',;]+"),
        rf"\1{REDACTED}",
    ),
    # Bearer and Basic credentials: token-like words only ("tumour bearer mice" stays)
    (
        re.compile(r"(?i)\b(bearer\s+)(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}"),
        rf"\1{REDACTED}",
    ),
    (
        re.compile(r"\b(Basic\s+)(?=[A-Za-z0-9+/]*[A-Z0-9+/])[A-Za-z0-9+/]{12,}={0,2}"),
        rf"\1{REDACTED}",
    ),
    # password=..., token: ..., api_key=... inside a longer string (DSNs, query strings;
    # not a path segment such as /data/token=1/)
    (
        re.compile(
            r"(?i)(?<![/\\\w.-])((?:[a-z]+_?)?(?:password|passwd|pwd|secret|token|api_?key|access_?key"
            r"|sig|signature)\s*[=:]\s*)(?!\*\*\*REDACTED)[^\s&;,'\"]+"
        ),
        rf"\1{REDACTED}",
    ),
    # Slack webhooks
    (re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"), REDACTED),
    # well-known key formats
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"), REDACTED),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,255}\b"), REDACTED),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,255}\b"), REDACTED),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), REDACTED),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), REDACTED),
    (re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"), REDACTED),
)
_QUICK = re.compile(
    r"(?i)://|bearer|basic|token|authorization|password|passwd|pwd|secret|key|sig|akia|asia"
    r"|agpa|aida|aroa|anpa|anva|aipa|gh[pousr]_|github_pat|glpat|xox|sk_|rk_|aiza|eyj|hooks"
    r"|-----begin"
)


def redact_text(text: str) -> str:
    """``text`` with secret-looking parts replaced (rule 2)."""
    if not _QUICK.search(text):  # the common case: nothing that could match
        return text
    for pattern, replacement in _VALUE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# --- walking records ---------------------------------------------------------


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret keys' values and secret-looking strings replaced,
    at any depth (rules 1 and 2; an ``argv`` list also gets rule 3)."""
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if isinstance(key, str) and is_secret_key(key):
                cleaned[key] = REDACTED
            elif key == "argv" and isinstance(item, list) and all(isinstance(a, str) for a in item):
                cleaned[key] = redact_argv(item)
            else:
                cleaned[key] = redact(item)
        return cleaned
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


# ``name=value`` arguments (not options) whose name looks like a setting, not a path.
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)=")
_PASSWORD_SHORT_OPTION = "-p"  # psql, mysql, sshpass ...: the next word is a password


def redact_argv(argv: list[str]) -> list[str]:
    """Command-line arguments with secrets hidden (rule 3): ``--token X``, ``--token=X``,
    ``-p X``, ``-pX``, ``PGPASSWORD=X``, and secret-looking values anywhere (a path with
    ``=`` in it is kept)."""
    cleaned: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            cleaned.append(REDACTED)
            hide_next = False
            continue
        name, equals, _ = arg.partition("=")
        if arg.startswith("-") and not arg.startswith("--") and arg[1:2] == "p":
            if arg == _PASSWORD_SHORT_OPTION:
                cleaned.append(arg)
                hide_next = True
            else:  # -pSECRET or -p=SECRET
                cleaned.append(f"{_PASSWORD_SHORT_OPTION}{REDACTED}")
            continue
        if arg.startswith("-") and is_secret_key(name.lstrip("-")):
            if equals:
                cleaned.append(f"{name}={REDACTED}")
            else:
                cleaned.append(arg)
                hide_next = True
            continue
        assignment = _ASSIGNMENT.match(arg)
        if assignment and is_secret_key(assignment.group(1)):
            cleaned.append(f"{assignment.group(1)}={REDACTED}")
            continue
        cleaned.append(redact_text(arg))
    return cleaned


_NEVER_REDACTED = frozenset({"id", "kind", "run_id", "op", "sha256"})


def redact_record(record: Any) -> Any:
    """A pydantic record with every rule applied to its fields (ids, kinds, times and
    hashes are left alone); the record itself when there is nothing to hide."""
    update = {}
    for name in type(record).model_fields:
        if name in _NEVER_REDACTED:
            continue
        value = getattr(record, name)
        if isinstance(value, dict | list):
            cleaned = redact(value)
        elif isinstance(value, str):
            cleaned = redact_text(value)
        else:
            continue
        if cleaned != value:
            update[name] = cleaned
    return record.model_copy(update=update) if update else record
