import functools
import inspect
import json
import math
import os
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from snakemake.common import overwrite_function_params
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate
from snakemake_interface_executor_plugins.settings import DeploymentMethod

# Run from a checkout (a clone, or a module from a local path), planning and
# jobs import lowrank from it, an existing PYTHONPATH kept behind it: planning
# needs only its standard-library modules (lowrank.study), so Snakemake's own
# environment plans a study. A module from a Git host has no checkout: the
# Python of its jobs has lowrank installed.
WORKFLOW_RULES = workflow.current_basedir.get_path_or_uri(secret_free=True)
SOURCE_TREE = None
if os.path.isdir(WORKFLOW_RULES):
    SOURCE_TREE = str(Path(WORKFLOW_RULES).resolve().parents[1])
    sys.path.insert(0, SOURCE_TREE)
    os.environ.update(
        PYTHONPATH=os.pathsep.join(
            [SOURCE_TREE, *filter(None, os.getenv("PYTHONPATH", "").split(os.pathsep))]
        )
    )

from lowrank.evaluation.codec_interface import plugin_identities
from lowrank.conda_envs import (
    ENVIRONMENTS,
    environment_paths,
    hosted_release,
    is_package_tree,
    write_environments,
)
from lowrank.training.device_policy import CUDA_BUILD_FIX
from lowrank.training.gpu_lease import visible_devices
from lowrank.training.gpu_probe import GPUNotUsableWarning, framework_gpus
import lowrank
from lowrank.provenance import STEP_SCRIPTS, step_digests
from lowrank.runtime_folder import runtime_folder
from lowrank.training.regimes import REGIMES, network_method
from lowrank.inputs.cards import (
    admission_limit,
    card_shape,
    fitted_ranks,
    read_card,
)
from lowrank.inputs.matrix_specs import member_spec
from lowrank.inputs.urls import FetchLimits, read_fetch_record, retry_token
from lowrank.software_check import JOB_EXTRAS, MissingSoftware, check_software
from lowrank.settings import (
    config_error,
    check_report_ranges,
    empty_mappings_replace,
    image_mode,
    regime_settings,
)
from lowrank.study import RESERVED_STEMS, plan_study
from lowrank.training.service.slots import prestart

empty_mappings_replace(config, workflow.config_settings.overwrite_config)
try:
    validate(config, workflow.source_path("../schemas/config.schema.yaml"))
except WorkflowError as error:
    schema = workflow.source_path("../schemas/config.schema.yaml")
    raise WorkflowError(config_error(config, schema) or str(error)) from None

# Under --sdm conda each job runs in an environment that installs this
# source tree's package (lowrank.conda_envs, written below once the plan knows
# whether training uses a GPU); elsewhere in Snakemake's own Python, where
# lowrank is importable (from the checkout, or installed).
CONDA_JOBS = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
# A module from a Git host has no source tree: its environments install the
# package from the same repository at the same tag.
RELEASE = (
    None if is_package_tree(SOURCE_TREE) else hosted_release(workflow.current_basedir)
)
if CONDA_JOBS and not is_package_tree(SOURCE_TREE) and RELEASE is None:
    raise WorkflowError(
        "--sdm conda needs the workflow's source tree (pyproject.toml and the "
        "constraints files beside workflow/), to install its lowrank package into "
        f"the jobs' environments; {WORKFLOW_RULES} has none. Deploy the workflow "
        "from a clone (a module from a local path) or from a release on GitHub or "
        "GitLab (github(..., tag=...)), or run without --sdm conda in a Python "
        "that has lowrank installed."
    )

# The Python of the jobs run as programs (prepare, train, evaluate: the
# environment's under conda, else this Snakemake's, as Snakemake picks one for
# `script:`; no rule names a container, so under --sdm apptainer alone jobs
# run here) and how long a training server stays warm. They say how a job
# runs here, not what it computes, so the environment carries them to the
# job, not the rule's params (a changed param reruns the job).
os.environ.update(
    LOWRANK_PYTHON="python" if CONDA_JOBS else sys.executable,
    LOWRANK_WARM_SECONDS=str(config["training"]["warm_seconds"]),
    LOWRANK_SERVER_TIMEOUT=str(config["training"]["server_timeout"]),
    LOWRANK_GPU_WAIT=str(config["training"]["gpu_wait"]),
    LOWRANK_DEVICE=config["training"]["device"],
    LOWRANK_GPU_SHARES=str(config["training"]["per_gpu"]),
    # Prestarted servers load the backend the jobs ask for.
    KERAS_BACKEND=config["training"]["backend"],
    # How far a download of images.urls may go (lowrank.inputs.download).
    LOWRANK_FETCH=json.dumps(
        asdict(
            FetchLimits.for_study(
                config["images"]["max_pixels"], config["images"]["fetch"]
            )
        )
    ),
)

# Regimes are registered in lowrank.training.regimes, so the schema does not list them.
config.setdefault("methods", list(REGIMES))
if unknown := set(config["methods"]) - set(REGIMES):
    raise ValueError(
        f"methods: unknown regime(s) {sorted(unknown)}; known: {list(REGIMES)}"
    )


check_report_ranges(config["report"])


# An input name that is not a reserved stem (lowrank.study.RESERVED_STEMS).
NOT_RESERVED = rf"(?!(?:{'|'.join(RESERVED_STEMS)})$)[^/]+"


wildcard_constraints:
    input=r"[^/]+",
    rank=r"[0-9]+",
    regime="|".join(REGIMES),


# What the plan left out or ignored, for the report: (category, message).
STUDY_NOTES = []


def print_warning(message, category):
    # Snakemake 9's logger is silent while the Snakefile is parsed (#3558),
    # and it swallows Python warnings.
    print(f"lowrank {category.__name__}: {message}", file=sys.stderr)
    STUDY_NOTES.append([category.__name__, message])


STUDY = {item.name: item for item in plan_study(config, warn=print_warning)}
MAX_PIXELS = config.get("images", {}).get("max_pixels")


# A module's `prefix:` (or `replace_prefix:`) moves every relative input and
# output of its rules; a path this file reads itself, or hands a job in its
# params, moves with them through the same modifier, kept now: while the
# DAG is built, `workflow.modifier` is the user's workflow's.
PATH_MODIFIER = workflow.modifier.path_modifier


def on_disk(path):
    """Where a study path (``results/...``) of the rules is, for reading it
    here or in a job that gets it as a param."""
    return str(PATH_MODIFIER.replace_prefix(path))


def input_card_path(name):
    return f"results/inputs/{name}.json"


# Planning until onstart: the cards of a study run before
# (lowrank.inputs.cards) are then read once each, though every job of an
# input asks for its card (ranks, memory, order, pixel limit). Snakemake
# evaluates a job's params and resources again when its inputs are ready,
# after onstart: then a card is read anew, as a prepare job may just have
# written it.
PLANNING = True


def read_input_card(name):
    return read_card(on_disk(input_card_path(name)))


@functools.cache
def planned_card(name):
    return read_input_card(name)


def input_card(name):
    """The card of image input ``name`` as it is now, or None."""
    return planned_card(name) if PLANNING else read_input_card(name)


def input_shape(name):
    """(rows, cols) of an input: a matrix's from the config, an image's from
    its card; None for an image not yet prepared (or skipped)."""
    item = STUDY[name]
    return item.shape or card_shape(input_card(name))


# A remote image not yet fetched: a 16-megapixel photograph.
REMOTE_PIXELS_GUESS = 16_000_000


@functools.cache
def estimated_pixels(path):
    """Pixels of an image not yet decoded: eight per byte of its file (a
    compressed photograph holds a byte in 0.1 to 3 pixels; a remote file not
    yet fetched: REMOTE_PIXELS_GUESS), at most images.max_pixels. Only a
    first run's memory and order use it."""
    guess = 8 * os.stat(path).st_size if path else REMOTE_PIXELS_GUESS
    return max(1, min(MAX_PIXELS or math.inf, guess))


def input_pixels(name):
    shape = input_shape(name)
    if shape is not None:
        return shape[0] * shape[1]
    return estimated_pixels(STUDY[name].path)


# Bleckel's numbers, an input of the paper tables: editing them reruns those.
PUBLISHED_VALUES = str(Path(lowrank.__file__).parent / "data" / "bleckel_published.csv")
# A training job's output: one record per rank.
NETWORK_FOLDER = f"results/approximations/{{input}}/{network_method('{regime}')}"
# An input's training folders, one per regime: patterns in {input}, not an
# input function, which Snakemake would call (and inspect) for every job.
INPUT_NETWORKS = expand(NETWORK_FOLDER, regime=config["methods"], allow_missing=True)


def planned(function):
    """Mark a callable that a rule hands Snakemake (input, params, resources,
    priority): Snakemake reads its parameters with ``inspect.signature`` each
    time it calls it, 17 times a job (a sixth of a 10,000-input dry run,
    bench/dag_scale.py); hand it the same parameters once instead."""
    overwrite_function_params(function, inspect.signature(function).parameters)
    return function


# The codecs of installed plugins (lowrank.evaluation.codec_interface), named
# by entry point and version: installing, removing or upgrading one reruns
# the sweeps and the BD-rates.
CODEC_PLUGINS = plugin_identities()


# The code digest of each step (lowrank.provenance): a job's params carry it,
# so an edit reruns the jobs whose program reaches the edited module.
CODE = step_digests(
    {step: workflow.source_path(f"../scripts/{step}.py") for step in STEP_SCRIPTS},
    config["methods"],
)


@planned
def get_training_code(wildcards):
    """A training job's code digest: its own regime's trainer, not another's."""
    return CODE[f"train:{wildcards.regime}"]


# Every rule states all its resources, so that a user's default-resources
# (account, partition, qos) reach every job untouched, and Snakemake's own
# default disk_mb, which stats every job's inputs while the DAG is built (a
# third of the dry run at 1,000 inputs), is never evaluated. Our outputs are
# a few MB. Constants where they can be: Snakemake inspects a callable
# resource's signature at each of its evaluations, three a job.
JOB_MB = 1000
JOB_DISK_MB = 1000
# Jobs take seconds (a photo's codec sweep a minute or two), trainings
# minutes: the times are generous, and a retry of the jobs whose memory
# follows their input (prepare, evaluate, train) gets twice the memory.
JOB_MINUTES = 30
TRAINING_MINUTES = 120


@planned
def memory_from_shape(wildcards, attempt):
    """MB for a job that holds about 16 float64 copies of its input matrix.

    Planned from the shape, not from input.size_mb: that stats files through
    asyncio for every job and was a third of the dry run's time at 1,000 inputs.
    Doubles on each retry.
    """
    pixels = input_pixels(wildcards.input)
    return (300 + max(200, 16 * 8 * pixels // 1_000_000)) * attempt


@planned
def training_memory_mb(wildcards, attempt):
    """MB for a training job that trains in its own process (a cluster job):
    Keras with its framework (a serving process peaks at 0.9-1.6 GB on the
    default and paper studies, the summaries' ``train_peak_mb``), plus the
    paper regime's training vectors and targets (float32, a few copies in
    flight) and the network's float64 matrices. Doubles on each retry."""
    item = STUDY[wildcards.input]
    pixels = input_pixels(item.name)
    side = max(input_shape(item.name) or (math.isqrt(pixels),))
    samples = training_samples(item.set, wildcards.regime)
    data_mb = (16 * samples * side + 64 * pixels) // 1_000_000
    return (2000 + data_mb) * attempt


@functools.cache
def training_samples(set_name, regime):
    """The paper regime's training vectors of a set (0 for a regime that has
    none), once per set: every member of a set asks the same."""
    return regime_settings(config, set_name, regime).get("samples", 0)


def larger_first(wildcards):
    """Within a stage: the larger an input and the more ranks it has, the
    earlier its job starts, so that the study does not end waiting for one
    big job started last."""
    name = wildcards.input
    return int(math.log2(input_pixels(name) * max(1, len(input_ranks(name)))))


# Between stages: training is the study's long chain, so every ready
# training starts before any evaluation, and evaluations (which end the
# chain) before codec sweeps, which nothing but the report waits for
# (`docs/design.md`, "The pipeline"; `docs/performance.md`).
STAGE_PRIORITY = {"train": 200, "evaluate": 100, "rate_distortion": 0}


def stage_priority(stage):
    """The priority callable of a stage's jobs: its stage, then larger first."""

    @planned
    def priority(wildcards):
        return STAGE_PRIORITY[stage] + larger_first(wildcards)

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
if is_package_tree(SOURCE_TREE) or RELEASE is not None:
    write_environments(
        SOURCE_TREE if RELEASE is None else None,
        ".snakemake/lowrank/envs",
        bool(TRAINING_GPUS) or gpus_set_for_training(),
        release=RELEASE,
    )
    CONDA_ENVS = environment_paths(".snakemake/lowrank/envs")


def gpus_to_share():
    """GPUs the trainings of this machine share: the user's --resources
    gpu=N, else every GPU it sees."""
    given = workflow.global_resources.get("gpu")
    return getattr(given, "value", given) or len(visible_devices()) or 1


# Whether the jobs run on this machine. Snakemake names its executor only
# once the DAG is built, after this file is read, but it sets `nodes` (the
# --jobs of a cluster or cloud) only for an executor that runs jobs
# elsewhere (and for a dry run given --jobs): known now, the train rule's
# resources are constants (Snakemake inspects a callable resource's
# signature at each of its evaluations, three a job). The limits registered
# here bind only jobs that ask for them.
LOCAL_JOBS = workflow.resource_settings.nodes is None
PER_GPU = config["training"]["per_gpu"]
# training.per_gpu > 1 on this machine: training jobs ask for a share of a
# GPU (``gpu_share``, per_gpu of them per GPU) instead of a whole one; their
# GPU leases spread them over the GPUs (lowrank.training.gpu_lease). A
# cluster job still asks for a GPU of its own.
SHARED_GPUS = bool(TRAINING_GPUS and PER_GPU > 1 and LOCAL_JOBS)
# Training on this machine's CPUs: only then are servers prestarted and
# trainings limited. GPUs are counted by the user's --resources gpu=N and a
# cluster's jobs run on other machines.
LOCAL_CPU_TRAINING = bool(LOCAL_JOBS and not TRAINING_GPUS)
TRAINING_GPU_REQUEST = 0 if SHARED_GPUS else TRAINING_GPUS


if TRAINING_GPUS and PER_GPU > 1 and "gpu_share" not in workflow.global_resources:
    workflow.register_resource("gpu_share", gpus_to_share() * PER_GPU)


def cpu_training_slots(threads):
    """Training jobs this machine runs at once on its CPUs: its processors
    (or --cores, if fewer) divided by a job's threads.

    Each training job holds a warm TensorFlow server. With --cores above the
    processor count (``--cores 8`` on 2 CPUs) Snakemake would start more
    jobs than can compute, and every extra job pays a TensorFlow import
    (5 s of CPU) while the others train; with this limit a job finds the
    server of the one before it warm.
    """
    processors = len(os.sched_getaffinity(0))
    cores = workflow.resource_settings.cores  # None for a cluster's --jobs
    return max(1, min(cores or processors, processors) // threads)


def training_threads():
    """A training job's threads: the user's --set-threads train=N, else
    ``training.threads``."""
    threads = workflow.resource_settings.overwrite_threads.get(
        "train", config["training"]["threads"]
    )
    return getattr(threads, "value", threads)


# A user's own --resources cpu_training=N is kept.
if not TRAINING_GPUS and "cpu_training" not in workflow.global_resources:
    workflow.register_resource("cpu_training", cpu_training_slots(training_threads()))


def start_study():
    """Snakemake's onstart: the DAG is built, jobs are about to run."""
    global PLANNING
    PLANNING = False
    check_job_software()
    prestart_training_servers()


def check_job_software():
    """Outside conda the jobs run in this Python: what they import is checked
    before the first job, so that a missing library stops the study with the
    line that installs it, not every job with the cause in its log. Not at
    planning: a dry run, which runs no job, needs only the standard library."""
    if CONDA_JOBS or not is_package_tree(SOURCE_TREE):
        return
    try:
        check_software(
            SOURCE_TREE, sys.executable, JOB_EXTRAS if config["methods"] else ()
        )
    except MissingSoftware as missing:
        raise WorkflowError(str(missing)) from None


def prestart_training_servers():
    """Start this machine's training servers as the study begins: TensorFlow
    then loads while the first inputs are converted, not in the first
    training jobs. As many as training jobs can run at once (the
    ``cpu_training`` limit, ours or the user's); none for a
    cluster executor, whose jobs run elsewhere, nor where jobs lease GPUs
    (a server per leased device, known only to the job), nor under conda
    (a server runs in this Python, the jobs in their environment's)."""
    jobs = [job for job in workflow.dag.needrun_jobs() if job.rule.name == "train"]
    if not jobs or not (LOCAL_CPU_TRAINING and workflow.local_exec) or CONDA_JOBS:
        return
    # Pinned here, before any job starts, so that every job and server uses
    # the folder this process settles on, and a fallback is said once.
    runtime_folder(warn=print_warning)
    count = min(len(jobs), workflow.global_resources["cpu_training"].value)
    # Each start waits for its server to listen: off the scheduler's path.
    threading.Thread(
        target=prestart,
        # CPU trainings see no GPU (lowrank.training.job): nor do their servers.
        args=(jobs[0].threads, config["training"]["warm_seconds"], count, True),
        daemon=True,
    ).start()


def get_final_outputs():
    return ["results/summary.csv", "results/summary.h5", "results/report"]


def input_matrix_path(name):
    return f"results/inputs/{name}.h5"


@planned
def get_source_files(wildcards):
    """The image file an input is read from; none for a study matrix."""
    item = STUDY[wildcards.input]
    if item.url:
        # The fetch job's download and its record.
        return [download_path(item.name), fetch_record_path(item.name)]
    # local(): an image folder of the config is the user's, never under a
    # module's prefix.
    return [local(str(item.path))] if item.kind == "image" else []


def download_path(name):
    return f"results/downloads/{name}.bytes"


def fetch_record_path(name):
    return f"results/downloads/{name}.json"


@planned
def get_image_url(wildcards):
    return STUDY[wildcards.input].url


@planned
def get_fetch_retry(wildcards):
    """The time of the last failed download of a URL, else None: a params
    value that changes after every failure, so each run tries it again."""
    return retry_token(read_fetch_record(on_disk(fetch_record_path(wildcards.input))))


@planned
def get_input_source_json(wildcards):
    """How to build an input (:func:`lowrank.inputs.sources.input_matrix`), as JSON
    for :mod:`lowrank.decomposition.prepare_job`."""
    name = wildcards.input
    item = STUDY[name]
    if item.kind == "image":
        image = {
            # Where it comes from; the job reads the file Snakemake gives
            # it (a remote image's local copy). Not a function of the job's
            # input: Snakemake does not compare such params when it plans.
            "source": item.url or str(item.path),
            "mode": image_mode(config, name),
            "layout": config["images"]["layout"],
            # Not images.max_pixels itself: changing that limit reruns only
            # the images it admits differently (lowrank.inputs.cards).
            "max_pixels": admission_limit(input_card(name), MAX_PIXELS),
        }
        return json.dumps({"image": image}, sort_keys=True)
    spec = member_spec(config["matrices"][item.set])
    spec.update(set=item.set, member=item.member)
    return json.dumps({"matrix": spec}, sort_keys=True)


@planned
def get_coded_networks(wildcards):
    """The training folders whose subspaces an image's codec sweep codes
    (lowrank.evaluation.subspace_codecs): its networks in a block layout,
    none for whole images (their sweep does not wait for training)."""
    if config["images"]["layout"] == "whole":
        return []
    return [folder.format(input=wildcards.input) for folder in INPUT_NETWORKS]


def get_evaluations():
    return [f"results/evaluations/{name}.csv" for name in STUDY]


def image_inputs():
    return [name for name, item in STUDY.items() if item.kind == "image"]


def get_image_matrices():
    return [input_matrix_path(name) for name in image_inputs()]


def get_image_cards():
    return [input_card_path(name) for name in image_inputs()]


def get_rate_distortion_tables():
    return [f"results/rate_distortion/{name}.csv" for name in image_inputs()]


def input_ranks(name):
    """An input's ranks: an image's fitted to its card's shape once it has
    one, so that a configured rank beyond it changes nothing."""
    item = STUDY[name]
    shape = input_shape(name) if item.kind == "image" else None
    return list(fitted_ranks(item.ranks, shape) if shape else item.ranks)


@planned
def get_input_ranks(wildcards):
    return input_ranks(wildcards.input)


@planned
def get_input_ranks_json(wildcards):
    return json.dumps(get_input_ranks(wildcards))


@planned
def get_regime_settings_json(wildcards):
    settings = regime_settings(config, STUDY[wildcards.input].set, wildcards.regime)
    return json.dumps(settings, sort_keys=True)


def report_sections():
    """Where each input's figures and rows are, in the order the report
    shows them (lowrank.report.sections.study_sections)."""
    sections = []
    for name, item in STUDY.items():
        figures = on_disk(f"results/figures/{name}")
        sections.append(
            {
                "name": name,
                "kind": item.kind,
                "figures": figures,
                # Its evaluation rows, read from the summary: its shape and
                # ranks, and whether it was left out.
                "rows": {"input": item.set, "member": item.member},
                "card": (
                    on_disk(input_card_path(name)) if item.kind == "image" else None
                ),
                # An image's ranks as configured: the page says which of them
                # its shape left out.
                **(
                    {"configured_ranks": list(item.ranks)}
                    if item.kind == "image"
                    else {}
                ),
                "rate_distortion": (
                    on_disk(f"results/rate_distortion/{name}.csv")
                    if item.kind == "image"
                    else None
                ),
            }
        )
    return sections
