"""CVSS v3.x base score from a vector string, per the CVSS v3.1 specification (section 7 and
Appendix A), and the qualitative rating (None / Low / Medium / High / Critical).

Only the eight base metrics are scored; temporal and environmental metrics in a vector are checked
for form and otherwise ignored (the base score is what advisories publish). v3.0 vectors use the
same equations; the v3.1 Roundup (which avoids floating-point artefacts) is used for both.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["CvssError", "Severity", "parse_vector", "base_score", "rating", "severity_of", "roundup", "find_vectors"]


class CvssError(ValueError):
    """A vector that is not a CVSS v3.x vector; the message is one line."""


_WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "PR": {"N": 0.85, "L": 0.62, "H": 0.27},  # L/H change with scope (below)
    "UI": {"N": 0.85, "R": 0.62},
    "S": {"U": 0.0, "C": 0.0},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_PR_CHANGED = {"N": 0.85, "L": 0.68, "H": 0.5}
_BASE = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")
_OTHER = {
    "E": "XUPFH", "RL": "XOTWU", "RC": "XURC",
    "CR": "XLMH", "IR": "XLMH", "AR": "XLMH",
    "MAV": "XNALP", "MAC": "XLH", "MPR": "XNLH", "MUI": "XNR", "MS": "XUC",
    "MC": "XNLH", "MI": "XNLH", "MA": "XNLH",
}
_PREFIX_RE = re.compile(r"^CVSS:3\.[01]$")
VECTOR_IN_TEXT_RE = re.compile(r"CVSS:3\.[01](?:/[A-Z]{1,3}:[A-Z])+")


def parse_vector(vector: str) -> dict[str, str]:
    """The base metrics of a CVSS v3.x vector, e.g. {"AV": "N", ...}. Raises `CvssError`."""
    if not isinstance(vector, str) or not vector.strip():
        raise CvssError("empty CVSS vector")
    parts = vector.strip().split("/")
    if not _PREFIX_RE.match(parts[0]):
        raise CvssError(f"not a CVSS v3.0/v3.1 vector (must start with CVSS:3.0/ or CVSS:3.1/): {vector!r}")
    seen: dict[str, str] = {}
    for part in parts[1:]:
        name, sep, value = part.partition(":")
        if not sep or not name or not value:
            raise CvssError(f"malformed metric {part!r} in {vector!r}")
        if name in seen:
            raise CvssError(f"metric {name} given twice in {vector!r}")
        if name in _WEIGHTS:
            if value not in _WEIGHTS[name]:
                raise CvssError(f"bad value {name}:{value} in {vector!r}")
        elif name in _OTHER:
            if len(value) != 1 or value not in _OTHER[name]:
                raise CvssError(f"bad value {name}:{value} in {vector!r}")
        else:
            raise CvssError(f"unknown metric {name!r} in {vector!r}")
        seen[name] = value
    missing = [m for m in _BASE if m not in seen]
    if missing:
        raise CvssError(f"missing base metric(s) {', '.join(missing)} in {vector!r}")
    return {m: seen[m] for m in _BASE}


def roundup(value: float) -> float:
    """CVSS v3.1 Appendix A Roundup: smallest number with one decimal >= value, float-safe."""
    as_int = round(value * 100000)
    if as_int % 10000 == 0:
        return as_int / 100000.0
    return (math.floor(as_int / 10000) + 1) / 10.0


def base_score(vector: str) -> float:
    m = parse_vector(vector)
    changed = m["S"] == "C"
    iss = 1 - (1 - _WEIGHTS["C"][m["C"]]) * (1 - _WEIGHTS["I"][m["I"]]) * (1 - _WEIGHTS["A"][m["A"]])
    if changed:
        impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    else:
        impact = 6.42 * iss
    pr = (_PR_CHANGED if changed else _WEIGHTS["PR"])[m["PR"]]
    exploitability = 8.22 * _WEIGHTS["AV"][m["AV"]] * _WEIGHTS["AC"][m["AC"]] * pr * _WEIGHTS["UI"][m["UI"]]
    if impact <= 0:
        return 0.0
    if changed:
        return roundup(min(1.08 * (impact + exploitability), 10))
    return roundup(min(impact + exploitability, 10))


def rating(score: float) -> str:
    """CVSS v3.1 qualitative severity rating scale."""
    if score == 0.0:
        return "None"
    if score < 4.0:
        return "Low"
    if score < 7.0:
        return "Medium"
    if score < 9.0:
        return "High"
    return "Critical"


@dataclass(frozen=True)
class Severity:
    rating: str  # None / Low / Medium / High / Critical
    score: float
    vector: str

    def as_dict(self) -> dict[str, object]:
        return {"rating": self.rating, "score": self.score, "vector": self.vector}


def severity_of(vector: str) -> Severity:
    score = base_score(vector)
    return Severity(rating(score), score, vector.strip())


def find_vectors(text: str) -> list[str]:
    """CVSS v3.x vectors quoted in free text (advisory bodies), valid ones only, in order, unique."""
    out: list[str] = []
    for match in VECTOR_IN_TEXT_RE.finditer(text or ""):
        vector = match.group(0)
        try:
            parse_vector(vector)
        except CvssError:
            continue
        if vector not in out:
            out.append(vector)
    return out
