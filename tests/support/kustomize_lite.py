"""A tiny kustomize for this repository's deploy/kubernetes, used by the tests where kubectl is absent.

It handles exactly what those kustomizations use and nothing more:

- `resources`: YAML files (one or more documents) and directories holding a kustomization.yaml;
- `patches` with only a `path`: strategic merge patches, each applied to the one resource with the
  same apiVersion, kind, name and namespace.

Strategic merge follows Kubernetes for the fields in play: mappings merge recursively, `null`
deletes a key, lists named in MERGE_KEYS merge item by item on their key (items new to the base
come first, as kustomize puts them), `strategy` keeps only the keys the patch gives (retainKeys),
other lists are replaced. Anything else (another kustomization field, a `$patch` directive, a patch
with a target) raises KustomizeLiteError, so the manifests cannot outgrow this renderer unnoticed;
where kubectl is installed the tests also check that both render the same objects.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_FIELDS = {"apiVersion", "kind", "resources", "patches"}
# Field name -> merge key (Kubernetes' x-kubernetes-patch-merge-key) for the lists the patches touch.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "topologySpreadConstraints": "topologyKey",
    "imagePullSecrets": "name",
}
RETAIN_KEYS = {"strategy"}  # patchStrategy retainKeys: a new `type` drops the old type's settings


class KustomizeLiteError(ValueError):
    """The kustomization uses something this renderer does not implement."""


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize directory` would print (order aside)."""
    directory = Path(directory)
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8")) or {}
    unsupported = set(kustomization) - SUPPORTED_FIELDS
    if unsupported:
        raise KustomizeLiteError(f"{directory}: unsupported kustomization fields {sorted(unsupported)}")
    objects: list[dict[str, Any]] = []
    for entry in kustomization.get("resources") or []:
        path = directory / entry
        if path.is_dir():
            objects.extend(render(path))
        else:
            objects.extend(_documents(path))
    for patch_entry in kustomization.get("patches") or []:
        if not isinstance(patch_entry, dict) or set(patch_entry) != {"path"}:
            raise KustomizeLiteError(f"{directory}: only `patches: [{{path: ...}}]` is supported, got {patch_entry!r}")
        for patch in _documents(directory / patch_entry["path"]):
            index = _target(objects, patch, directory)
            objects[index] = strategic_merge(objects[index], patch)
    seen: set[tuple[str, str, str, str]] = set()
    for obj in objects:
        if (ident := _identity(obj)) in seen:
            raise KustomizeLiteError(f"{directory}: {ident} defined twice")
        seen.add(ident)
    return objects


def strategic_merge(base: Any, patch: Any, field: str | None = None) -> Any:
    """`patch` applied to `base` with strategic merge semantics (see the module docstring)."""
    if isinstance(patch, dict):
        if "$patch" in patch or any(key.startswith("$") for key in patch):
            raise KustomizeLiteError(f"patch directives are not supported: {sorted(patch)}")
        if not isinstance(base, dict):
            return _without_nulls(patch)
        merged = copy.deepcopy(base)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = strategic_merge(merged[key], value, key)
            else:
                merged[key] = _without_nulls(value)
        if field in RETAIN_KEYS:
            merged = {key: value for key, value in merged.items() if key in patch}
        return merged
    if isinstance(patch, list) and field in MERGE_KEYS and isinstance(base, list):
        key = MERGE_KEYS[field]
        merged_list = copy.deepcopy(base)
        positions = {item.get(key): i for i, item in enumerate(merged_list) if isinstance(item, dict)}
        new_items = []
        for item in patch:
            if not isinstance(item, dict) or key not in item:
                raise KustomizeLiteError(f"list {field!r} items need their merge key {key!r}: {item!r}")
            if item[key] in positions:
                at = positions[item[key]]
                merged_list[at] = strategic_merge(merged_list[at], item, None)
            else:
                new_items.append(_without_nulls(item))
        return new_items + merged_list
    return _without_nulls(patch)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return copy.deepcopy(value)


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    metadata = obj.get("metadata") or {}
    return (obj.get("apiVersion", ""), obj.get("kind", ""), metadata.get("namespace", ""), metadata.get("name", ""))


def _target(objects: list[dict[str, Any]], patch: dict[str, Any], directory: Path) -> int:
    ident = _identity(patch)
    matches = [i for i, obj in enumerate(objects) if _identity(obj) == ident]
    if len(matches) != 1:
        raise KustomizeLiteError(f"{directory}: patch {ident} matches {len(matches)} resources, expected one")
    return matches[0]
