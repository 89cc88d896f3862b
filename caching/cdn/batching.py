"""What one invalidation request holds: pending paths deduplicated, folded and kept within limits.

CloudFront counts what is in progress per distribution: at most 3,000 plain paths and
15 wildcard paths. A wildcard (`/a/b/*`, `*` last) costs one path however much it
covers, so many paths under one prefix are folded into it; past the wildcard limit,
the wildcards sharing the longest prefix are merged (a wider purge, never a missed one).
What does not fit waits for the CDN to finish what it has in progress.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from os.path import commonprefix


def is_wildcard(path: str) -> bool:
    return path.endswith("*")


def covers(wildcard: str, path: str) -> bool:
    return path.startswith(wildcard[:-1])


def parent(path: str) -> str:
    """The folder a path sits in: `/api/v1/products/12/` → `/api/v1/products/`."""
    trimmed = path.rstrip("*").rstrip("/")
    return trimmed[: trimmed.rfind("/") + 1] or "/"


@dataclass
class Plan:
    """The paths to send now; `covered(path)` says whether a pending path goes with them."""

    items: list[str] = field(default_factory=list)

    @property
    def wildcards(self) -> int:
        return sum(1 for path in self.items if is_wildcard(path))

    def covered(self, path: str) -> bool:
        if path in self._plain:
            return True
        return any(covers(wildcard, path) for wildcard in self._wildcards)

    @cached_property
    def _plain(self) -> frozenset[str]:
        return frozenset(p for p in self.items if not is_wildcard(p))

    @cached_property
    def _wildcards(self) -> tuple[str, ...]:
        return tuple(p for p in self.items if is_wildcard(p))


def _without_covered(paths: set[str]) -> set[str]:
    wildcards = sorted(p for p in paths if is_wildcard(p))
    kept = set()
    for path in paths:
        if any(w != path and covers(w, path) for w in wildcards):
            continue
        kept.add(path)
    return kept


def _fold_folders(paths: set[str], threshold: int) -> set[str]:
    """`threshold` or more plain paths in one folder become that folder's wildcard."""
    by_folder: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        if not is_wildcard(path):
            by_folder[parent(path)].append(path)
    folded = set(paths)
    for folder, members in by_folder.items():
        if len(members) >= threshold:
            folded -= set(members)
            folded.add(folder + "*")
    return _without_covered(folded)


def _merge_wildcards(paths: set[str], limit: int) -> set[str]:
    """While there are more wildcards than `limit`, merge the two sharing the longest prefix."""
    paths = set(paths)
    while limit >= 1 and sum(map(is_wildcard, paths)) > limit:
        wildcards = sorted(p[:-1] for p in paths if is_wildcard(p))
        best = max(range(len(wildcards) - 1), key=lambda i: len(commonprefix(wildcards[i:i + 2])))
        prefix = commonprefix(wildcards[best:best + 2]) or "/"
        paths = _without_covered(paths | {prefix + "*"})
    return paths


def plan_batch(pending: Iterable[str], *, max_paths: int, max_wildcards: int, fold_threshold: int) -> Plan:
    """The paths of the next invalidation request, given how many plain paths (`max_paths`)
    and wildcards (`max_wildcards`) the CDN can still take while its current work runs."""
    paths = _fold_folders(_without_covered(set(pending)), fold_threshold)
    paths = _merge_wildcards(paths, max_wildcards)
    wildcards = sorted(p for p in paths if is_wildcard(p))[: max(max_wildcards, 0)]
    plain = sorted(p for p in paths if not is_wildcard(p) and not any(covers(w, p) for w in wildcards))
    return Plan(items=wildcards + plain[: max(max_paths, 0)])
