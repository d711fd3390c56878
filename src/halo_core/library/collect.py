"""`halo library gc`: drop what nothing in the library references any more.

A video's indexes (`videos/<sha16>/`) and the runs the library made for it (`runs/<sha16>/`,
with their artifact store) are kept after `remove`, so re-adding is quick; gc deletes them once
no catalog entry has that media, each under the video's lock (an add in progress holds it, so gc
never deletes what is being built). Cache namespaces the library recorded (`cache_scopes`: L2
answers about a library state, L3 summaries of a video) are cleared once one of the videos they
are about has left.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from .folder import locked

if TYPE_CHECKING:
    from .collection import Library


def collect(library: Library) -> dict[str, int]:
    folder = library.folder
    counts = {"indexes": 0, "runs": 0, "cache_namespaces": 0, "cache_entries": 0}
    for kind, parent in (("indexes", folder.path / "videos"), ("runs", folder.path / "runs")):
        if not parent.is_dir():
            continue
        for child in sorted(p for p in parent.iterdir() if p.is_dir()):
            with locked(folder.lock(child.name)):
                present = {v.index_key for v in library.catalog.videos()}
                if child.name not in present:
                    shutil.rmtree(child)
                    counts[kind] += 1
    present_shas = {v.sha256 for v in library.catalog.videos()}
    stale = [ns for ns, shas in library.catalog.scopes() if not set(shas) <= present_shas]
    cache = library.gateway.cache if stale else None
    if cache is not None:
        for namespace in stale:
            counts["cache_entries"] += cache.clear(namespace)
    counts["cache_namespaces"] = len(stale)
    library.catalog.forget_scopes(stale)
    return counts
