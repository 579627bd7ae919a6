"""Where a study keeps what lives outside its results: sockets, locks, logs, caches.

On shared workstations and cluster login nodes other people can write to the
temp folder. So, as tmux does with ``/tmp/tmux-UID``, the runtime folder is
created private (0700) and checked with ``lstat`` on every use: a directory,
not a link, owned by this user, open to nobody else, and, as OpenSSH's
StrictModes asks, every folder above it (as written and as resolved) owned by
root or this user and writable by nobody else unless sticky, since whoever
may rename a parent may swap the folder. Anything else stops the study with
an error that names the folder. Files inside are opened without following
links and without truncating them (:func:`open_private`).

The folder is ``$LOWRANK_RUNTIME_DIR`` where set (an absolute path: a
relative one would name another folder in a server that runs from ``/``),
else ``$XDG_RUNTIME_DIR/lowrank`` where that is absolute (the XDG spec
ignores a relative one), else ``lowrank-UID`` in the temp folder. Where that
last, predictable name is taken (a neighbour's folder or link), the study
falls back to an unpredictable private folder beside it and says so.

GPU leases are the one thing users must share (two users must not both take
GPU 0), so their lock files live in a shared folder that must be sticky, like
``/tmp`` itself (:func:`check_shared_folder`), and are only ever locked, never
written.
"""

import os
import stat
import tempfile
import warnings
from pathlib import Path

from lowrank.errors import LowrankError

RUNTIME_VARIABLE = "LOWRANK_RUNTIME_DIR"


class RuntimeFolderError(LowrankError, PermissionError):
    """The runtime folder, or a file in it, is not safe to use."""


class RuntimeFolderWarning(UserWarning):
    """The default runtime folder was taken: another one is used."""


def runtime_folder_path(environ=os.environ):
    """The runtime folder's path for this user, unchecked but absolute."""
    if chosen := environ.get(RUNTIME_VARIABLE):
        if not os.path.isabs(chosen):
            raise RuntimeFolderError(
                f"{RUNTIME_VARIABLE}={chosen} is a relative path; lowrank's "
                f"servers run from another folder, so set it to an absolute one"
            )
        return Path(chosen)
    if os.path.isabs(environ.get("XDG_RUNTIME_DIR", "")):
        return Path(environ["XDG_RUNTIME_DIR"]) / "lowrank"
    return _default_path()


def _default_path():
    return Path(os.path.abspath(tempfile.gettempdir())) / f"lowrank-{os.getuid()}"


def runtime_folder(environ=os.environ, warn=warnings.warn):
    """The checked private runtime folder, created (0700) where missing.

    Where the default folder is unusable but the folders above it are safe,
    a fresh private folder beside it takes its place, pinned in ``environ``
    for this process and its children, and announced through
    ``warn(message, RuntimeFolderWarning)``.
    """
    path = runtime_folder_path(environ)
    try:
        return _made_private(path, os.makedirs)
    except RuntimeFolderError as refusal:
        if path != _default_path() or not _safe_ancestors(path):
            raise
        fallback = Path(tempfile.mkdtemp(prefix=f"{path.name}-", dir=path.parent))
        check_private_folder(fallback)
        environ[RUNTIME_VARIABLE] = str(fallback)
        warn(
            f"{refusal}. Using {fallback} for this study instead.", RuntimeFolderWarning
        )
        return fallback


def private_subfolder(name, environ=os.environ):
    """``name`` inside the runtime folder, created 0700 and checked."""
    return _made_private(runtime_folder(environ) / name, os.mkdir)


def _made_private(path, make):
    """``path``, made by ``make(path, 0o700)`` where missing, then checked."""
    try:
        make(path, 0o700)
    except FileExistsError:  # a folder, a file or a dangling link: checked
        pass
    check_private_folder(path)
    return path


def check_private_folder(path):
    """Raise :class:`RuntimeFolderError` unless ``path`` is a directory (not
    a link) owned by this user with no group or other permissions, below
    folders that nobody else can change (:func:`unsafe_ancestor`)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise RuntimeFolderError(_refusal(path, "does not exist")) from None
    if problem := unsafe_ancestor(path) or _folder_problem(info):
        raise RuntimeFolderError(_refusal(path, problem))


def _folder_problem(info):
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if info.st_uid != os.getuid():
        return f"belongs to uid {info.st_uid}, not to you (uid {os.getuid()})"
    if info.st_mode & 0o077:
        return f"is open to others (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def unsafe_ancestor(path):
    """Why a folder above ``path`` lets someone else rename or replace what
    is in it, or None: each one, along the path as written and along its
    resolved form, must be owned by root or this user and, where others may
    write to it, sticky."""
    path = Path(os.path.abspath(path))
    resolved = Path(os.path.realpath(path.parent))
    for folder in (*path.parents, resolved, *resolved.parents):
        info = os.lstat(folder)
        if info.st_uid not in (0, os.getuid()):
            return f"lies in {folder}, which belongs to uid {info.st_uid}"
        if (
            stat.S_ISDIR(info.st_mode)
            and info.st_mode & 0o022
            and not info.st_mode & stat.S_ISVTX
        ):
            return (
                f"lies in {folder}, which others may write to and which is "
                f"not sticky (mode {stat.S_IMODE(info.st_mode):04o})"
            )
    return None


def _safe_ancestors(path):
    try:
        return unsafe_ancestor(path) is None
    except OSError:
        return False


def _refusal(path, problem):
    return (
        f"runtime folder {path} {problem}; lowrank keeps its sockets, locks, "
        f"logs and caches only in a folder that you own and nobody else can "
        f"reach. Remove it if it is yours, or set {RUNTIME_VARIABLE} to a "
        f"folder of your own with mode 0700"
    )


def check_shared_folder(path):
    """Raise :class:`RuntimeFolderError` unless ``path`` is a directory (not
    a link) in which nobody can remove or replace another user's files: owned
    by root or this user, and sticky wherever others may write to it."""
    info = os.lstat(path)
    writable_by_others = info.st_mode & 0o022
    if (
        stat.S_ISLNK(info.st_mode)
        or not stat.S_ISDIR(info.st_mode)
        or info.st_uid not in (0, os.getuid())
        or (writable_by_others and not info.st_mode & stat.S_ISVTX)
    ):
        raise RuntimeFolderError(
            f"GPU lease folder {path} is not safe to share (mode "
            f"{stat.S_IMODE(info.st_mode):04o}, uid {info.st_uid}): it must be a "
            f"directory owned by root or you, sticky if others may write to it"
        )


def recheck_private_folders(environ=os.environ):
    """Check again the runtime folder and its ``tmp`` and ``xla-cache``: a
    long-lived process (a training server) calls this before each use, since
    a folder checked once may have been swapped since."""
    folder = runtime_folder_path(environ)
    check_private_folder(folder)
    for name in ("tmp", "xla-cache"):
        if os.path.lexists(folder / name):
            check_private_folder(folder / name)


def open_private(path, flags=os.O_RDWR):
    """A descriptor of the regular file ``path`` in a private folder, created
    0600 where missing; never through a link, never truncated."""
    descriptor = os.open(
        path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o600
    )
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        os.close(descriptor)
        raise RuntimeFolderError(f"{path} is not a regular file of yours")
    os.set_blocking(descriptor, True)
    return descriptor


def private_temp_environment(environ=os.environ):
    """Point this process and its children at the runtime folder for
    temporary files (TensorFlow's autograph writes modules there), and pin
    the runtime folder itself, which otherwise follows the temp folder."""
    folder = runtime_folder(environ)
    environ[RUNTIME_VARIABLE] = str(folder)
    environ["TMPDIR"] = str(private_subfolder("tmp", environ))
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
