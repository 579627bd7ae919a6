"""Metrics of every approximation of one input against the input and its SVD."""

import itertools
import math

import numpy as np

from lowrank.decomposition.svd import stack_norms, svd_errors
from lowrank.evaluation import metrics
from lowrank.evaluation.summary import read_table, summary_row, summary_table, write_csv
from lowrank.inputs.layouts import shown_picture
from lowrank.methods import svd_record
from lowrank.records import read_record


def evaluation_rows(item, decompositions, ranks, svd_path, network_paths):
    """Summary rows of the truncated SVD at each of ``ranks`` and of every
    network record in ``network_paths``.

    Records are read one at a time, so only one approximation is in memory
    besides the input and its SVD. Each row names the file it came from
    (``svd_path`` for the truncations).
    """
    truncations = ((svd_record(item, decompositions, r), svd_path) for r in ranks)
    networks = ((read_record(path), path) for path in network_paths)
    reference = Reference(item, decompositions)
    return [
        summary_row(
            item, record, evaluate(item, decompositions, record, reference), path
        )
        for record, path in itertools.chain(truncations, networks)
    ]


class Reference:
    """What every record of one input is measured against, computed once:
    ||A||_2 and ||A||_F from the singular values (no SVD of A per record) and
    the SSIM reference of an image (of its gray or RGB picture)."""

    def __init__(self, item, decompositions):
        self.norm_2, self.norm_fro = stack_norms(decompositions)
        self.picture = shown_picture(item, item.matrix)
        self.ssim = (
            metrics.SSIMReference(self.picture) if item.kind == "image" else None
        )


def write_evaluation(item, decompositions, ranks, svd_path, network_paths, path):
    """Write :func:`evaluation_rows` as the summary table ``path`` (CSV) and
    return it read back, with the types every later reader sees."""
    rows = evaluation_rows(item, decompositions, ranks, svd_path, network_paths)
    write_csv(summary_table(rows), path)
    return read_table(path)


def evaluate(item, decompositions, record, reference=None):
    """Return the metrics of ``record`` as a flat dict of floats.

    Parameters
    ----------
    item : lowrank.records.InputMatrix
    decompositions : list of lowrank.decomposition.svd.SVD, one per channel of ``item``
    record : lowrank.records.Record
    reference : Reference, optional
        The input's, where many records of it are evaluated.

    Notes
    -----
    ``delta_*`` is the method's error minus the SVD's: never negative beyond
    rounding, by Eckart-Young. ``psnr`` and ``ssim`` are NaN unless the input
    is an image, and measure its gray or RGB picture (a YCbCr stack's
    approximation is turned into RGB first); the errors measure the stack.
    ``principal_angle`` is the largest over channels. A record whose
    approximation is not a rank-k approximation (status ``diverged`` or
    ``rank-check-failed``) has NaN for every measure of its approximation;
    the SVD's errors, its numerical rank, storage and loss are still given.
    """
    original, approximation = item.matrix, record.approximation
    if original.shape != approximation.shape:
        raise ValueError(
            f"record {record.input}/{record.method} has shape {approximation.shape}, "
            f"input has {original.shape}"
        )
    channels, m, n = original.shape
    svd_2, svd_fro = svd_errors(decompositions, record.rank)
    reference = reference or Reference(item, decompositions)
    quality = (
        _approximation_measures(item, decompositions, record, reference)
        if record.status in MEASURABLE
        else dict.fromkeys(APPROXIMATION_MEASURES, math.nan)
    )
    return {
        **quality,
        "svd_rel_err_2": svd_2,
        "svd_rel_err_fro": svd_fro,
        "delta_rel_err_2": quality["rel_err_2"] - svd_2,
        "delta_rel_err_fro": quality["rel_err_fro"] - svd_fro,
        "numerical_rank": record.numerical_rank,
        "stored_numbers": record.stored_numbers,
        "compression_ratio": metrics.compression_ratio(
            channels * m, n, record.stored_numbers
        ),
        "final_loss": (
            math.nan if record.status == "diverged" else _final_loss(record.loss)
        ),
    }


# Statuses whose approximation is a rank-k matrix, so measuring it means something.
MEASURABLE = ("ok", "not-converged")
APPROXIMATION_MEASURES = ("rel_err_2", "rel_err_fro", "principal_angle", "psnr", "ssim")


def _approximation_measures(item, decompositions, record, reference):
    original, approximation = item.matrix, record.approximation
    return {
        "rel_err_2": metrics.relative_error_2(
            original, approximation, reference.norm_2
        ),
        "rel_err_fro": metrics.relative_error_fro(
            original, approximation, reference.norm_fro
        ),
        "principal_angle": max(
            metrics.largest_principal_angle(b, d.u, d.s, record.rank)
            for b, d in zip(approximation, decompositions)
        ),
        **_picture_measures(item, approximation, reference),
    }


def _picture_measures(item, approximation, reference):
    """PSNR and SSIM of an image's picture; NaN for a matrix."""
    if item.kind != "image":
        return {"psnr": math.nan, "ssim": math.nan}
    picture = shown_picture(item, approximation)
    return {
        "psnr": metrics.psnr(reference.picture, picture),
        "ssim": reference.ssim(picture),
    }


def _final_loss(loss):
    """Mean over channels of each channel's last logged loss (NaN if untrained)."""
    if loss.shape[1] == 0:
        return math.nan
    return float(np.mean([row[np.isfinite(row)][-1] for row in loss]))
