"""JSON Schemas (draft 2020-12) for knowledge/*.yaml and routing.yaml, and a checker naming JSON paths.

The schema files beside this module are published for editors (see README.md here) and used by
`sigsec-bot validate`. `schema_problems(kind, data)` checks one parsed YAML document and returns one
message per violation, each starting with the JSON path of the offending value, for example
`$.entries[3].id (Bad_Id): 'Bad_Id' is not a kebab-case id ...`. Rules that span files (unique ids,
known owners, shared phrasings, answer length) stay in the knowledge loader.

Kinds: `faq` (knowledge/<area>.yaml), `shorthand` (knowledge/shorthand.yaml), `off-topic`
(knowledge/not-security.yaml), `knowledge` (any of those three, told apart by the top-level key) and
`routing` (routing.yaml). `kind_for_file(path)` gives the kind of a file in the knowledge folder.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import PurePath
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

# kind -> (schema file, the $defs entry it validates against, or None for the whole schema)
KINDS: dict[str, tuple[str, str | None]] = {
    "knowledge": ("knowledge.schema.json", None),
    "faq": ("knowledge.schema.json", "faqFile"),
    "shorthand": ("knowledge.schema.json", "shorthandFile"),
    "off-topic": ("knowledge.schema.json", "offTopicFile"),
    "routing": ("routing.schema.json", None),
}
SCHEMA_FILES = ("knowledge.schema.json", "routing.schema.json")

# The knowledge loader's special file names (FAQ files are every other *.yaml in the folder).
_FILE_KINDS = {"shorthand.yaml": "shorthand", "not-security.yaml": "off-topic"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def load_schema(filename: str) -> dict[str, Any]:
    """One of SCHEMA_FILES, parsed."""
    if filename not in SCHEMA_FILES:
        raise ValueError(f"unknown schema file {filename!r}; expected one of {', '.join(SCHEMA_FILES)}")
    return json.loads(resources.files(__name__).joinpath(filename).read_text(encoding="utf-8"))


def kind_for_file(path: str | PurePath) -> str:
    """The schema kind of a file in the knowledge folder: 'shorthand', 'off-topic' or 'faq'."""
    return _FILE_KINDS.get(PurePath(path).name, "faq")


@cache
def _validator(kind: str) -> Draft202012Validator:
    try:
        filename, part = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown schema kind {kind!r}; expected one of {', '.join(KINDS)}") from None
    schema = load_schema(filename)
    if part is not None:  # validate against one $defs entry, with the rest of $defs in reach
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{part}"}
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_problems(kind: str, data: object) -> list[str]:
    """Check one parsed YAML document against the schema of `kind`; [] when it conforms.

    Each message starts with the JSON path of the offending value (`$` is the document), then the
    id of the entry, route or topic it is in when that has one.
    """
    validator = _validator(kind)
    problems: list[str] = []
    renamed: set[str] = set()  # non-text keys already reported, as their text form
    document = _plain(data, [], problems, renamed)
    errors = sorted(validator.iter_errors(document), key=lambda e: (_sort_key(e.absolute_path), e.message))
    for error in errors:
        if "propertyNames" in error.schema_path and error.instance in renamed:
            continue  # `no: ...` already said "quote it"; its text form 'False' is not the author's key
        problems.extend(_describe(error, document))
    return list(dict.fromkeys(problems))  # a value failing two checks with one message says it once


# --------------------------------------------------------------------------- helpers


def _plain(value: Any, path: list[Any], problems: list[str], renamed: set[str]) -> Any:
    """YAML values as JSON ones: dates as ISO text; non-text mapping keys reported (YAML reads `no:` as false)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(f"{_path(path + [str(key)])}: key {key!r} is not text "
                                f"(YAML read it as {_describe_value(key)}); quote it")
                key = str(key)
                renamed.add(key)
            out[key] = _plain(item, path + [key], problems, renamed)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, path + [index], problems, renamed) for index, item in enumerate(value)]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _path(parts: Iterable[Any]) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _sort_key(parts: Iterable[Any]) -> list[tuple[int, Any]]:
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in parts]


def _owner_id(document: Any, parts: list[Any]) -> str | None:
    """The id of the innermost list item on the path that has one (an entry, route or topic)."""
    found = None
    node = document
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and isinstance(node, dict) and isinstance(node.get("id"), str):
            found = node["id"]
    return found


def _describe_value(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_JSON_TYPES = {"object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "nothing"}


def _describe(error: ValidationError, document: Any) -> list[str]:
    parts = list(error.absolute_path)
    where = _path(parts)
    owner = _owner_id(document, parts)
    if owner is not None:
        where += f" ({owner})"
    schema = error.schema if isinstance(error.schema, dict) else {}
    title = schema.get("title")

    if error.validator == "additionalProperties" and error.validator_value is False:
        allowed = sorted(error.schema.get("properties", {}))
        extras = [key for key in error.instance if key not in allowed] if isinstance(error.instance, dict) else []
        return [f"{_path(parts + [key])}{f' ({owner})' if owner else ''}: unknown key {key!r}; "
                f"expected one of: {', '.join(allowed)}" for key in extras] or [f"{where}: {error.message}"]
    if error.validator == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_JSON_TYPES.get(name, name) for name in names)
        return [f"{where}: expected {wanted}, got {_describe_value(error.instance)}"]
    if error.validator in ("pattern", "format") and title:
        subject = "key" if "propertyNames" in error.schema_path else "value"
        return [f"{where}: {subject} {error.instance!r} must be {title}"]
    if error.validator == "required":
        # one error per missing key; jsonschema's message is "'<key>' is a required property"
        key = error.message.removesuffix(" is a required property")
        return [f"{where}: missing required key {key}"]
    if error.validator in ("minProperties", "maxProperties") and not parts and "properties" in error.schema:
        keys = ", ".join(error.schema["properties"])
        return [f"{where}: expected exactly one top-level key, one of: {keys}"]
    return [f"{where}: {error.message}"]
