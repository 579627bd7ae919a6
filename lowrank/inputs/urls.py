"""Which image URLs a study accepts, and the record of each one's download.

Planning reads this module (standard library only): a URL of ``images.urls``
is checked here before any request is made, and the ``fetch`` job's record
(:func:`write_fetch_record`) is read back here to decide whether a failed
download is tried again. The download itself is :mod:`lowrank.inputs.download`.

A URL names its input by the stem of its path, as a file does by its name, and
its download lands at ``results/downloads/<stem>.bytes`` whatever the URL says:
so a URL whose path could mean another place (``.``, ``..`` or empty segments,
an encoded slash), that carries credentials or control characters, is refused
with a message naming it.
"""

import json
import math
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from lowrank.errors import RecordError, StudySpecError
from lowrank.inputs.image_files import is_image_path

SCHEMES = ("http", "https")
# Bytes a compressed image may honestly take per pixel of images.max_pixels
# (an uncompressed 8-bit RGBA or 32-bit float file holds 4; 16-bit colour is
# refused when read), and room for its header and metadata.
BYTES_PER_PIXEL = 4
HEADER_BYTES = 1 << 20


@dataclass(frozen=True)
class FetchLimits:
    """How far one download may go: ``max_bytes`` from images.max_pixels,
    the rest from the config section images.fetch (seconds; redirects
    ``same-origin`` or ``off``)."""

    max_bytes: int
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 300.0
    redirects: str = "same-origin"

    @classmethod
    def for_study(cls, max_pixels, fetch):
        """The limits of a study whose images.max_pixels is ``max_pixels``
        and whose images.fetch section is ``fetch``."""
        return cls(max_bytes=BYTES_PER_PIXEL * max_pixels + HEADER_BYTES, **fetch)


def url_stem(url):
    """The stem that names the input of ``url``, once ``url`` is checked;
    StudySpecError naming the URL (config key images.urls) otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        _refuse(url, "is not an http(s) address with a host")
    if parts.username is not None or parts.password is not None:
        _refuse(url, "carries credentials; give the server's address alone")
    if _has_control(url) or _has_control(unquote(url)):
        _refuse(url, "holds control characters (a newline, NUL, ...)")
    try:
        parts.port  # noqa: B018 - raises on a port outside 0..65535
    except ValueError:
        _refuse(url, "has no valid port")
    path = unquote(parts.path)
    segments = path.split("/")[1:]
    if not path.startswith("/") or any(s in ("", ".", "..") for s in segments):
        _refuse(
            url,
            "has '.', '..' or empty segments (or an encoded '/') in its path, "
            "which could name another place",
        )
    name = PurePosixPath(segments[-1])
    if not is_image_path(name):
        _refuse(
            url, "does not end in an image suffix (its name and suffix name the input)"
        )
    return name.stem


def same_origin(first, second):
    """True when two URLs have one scheme, host and port."""
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.hostname, _port(a)) == (b.scheme, b.hostname, _port(b))


def _port(parts):
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _has_control(text):
    return any(unicodedata.category(char) in ("Cc", "Cf") for char in text)


def _refuse(url, why):
    raise StudySpecError(f"images.urls: {url!r} {why}")


def write_fetch_record(path, url, size=None, failed=None):
    """The record of one download of ``url``: its ``size`` in bytes, or why
    it ``failed`` and when (so that the next plan tries it again)."""
    record = {"url": url}
    if failed is None:
        record["bytes"] = int(size)
    else:
        record.update(failed=str(failed), at=time.time())
    Path(path).write_text(json.dumps(record, sort_keys=True) + "\n")


def read_fetch_record(path):
    """The fetch record at ``path``, checked, or None where there is none;
    RecordError naming the file ("delete it and run again") otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise _damaged(path, error) from error
    try:
        record = json.loads(text)
    except ValueError as error:
        raise _damaged(path, error) from error
    if not (isinstance(record, dict) and isinstance(record.get("url"), str)):
        raise _damaged(path, "no url")
    if set(record) == {"url", "bytes"} and _is_count(record["bytes"]):
        return record
    at = record.get("at")
    if (
        set(record) == {"url", "failed", "at"}
        and isinstance(record["failed"], str)
        and isinstance(at, float)
        and math.isfinite(at)
    ):
        return record
    raise _damaged(path, "neither a size nor a failure with its time")


def retry_token(record):
    """What a fetch job's params carry: the time of a failed download (so
    every plan after a failure tries the URL again), else nothing."""
    return record["at"] if record and "failed" in record else None


def _is_count(value):
    return type(value) is int and value >= 0


def _damaged(path, why):
    return RecordError(f"{path}: not a fetch record ({why}); delete it and run again")
