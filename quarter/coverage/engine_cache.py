"""The engine's cache between requests and processes, keyed by the network's hash.

Building a network's index (projection, deduplicated graph) and snapping a
community's points onto it are the slow parts of a computation; the searches
themselves take milliseconds. Both are kept as plain numpy files under
`QUARTER_ENGINE_CACHE_DIR` (default var/engine-cache) and read back
memory-mapped, so a second process, a second server on the same disk or a
restart does not rebuild them:

    <dir>/<network sha256>/index/<array>.npy     GraphIndex.arrays()
    <dir>/<network sha256>/snaps/<points sha256>.npy   (3, P): edge, along, off

The key is the SHA-256 of the network's stored graph, so a changed network is
a different directory (the old one is never read again); a snap is keyed by
the network and the exact coordinates snapped. Files are written to a
temporary name and renamed, so a reader never sees half a file. Any error
reading or writing the cache falls back to computing (and is logged).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings

from quarter.coverage.graph import GraphIndex, Snap, StreetGraph

logger = logging.getLogger(__name__)

SNAPS_KEPT = 64  # per network; the oldest are removed beyond that
CACHE_VERSION = "2"  # bump when the stored arrays change meaning (2: street names)


def cache_dir() -> Path | None:
    """The cache's root, or None when disabled (setting or env set to "")."""
    value = getattr(settings, "QUARTER_ENGINE_CACHE_DIR", None)
    if value is None:
        value = os.environ.get(
            "QUARTER_ENGINE_CACHE_DIR", str(Path(settings.VAR_DIR) / "engine-cache")
        )
    return Path(value) if value else None


def network_hash(data: bytes) -> str:
    digest = hashlib.sha256(CACHE_VERSION.encode())
    digest.update(bytes(data))
    return digest.hexdigest()


def load_index(data: bytes) -> tuple[GraphIndex, str]:
    """The GraphIndex of a stored network blob, from the cache when there."""
    key = network_hash(data)
    root = cache_dir()
    folder = root / key / "index" if root else None
    if folder is not None and folder.is_dir():
        try:
            arrays = {p.stem: np.load(p, mmap_mode="r") for p in folder.glob("*.npy")}
            return GraphIndex.from_arrays(arrays), key
        except (OSError, ValueError, KeyError):
            logger.exception("engine cache: unreadable index %s", folder)
    index = GraphIndex(StreetGraph.from_npz_bytes(data), segments_beside=True)
    if folder is not None:
        _write_folder(folder, index.arrays())
    return index, key


def _write_folder(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(array))
        try:
            tmp.rename(folder)
        except OSError:  # another process wrote it first
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        logger.exception("engine cache: could not write %s", folder)


def points_hash(network_key: str, lat: np.ndarray, lng: np.ndarray) -> str:
    digest = hashlib.sha256(network_key.encode())
    digest.update(np.ascontiguousarray(lat, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(lng, dtype=np.float64).tobytes())
    return digest.hexdigest()


def load_snap(network_key: str, points_key: str) -> Snap | None:
    root = cache_dir()
    if root is None:
        return None
    path = root / network_key / "snaps" / f"{points_key}.npy"
    try:
        stacked = np.load(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        logger.exception("engine cache: unreadable snap %s", path)
        return None
    return Snap(edge=stacked[0].astype(np.int64), along=stacked[1], off=stacked[2])


def store_snap(network_key: str, points_key: str, snap: Snap) -> None:
    root = cache_dir()
    if root is None:
        return
    folder = root / network_key / "snaps"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stacked = np.stack(
            [snap.edge.astype(np.float64), snap.along, snap.off]
        )  # edge ids are exact in float64
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npy")
        with os.fdopen(fd, "wb") as f:
            np.save(f, stacked)
        os.replace(tmp, folder / f"{points_key}.npy")
        _prune(folder)
    except OSError:
        logger.exception("engine cache: could not write a snap in %s", folder)


def _prune(folder: Path) -> None:
    files = sorted(
        (p for p in folder.glob("*.npy") if not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    for stale in files[:-SNAPS_KEPT]:
        stale.unlink(missing_ok=True)


def clear() -> None:
    """Remove every cached file (tests and the benchmark's cold runs)."""
    root = cache_dir()
    if root is not None and root.is_dir():
        shutil.rmtree(root, ignore_errors=True)
