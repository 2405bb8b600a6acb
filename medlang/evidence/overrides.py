"""``--set key=value`` and ``--seed``: config values given on the command line.

Like ``dvc exp run -S``: an override replaces one value of the command's config
(after the config file, if any, is read), and the run records the result, so
``mlc runs export-config`` of the run reproduces it without the override. Keys
are the config's field names, dotted into sections (``train.episodes``), checked
against the pydantic models before any work (a typo gets a did-you-mean), and
values are typed by the field they set: ``epochs=50`` is an int, ``strategy=adaptive``
a string, ``hidden_layers=[64,64]`` a list (JSON), ``surrogate=null`` clears.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from medlang.evidence.errors import EvidenceError
from medlang.suggest import closest

Overrides = dict[str, str]


def parse_overrides(pairs: tuple[str, ...] | list[str]) -> Overrides:
    """``["a=1", "b.c=x"]`` -> ``{"a": "1", "b.c": "x"}`` (a later key wins)."""
    overrides: Overrides = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise EvidenceError(f"--set {pair!r}: expected KEY=VALUE (e.g. --set epochs=50)")
        overrides[key.strip()] = value
    return overrides


def check_keys(model: type[BaseModel], overrides: Overrides, command: str) -> None:
    """Every key names a field of ``model`` (dotted into nested models)."""
    known = dotted_keys(model)
    for key in overrides:
        if key not in known:
            match = closest(key, known)
            hint = f"; did you mean '{match}'?" if match else ""
            raise EvidenceError(
                f"--set {key}: {command} has no config key {key!r}{hint} "
                f"(keys: {', '.join(known)}; see `mlc config-schema {command}`)"
            )


def dotted_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        nested = _model_type(field.annotation)
        if nested is not None:
            keys += dotted_keys(nested, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def apply(
    data: dict[str, Any], model: type[BaseModel], overrides: Overrides, where: str
) -> dict[str, Any]:
    """``data`` with each override's value, typed by the field it sets (no section
    prefixes here: see ``for_section``)."""
    updated = dict(data)
    for key, text in overrides.items():
        field = model.model_fields.get(key)
        if field is None:  # check_keys ran first: only a section's own keys come here
            raise EvidenceError(f"--set {key}: {where} has no config key {key!r}")
        updated[key] = typed_value(field.annotation, text)
    return updated


def for_section(overrides: Overrides, section: str | None) -> Overrides:
    """The overrides of one section, without its prefix (all of them without a section)."""
    if section is None:
        return {key: value for key, value in overrides.items() if "." not in key}
    prefix = f"{section}."
    return {key[len(prefix) :]: value for key, value in overrides.items() if key.startswith(prefix)}


def typed_value(annotation: Any, text: str) -> Any:
    """The value ``text`` means for a field of this type: JSON when it parses as a
    value of the type (numbers, lists, null, booleans), else the text itself."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON (or absurdly deep): the text itself
        return text
    if isinstance(value, str):
        return value
    try:
        TypeAdapter(annotation).validate_python(value, strict=False)
    except (ValidationError, TypeError):
        return text if _accepts_text(annotation) else value  # the model reports a bad one
    return value


def _accepts_text(annotation: Any) -> bool:
    return annotation is str or str in get_args(annotation)


def _model_type(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
