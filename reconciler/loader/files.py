"""The files a project names, and only those: inside the folder of reconciler.yaml, regular, bounded.

A path is refused before anything is opened when it is absolute, leaves the project folder (`..`, a
symlink out), is a symlink that loops or points at nothing, or is not a regular file (FIFO, device). A
file larger than the limit is refused from its size, without reading it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")
OUTSIDE = "is outside the folder of reconciler.yaml"
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class Refused(Exception):
    """A file that is not read. `reason` completes a sentence about the path and never quotes contents."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


def too_large(size: int, limit: int) -> str:
    return f"is too large: {size} bytes, the limit is {limit} (limits.max_file_bytes in reconciler.yaml)"


def resolve_inside(root: Path, base: Path, written: str) -> Path:
    """The real path of `written`, relative to the folder base; Refused unless it stays inside root."""
    if "\0" in written:
        raise Refused("contains a NUL character")
    if Path(written).is_absolute():
        raise Refused("is an absolute path: name files relative to the file that names them, inside the "
                      "folder of reconciler.yaml")
    target = base / written
    if not Path(os.path.normpath(target)).is_relative_to(root):
        raise Refused(OUTSIDE)
    real = real_path(target)
    if not real.is_relative_to(root):
        raise Refused(OUTSIDE)
    return real


def real_path(path: Path) -> Path:
    """path with every symlink followed; Refused for a loop, a symlink to nothing, or a missing file."""
    try:
        return path.resolve(strict=True)
    except FileNotFoundError:
        if path.is_symlink():
            raise Refused("is a symlink to nothing") from None
        raise Refused("No such file or directory", missing=True) from None
    except RuntimeError:  # Python < 3.13: "Symlink loop from ..."
        raise Refused("is a symlink that loops") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("is a symlink that loops") from None
        raise Refused(exc.strerror or type(exc).__name__, missing=True) from None


def read_bytes(path: Path, limit: int) -> bytes:
    """The content of the regular file at path (already resolved), at most limit bytes; never blocks."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("is a symlink that loops") from None
        raise Refused(exc.strerror or type(exc).__name__, missing=True) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"is not a regular file ({_KINDS.get(stat.S_IFMT(info.st_mode), 'a special file')})")
        if info.st_size > limit:
            raise Refused(too_large(info.st_size, limit))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise Refused(exc.strerror or type(exc).__name__, missing=True) from None
    finally:
        os.close(fd)
    if size > limit:
        raise Refused(too_large(size, limit))
    return b"".join(chunks)


@dataclass
class YamlWalk:
    """The *.yaml / *.yml files under a folder (sorted by relative path), and what was refused on the way."""

    root: Path
    budget: int
    files: list[Path] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)
    seen_dirs: set[Path] = field(default_factory=set)

    def walk(self, folder: Path) -> None:
        found: list[tuple[tuple[str, ...], Path]] = []
        for parts, path in self._entries(folder):
            if len(self.files) + len(found) >= self.budget:
                self.refused.append((folder, f"holds more than {self.budget} files to read "
                                             "(limits.max_files in reconciler.yaml)"))
                break
            found.append((parts, path))
        self.files += [path for _, path in sorted(found)]

    def _entries(self, folder: Path) -> Iterator[tuple[tuple[str, ...], Path]]:
        stack: list[tuple[tuple[str, ...], Path]] = [((), folder)]
        self.seen_dirs.add(folder)
        while stack:
            parts, current = stack.pop()
            try:
                entries = sorted(os.scandir(current), key=lambda e: e.name)
            except OSError as exc:
                self.refused.append((current, f"cannot be listed: {exc.strerror or type(exc).__name__}"))
                continue
            for entry in entries:
                path, sub = Path(entry.path), (*parts, entry.name)
                if entry.is_symlink():
                    target = self._follow(path)
                    if target is None:
                        continue
                    if not target.is_relative_to(self.root):
                        if path.suffix in YAML_SUFFIXES or target.is_dir():  # other files: checked when named
                            self.refused.append((path, "is a symlink that points outside the folder of "
                                                       "reconciler.yaml"))
                        continue
                    if target.is_dir():
                        if target not in self.seen_dirs:
                            self.seen_dirs.add(target)
                            stack.append((sub, target))
                    elif path.suffix in YAML_SUFFIXES:
                        yield sub, target
                elif entry.is_dir(follow_symlinks=False):
                    stack.append((sub, path))
                elif path.suffix in YAML_SUFFIXES:
                    yield sub, path

    def _follow(self, link: Path) -> Path | None:
        """Where link leads; None (and refused) for a loop or a symlink to nothing, whatever its name."""
        try:
            return real_path(link)
        except Refused as exc:
            self.refused.append((link, exc.reason))
            return None
