"""PostgreSQL registry URLs: recognised, and shown without any secret (pydantic-free).

A team registry is named by a libpq URL, ``postgresql://user@host:port/db?sslmode=...``.
Passwords come only from ``PGPASSWORD``, ``~/.pgpass`` or a libpq service file: a
URL that holds one is refused (``password_in``), and every place that shows a URL
shows ``display`` of it, which drops the password and any secret query parameter.
Everything else (TLS settings such as ``sslmode``, ``sslrootcert``) passes to libpq.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

SCHEMES = ("postgresql://", "postgres://")
# query parameters libpq reads as secrets; never shown, never accepted in a URL
_SECRET_PARAMETERS = {"password", "sslpassword"}


def is_postgres_url(text: object) -> bool:
    return isinstance(text, str) and text.lower().startswith(SCHEMES)


def password_in(url: str) -> bool:
    """Whether the URL carries a password (in its user part or its query)."""
    parts = urlsplit(url)
    if "@" in parts.netloc and ":" in parts.netloc.rsplit("@", 1)[0]:
        return True
    return any(name.lower() in _SECRET_PARAMETERS for name, _ in parse_qsl(parts.query))


def display(url: str) -> str:
    """The URL with any password and secret parameter removed: safe to print or record."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://(unreadable URL)"
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    # %20 rather than '+' and '/' kept: libpq reads the shown URL back the same way
    kept = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode(
        [(k, v) for k, v in kept if k.lower() not in _SECRET_PARAMETERS],
        quote_via=quote,
        safe="/",
    )
    # not urlunsplit: it drops the "//" of an empty host (postgresql:///db, the local socket)
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
