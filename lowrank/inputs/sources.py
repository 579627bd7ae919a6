"""A study input's matrix, built from its source: an image file or a member of
a matrix set. The workflow plans the sources (:mod:`lowrank.study`); this
module turns one into a :class:`lowrank.records.InputMatrix`."""

import json

import numpy as np

from lowrank.colour import rgb_to_ycbcr
from lowrank.inputs.images import load_image
from lowrank.inputs.layouts import laid_out
from lowrank.inputs.matrices import build_member
from lowrank.records import InputMatrix


def input_matrix(name, source, image_file=None):
    """The input ``name`` from ``source``, one of

    - ``{"image": {"source": ..., "mode": ..., "layout": ..., "max_pixels":
      ...}}``: the image ``image_file`` read by
      :func:`lowrank.inputs.images.load_image` (:func:`picture`), laid out
      as ``layout`` says (:mod:`lowrank.inputs.layouts`); ``source`` is its
      path or URL, for the record;
    - ``{"matrix": {"set": ..., "member": i, **spec}}``: member i of the
      matrix set ``spec`` (:func:`lowrank.inputs.matrices.build_member`).
    """
    if "image" in source:
        image = source["image"]
        matrix, mode = picture(image_file, image["mode"], image["max_pixels"])
        return InputMatrix(
            laid_out(matrix, image["layout"]),
            input=name,
            kind="image",
            source=image["source"],
            set=name,
            mode=mode,
            layout=image["layout"],
            picture_rows=matrix.shape[1],
            picture_cols=matrix.shape[2],
        )
    spec = dict(source["matrix"])
    set_name, member = spec.pop("set"), spec.pop("member")
    return InputMatrix(
        build_member(set_name, spec, member)[None],
        input=name,
        kind=spec["family"],
        source=json.dumps(spec, sort_keys=True),
        set=set_name,
        member=member,
    )


def picture(path, mode, max_pixels):
    """The image at ``path`` as a stack read in ``mode``, and that mode; a
    gray picture (every pixel's channels equal) is one gray channel whatever
    ``mode`` asks, so that it is neither trained nor costed as three."""
    if mode == "gray":
        return load_image(path, mode="gray", max_pixels=max_pixels), "gray"
    rgb = load_image(path, mode="rgb", max_pixels=max_pixels)
    if np.array_equal(rgb[0], rgb[1]) and np.array_equal(rgb[0], rgb[2]):
        return rgb[:1], "gray"
    return (rgb_to_ycbcr(rgb) if mode == "ycbcr" else rgb), mode
