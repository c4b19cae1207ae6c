"""Local folders as sources: which files to ingest, and which to leave alone.

``scan_folder`` lists files without reading their contents (the ingester reads
them later, and only those whose :func:`file_fingerprint` changed). Every path
is checked to stay inside the added folder: a symlink that leads outside is
reported, never followed. The folders of nested sources are left to them.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from calanque.errors import SourceError

SUPPORTED_SUFFIXES = frozenset(
    {".html", ".htm", ".xhtml", ".md", ".markdown", ".txt", ".pdf", ".docx"}
)


@dataclass(frozen=True)
class LocalFile:
    path: Path  # where it was found (may be a symlink inside the folder)
    relpath: str  # POSIX path relative to the folder
    size: int
    mtime_ns: int
    url: str  # file:// URI of the resolved path
    real_path: Path | None = None  # the resolved path, the one :func:`read_inside` opens


@dataclass(frozen=True)
class SkippedFile:
    path: Path
    reason: str  # "outside-folder" | "unsupported" | "too-large" | "unreadable"
    # file:// URI its error is recorded under: the resolved file's when that lies inside
    # the folder (where its document is stored), else the entry's own
    url: str = ""
    size: int | None = None  # too-large: its size in bytes
    target: Path | None = None  # outside-folder: where the symlink leads
    is_folder: bool = False  # unreadable: a folder that could not be listed


class FileRefused(Exception):
    """A scanned file that must not be read now; ``reason`` is a :class:`SkippedFile` reason."""

    def __init__(self, path: Path, reason: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason


def scan_folder(
    root: Path, *, max_file_bytes: int = 10_000_000, leave_out: Collection[Path] = ()
) -> Iterator[LocalFile | SkippedFile]:
    """Walk ``root`` depth-first in name order, yielding files to ingest or skip.

    Hidden entries (``.git``, ``.cache``, ``.notes.md``) are passed over silently;
    symlinked directories are not descended (their target, if inside, is walked
    anyway); a file reached twice through symlinks is yielded once. The folders in
    ``leave_out`` (those of nested sources, which hold their own files) are not walked,
    and a symlink to a file in one is passed over.
    """
    top = _resolved_folder(root)
    leave = frozenset(leave_out)
    if any(top.is_relative_to(folder) for folder in leave):
        return
    seen: set[str] = set()
    stack: list[Path] = [top]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            yield SkippedFile(folder, "unreadable", url=folder.as_uri(), is_folder=True)
            continue
        subfolders: list[Path] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if path not in leave:
                    subfolders.append(path)
                continue
            item = _examine(top, path, max_file_bytes, leave)
            if isinstance(item, LocalFile):
                if item.url in seen:
                    continue
                seen.add(item.url)
            if item is not None:
                yield item
        stack.extend(reversed(subfolders))


def _resolved_folder(root: Path) -> Path:
    try:
        top = root.expanduser().resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise SourceError(f"Folder {root} does not exist or cannot be read: {exc}.") from exc
    if not top.is_dir():
        raise SourceError(f"{root} is not a folder; give the folder that holds the files.")
    return top


def _examine(
    top: Path, path: Path, max_file_bytes: int, leave: frozenset[Path] = frozenset()
) -> LocalFile | SkippedFile | None:
    """One directory entry -> a file to ingest, a skip with a reason, or None to pass over."""
    try:
        resolved = path.resolve(strict=False)
    except (OSError, RuntimeError):  # symlink loop
        return SkippedFile(path, "unreadable", url=path.as_uri())
    if not resolved.is_relative_to(top):
        return SkippedFile(path, "outside-folder", url=path.as_uri(), target=resolved)
    if any(resolved.is_relative_to(folder) for folder in leave):
        return None  # a nested source's file: that source reads it
    try:
        info = resolved.stat()
    except OSError:  # a broken symlink, or no permission to look
        return SkippedFile(path, "unreadable", url=path.as_uri())
    if stat.S_ISDIR(info.st_mode):
        return None  # a symlink to a folder inside: walked under its real name
    url = resolved.as_uri()
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return SkippedFile(path, "unsupported", url=url)
    if not stat.S_ISREG(info.st_mode):
        return SkippedFile(path, "unsupported", url=url)  # fifo, socket, device: never opened
    if info.st_size > max_file_bytes:
        return SkippedFile(path, "too-large", url=url, size=info.st_size)
    if not os.access(resolved, os.R_OK):
        return SkippedFile(path, "unreadable", url=url)
    return LocalFile(
        path=path,
        relpath=path.relative_to(top).as_posix(),
        size=info.st_size,
        mtime_ns=info.st_mtime_ns,
        url=url,
        real_path=resolved,
    )


def resolve_inside(root: Path, candidate: str | Path) -> Path:
    """Resolve ``candidate`` (relative to ``root``, or absolute) and require it inside ``root``.

    Raises :class:`SourceError` when it escapes through ``..``, an absolute path
    elsewhere or a symlink, so any path coming from outside can be used safely.
    """
    try:
        top = root.expanduser().resolve(strict=False)
        resolved = (top / Path(candidate)).resolve(strict=False)
    except (OSError, RuntimeError, ValueError) as exc:
        raise SourceError(f"Path {candidate!r} cannot be resolved: {exc}.") from exc
    if not resolved.is_relative_to(top):
        raise SourceError(
            f"Path {str(candidate)!r} leads outside the folder {top} (to {resolved}); "
            "only files inside an added folder are read."
        )
    return resolved


def read_inside(top: Path, path: Path, max_bytes: int) -> bytes:
    """Read the regular file ``path``, which must still lie inside the folder ``top``.

    The file may have changed since :func:`scan_folder` looked at it. It is opened without
    following a symlink (``O_NOFOLLOW``) and without blocking on a FIFO (``O_NONBLOCK``),
    then the open descriptor is checked: a regular file, whose real location is inside
    ``top``, of at most ``max_bytes``; at most ``max_bytes + 1`` bytes are read. Raises
    :class:`FileRefused` with the reason otherwise (``OSError`` when it cannot be opened).
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # the last component became a symlink
            raise FileRefused(path, "outside-folder", _swapped(path)) from exc
        raise
    with os.fdopen(fd, "rb", buffering=0) as handle:
        _check_open_file(top, path, os.fstat(fd), max_bytes)
        body = handle.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise FileRefused(path, "too-large", f"{path} grew past {max_bytes} bytes; not read")
    return body


def _check_open_file(top: Path, path: Path, info: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(
            path, "unsupported", f"{path} is no longer a regular file (a device, FIFO or socket)"
        )
    if not Path(os.path.realpath(path.parent)).is_relative_to(top):
        raise FileRefused(path, "outside-folder", _swapped(path))
    if info.st_size > max_bytes:
        raise FileRefused(
            path, "too-large", f"{path} is larger than crawl.max_body_bytes={max_bytes}"
        )


def _swapped(path: Path) -> str:
    return (
        f"{path} was replaced by a symlink, or moved outside the folder, after the scan; "
        "it was not read (re-run the crawl if the change was intended)"
    )


def file_fingerprint(f: LocalFile) -> str:
    """Cheap change marker: the ingester re-reads a file only when this changes."""
    return f"{f.size}:{f.mtime_ns}"
