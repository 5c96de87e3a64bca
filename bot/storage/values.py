"""Values made storable on every dialect."""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: Any) -> Any:
    """Lone UTF-16 surrogates (replaced by ?) and NUL (dropped) cannot be stored in UTF-8 text; recursive."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return value.encode("utf-8", "replace").decode("utf-8") if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {clean_text(k): clean_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_text(v) for v in value]
    return value
