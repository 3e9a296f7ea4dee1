"""Output: the one door to the disk for every result folder and file fupsim writes.

Everything fupsim writes goes through this module, so that four promises hold everywhere:

* **All or nothing.** A folder is built beside its destination, in the destination's *real*
  parent (``.``, ``..`` and symbolic links resolved first), and renamed into place; a file is
  written to a temporary name and renamed. A crash, Ctrl-C or ``kill`` leaves the previous
  content as it was. Temporary folders of a run that died without cleaning up (``kill -9``)
  are recognised by the process number in their name and removed by the next write.
* **Nothing of the user's is touched.** fupsim marks the folders it writes with a
  :data:`MARKER` file; it refuses to write into an existing folder that holds files it did
  not write (unless ``force``), and never into the working folder or one that contains it.
* **Ordinary permissions.** Files and folders are created as ``open``/``mkdir`` would create
  them under the process's umask, so a colleague can read a report; an existing folder keeps
  its mode.
* **One manifest shape** (:func:`manifest`): the command, the resolved scenario and its
  content hash, seed, sizes, package versions, git revision, wall time and creation time.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from fupsim.scenario import ScenarioError

__all__ = [
    "MARKER",
    "OutputError",
    "atomic_directory",
    "atomic_file",
    "check_out_dir",
    "claim_dir",
    "git_revision",
    "manifest",
    "package_versions",
    "scenario_hash",
    "write_csv",
    "write_json",
    "write_text",
]

MARKER = ".fupsim-output"
"""File in every folder fupsim writes; its presence means the folder's files are fupsim's."""

_TMP, _OLD = ".tmp-", ".old-"


class OutputError(ScenarioError):
    """An output path that cannot or must not be written (exit code 2 on the command line)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _ordinary(path: Path, *, folder: bool) -> None:
    """Give ``path`` the mode a plain ``mkdir``/``open`` would (mkdtemp/mkstemp make it private)."""
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


def _real(target: str | Path) -> Path:
    """The path with ``.``, ``..`` and symbolic links resolved (it need not exist)."""
    return Path(os.path.realpath(Path(target).expanduser()))


def _fupsim_manifest(path: Path) -> bool:
    """A manifest written by an earlier fupsim (before folders carried the marker)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and "fupsim" in (record.get("packages") or {})


def _user_files(folder: Path) -> list[str]:
    """Entries of ``folder`` that fupsim did not write (empty if the folder is fupsim's)."""
    if not folder.is_dir() or (folder / MARKER).exists():
        return []
    if any(_fupsim_manifest(m) for m in folder.glob("*manifest.json")):
        return []
    return sorted(p.name for p in folder.iterdir())


def claim_dir(target: str | Path) -> Path:
    """Create ``target`` (checked by :func:`check_out_dir`) as a fupsim folder, with its marker.

    For folders filled piece by piece before their final atomic write (the point store of a
    resumable sensitivity analysis).
    """
    real = _real(target)
    try:
        real.mkdir(parents=True, exist_ok=True)
        marker = real / MARKER
        if not marker.exists():
            write_text(marker, "written by fupsim; see the manifest\n")
    except PermissionError as err:
        raise _permission(err, real) from None
    return real


def check_out_dir(target: str | Path, *, force: bool = False, what: str = "--out") -> Path:
    """Validate an output folder before any work is done; return its real path.

    Refused (``OutputError``): a path that is a file; a folder that cannot be created; the
    working folder or a folder that contains it; an existing folder holding files fupsim did
    not write, unless ``force``.
    """
    given = str(target)
    real = _real(target)
    if real.exists() and not real.is_dir():
        raise OutputError(f"{what} {given!r}: is a file; give a folder to write into")
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise OutputError(
            f"{what} {given!r}: is the current folder or contains it; name a new sub-folder "
            "(e.g. --out results)"
        )
    if real == Path(real.anchor):
        raise OutputError(f"{what} {given!r}: is the root of the file system; name a sub-folder")
    parent = real.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {given!r}: cannot create a folder in {str(parent)!r}")
    if real.is_dir() and not os.access(real, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {given!r}: the folder is not writable")
    foreign = _user_files(real)
    if foreign and not force:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise OutputError(
            f"{what} {given!r}: holds files fupsim did not write ({shown}); give a new or "
            "empty folder, or --force to write there anyway (those files are kept)"
        )
    return real


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale(parent: Path, name: str) -> None:
    """Remove temporary folders of ``name`` left by a process that no longer runs."""
    for kind in (_TMP, _OLD):
        for path in parent.glob(f".{name}{kind}*"):
            pid_text = path.name[len(f".{name}{kind}") :].split("-", 1)[0]
            if not pid_text.isdigit() or int(pid_text) == os.getpid():
                continue
            if not _pid_alive(int(pid_text)):
                shutil.rmtree(path, ignore_errors=True)
                print(
                    f"fupsim: removed {path} (temporary folder of a run that died)",
                    file=sys.stderr,
                )


def _permission(err: OSError, target: Path) -> OutputError:
    return OutputError(f"output {str(target)!r}: {err.strerror or err} (check permissions)")


@contextmanager
def atomic_directory(target: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Build a folder beside ``target`` and swap it into place on success.

    Yields the temporary folder to write into. On an exception (or Ctrl-C, or TERM) the
    temporary folder is removed and ``target`` is left as it was. Entries already in
    ``target`` that the new content does not replace are carried over (the resumable point
    store of a sensitivity analysis, a user's files in a folder written with ``--force``).
    The commands call :func:`check_out_dir` first, so by the time work is done the folder is
    known to be writable and fupsim's; ``force=False`` repeats that check here.
    """
    real = check_out_dir(target, force=force, what="output")
    parent = real.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(parent, real.name)
        tmp = Path(tempfile.mkdtemp(prefix=f".{real.name}{_TMP}{os.getpid()}-", dir=parent))
    except PermissionError as err:
        raise _permission(err, real) from None
    try:
        mode = stat.S_IMODE(real.stat().st_mode) if real.is_dir() else None
        yield tmp
        (tmp / MARKER).write_text("written by fupsim; see manifest.json\n", encoding="utf-8")
        if mode is None:
            _ordinary(tmp, folder=True)
        else:
            os.chmod(tmp, mode)
        if real.is_dir():
            for item in real.iterdir():
                dest = tmp / item.name
                if not dest.exists():
                    os.replace(item, dest)
            old = Path(tempfile.mkdtemp(prefix=f".{real.name}{_OLD}{os.getpid()}-", dir=parent))
            os.replace(real, old / "x")
            os.replace(tmp, real)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, real)
    except PermissionError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _permission(err, real) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def atomic_file(target: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    ``suffix`` keeps a file type that a writer infers from the name (``.png``, ``.parquet``).
    """
    real = _real(target)
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{real.name}.", suffix=suffix + ".tmp", dir=real.parent
        )
    except PermissionError as err:
        raise _permission(err, real) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _ordinary(tmp, folder=False)
        os.replace(tmp, real)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(target: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_file(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(target: str | Path, record: Any) -> Path:
    """Write ``record`` as indented, key-sorted JSON atomically."""
    return write_text(target, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(frame: Any, target: str | Path, *, float_format: str | None = "%.10g") -> Path:
    """Write a DataFrame as CSV (no index) atomically."""
    with atomic_file(target) as tmp:
        frame.to_csv(tmp, index=False, float_format=float_format)
    return Path(target)


def git_revision() -> str | None:
    """The git commit fupsim runs from, or None outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape results."""
    names = ["fupsim", "numpy", "pandas", "scipy", "simpy", "pydantic", "statsmodels", "pyarrow"]
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def scenario_hash(resolved: Mapping[str, Any]) -> str:
    """SHA-256 of a resolved scenario's canonical JSON: equal hashes mean equal parameters."""
    text = json.dumps(resolved, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _command() -> str | None:
    argv0 = Path(sys.argv[0]).name if sys.argv else ""
    return " ".join(["fupsim", *sys.argv[1:]]) if argv0 == "fupsim" else None


def manifest(
    analysis: str,
    resolved: Mapping[str, Any],
    *,
    seed: int,
    sizes: Mapping[str, Any],
    started: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The one manifest shape every result folder carries.

    Parameters
    ----------
    analysis : str
        What produced it: ``run``, ``capacity``, ``sweep``, ``owsa``, ``psa``, ``sobol``,
        ``report``.
    resolved : mapping
        The resolved scenario (``Scenario.resolved()``).
    seed : int
        Root random seed.
    sizes : mapping
        The sizes that shaped the numbers (replications, patients, draws, points ...).
    started : float, optional
        ``time.perf_counter()`` at the start of the work, for ``wall_time_seconds``.
    **extra
        Further facts specific to the analysis (kept under their own keys).
    """
    record: dict[str, Any] = {
        "analysis": analysis,
        "fupsim_command": _command(),
        "scenario": dict(resolved),
        "scenario_sha256": scenario_hash(resolved),
        "seed": seed,
        **dict(sizes),
        "packages": package_versions(),
        "git_revision": git_revision(),
        "wall_time_seconds": None if started is None else round(time.perf_counter() - started, 3),
    }
    record.update(extra)
    return record
