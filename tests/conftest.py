"""Fixtures every test module may use: where the real captures are, the shared abseil build, the CLI.

- `captures`: fixtures/captures (the small real builds committed to the repo); skips when absent.
- `shared_data`: ../shared/data next to the repository (large real captures that are not committed);
  tests that need it are marked `@pytest.mark.shared` and are skipped, with the reason, without it.
- `abseil_build`: the real abseil build folder from shared data, unpacked once per session.
- `sample_build`: fixtures/sample_project configured (not built) with CMake + Ninja in a temporary
  folder, for its real `build.ninja`; skips when cmake, ninja or a C++ compiler is missing.
- `recompacted_then_build`: the real recompacted log followed by a real build, as bytes.
- `hang_guard`: fails a test that blocks for a minute (a FIFO opened by mistake) instead of hanging.
- `capture_copy`: a private copy of one capture, to run commands that write caches into it.
- `write_log`: writes a `.ninja_log` (header plus lines) into a fresh build folder.
- `run_cli`: runs `buildprof ...` in-process with click's CliRunner, keeping stdout and stderr apart.
"""

from __future__ import annotations

import inspect
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parents[1]
CAPTURES = REPO / "fixtures" / "captures"
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED_MISSING = f"shared data not found at {SHARED_DATA} (real captures kept next to the repository)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked `shared`, saying why, when ../shared/data is not there."""
    if SHARED_DATA.is_dir():
        return
    skip = pytest.mark.skip(reason=SHARED_MISSING)
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test writes its caches under a temporary folder, never into fixtures/ (tests that check
    the default location unset BUILDPROF_CACHE_DIR themselves)."""
    monkeypatch.setenv("BUILDPROF_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture()
def hang_guard():
    """Fail a test that blocks for a minute (e.g. by opening a FIFO) instead of stopping the suite."""

    def expired(signum, frame):
        raise TimeoutError("the test blocked for 60 s: something waited on a FIFO or a pipe")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture()
def capture_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Factory: a private copy of one capture (without any cache a run left in it), cache env unset."""
    monkeypatch.delenv("BUILDPROF_CACHE_DIR", raising=False)

    def copy(name: str) -> Path:
        folder = tmp_path / name
        shutil.copytree(CAPTURES / name, folder, ignore=shutil.ignore_patterns(".buildprof"))
        return folder

    return copy


@pytest.fixture(scope="session")
def captures() -> Path:
    """fixtures/captures: real builds of fixtures/sample_project with several clang and ninja versions."""
    if not (CAPTURES / "README.md").is_file() and not (CAPTURES.parent / "README.md").is_file():
        pytest.skip(f"no real captures in {CAPTURES} yet (scripts/capture_fixtures.py makes them)")
    return CAPTURES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: the large real captures described in its README."""
    if not SHARED_DATA.is_dir():
        pytest.skip(SHARED_MISSING)
    return SHARED_DATA


@pytest.fixture(scope="session")
def abseil_build(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real abseil-cpp build folder (one clean build, clang-19, ninja 1.11), unpacked once."""
    archive = shared_data / "abseil-build" / "build-dir.tar.zst"
    if shutil.which("zstd") is None or shutil.which("tar") is None:
        pytest.skip("zstd and tar are needed to unpack the abseil build")
    folder = tmp_path_factory.mktemp("abseil-build")
    with subprocess.Popen(["zstd", "-dc", str(archive)], stdout=subprocess.PIPE) as unzstd:
        subprocess.run(["tar", "-xf", "-", "-C", str(folder)], stdin=unzstd.stdout, check=True)
    if unzstd.returncode:
        pytest.fail(f"zstd could not read {archive}")
    return folder


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build folder of fixtures/sample_project configured like the captures (no step run)."""
    cmake, ninja = shutil.which("cmake"), shutil.which("ninja")
    # Configuring only runs CMake's compiler checks: any C++ compiler gives the same build.ninja rules.
    names = ("clang++-19", "clang++-14", "clang++", "g++", "c++")
    compiler = next(filter(None, map(shutil.which, names)), None)
    if not (cmake and ninja and compiler):
        pytest.skip("cmake, ninja and a C++ compiler are needed to configure fixtures/sample_project")
    build = tmp_path_factory.mktemp("sample") / "build"
    command = [cmake, "-S", str(REPO / "fixtures" / "sample_project"), "-B", str(build), "-G", "Ninja"]
    command += [f"-DCMAKE_MAKE_PROGRAM={ninja}", f"-DCMAKE_CXX_COMPILER={compiler}"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"cmake could not configure the sample project:\n{done.stdout}{done.stderr}")
    return build


@pytest.fixture
def recompacted_then_build(captures: Path) -> Callable[..., bytes]:
    """Factory: the real `ninja -t recompact` block, then build 1 of the same capture run later.

    Derived from two real logs: the build's mtimes are moved to a minute after the newest line of the
    block, as if ninja had recompacted the log on load and then built. `last_line_of_block` moves one
    block line to the end of the block (hash-table order is arbitrary, so any order can happen).
    """
    folder = captures / "clang19-ninja1.11"

    def make(last_line_of_block: bytes | None = None) -> bytes:
        """The log bytes (see the fixture)."""
        block = (folder / "ninja_log.recompacted").read_bytes().split(b"\n")[1:-1]
        if last_line_of_block is not None:
            block = [line for line in block if line != last_line_of_block] + [last_line_of_block]
        newest = max(int(line.split(b"\t")[2]) for line in block)
        build = (folder / ".ninja_log").read_bytes().split(b"\n")[1:35]
        shift = newest - int(build[0].split(b"\t")[2]) + 60 * 10**9
        later = []
        for line in build:
            start, end, mtime, rest = line.split(b"\t", 3)
            later.append(b"\t".join((start, end, str(int(mtime) + shift).encode(), rest)))
        return b"# ninja log v5\n" + b"".join(line + b"\n" for line in block + later)

    return make


@pytest.fixture
def write_log(tmp_path: Path) -> Callable[..., Path]:
    """Factory: write_log(lines, version=5, header=None) writes build/.ninja_log, returns the folder.

    `lines` is a list of lines (joined with newlines, one after the last) or raw bytes/str written as
    given; `header` replaces the `# ninja log vN` line (pass "" for none).
    """

    def write(lines: list[str] | str | bytes, version: int = 5, header: str | None = None) -> Path:
        """Write the log (see the fixture) and return its folder."""
        folder = tmp_path / "build"
        folder.mkdir(exist_ok=True)
        head = f"# ninja log v{version}\n" if header is None else header
        if isinstance(lines, list):
            body = "".join(f"{line}\n" for line in lines).encode()
        else:
            body = lines.encode() if isinstance(lines, str) else lines
        (folder / ".ninja_log").write_bytes(head.encode() + body)
        return folder

    return write


def cli_runner() -> CliRunner:
    """A CliRunner that keeps stdout and stderr apart (click 8.2+ always does; 8.1 needs asking)."""
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Factory: run_cli(*args) runs `buildprof args...` in-process and returns click's Result."""
    from buildprof.cli import cli

    def run(*args: str) -> Result:
        """Invoke the CLI with `args`."""
        return cli_runner().invoke(cli, [str(a) for a in args], catch_exceptions=True)

    return run
