"""Write files so that a failure never leaves a half-written output.

Every temporary file made here is recorded in a process-wide registry until it
is renamed or removed, so that a signal handler (``featkit`` on SIGTERM or
Ctrl-C) can delete the ones still open before the process exits.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from pathlib import Path

__all__ = ["atomic_path", "commit_group", "remove_pending_temps", "same_file"]

_PENDING: set = set()
_PENDING_LOCK = threading.Lock()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _make_temp(path: Path) -> str:
    if path.parent and not path.parent.exists():
        from ..exceptions import InputError

        raise InputError(f"Cannot write {str(path)!r}: the folder {str(path.parent)!r} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    with _PENDING_LOCK:
        _PENDING.add(tmp)
    try:
        # mkstemp makes the file private (0600): a replaced output keeps the mode it had,
        # a new one gets the mode a plain open() would give it.
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_current_umask()
    os.chmod(tmp, mode)
    return tmp


def _discard(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    with _PENDING_LOCK:
        _PENDING.discard(tmp)


def _rename(tmp: str, path: Path) -> None:
    os.replace(tmp, path)
    with _PENDING_LOCK:
        _PENDING.discard(tmp)


def remove_pending_temps() -> int:
    """Delete every temporary output file not yet renamed; return how many.

    Meant for a signal handler that is about to end the process: the outputs
    themselves are untouched.
    """
    with _PENDING_LOCK:
        pending = list(_PENDING)
        _PENDING.clear()
    removed = 0
    for tmp in pending:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
            removed += 1
    return removed


def same_file(a, b) -> bool:
    """Whether paths ``a`` and ``b`` name the same file.

    Links, ``..`` and relative spellings are resolved; two existing paths are
    compared by device and inode (hard links included).

    Examples
    --------
    >>> same_file("data.csv", "./sub/../data.csv")
    True
    """
    a, b = os.fspath(a), os.fspath(b)
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    A new file gets the permissions ``open(path, "w")`` would give it (0666
    less the umask); a replaced file keeps its previous mode.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = open(tmp, "w").write("done")
    >>> open(target).read()
    'done'
    """
    with commit_group() as group:
        yield group.temp(path)


class _Group:
    def __init__(self):
        self._files: list = []  # (temporary path, final path)

    def temp(self, path) -> str:
        """A temporary file next to ``path``, renamed over it when the group commits."""
        path = Path(path)
        tmp = _make_temp(path)
        self._files.append((tmp, path))
        return tmp


@contextlib.contextmanager
def commit_group():
    """All-or-nothing outputs: every file of the group is replaced, or none is.

    ``group.temp(path)`` returns a temporary file next to ``path``; write the
    output there. When the ``with`` block ends without an exception, every
    temporary file is renamed over its output; on an exception all of them are
    removed and no output is touched.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> a, b = os.path.join(folder, "a.txt"), os.path.join(folder, "b.txt")
    >>> try:
    ...     with commit_group() as group:
    ...         _ = open(group.temp(a), "w").write("a")
    ...         raise OSError("disk full while writing b")
    ... except OSError:
    ...     pass
    >>> os.listdir(folder)
    []
    >>> with commit_group() as group:
    ...     _ = open(group.temp(a), "w").write("a")
    ...     _ = open(group.temp(b), "w").write("b")
    >>> sorted(os.listdir(folder))
    ['a.txt', 'b.txt']
    """
    group = _Group()
    try:
        yield group
    except BaseException:
        for tmp, _ in group._files:
            _discard(tmp)
        raise
    # Renames are the last step and cannot run out of space; if one still fails
    # (the folder vanished), the files not yet renamed are removed.
    try:
        for tmp, path in group._files:
            _rename(tmp, path)
    finally:
        for tmp, _ in group._files:
            if os.path.exists(tmp):
                _discard(tmp)
