"""FAQ entries and routes: YAML loading and validation that names the file and entry of each problem."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A Block Kit section's text may hold 3,000 characters; the answer shares it with nothing else.
MAX_ANSWER_CHARS = 3000
MAX_QUESTION_CHARS = 300
ENTRY_FIELDS = {"id", "question", "alternates", "answer", "links", "tags", "owner", "reviewed"}
ROUTE_FIELDS = {"id", "name", "sig", "channel", "link", "owns", "terms", "phrases"}


@dataclass(frozen=True)
class FaqEntry:
    """One curated answer and the ways people ask for it."""

    id: str
    question: str
    answer: str
    alternates: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    owner: str | None = None
    reviewed: dt.date | None = None
    source: str = ""  # the file it came from

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternates)


@dataclass(frozen=True)
class Route:
    """A group that owns some topics, and where to find its humans."""

    id: str
    name: str
    channel: str
    link: str
    owns: str = ""
    sig: str | None = None  # its `dir` in the community's sigs.yaml, if it is a Kubernetes group
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class OffTopic:
    """A kind of question that is not about security (knowledge/not-security.yaml)."""

    id: str
    phrasings: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """A validation finding; `where` is 'file: entry'."""

    where: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


@dataclass(frozen=True)
class KnowledgeBase:
    entries: tuple[FaqEntry, ...]
    routes: tuple[Route, ...]
    off_topics: tuple[OffTopic, ...] = ()

    def entry(self, entry_id: str) -> FaqEntry | None:
        return self._entries_by_id.get(entry_id)

    def route(self, route_id: str | None) -> Route | None:
        return self._routes_by_id.get(route_id) if route_id else None

    @property
    def _entries_by_id(self) -> dict[str, FaqEntry]:
        cached = self.__dict__.get("_entry_index")
        if cached is None:
            cached = {entry.id: entry for entry in self.entries}
            object.__setattr__(self, "_entry_index", cached)
        return cached

    @property
    def _routes_by_id(self) -> dict[str, Route]:
        cached = self.__dict__.get("_route_index")
        if cached is None:
            cached = {route.id: route for route in self.routes}
            object.__setattr__(self, "_route_index", cached)
        return cached


class KnowledgeError(Exception):
    """Knowledge could not be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --------------------------------------------------------------------------- loading


UNREADABLE = object()  # _read_yaml's result when the file could not be parsed


def read_yaml(path: Path, problems: list[Problem]) -> Any:
    """Parse a YAML file safely; on failure record one clear problem and return UNREADABLE."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        problems.append(Problem(str(path), "file not found"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), f"not UTF-8 text ({exc.reason})"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem(where, f"YAML syntax error: {reason}"))
    return UNREADABLE


def _strings(value: Any, where: str, name: str, problems: list[Problem]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(Problem(where, f"'{name}' must be a list of non-empty strings"))
        return ()
    return tuple(v.strip() for v in value)


def _text(raw: dict, key: str, where: str, problems: list[Problem], *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(where, f"missing required field '{key}'"))
        return ""
    if not isinstance(value, str):
        problems.append(Problem(where, f"'{key}' must be text, got {type(value).__name__}"))
        return ""
    return value.strip()


def _parse_entry(raw: Any, source: str, index: int, problems: list[Problem]) -> FaqEntry | None:
    if not isinstance(raw, dict):
        problems.append(Problem(f"{source}: entry #{index + 1}", "must be a mapping of fields"))
        return None
    entry_id = raw.get("id")
    where = f"{source}: {entry_id if isinstance(entry_id, str) else f'entry #{index + 1}'}"
    for unknown in sorted(set(raw) - ENTRY_FIELDS):
        problems.append(Problem(where, f"unknown field '{unknown}'"))
    entry_id = _text(raw, "id", where, problems)
    if entry_id and not ID_PATTERN.match(entry_id):
        problems.append(Problem(where, f"id '{entry_id}' is not kebab-case"))
    question = _text(raw, "question", where, problems)
    answer = _text(raw, "answer", where, problems)
    if len(answer) > MAX_ANSWER_CHARS:
        problems.append(Problem(where, f"answer has {len(answer)} characters; a Slack block holds {MAX_ANSWER_CHARS}"))
    if len(question) > MAX_QUESTION_CHARS:
        problems.append(Problem(where, f"question has {len(question)} characters; keep it under {MAX_QUESTION_CHARS}"))
    links = _strings(raw.get("links"), where, "links", problems)
    for link in links:
        if not is_url(link):
            problems.append(Problem(where, f"malformed URL {link!r}"))
    reviewed = raw.get("reviewed")
    if isinstance(reviewed, str):
        try:
            reviewed = dt.date.fromisoformat(reviewed)
        except ValueError:
            problems.append(Problem(where, f"'reviewed' must be a date YYYY-MM-DD, got {reviewed!r}"))
            reviewed = None
    elif reviewed is None:
        problems.append(Problem(where, "missing required field 'reviewed'"))
    elif not isinstance(reviewed, dt.date):
        problems.append(Problem(where, "'reviewed' must be a date YYYY-MM-DD"))
        reviewed = None
    owner = raw.get("owner")
    if owner is not None and not isinstance(owner, str):
        problems.append(Problem(where, "'owner' must be a route id"))
        owner = None
    if not (entry_id and question and answer):
        return None
    return FaqEntry(
        id=entry_id,
        question=question,
        answer=answer,
        alternates=_strings(raw.get("alternates"), where, "alternates", problems),
        links=links,
        tags=tuple(t.lower() for t in _strings(raw.get("tags"), where, "tags", problems)),
        owner=owner or None,
        reviewed=reviewed,
        source=source,
    )


def _parse_route(raw: Any, source: str, index: int, problems: list[Problem]) -> Route | None:
    if not isinstance(raw, dict):
        problems.append(Problem(f"{source}: route #{index + 1}", "must be a mapping of fields"))
        return None
    route_id = raw.get("id")
    where = f"{source}: {route_id if isinstance(route_id, str) else f'route #{index + 1}'}"
    for unknown in sorted(set(raw) - ROUTE_FIELDS):
        problems.append(Problem(where, f"unknown field '{unknown}'"))
    route_id = _text(raw, "id", where, problems)
    if route_id and not ID_PATTERN.match(route_id):
        problems.append(Problem(where, f"id '{route_id}' is not kebab-case"))
    name = _text(raw, "name", where, problems)
    channel = _text(raw, "channel", where, problems)
    link = _text(raw, "link", where, problems)
    if link and not is_url(link):
        problems.append(Problem(where, f"malformed URL {link!r}"))
    sig = raw.get("sig")
    if sig is not None and not isinstance(sig, str):
        problems.append(Problem(where, "'sig' must be a directory name from sigs.yaml"))
        sig = None
    if not (route_id and name and channel and link):
        return None
    return Route(
        id=route_id,
        name=name,
        channel=channel,
        link=link,
        owns=_text(raw, "owns", where, problems, required=False),
        sig=sig,
        terms=tuple(t.lower() for t in _strings(raw.get("terms"), where, "terms", problems)),
        phrases=tuple(p.lower() for p in _strings(raw.get("phrases"), where, "phrases", problems)),
    )


def _items(document: Any, key: str, source: str, problems: list[Problem]) -> list[Any]:
    if document is None:
        problems.append(Problem(source, f"empty file; expected a top-level '{key}:' list"))
        return []
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        problems.append(Problem(source, f"expected a top-level '{key}:' list"))
        return []
    return document[key]


SHORTHAND_FILE = "shorthand.yaml"
OFF_TOPIC_FILE = "not-security.yaml"


def knowledge_files(knowledge_dir: Path) -> list[Path]:
    """FAQ files: every YAML file in the folder except the shorthand and off-topic lists."""
    return sorted(p for p in knowledge_dir.glob("*.yaml") if p.name not in (SHORTHAND_FILE, OFF_TOPIC_FILE))


def _parse_off_topics(path: Path, problems: list[Problem]) -> list[OffTopic]:
    if not path.exists():
        return []
    document = read_yaml(path, problems)
    if document is UNREADABLE:
        return []
    topics = []
    for index, raw in enumerate(_items(document, "topics", path.name, problems)):
        where = f"{path.name}: topic #{index + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            problems.append(Problem(where, "needs an 'id' and a 'phrasings' list"))
            continue
        phrasings = _strings(raw.get("phrasings"), f"{path.name}: {raw['id']}", "phrasings", problems)
        topics.append(OffTopic(raw["id"], phrasings))
    return topics


def load_knowledge(knowledge_dir: Path, routing_file: Path) -> tuple[KnowledgeBase, list[Problem]]:
    """Load every FAQ file and the routing file; return what parsed and every problem found."""
    problems: list[Problem] = []
    entries: list[FaqEntry] = []
    routes: list[Route] = []
    files = knowledge_files(knowledge_dir) if knowledge_dir.is_dir() else []
    if not files:
        problems.append(Problem(str(knowledge_dir),
                                "no knowledge files (*.yaml) found (set KNOWLEDGE_DIR to the knowledge folder)"))
    for path in files:
        document = read_yaml(path, problems)
        if document is UNREADABLE:
            continue
        for index, raw in enumerate(_items(document, "entries", path.name, problems)):
            if entry := _parse_entry(raw, path.name, index, problems):
                entries.append(entry)
    document = read_yaml(routing_file, problems)
    if document is not UNREADABLE:
        for index, raw in enumerate(_items(document, "routes", routing_file.name, problems)):
            if route := _parse_route(raw, routing_file.name, index, problems):
                routes.append(route)
    off_topics = _parse_off_topics(knowledge_dir / OFF_TOPIC_FILE, problems)
    kb = KnowledgeBase(entries=tuple(entries), routes=tuple(routes), off_topics=tuple(off_topics))
    problems.extend(check_consistency(kb))
    return kb, problems


def load_or_raise(knowledge_dir: Path, routing_file: Path) -> KnowledgeBase:
    """Load knowledge for serving: any error raises KnowledgeError with all problems."""
    kb, problems = load_knowledge(knowledge_dir, routing_file)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise KnowledgeError(errors)
    return kb


# --------------------------------------------------------------------------- validation


def is_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and "." in parsed.netloc and " " not in value


def _phrase_key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def check_consistency(kb: KnowledgeBase) -> list[Problem]:
    """Cross-entry rules: unique ids, known owners, no phrasing claimed by two entries."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for entry in kb.entries:
        where = f"{entry.source}: {entry.id}"
        if entry.id in seen:
            problems.append(Problem(where, f"duplicate id (also in {seen[entry.id]})"))
        seen.setdefault(entry.id, entry.source)
    route_ids: dict[str, int] = defaultdict(int)
    for route in kb.routes:
        route_ids[route.id] += 1
    for route_id, count in route_ids.items():
        if count > 1:
            problems.append(Problem(f"routing.yaml: {route_id}", f"duplicate route id ({count} times)"))
    for entry in kb.entries:
        if entry.owner and entry.owner not in route_ids:
            problems.append(Problem(f"{entry.source}: {entry.id}", f"unknown owner '{entry.owner}' (not a route id)"))
    claimed: dict[str, str] = {}
    for entry in kb.entries:
        own: set[str] = set()
        for phrasing in entry.phrasings:
            key = _phrase_key(phrasing)
            if not key or key in own:
                continue
            own.add(key)
            other = claimed.get(key)
            if other and other != entry.id:
                problems.append(Problem(f"{entry.source}: {entry.id}",
                                        f"phrasing {phrasing!r} is also used by entry '{other}'"))
            claimed.setdefault(key, entry.id)
    for topic in kb.off_topics:
        for phrasing in topic.phrasings:
            if (other := claimed.get(_phrase_key(phrasing))) is not None:
                problems.append(Problem(f"{OFF_TOPIC_FILE}: {topic.id}",
                                        f"phrasing {phrasing!r} is also a phrasing of FAQ entry '{other}'"))
    return problems
