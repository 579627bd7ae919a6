rule rate_distortion:
    input:
        matrix="results/inputs/{input}.h5",
        svd="results/svd/{input}.h5",
        networks=get_coded_networks,
    output:
        table="results/rate_distortion/{input}.csv",
        figure=report(
            "results/figures/{input}/rate_distortion.svg",
            caption="../report/rate_distortion.rst",
            category="Rate and distortion",
            labels={"input": "{input}"},
        ),
    log:
        "results/logs/rate_distortion/{input}.log",
    benchmark:
        "results/benchmarks/rate_distortion/{input}.tsv"
    wildcard_constraints:
        input=NOT_RESERVED,
    priority: stage_priority("rate_distortion")
    conda:
        CONDA_ENVS["analysis"]
    # Its points are encoded and scored in threads (lowrank.evaluation.codecs).
    threads: 2
    resources:
        mem_mb=JOB_MB,
        disk_mb=JOB_DISK_MB,
        runtime=JOB_MINUTES,
    params:
        ranks=get_input_ranks,
        qualities=config["report"]["codec_qualities"],
        codec_plugins=CODEC_PLUGINS,
        code=CODE["rate_distortion"],
    script:
        "../scripts/rate_distortion.py"


rule bd_rates:
    input:
        tables=get_rate_distortion_tables(),
    output:
        per_image=report(
            "results/rate_distortion/bd_rates_per_image.csv",
            caption="../report/bd_rates_per_image.rst",
            category="Tables",
        ),
        aggregate=report(
            "results/rate_distortion/bd_rates_aggregate.csv",
            caption="../report/bd_rates_aggregate.rst",
            category="Tables",
        ),
        curves="results/rate_distortion/set_curves.csv",
        figure=report(
            "results/figures/rate_distortion_set.svg",
            caption="../report/rate_distortion_set.rst",
            category="Rate and distortion",
        ),
    log:
        "results/logs/bd_rates.log",
    benchmark:
        "results/benchmarks/bd_rates.tsv"
    localrule: True
    conda:
        CONDA_ENVS["analysis"]
    resources:
        mem_mb=JOB_MB,
        disk_mb=JOB_DISK_MB,
        runtime=JOB_MINUTES,
    params:
        min_side=config["report"]["aggregate_min_side"],
        rate_range=config["report"]["bd_quality_bpp"],
        intervals=config["report"]["bd_quality_intervals"],
        codec_plugins=CODEC_PLUGINS,
        code=CODE["bd_rates"],
    script:
        "../scripts/bd_rates.py"


rule paper_tables:
    input:
        summary="results/summary.csv",
        published=PUBLISHED_VALUES,
    output:
        table="results/paper_tables.csv",
        comparison=report(
            "results/paper_comparison.csv",
            caption="../report/paper_comparison.rst",
            category="Tables",
        ),
        png=report(
            "results/figures/paper_gap.png",
            caption="../report/paper_gap.rst",
            category="Paper tables",
        ),
        svg="results/figures/paper_gap.svg",
    log:
        "results/logs/paper_tables.log",
    benchmark:
        "results/benchmarks/paper_tables.tsv"
    localrule: True
    conda:
        CONDA_ENVS["analysis"]
    resources:
        mem_mb=JOB_MB,
        disk_mb=JOB_DISK_MB,
        runtime=JOB_MINUTES,
    params:
        code=CODE["paper_tables"],
    script:
        "../scripts/paper_tables.py"


rule report_page:
    input:
        summary="results/summary.csv",
        paper_table="results/paper_tables.csv",
        paper_comparison="results/paper_comparison.csv",
        bd_rates="results/rate_distortion/bd_rates_aggregate.csv",
        bd_rates_per_image="results/rate_distortion/bd_rates_per_image.csv",
        set_curves="results/rate_distortion/set_curves.csv",
        set_figure="results/figures/rate_distortion_set.svg",
        paper_figure="results/figures/paper_gap.png",
        # Each input's figures come from the job that writes its evaluation
        # rows (and its rate-distortion table), which the summary holds: it
        # stands for them, so planning does not list five files per input.
        rate_distortion=get_rate_distortion_tables(),
        # Why an image was left out, if it was (a matrix never is: its ranks
        # are fitted as the study is planned).
        cards=get_image_cards(),
    output:
        # The page and the figures it shows (lowrank.report.page).
        report(
            directory("results/report"),
            htmlindex="index.html",
            caption="../report/study_page.rst",
            category="Study page",
        ),
    log:
        "results/logs/report_page.log",
    benchmark:
        "results/benchmarks/report_page.tsv"
    localrule: True
    conda:
        CONDA_ENVS["analysis"]
    resources:
        mem_mb=JOB_MB,
        disk_mb=JOB_DISK_MB,
        runtime=JOB_MINUTES,
    params:
        sections=report_sections(),
        notes=STUDY_NOTES,
        code=CODE["report_page"],
    script:
        "../scripts/report_page.py"
