# What each job asks Snakemake for (memory, disk, time, GPUs, CPU slots),
# in which order jobs start, and in which environment they run. Read after
# common.smk, whose plan and cards it sizes the jobs from.


# Whether the jobs run on this machine. Snakemake names its executor only
# once the DAG is built, after this file is read, but it sets `nodes` (the
# --jobs of a cluster or cloud) only for an executor that runs jobs
# elsewhere (and for a dry run given --jobs).
LOCAL_JOBS = workflow.resource_settings.nodes is None

# Every rule states its memory, and its disk and time wherever Snakemake
# would otherwise fill them in (a cluster, or any --default-resources, with
# which Snakemake adds a disk_mb computed from each job's input sizes: a
# third of the dry run at 1,000 inputs): a user's default-resources
# (account, partition, qos) reach every job untouched. On this machine
# without default-resources nothing reads disk or time, and every stated
# resource costs each job's plan. Constants where they can be: Snakemake
# inspects a callable resource's signature at each of its evaluations,
# three a job.
JOB_MB = 1000
JOB_DISK_MB = 1000
# Jobs take seconds (a photo's codec sweep a minute or two), trainings
# minutes: the times are generous, and a retry of the jobs whose memory
# follows their input (prepare, evaluate, train) gets twice the memory.
JOB_MINUTES = 30
TRAINING_MINUTES = 120


def disk_and_time(minutes):
    """The disk and time a job of ``minutes`` states, where they are read."""
    if LOCAL_JOBS and workflow.resource_settings.default_resources is None:
        return {}
    return {"disk_mb": JOB_DISK_MB, "runtime": minutes}


JOB_LIMITS = disk_and_time(JOB_MINUTES)
TRAINING_LIMITS = disk_and_time(TRAINING_MINUTES)


@planned
def memory_from_shape(wildcards, attempt):
    """MB for a prepare or evaluate job, from its input's shape, not from
    input.size_mb: that stats files through asyncio for every job and was a
    third of the dry run's time at 1,000 inputs."""
    return input_job_mb(input_pixels(wildcards.input), attempt)


@planned
def training_memory_mb(wildcards, attempt):
    item = STUDY[wildcards.input]
    pixels = input_pixels(item.name)
    side = max(input_shape(item.name) or (math.isqrt(pixels),))
    samples = training_samples(item.set, wildcards.regime)
    return training_mb(pixels, side, samples, attempt)


@functools.cache
def training_samples(set_name, regime):
    """The paper regime's training vectors of a set (0 for a regime that has
    none), once per set: every member of a set asks the same."""
    return regime_settings(config, set_name, regime).get("samples", 0)


def stage_priority(stage):
    """The priority callable of a stage's jobs (lowrank.job_sizes)."""

    @planned
    def priority(wildcards):
        name = wildcards.input
        return start_priority(stage, input_pixels(name), len(input_ranks(name)))

    return priority


def training_gpus():
    """GPUs one training job asks for: 1 where GPUs are used, else 0.

    ``training.device: auto`` uses a GPU when the training framework of this
    machine sees one (lowrank.training.gpu_probe), not merely nvidia-smi; elsewhere
    training jobs ask for no ``gpu`` and run side by side as far as --cores
    allows, instead of one at a time under --resources gpu=1.
    """
    device = config["training"]["device"]
    if device != "auto":
        return 1 if device == "gpu" else 0
    if not visible_devices():
        return 0
    if CONDA_JOBS:
        # The probe needs the framework, which only the training
        # environment has, built after planning: its CUDA build is used,
        # and each job says on which device it trained.
        return 1
    # The probe keeps its answer in the runtime folder: a fallback from a
    # taken default folder is said here, where the study can print it.
    runtime_folder(warn=print_warning)
    backend = config["training"]["backend"]
    gpus, failure = framework_gpus(backend)
    if not gpus:
        print_warning(
            f"nvidia-smi lists GPUs, but {backend} sees none"
            + (f" ({failure})" if failure else "")
            + f": training runs on the CPU, side by side; {CUDA_BUILD_FIX}",
            GPUNotUsableWarning,
        )
    return 1 if gpus else 0


TRAINING_GPUS = training_gpus()


def gpus_set_for_training():
    """Whether a profile or the command line asks a GPU per training (the
    SLURM profile's `set-resources: train: gpu: 1`), whatever this machine has."""
    asked = workflow.resource_settings.overwrite_resources.get("train")
    if not asked or "gpu" not in asked:
        return False
    return str(getattr(asked["gpu"], "raw", asked["gpu"])) not in ("0", "")


# The jobs' environment files, with the CUDA build of the training one where
# trainings ask for a GPU, by the study's device or by the profile (a login
# node without one builds it for the compute nodes'). Written at every plan:
# Snakemake reads a rule's environment file when it records a finished job,
# conda or not.
CONDA_ENVS = dict.fromkeys(ENVIRONMENTS)
if PACKAGE_TREE or RELEASE is not None:
    write_environments(
        None if RELEASE else PACKAGE_TREE,
        ".snakemake/lowrank/envs",
        bool(TRAINING_GPUS) or gpus_set_for_training(),
        release=RELEASE,
    )
    CONDA_ENVS = environment_paths(".snakemake/lowrank/envs")


# Where the jobs run is known now (LOCAL_JOBS), so the train rule's GPU and
# CPU-slot requests are constants. The limits registered here bind only
# jobs that ask for them (lowrank.training.slot_plan).
PER_GPU = config["training"]["per_gpu"]
TRAINING_REQUESTS = training_requests(TRAINING_GPUS, PER_GPU, LOCAL_JOBS)
if TRAINING_REQUESTS.gpu_share and "gpu_share" not in workflow.global_resources:
    given = workflow.global_resources.get("gpu")
    workflow.register_resource(
        "gpu_share",
        gpu_share_slots(
            getattr(given, "value", given), len(visible_devices()), PER_GPU
        ),
    )


def training_threads():
    """A training job's threads: the user's --set-threads train=N, else
    ``training.threads``."""
    threads = workflow.resource_settings.overwrite_threads.get(
        "train", config["training"]["threads"]
    )
    return getattr(threads, "value", threads)


# A user's own --resources cpu_training=N is kept.
if not TRAINING_GPUS and "cpu_training" not in workflow.global_resources:
    workflow.register_resource(
        "cpu_training",
        cpu_training_slots(
            len(os.sched_getaffinity(0)),
            workflow.resource_settings.cores,  # None for a cluster's --jobs
            training_threads(),
        ),
    )
