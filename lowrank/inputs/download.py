"""One image downloaded over HTTP(S), held to bounds a hostile server cannot
move: connect and read timeouts, a deadline for the whole transfer, a byte
cap, no transparent decompression, and redirects to the same origin only (or
none).

Why not Snakemake's HTTP storage plugin: it writes a download at the path
the URL spells (``..`` climbs out of the study), asks the server at every
plan (a finished study cannot plan while the server is down; a HEAD that
never answers hangs planning) and has no byte cap or deadline. ``requests``
(already beside Snakemake) does the HTTP; the bounds are ours.
"""

import contextlib
import hashlib
import json
import os
import signal
from pathlib import Path
from urllib.parse import urljoin

import requests
import urllib3

from lowrank.errors import LowrankError, StudySpecError
from lowrank.inputs.urls import FetchLimits, same_origin, url_stem

MAX_REDIRECTS = 5
CHUNK_BYTES = 1 << 16


class FetchError(LowrankError):
    """A download was refused or failed; the message says why."""


def download(url, destination, limits):
    """Write the body of ``url`` to ``destination`` and return its size and
    SHA-256; FetchError (the file left absent) if the server refuses,
    redirects where ``limits`` forbid, sends an encoded body or more than
    ``limits.max_bytes``, or takes longer than its timeouts or deadline."""
    destination = Path(destination)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with _deadline(url, limits.deadline), requests.Session() as session:
            response = _follow(session, url, limits)
            with response, partial.open("wb") as file:
                size, digest = _copy_body(response, file, limits.max_bytes)
    except FetchError:
        partial.unlink(missing_ok=True)
        raise
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise FetchError(f"{url}: {_reason(error)}") from error
    partial.replace(destination)
    return size, digest


def _follow(session, url, limits):
    """The response of ``url`` after the redirects ``limits`` allow."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        response = session.get(
            current,
            stream=True,
            allow_redirects=False,
            timeout=(limits.connect_timeout, limits.read_timeout),
            headers={"Accept-Encoding": "identity"},
        )
        if not response.is_redirect:
            _check_response(url, response, limits.max_bytes)
            return response
        target = urljoin(current, response.headers["location"])
        response.close()
        _check_redirect(url, target, limits.redirects)
        current = target
    raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _check_redirect(url, target, policy):
    if policy == "off":
        raise FetchError(
            f"{url}: redirected to {target}, and images.fetch.redirects is off"
        )
    if not same_origin(url, target):
        raise FetchError(
            f"{url}: redirected to another origin ({target}); only redirects to "
            "the same scheme, host and port are followed (images.fetch.redirects)"
        )
    try:
        url_stem(target)
    except StudySpecError as error:
        raise FetchError(f"{url}: redirected to a refused address: {error}") from None


def _check_response(url, response, max_bytes):
    if response.status_code != 200:
        response.close()
        raise FetchError(f"{url}: the server answered HTTP {response.status_code}")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        response.close()
        raise FetchError(
            f"{url}: the server sent a {encoding}-encoded body, which is not "
            "decoded (an image is compressed already)"
        )
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        response.close()
        raise FetchError(f"{url}: {_too_large(max_bytes)} (it declares {length})")


def _copy_body(response, file, max_bytes):
    size, digest = 0, hashlib.sha256()
    for chunk in response.raw.stream(CHUNK_BYTES, decode_content=False):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{response.url}: {_too_large(max_bytes)}")
        digest.update(chunk)
        file.write(chunk)
    return size, digest.hexdigest()


def _too_large(max_bytes):
    return (
        f"the body is over {max_bytes} bytes, more than an image of "
        "images.max_pixels can take"
    )


def _reason(error):
    if isinstance(error, requests.ConnectTimeout):
        return "no connection within images.fetch.connect_timeout"
    if isinstance(error, requests.ReadTimeout | urllib3.exceptions.ReadTimeoutError):
        return "the server stalled past images.fetch.read_timeout"
    if isinstance(error, requests.ConnectionError):
        return f"the server cannot be reached ({error})"
    return f"the download failed ({error})"


class _DeadlinePassed(BaseException):
    """Raised by the alarm inside a blocking read; BaseException, so that no
    library's ``except Exception`` takes it for a network error."""


@contextlib.contextmanager
def _deadline(url, seconds):
    """Stop what runs inside after ``seconds`` (a server that trickles a byte
    at a time never trips a read timeout). SIGALRM: the fetch job's main
    thread runs nothing else."""

    def expire(signum, frame):
        raise _DeadlinePassed

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _DeadlinePassed:
        raise FetchError(
            f"{url}: the download took longer than images.fetch.deadline "
            f"({seconds:g} s)"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def environment_limits():
    """The limits the workflow hands a fetch job (LOWRANK_FETCH, JSON)."""
    settings = json.loads(os.environ["LOWRANK_FETCH"])
    return FetchLimits(**settings)
