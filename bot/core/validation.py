"""Checks of the knowledge against outside lists: the knowledge catalog and the community's sigs.yaml."""

from __future__ import annotations

from pathlib import Path

from bot.core.knowledge import UNREADABLE, KnowledgeBase, KnowledgeError, Problem, read_yaml


def check_catalog(kb: KnowledgeBase, catalog_path: Path) -> list[Problem]:
    """Every catalog FAQ id exists and carries its canonical links; every catalog route exists."""
    problems: list[Problem] = []
    catalog = read_yaml(catalog_path, problems)
    if catalog is UNREADABLE:
        return problems
    if not isinstance(catalog, dict):
        return [Problem(str(catalog_path), "expected 'faq:' and 'routes:' mappings")]
    name = catalog_path.name
    for faq_id, spec in (catalog.get("faq") or {}).items():
        entry = kb.entry(faq_id)
        if entry is None:
            problems.append(Problem(f"{name}: {faq_id}", "catalog FAQ id has no entry in knowledge/"))
            continue
        for link in (spec or {}).get("links", []):
            if link not in entry.links:
                problems.append(Problem(f"{entry.source}: {faq_id}", f"missing canonical link {link}"))
    for route_id, spec in (catalog.get("routes") or {}).items():
        route = kb.route(route_id)
        if route is None:
            problems.append(Problem(f"{name}: {route_id}", "catalog route id missing from routing.yaml"))
        elif (spec or {}).get("link") and spec["link"] != route.link:
            problems.append(Problem(f"routing.yaml: {route_id}", f"link differs from the catalog's {spec['link']}"))
    return problems


def catalog_faq_ids(catalog_path: Path) -> frozenset[str]:
    """The FAQ ids a catalog names (for eval scoring)."""
    problems: list[Problem] = []
    catalog = read_yaml(catalog_path, problems)
    if not isinstance(catalog, dict):
        raise KnowledgeError(problems or [Problem(str(catalog_path), "expected a 'faq:' mapping")])
    return frozenset((catalog.get("faq") or {}).keys())


def check_sigs(kb: KnowledgeBase, sigs_path: Path) -> list[Problem]:
    """Every route naming a Kubernetes group must name one that exists, with its real Slack channel."""
    problems: list[Problem] = []
    document = read_yaml(sigs_path, problems)
    if not isinstance(document, dict):
        return problems or [Problem(str(sigs_path), "expected 'sigs:' and 'committees:' lists")]
    groups: dict[str, dict] = {}
    for section in ("sigs", "workinggroups", "committees", "usergroups"):
        for group in document.get(section) or []:
            if isinstance(group, dict) and "dir" in group:
                groups[group["dir"]] = group
    for route in kb.routes:
        if not route.sig:
            continue
        where = f"routing.yaml: {route.id}"
        group = groups.get(route.sig)
        if group is None:
            problems.append(Problem(where, f"'{route.sig}' is not a group in {sigs_path.name}"))
            continue
        slack = (group.get("contact") or {}).get("slack")
        if slack and route.channel != f"#{slack}":
            problems.append(Problem(where, f"channel {route.channel} is stale: {sigs_path.name} says #{slack}"))
        if not slack and route.channel.startswith("#"):
            problems.append(Problem(where, f"{sigs_path.name} lists no Slack channel for '{route.sig}'"))
        if route.link.rstrip("/").rsplit("/", 1)[-1] != route.sig and "kubernetes/community" in route.link:
            problems.append(Problem(where, f"link {route.link} does not point at '{route.sig}'"))
    return problems
