"""One small interface for every codec the rate-distortion sweep compares, and
the place codecs are registered.

A codec turns a picture (a (c, m, n) stack of gray or RGB values in [0, 1])
and one of its sweep's points into bytes, and bytes back into a picture:

    class MyCodec(Codec):
        name = "my-codec"          # its method name in every table
        role = "low-rank"          # or "anchor": a codec of the field
        settings = {"effort": 3}   # what it runs with, as the tables say

        def library(self): return "mylib 1.2"
        def points(self, picture): return [1, 2, 4, 8]   # e.g. its steps
        def encode(self, picture, point): return ...      # bytes
        def decode(self, data): return ...                # (c, m, n) stack

Its rate is the length of what ``encode`` returns (the whole stream, headers
included); its quality that of what ``decode`` reads back from the bytes
alone. BD-rates weigh every ``low-rank`` codec against every ``anchor``.

Built in: the SVD factor streams, made for one image's SVD, whose points are
ranks (:mod:`lowrank.evaluation.svd_codecs`), the image codecs through Pillow
(:mod:`lowrank.evaluation.codecs`) and the block low-rank codec
(:mod:`lowrank.evaluation.block_streams`). A
codec from outside the package joins the sweep, the BD-rates, the figures
and the report without an edit of lowrank: its distribution declares an
entry point in the group ``lowrank.codecs`` naming a Codec subclass (or any
callable that returns a codec), e.g. in its pyproject.toml

    [project.entry-points."lowrank.codecs"]
    my-codec = "mypackage.codecs:MyCodec"

(docs/design.md, "Adding a codec").
"""

import abc
import functools
import importlib.metadata

ENTRY_POINTS = "lowrank.codecs"
ROLES = ("anchor", "low-rank")


class Codec(abc.ABC):
    """The interface; see the module's documentation."""

    name = ""
    role = "anchor"
    settings = {}
    # The table column its points fill: a quality setting or step, or (the
    # SVD streams) a rank.
    point_column = "quality"

    @abc.abstractmethod
    def library(self):
        """The library and version that ran it."""

    @abc.abstractmethod
    def points(self, picture):
        """The points (quality settings, steps) its curve is swept at."""

    @abc.abstractmethod
    def encode(self, picture, point):
        """The bytes of ``picture`` at ``point``."""

    @abc.abstractmethod
    def decode(self, data):
        """The picture a decoder reads from ``data`` alone."""

    def columns(self, data):
        """Table columns its stream ``data`` states besides bits (optional:
        the allocated SVD stream's ranks and code widths)."""
        return {}

    def describe(self, gray=False):
        """Its library and settings, as the tables' ``encoder`` column says
        (``gray``: of a one-plane picture, where a codec may drop settings
        that concern colour)."""
        named = ", ".join(f"{key}={value}" for key, value in self.settings.items())
        return f"{self.library()}: {named}" if named else self.library()


def plugin_entry_points():
    """The entry points of group ``lowrank.codecs``, by name."""
    found = importlib.metadata.entry_points(group=ENTRY_POINTS)
    return sorted(found, key=lambda point: point.name)


def plugin_identities():
    """What planning hands a sweep's params (standard library, no import of a
    plugin): each plugin codec's entry point and its distribution's version,
    so that installing, removing or upgrading one reruns the sweep."""
    return [
        f"{point.name}={point.value} ({point.dist.name if point.dist else '?'} "
        f"{point.dist.version if point.dist else '?'})"
        for point in plugin_entry_points()
    ]


@functools.cache
def plugin_codecs():
    """The codecs registered through entry points, checked."""
    codecs = []
    for point in plugin_entry_points():
        codec = point.load()()
        if not isinstance(codec, Codec) or codec.role not in ROLES or not codec.name:
            raise TypeError(
                f"entry point {point.name} = {point.value} (group {ENTRY_POINTS}): "
                f"not a lowrank Codec with a name and a role in {ROLES}"
            )
        codecs.append(codec)
    return tuple(codecs)
