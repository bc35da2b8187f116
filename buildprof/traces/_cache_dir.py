"""Where a build folder's trace caches live, named after the cache format and buildprof's own code.

`$BUILDPROF_CACHE_DIR`, else `<build_dir>/.buildprof/` when the build folder is writable, else the
user's cache folder; inside, a folder per cache format and code stamp, so that no cache outlives the
code that wrote it (the folders of other code are removed when a new one is made).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from buildprof.code_stamp import code_stamp

CACHE_FORMAT = "traces-v3"  # the cache layout; the folder name adds the code's stamp (code_stamp)
CACHE_ENV = "BUILDPROF_CACHE_DIR"


def default_cache_dir(build_dir: str | Path) -> Path:
    """`$BUILDPROF_CACHE_DIR`, else `<build_dir>/.buildprof/` if writable, else ~/.cache/buildprof,
    then a folder named after the cache format and the code (caches never outlive their code)."""
    override = os.environ.get(CACHE_ENV)
    build_dir = Path(build_dir).resolve()
    name = f"{CACHE_FORMAT}-{code_stamp()}"
    if override:
        return Path(override) / dir_key(build_dir) / name
    if os.access(build_dir, os.W_OK):
        return build_dir / ".buildprof" / name
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "buildprof" / dir_key(build_dir) / name


def prune_other_caches(cache_dir: Path) -> None:
    """Remove the cache folders of other buildprof code beside `cache_dir` (best effort)."""
    try:
        siblings = list(os.scandir(cache_dir.parent))
    except OSError:
        return
    for entry in siblings:
        ours = entry.name.startswith("traces-") and entry.is_dir(follow_symlinks=False)
        if ours and entry.name != cache_dir.name:
            shutil.rmtree(entry.path, ignore_errors=True)


def dir_key(path: Path) -> str:
    """A short stable name for a folder, to keep the caches of several build folders apart."""
    return hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:16]
