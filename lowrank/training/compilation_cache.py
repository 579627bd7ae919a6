"""TensorFlow's XLA compilation cache, shared by a user's training processes.

Servers and jobs keep compiled loops in ``xla-cache`` of the private runtime
folder (:mod:`lowrank.runtime_folder`). The cache only saves time, so a fault
in it (an entry that cannot be read or written) must cost no more than that:
:func:`is_cache_failure` recognises one, :func:`clear_compilations` empties
the cache and :func:`stop_sharing_compilations` trains without it.
"""

import contextlib
import os

from lowrank.runtime_folder import private_subfolder

# What TensorFlow says when an XLA cache entry cannot be read (truncated,
# damaged) or written (full disk, file size limit, read-only folder).
CACHE_FAILURES = ("Read less bytes than requested", "xla_compile_cache")
# Entries beyond this many bytes are evicted, oldest first, when a process
# starts sharing: the runtime folder may be RAM-backed (/run/user).
CACHE_LIMIT_BYTES = 256 << 20


def is_cache_failure(message):
    """Whether a training failed on the XLA compilation cache, not itself."""
    return any(sign in message for sign in CACHE_FAILURES)


def share_compilations(environ=os.environ):
    """Let every training process of this user reuse XLA's compilations.

    TensorFlow keeps compiled loops in ``xla-cache`` of the runtime folder (a
    few hundred kB per shape and setting), so a server or job that meets a
    shape another one compiled skips about a second of compiling. Call before
    TensorFlow is imported; servers inherit it.
    """
    flags = environ.get("TF_XLA_FLAGS", "")
    if "tf_xla_persistent_cache_directory" not in flags:
        cache = private_subfolder("xla-cache", environ)
        evict_oldest(cache)
        flag = f"--tf_xla_persistent_cache_directory={cache}"
        environ["TF_XLA_FLAGS"] = f"{flags} {flag}".strip()


def evict_oldest(cache, limit=CACHE_LIMIT_BYTES):
    """Remove the least recently written entries of ``cache`` until the rest
    take at most ``limit`` bytes; returns how many it removed."""
    entries = []
    for entry in os.scandir(cache):
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            entries.append((info.st_mtime_ns, info.st_size, entry.path))
    total = sum(size for _, size, _ in entries)
    removed = 0
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size
            removed += 1
    return removed


def stop_sharing_compilations(environ=os.environ):
    """Undo :func:`share_compilations` (before TensorFlow is imported)."""
    flags = environ.get("TF_XLA_FLAGS", "").split()
    kept = [f for f in flags if not f.startswith("--tf_xla_persistent_cache_directory")]
    environ["TF_XLA_FLAGS"] = " ".join(kept)


def clear_compilations(environ=os.environ):
    """Remove every entry of the shared XLA cache (a later compile writes a
    sound one); returns how many it removed (none from a read-only folder)."""
    removed = 0
    for entry in private_subfolder("xla-cache", environ).iterdir():
        with contextlib.suppress(OSError):
            entry.unlink()
            removed += 1
    return removed
