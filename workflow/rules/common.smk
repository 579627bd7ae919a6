import functools
import hashlib
import inspect
import json
import math
import os
import shlex
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from snakemake.common import overwrite_function_params
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate
from snakemake_interface_executor_plugins.settings import DeploymentMethod

# Planning and jobs import lowrank from the workflow's source tree, an
# existing PYTHONPATH kept behind it: planning needs only its
# standard-library modules (lowrank.study), so Snakemake's own environment
# plans a study. Run from a checkout (a clone, or a module from a local
# path), the tree is the checkout. A module from a Git repository has none:
# the files of its tree that the package needs (workflow/package_files.txt)
# are copied out of Snakemake's source cache, at the module's own tag, into
# a folder of this study's, .snakemake/lowrank/package/.
WORKFLOW_RULES = workflow.current_basedir.get_path_or_uri(secret_free=True)
FROM_CHECKOUT = os.path.isdir(WORKFLOW_RULES)


def package_copy():
    """The package tree of a module from a Git repository, copied once per
    source (its URL and tag), each file rewritten only when it differs (as
    lowrank.plan_files does, which cannot be imported before this copy)."""
    manifest = Path(workflow.source_path("../package_files.txt"))
    tree = Path(
        ".snakemake/lowrank/package",
        hashlib.sha256(WORKFLOW_RULES.encode()).hexdigest()[:16],
    )
    for name in manifest.read_text(encoding="utf-8").split():
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise WorkflowError(f"{manifest}: {name!r} is not a path inside the tree")
        data = Path(workflow.source_path(f"../../{name}")).read_bytes()
        target = tree / name
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
            partial.write_bytes(data)
            partial.replace(target)
    return str(tree.resolve())


SOURCE_TREE = (
    str(Path(WORKFLOW_RULES).resolve().parents[1]) if FROM_CHECKOUT else package_copy()
)
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
from lowrank.provenance import step_digests
from lowrank.plan_files import write_arguments
from lowrank.runtime_folder import runtime_folder
from lowrank.training.regimes import REGIMES, network_method
from lowrank.inputs.cards import (
    admission_limit,
    card_shape,
    fitted_ranks,
    read_card,
)
from lowrank.inputs.matrix_specs import member_spec
from lowrank.job_sizes import (
    estimated_pixels,
    input_job_mb,
    start_priority,
    training_mb,
)
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
from lowrank.training.slot_plan import (
    cpu_training_slots,
    gpu_share_slots,
    training_requests,
)

empty_mappings_replace(config, workflow.config_settings.overwrite_config)
CONFIG_SCHEMA = workflow.source_path("../schemas/config.schema.yaml")
try:
    validate(config, CONFIG_SCHEMA)
except WorkflowError as error:
    raise WorkflowError(config_error(config, CONFIG_SCHEMA) or str(error)) from None

# Under --sdm conda each job runs in an environment that installs this
# source tree's package (lowrank.conda_envs, written in resources.smk once
# the plan knows whether training uses a GPU); elsewhere in Snakemake's own
# Python, where lowrank is importable (from the checkout, or installed).
CONDA_JOBS = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
# The source tree where it holds the package and its locks, else None; a
# module from GitHub or GitLab has a release: its environments install the
# package from the same repository at the same tag, no path of this machine.
PACKAGE_TREE = SOURCE_TREE if is_package_tree(SOURCE_TREE) else None
RELEASE = hosted_release(workflow.current_basedir)
if CONDA_JOBS and not PACKAGE_TREE and RELEASE is None:
    raise WorkflowError(
        "--sdm conda needs the workflow's source tree (pyproject.toml and the "
        "constraints files beside workflow/), to install its lowrank package into "
        f"the jobs' environments; {SOURCE_TREE} lacks them. Deploy the workflow "
        "from a clone, a tag of its Git repository or a release on GitHub or "
        "GitLab (github(..., tag=...)), or run without --sdm conda in a Python "
        "that has lowrank's requirements installed."
    )

# The Python of the jobs, every one a program (the environment's under
# conda, else this Snakemake's: no rule names a container, so under --sdm
# apptainer alone jobs run here), and how long a training server stays
# warm. They say how a job runs here, not what it computes, so the
# environment carries them to the job, not the rule's params (a changed
# param reruns the job).
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


@functools.cache
def file_pixels(path):
    """Pixels of an image not yet decoded, from its file's size (None: a
    remote file not yet fetched). Only a first run's memory and order use it."""
    return estimated_pixels(path and os.stat(path).st_size, MAX_PIXELS)


def input_pixels(name):
    shape = input_shape(name)
    if shape is not None:
        return shape[0] * shape[1]
    return file_pixels(STUDY[name].path)


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
CODE = step_digests(config["methods"])


@planned
def get_training_code(wildcards):
    """A training job's code digest: its own regime's trainer, not another's."""
    return CODE[f"train:{wildcards.regime}"]
