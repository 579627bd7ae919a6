"""How a study's training jobs share this machine's GPUs and CPUs, decided as
the study is planned: what each training job asks Snakemake for, and how
many of each share there are. workflow/rules/resources.smk only reads
Snakemake's settings and hands them here. Standard library only."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingRequests:
    """What one training job asks for: whole GPUs (``gpu``), shares of one
    (``gpu_share``, training.per_gpu of them per GPU), or a slot among this
    machine's CPU trainings (``cpu_training``)."""

    gpu: int
    gpu_share: int
    cpu_training: int


def training_requests(training_gpus, per_gpu, local_jobs):
    """The requests of a training job that uses ``training_gpus`` GPUs (0 or
    1), with ``per_gpu`` trainings per GPU, run here (``local_jobs``) or by
    a cluster. Shares and CPU slots count this machine only: a cluster's
    job asks for a GPU of its own and is not limited by this machine's
    processors."""
    shared = bool(training_gpus and per_gpu > 1 and local_jobs)
    return TrainingRequests(
        gpu=0 if shared else training_gpus,
        gpu_share=int(shared),
        cpu_training=int(bool(local_jobs and not training_gpus)),
    )


def gpu_share_slots(given_gpus, visible_gpus, per_gpu):
    """Shares of GPUs the trainings of this machine hold at once: per_gpu per
    GPU of the user's --resources gpu=N, else of every GPU it sees (one at
    least)."""
    return (given_gpus or visible_gpus or 1) * per_gpu


def cpu_training_slots(processors, cores, threads):
    """Training jobs this machine runs at once on its CPUs: its processors
    (or --cores, if fewer) divided by a job's threads, one at least.

    Each training job holds a warm TensorFlow server. With --cores above the
    processor count (``--cores 8`` on 2 CPUs) Snakemake would start more
    jobs than can compute, and every extra job pays a TensorFlow import
    (5 s of CPU) while the others train; with this limit a job finds the
    server of the one before it warm.
    """
    return max(1, min(cores or processors, processors) // threads)
