# The rules' input functions and params, and what happens as the study
# starts (onstart). Read after common.smk and resources.smk.


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
    if CONDA_JOBS or not PACKAGE_TREE:
        return
    try:
        check_software(
            PACKAGE_TREE, sys.executable, JOB_EXTRAS if config["methods"] else ()
        )
    except MissingSoftware as missing:
        raise WorkflowError(str(missing)) from None


def is_training(job):
    """Whether a job trains, under any name a module gives the training step:
    the one step with a regime among its wildcards."""
    return "regime" in job.wildcards_dict


def prestart_training_servers():
    """Start this machine's training servers as the study begins: TensorFlow
    then loads while the first inputs are converted, not in the first
    training jobs. As many as training jobs can run at once (the
    ``cpu_training`` limit, ours or the user's); none for a
    cluster executor, whose jobs run elsewhere, nor where jobs lease GPUs
    (a server per leased device, known only to the job), nor under conda
    (a server runs in this Python, the jobs in their environment's)."""
    jobs = [job for job in workflow.dag.needrun_jobs() if is_training(job)]
    if not jobs or not TRAINING_REQUESTS.cpu_training or CONDA_JOBS:
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


# The training folders whose subspaces an image's codec sweep codes
# (lowrank.evaluation.subspace_codecs): its networks in a block layout, none
# for whole images, whose sweep does not wait for training (a constant, not
# an input function Snakemake would call for every image).
CODED_NETWORKS = [] if config["images"]["layout"] == "whole" else INPUT_NETWORKS
# The codecs' qualities, constant for a study: in the sweep's command itself.
CODEC_QUALITIES = json.dumps(config["report"]["codec_qualities"])


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
def get_input_ranks_json(wildcards):
    return json.dumps(input_ranks(wildcards.input))


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


# What each aggregate job reads (lowrank.plan_files), by step: paths as the
# job sees them (under a module's prefix).
RATE_DISTORTION_ON_DISK = [on_disk(path) for path in get_rate_distortion_tables()]
JOB_ARGUMENTS = {
    "summary": {
        "evaluations": [on_disk(path) for path in get_evaluations()],
        "matrices": [on_disk(path) for path in get_image_matrices()],
        "rate_distortion": RATE_DISTORTION_ON_DISK,
    },
    "bd_rates": {"rate_distortion": RATE_DISTORTION_ON_DISK},
    # The notes said while planning (not those said as jobs start).
    "report_page": {"sections": report_sections(), "notes": STUDY_NOTES},
}


def job_arguments_file(step):
    """An aggregate job's arguments file, an input of its rule: written now
    (a job rule would cost a Snakemake process), and only when it changes,
    so that the job reruns when its arguments do."""
    path = f".snakemake/lowrank/arguments/{step}.json"
    write_arguments(on_disk(path), JOB_ARGUMENTS[step])
    return path
