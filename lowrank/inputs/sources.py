"""A study input's matrix, built from its source: an image file or a member of
a matrix set. The workflow plans the sources (:mod:`lowrank.study`); this
module turns one into a :class:`lowrank.records.InputMatrix`."""

import json

from lowrank.inputs.images import load_image
from lowrank.inputs.matrices import build_member
from lowrank.records import InputMatrix


def input_matrix(name, source):
    """The input ``name`` from ``source``, one of

    - ``{"image": {"path": ..., "mode": ..., "max_pixels": ...}}``: an image
      file read by :func:`lowrank.inputs.images.load_image`;
    - ``{"matrix": {"set": ..., "member": i, **spec}}``: member i of the
      matrix set ``spec`` (:func:`lowrank.inputs.matrices.build_member`).
    """
    if "image" in source:
        image = source["image"]
        matrix = load_image(
            image["path"], mode=image["mode"], max_pixels=image["max_pixels"]
        )
        return InputMatrix(
            matrix,
            input=name,
            kind="image",
            source=image["path"],
            set=name,
            mode=image["mode"],
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
