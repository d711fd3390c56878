"""A library: many videos as one collection, asked across, grown one video at a time.

One job per module: `catalog` (the SQLite catalog of videos, safe under concurrent adds),
`folder` (the library's layout and file locks), `spec` (the spec media files are run with),
`collection` (`Library`: add, remove, rebuild, ask), `asking` (retrieval and answers across
videos), `notes` (the library's notes.md), `collect` (`gc`).
"""

from .asking import Filters, LibraryQA
from .catalog import Catalog, VideoEntry
from .collection import Library, open_library
from .folder import LibraryFolder, is_library

__all__ = [
    "Catalog",
    "Filters",
    "Library",
    "LibraryFolder",
    "LibraryQA",
    "VideoEntry",
    "is_library",
    "open_library",
]
