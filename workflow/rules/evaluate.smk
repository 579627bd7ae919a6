rule evaluate:
    input:
        matrix="results/inputs/{input}.h5",
        svd="results/svd/{input}.h5",
        networks=INPUT_NETWORKS,
    output:
        table="results/evaluations/{input}.csv",
        errors=report(
            "results/figures/{input}/errors.svg",
            caption="../report/errors.rst",
            category="Error against rank",
            labels={"input": "{input}"},
        ),
        panels=report(
            directory("results/figures/{input}/panels"),
            patterns=["rank{rank}.png"],
            caption="../report/panels.rst",
            category="Approximations",
            labels={"input": "{input}", "rank": "{rank}"},
        ),
        training=report(
            directory("results/figures/{input}/training"),
            patterns=["rank{rank}.svg"],
            caption="../report/training.rst",
            category="Training curves",
            labels={"input": "{input}", "rank": "{rank}"},
        ),
        # Full-resolution pictures for the report page's viewer.
        views=directory("results/figures/{input}/views"),
    log:
        "results/logs/evaluate/{input}.log",
    benchmark:
        "results/benchmarks/evaluate/{input}.tsv"
    priority: stage_priority("evaluate")
    conda:
        CONDA_ENVS["analysis"]
    resources:
        **JOB_LIMITS,
        mem_mb=memory_from_shape,
    params:
        ranks=get_input_ranks_json,
        code=CODE["evaluate"],
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.evaluation.job {input.matrix:q} {input.svd:q}'
        " --networks {input.networks:q} --ranks {params.ranks:q}"
        " --table {output.table:q} --errors {output.errors:q}"
        " --panels {output.panels:q} --training {output.training:q}"
        " --views {output.views:q} > {log:q} 2>&1"


rule summary:
    input:
        files=job_arguments_file("summary"),
        evaluations=get_evaluations(),
        images=get_image_matrices(),
        rate_distortion=get_rate_distortion_tables(),
    output:
        csv=report(
            "results/summary.csv",
            caption="../report/summary.rst",
            category="Tables",
        ),
        hdf="results/summary.h5",
    log:
        "results/logs/summary.log",
    benchmark:
        "results/benchmarks/summary.tsv"
    # Aggregates read small tables once per study: on a cluster they run
    # where Snakemake runs instead of waiting in a queue.
    localrule: True
    conda:
        CONDA_ENVS["analysis"]
    resources:
        **JOB_LIMITS,
        mem_mb=JOB_MB,
    params:
        code=CODE["summary"],
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.evaluation.summary_job {input.files:q}'
        " --csv {output.csv:q} --hdf {output.hdf:q} > {log:q} 2>&1"
