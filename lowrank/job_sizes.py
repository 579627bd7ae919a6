"""What a job of the workflow asks for and when it starts, from the size of
its input: memory, and the order of ready jobs. Standard library only:
Snakemake calls these while it plans (``workflow/rules/resources.smk``), for
every job of a study of thousands of inputs."""

import math

# A remote image not yet fetched: a 16-megapixel photograph.
REMOTE_PIXELS_GUESS = 16_000_000

# Between stages: training is the study's long chain, so every ready
# training starts before any evaluation, and evaluations (which end the
# chain) before codec sweeps, which nothing but the report waits for
# (`docs/design.md`, "The pipeline"; `docs/performance.md`).
STAGE_PRIORITY = {"train": 200, "evaluate": 100, "rate_distortion": 0}


def estimated_pixels(file_bytes, max_pixels=None):
    """Pixels of an image not yet decoded: eight per byte of its file (a
    compressed photograph holds a byte in 0.1 to 3 pixels), or
    :data:`REMOTE_PIXELS_GUESS` for a remote file not yet fetched
    (``file_bytes`` None); at most ``max_pixels``, at least 1."""
    guess = REMOTE_PIXELS_GUESS if file_bytes is None else 8 * file_bytes
    return max(1, min(max_pixels or math.inf, guess))


def input_job_mb(pixels, attempt=1):
    """MB for a job that holds about 16 float64 copies of its input matrix
    (prepare, evaluate), doubling on each retry."""
    return (300 + max(200, 16 * 8 * pixels // 1_000_000)) * attempt


def training_mb(pixels, side, samples, attempt=1):
    """MB for a training job that trains in its own process (a cluster job):
    Keras with its framework (a serving process peaks at 0.9-1.6 GB on the
    default and paper studies, the summaries' ``train_peak_mb``), plus the
    paper regime's ``samples`` training vectors and targets of length
    ``side`` (float32, a few copies in flight) and the network's float64
    matrices. Doubles on each retry."""
    data_mb = (16 * samples * side + 64 * pixels) // 1_000_000
    return (2000 + data_mb) * attempt


def start_priority(stage, pixels, rank_count):
    """A job's priority: its stage's (:data:`STAGE_PRIORITY`), then, within
    a stage, the larger its input and the more ranks it has, the earlier it
    starts, so that a study does not end waiting for one big job started
    last."""
    return STAGE_PRIORITY[stage] + int(math.log2(pixels * max(1, rank_count)))
