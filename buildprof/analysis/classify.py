"""Say what kind of work each step did and which target it belongs to.

The rule name from `build.ninja` is the reliable source (CMake: `CXX_COMPILER__<target>_...`,
`CXX_STATIC_LIBRARY_LINKER__...`, `CUSTOM_COMMAND`; GN: `cxx`, `alink`, `solink`; Meson: `cpp_COMPILER`,
`STATIC_LINKER`); without a manifest the output's name is used. The target is CMake's
`CMakeFiles/<target>.dir/` (in the output or the OBJECT_DIR binding), else the library or program name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from buildprof.model.ninja import NinjaManifest

if TYPE_CHECKING:
    import pandas as pd

_CMAKE_TARGET_DIR = re.compile(r"(?:^|/)CMakeFiles/([^/]+)\.dir(?:/|$)")
_SHARED_LIB = re.compile(r"\.(so(\.\d+)*|dylib|dll)$")
_COMPILE_EXT = (".o", ".obj", ".pcm", ".gch", ".pch", ".ifc", ".bmi")
_ARCHIVE_EXT = (".a", ".lib")
_SOURCE_EXT = (".h", ".hh", ".hpp", ".hxx", ".inc", ".def", ".ipp", ".c", ".cc", ".cpp", ".cxx", ".ixx")
_COMPILE_RULES = {"cc", "cxx", "c", "objc", "objcxx", "asm", "as", "cuda", "nasm", "rc"}
NO_TARGET = "(no target)"


def classify_steps(steps: pd.DataFrame, manifest: NinjaManifest | None) -> pd.DataFrame:
    """Add `kind` and `target` columns to a steps DataFrame (done once per distinct output)."""
    import pandas as pd

    inverse, distinct = pd.factorize(steps["output"].to_numpy(dtype=object))
    found = classify_all(distinct.tolist(), manifest)
    kinds = np.array([f[0] for f in found] or [""], dtype=object)
    targets = np.array([f[1] for f in found] or [""], dtype=object)
    _name_artifacts_after_targets(distinct, targets, found)
    steps = steps.copy()
    steps["kind"] = kinds[inverse] if len(steps) else np.array([], dtype=object)
    steps["target"] = targets[inverse] if len(steps) else np.array([], dtype=object)
    return steps


def classify_output(output: str, manifest: NinjaManifest | None) -> tuple[str, str]:
    """(kind, target) of the step that wrote `output`."""
    kind, target, _, _ = _classify(output, manifest)
    return kind, target


def _classify(output: str, manifest: NinjaManifest | None) -> tuple[str, str, str | None, bool]:
    """(kind, target, folder holding the output's `CMakeFiles/<target>.dir` or None, whether the
    target is only the library or program file's name)."""
    statement = manifest.by_output.get(output) if manifest else None
    kind = kind_from_rule(statement.rule) if statement else None
    if kind is None:
        kind = kind_from_path(output)
    match = _CMAKE_TARGET_DIR.search(output)
    if match:
        return kind, match.group(1), output[: match.start()], False
    target = None
    if statement is not None:
        target = _target_from_dir(statement.object_dir) or _target_from_cmake_rule(statement.rule)
    if target is None and (kind in ("link", "archive") or _SHARED_LIB.search(output)):
        return kind, _target_from_artifact(output), None, True
    return kind, target or NO_TARGET, None, False


def classify_all(
    outputs: list[str], manifest: NinjaManifest | None
) -> list[tuple[str, str, str | None, bool]]:
    """`_classify` of every output, with the parts that decide it computed once each: the folder
    decides the CMake target and whether a `CMakeFiles/` is in the path, the file name's ending
    (from its first dot) decides the kind, a rule its kind (a million outputs take under a second)."""
    statement_of = manifest.by_output.get if manifest is not None else None
    folders: dict[str, tuple[re.Match | None, bool]] = {}
    path_kinds: dict[tuple, str] = {}
    rule_kinds: dict[str, str | None] = {}
    found = []
    for output in outputs:
        folder, _, base = output.rpartition("/")
        statement = statement_of(output) if statement_of is not None else None
        if base.endswith(".dir") or (statement is not None and statement.object_dir):
            found.append(_classify(output, manifest))  # rare: the plain definition
            continue
        facts = folders.get(folder)
        if facts is None:
            lowered = f"{folder}/".lower() if folder else ""
            facts = folders[folder] = (
                _CMAKE_TARGET_DIR.search(f"{folder}/") if folder else None,
                "cmakefiles/" in lowered,
            )
        kind = None
        if statement is not None:
            kind = rule_kinds.get(statement.rule, "")
            if kind == "":
                kind = rule_kinds[statement.rule] = kind_from_rule(statement.rule)
        if kind is None:
            dot = base.find(".")
            if dot < 0:
                key = (facts[1], None, base.lower().endswith("stamp"))
            elif len(base) == 11 and base.lower() == "build.ninja":
                key = ("build.ninja",)
            else:
                key = (facts[1], base[dot:].lower())
            kind = path_kinds.get(key)
            if kind is None:
                kind = path_kinds[key] = kind_from_path(output)
        match = facts[0]
        if match is not None:
            found.append((kind, match.group(1), output[: match.start()], False))
        elif statement is not None and _target_from_cmake_rule(statement.rule):
            found.append((kind, _target_from_cmake_rule(statement.rule), None, False))
        elif kind in ("link", "archive") or _SHARED_LIB.search(output):
            found.append((kind, _target_from_artifact(output), None, True))
        else:
            found.append((kind, NO_TARGET, None, False))
    return found


def _name_artifacts_after_targets(
    outputs: pd.Index, targets: np.ndarray, found: list[tuple[str, str, str | None, bool]]
) -> None:
    """Without a manifest, `absl/base/libabsl_hardening.a` belongs to target `hardening`.

    CMake targets often set OUTPUT_NAME to a prefixed name; when a folder's objects name a CMake
    target (`absl/base/CMakeFiles/hardening.dir/...`) that the file name ends with after `_`, the
    library or program is counted under that target (the longest such name).
    """
    artifacts = [k for k, f in enumerate(found) if f[3]]
    folders = {k: outputs[k].rsplit("/", 1)[0] if "/" in outputs[k] else "" for k in artifacts}
    wanted = set(folders.values())
    known: dict[str, set[str]] = {}
    for _, target, folder, _ in [f for f in found if f[2] in wanted]:
        known.setdefault(folder, set()).add(target)
    for k in artifacts:
        folder = folders[k]
        candidates = known.get(folder, set())
        if targets[k] in candidates:
            continue
        matches = [t for t in candidates if targets[k].endswith("_" + t)]
        if matches:
            targets[k] = max(matches, key=len)


def kind_from_rule(rule: str) -> str | None:
    """Kind of work a ninja rule does, from the naming conventions of CMake, GN and Meson."""
    name = rule.lower()
    head = name.split("__", 1)[0]
    if not name or name == "phony":
        return None
    if "rerun_cmake" in name or "regenerate" in name or name in ("gn", "configure"):
        return "configure"
    if "symlink" in name or head in ("stamp", "copy", "touch"):
        return "other"  # CMake's CMAKE_SYMLINK_LIBRARY / _EXECUTABLE, GN's bookkeeping rules
    if "custom_command" in name or head in ("action", "action_foreach", "copy_bundle_data"):
        return "codegen"
    if "static_library" in head or head in ("alink", "ar", "static_linker", "archive"):
        return "archive"
    if "linker" in head or head in ("link", "solink", "solink_module", "ld"):
        return "link"
    if "compiler" in head or "_scan" in head or head in _COMPILE_RULES or "compile" in head:
        return "compile"
    return None


def kind_from_path(output: str) -> str:
    """Kind of work guessed from the output's file name, when no rule is known."""
    lower = output.lower()
    base = lower.rsplit("/", 1)[-1]
    if base == "build.ninja":
        return "configure"
    if lower.endswith(_COMPILE_EXT):
        return "compile"
    if lower.endswith(_ARCHIVE_EXT):
        return "archive"
    if _SHARED_LIB.search(lower) or lower.endswith(".exe"):
        return "link"
    if lower.endswith(_SOURCE_EXT):
        return "codegen"
    if "." not in base and "cmakefiles/" not in lower and not base.endswith("stamp"):
        return "link"  # an extension-less file outside CMake's bookkeeping is usually a program
    return "other"


def _target_from_dir(path: str) -> str | None:
    """The CMake target named by a `CMakeFiles/<target>.dir/` component of `path`, if any."""
    match = _CMAKE_TARGET_DIR.search(path)
    return match.group(1) if match else None


def _target_from_cmake_rule(rule: str) -> str | None:
    """CMake names per-target rules `<LANG>_<KIND>__<target>_<config>`; the config may be empty."""
    if "__" not in rule:
        return None
    rest = rule.split("__", 1)[1]
    rest = re.sub(r"_(unscanned_)?[A-Za-z0-9]*$", "", rest)
    return rest or None


def _target_from_artifact(output: str) -> str:
    """The target a library or program is named after: `lib/libfoo.so.1` -> `foo`."""
    base = output.rsplit("/", 1)[-1]
    base = _SHARED_LIB.sub("", base)
    for ext in (*_ARCHIVE_EXT, ".exe"):
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
    return base[3:] if base.startswith("lib") and len(base) > 3 else base
