"""OSV range semantics (SEMVER ranges), as the OSV schema's evaluation pseudocode states them.

A range is a list of events, each one of `introduced` / `fixed` / `last_affected` / `limit`:

* events are evaluated sorted by version (`"0"` sorts first); ties keep the record's order;
* walking them for a version `v`: `introduced <= v` makes `v` vulnerable, `fixed <= v` makes it not,
  `last_affected < v` makes it not; the state after the walk is the answer for that range;
* `limit` events only bound the range: `v` must be below at least one limit (none: no bound);
* a range with no closing event after its last `introduced` is unfixed (affected from there on);
* a package is affected when any of its ranges says so.

`is_affected` is that walk, literally. `intervals` turns a range into the equivalent list of
intervals (used to explain answers and to answer a whole release line such as `1.29`); the two agree
by construction and a property test holds them to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

from .versions import Version, minor_bounds, parse_record_version

__all__ = [
    "Event",
    "Range",
    "Interval",
    "MinorPiece",
    "MinorVerdict",
    "EVENT_KINDS",
    "make_range",
    "is_affected",
    "any_affected",
    "intervals",
    "minor_verdict",
    "describe_minor",
]

EventKind = Literal["introduced", "fixed", "last_affected", "limit"]
EVENT_KINDS: tuple[str, ...] = ("introduced", "fixed", "last_affected", "limit")


@dataclass(frozen=True)
class Event:
    kind: str  # one of EVENT_KINDS
    version: Version | None  # None only for a `limit` of "*" (no bound)
    raw: str


@dataclass(frozen=True)
class Range:
    """One OSV range, events kept sorted (stable) and limits split out."""

    events: tuple[Event, ...]  # introduced / fixed / last_affected, sorted by version
    limits: tuple[Event, ...]  # limit events as written; empty: implicit "*"
    type: str = "SEMVER"

    @property
    def unbounded_limit(self) -> bool:
        return not self.limits or any(e.version is None for e in self.limits)

    @property
    def max_limit(self) -> Version | None:
        if self.unbounded_limit:
            return None
        return max(e.version for e in self.limits if e.version is not None)

    @property
    def fixed(self) -> tuple[Version, ...]:
        return tuple(e.version for e in self.events if e.kind == "fixed" and e.version is not None)

    @property
    def last_affected(self) -> tuple[Version, ...]:
        return tuple(e.version for e in self.events if e.kind == "last_affected" and e.version is not None)


def make_range(events: Iterable[tuple[str, str]], type: str = "SEMVER") -> Range:
    """Build a `Range` from (kind, version string) pairs, e.g. [("introduced", "0"), ("fixed", "1.2.3")].

    Raises `ValueError` (a `VersionError` for a bad version) with a one-line reason.
    """
    walk: list[Event] = []
    limits: list[Event] = []
    for kind, raw in events:
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown range event {kind!r} (expected one of {', '.join(EVENT_KINDS)})")
        if kind == "limit":
            limits.append(Event(kind, None if "*" in raw else parse_record_version(raw), raw))
            continue
        if kind != "introduced" and raw.strip() == "0":
            raise ValueError(f"{kind} cannot be \"0\" (only introduced can)")
        walk.append(Event(kind, parse_record_version(raw), raw))
    if not any(e.kind == "introduced" for e in walk):
        raise ValueError("a range needs at least one introduced event")
    walk.sort(key=lambda e: e.version.key)  # type: ignore[union-attr]  # stable: ties keep record order
    return Range(tuple(walk), tuple(limits), type)


def _before_limits(v: Version, rng: Range) -> bool:
    if rng.unbounded_limit:
        return True
    return any(e.version is not None and v < e.version for e in rng.limits)


def is_affected(v: Version, rng: Range) -> bool:
    """The OSV evaluation for one range, literally."""
    if not _before_limits(v, rng):
        return False
    vulnerable = False
    for e in rng.events:
        ev = e.version
        assert ev is not None
        if e.kind == "introduced" and v >= ev:
            vulnerable = True
        elif e.kind == "fixed" and v >= ev:
            vulnerable = False
        elif e.kind == "last_affected" and v > ev:
            vulnerable = False
    return vulnerable


def any_affected(v: Version, ranges: Sequence[Range]) -> bool:
    return any(is_affected(v, r) for r in ranges)


@dataclass(frozen=True)
class Interval:
    """Affected versions: from `start` (inclusive) to `end`.

    end_kind: "fixed" / "limit" -> `end` excluded; "last_affected" -> `end` included; None -> no end.
    """

    start: Version
    end: Version | None
    end_kind: str | None

    def contains(self, v: Version) -> bool:
        if v < self.start:
            return False
        if self.end is None:
            return True
        if self.end_kind == "last_affected":
            return v <= self.end
        return v < self.end


def intervals(rng: Range) -> list[Interval]:
    """The range as disjoint, ordered intervals of affected versions (limits applied)."""
    # State at a version X: last applicable event among those < X, plus introduced/fixed events == X.
    # State just after X: last event <= X. Start points are always inclusive (see module tests).
    out: list[Interval] = []
    state = False
    start: Version | None = None
    events = rng.events
    i = 0
    while i < len(events):
        x = events[i].version
        assert x is not None
        j = i
        at = state
        after = state
        while j < len(events) and events[j].version == x:
            kind = events[j].kind
            if kind == "introduced":
                at = after = True
            elif kind == "fixed":
                at = after = False
            else:  # last_affected: does not apply at X itself
                after = False
            j += 1
        if not state and at:
            start = x
        if state and not at:  # closed by a fixed event at x (excluded)
            assert start is not None
            out.append(Interval(start, x, "fixed"))
            start = None
        elif at and not after:  # closed by last_affected at x (included)
            assert start is not None
            out.append(Interval(start, x, "last_affected"))
            start = None
        state = after
        i = j
    if state and start is not None:
        out.append(Interval(start, None, None))
    limit = rng.max_limit
    if limit is None:
        return out
    clipped: list[Interval] = []
    for iv in out:
        if iv.start >= limit:
            continue
        if iv.end is None or iv.end > limit or (iv.end == limit and iv.end_kind == "last_affected"):
            clipped.append(Interval(iv.start, limit, "limit"))
        else:
            clipped.append(iv)
    return clipped


@dataclass(frozen=True)
class MinorPiece:
    """Part of a release line that is affected. start None: from the line's first release;
    end None: to the line's last release (no fix in this line)."""

    start: Version | None
    end: Version | None
    end_kind: str | None  # "fixed" | "last_affected" | "limit" | None
    later_fix: Version | None = None  # when the line has no fix: the first fixed release after it


@dataclass(frozen=True)
class MinorVerdict:
    major: int
    minor: int
    affected: bool | None  # True: every release of the line; False: none; None: depends on the patch
    pieces: tuple[MinorPiece, ...]

    @property
    def label(self) -> str:
        return f"{self.major}.{self.minor}"


def minor_verdict(ivs: Sequence[Interval], major: int, minor: int) -> MinorVerdict:
    """Answer for a whole release line (`1.29`): which patch releases are affected."""
    lo, hi = minor_bounds(major, minor)
    pieces: list[MinorPiece] = []
    covers_all = False
    for iv in sorted(ivs, key=lambda i: i.start.key):
        # overlap of [iv.start, iv.end) (or ]) with [lo, hi)
        if iv.start >= hi:
            continue
        if iv.end is not None:
            if iv.end_kind == "last_affected" and iv.end < lo:
                continue
            if iv.end_kind != "last_affected" and iv.end <= lo:
                continue
        start = None if iv.start <= lo else iv.start
        ends_in_line = iv.end is not None and iv.end < hi
        if ends_in_line:
            pieces.append(MinorPiece(start, iv.end, iv.end_kind))
        else:
            later = iv.end if (iv.end is not None and iv.end_kind == "fixed") else None
            pieces.append(MinorPiece(start, None, None, later))
            if start is None:
                covers_all = True
    if not pieces:
        return MinorVerdict(major, minor, False, ())
    if covers_all and len(pieces) == 1:
        return MinorVerdict(major, minor, True, tuple(pieces))
    return MinorVerdict(major, minor, None, tuple(pieces))


def describe_minor(verdict: MinorVerdict) -> str:
    """Plain text, e.g. "1.29: affected before 1.29.7, fixed in 1.29.7"."""
    label = verdict.label
    if verdict.affected is False:
        return f"{label}: not affected"
    parts: list[str] = []
    for p in verdict.pieces:
        lead = "affected" if p.start is None else f"affected from {p.start}"
        if p.end is None:
            text = f"every {label} release affected" if p.start is None else f"{lead} onwards"
            text += f", no fix in {label}"
            if p.later_fix is not None:
                text += f" (first fixed release: {p.later_fix})"
            else:
                text += " listed"
        elif p.end_kind == "fixed":
            text = f"{lead} before {p.end}, fixed in {p.end}"
        elif p.end_kind == "last_affected":
            text = f"{lead} up to {p.end} (last affected; no fixed release named)"
        else:  # limit
            text = f"{lead} below {p.end}"
        parts.append(text)
    return f"{label}: " + "; ".join(parts)
