"""Where a build folder's trace caches live, named after the cache format and buildprof's own code.

`$BUILDPROF_CACHE_DIR`, else `<build_dir>/.buildprof/` when the build folder is writable, else the
user's cache folder; inside, a folder per cache format and code stamp, so that no cache outlives the
code that wrote it (the folders of other code are removed when a new one is made). The folder above is
tagged with a CACHEDIR.TAG (https://bford.info/cachedir/): backup tools leave it out, and so does the
search for traces when the cache lies inside the build folder (`BUILDPROF_CACHE_DIR=build/cache`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

from buildprof.code_stamp import code_stamp

CACHE_FORMAT = "traces-v3"  # the cache layout; the folder name adds the code's stamp (code_stamp)
CACHE_ENV = "BUILDPROF_CACHE_DIR"
CACHEDIR_TAG = "CACHEDIR.TAG"
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
_TAG_TEXT = CACHEDIR_SIGNATURE + (
    b"\n# This file is a cache directory tag created by buildprof.\n"
    b"# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


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


def make_cache_dir(cache_dir: Path) -> None:
    """Create `cache_dir` (OSError when it cannot be) and tag the folder holding it as a cache."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tag = cache_dir.parent / CACHEDIR_TAG
    if not tag.exists():  # the tag is a courtesy to backup tools and to the search for traces
        with contextlib.suppress(OSError):
            tag.write_bytes(_TAG_TEXT)


def is_tagged_cache(folder: str) -> bool:
    """Whether `folder` holds a CACHEDIR.TAG with the standard signature (buildprof's or another tool's)."""
    try:
        with open(os.path.join(folder, CACHEDIR_TAG), "rb") as tag:
            return tag.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False


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
