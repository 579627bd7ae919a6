rule rate_distortion:
    input:
        matrix="results/inputs/{input}.h5",
        svd="results/svd/{input}.h5",
        networks=CODED_NETWORKS,
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
        **JOB_LIMITS,
        mem_mb=JOB_MB,
    params:
        ranks=get_input_ranks_json,
        qualities=CODEC_QUALITIES,
        codec_plugins=CODEC_PLUGINS,
        code=CODE["rate_distortion"],
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.evaluation.rate_distortion_job'
        " {input.matrix:q} {input.svd:q} --coded-networks {input.networks:q}"
        f" --ranks {{params.ranks:q}} --qualities {shlex.quote(CODEC_QUALITIES)}"
        " --threads {threads} --table {output.table:q}"
        " --figure {output.figure:q} > {log:q} 2>&1"


rule bd_rates:
    input:
        files=job_arguments_file("bd_rates"),
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
        **JOB_LIMITS,
        mem_mb=JOB_MB,
    params:
        min_side=config["report"]["aggregate_min_side"],
        rate_range=json.dumps(config["report"]["bd_quality_bpp"]),
        intervals=json.dumps(config["report"]["bd_quality_intervals"], sort_keys=True),
        codec_plugins=CODEC_PLUGINS,
        code=CODE["bd_rates"],
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.evaluation.bd_rates_job {input.files:q}'
        " --min-side {params.min_side} --rate-range {params.rate_range:q}"
        " --intervals {params.intervals:q} --per-image {output.per_image:q}"
        " --aggregate {output.aggregate:q} --curves {output.curves:q}"
        " --figure {output.figure:q} > {log:q} 2>&1"


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
        **JOB_LIMITS,
        mem_mb=JOB_MB,
    params:
        code=CODE["paper_tables"],
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.report.paper_tables_job {input.summary:q}'
        " {input.published:q} --table {output.table:q}"
        " --comparison {output.comparison:q} --png {output.png:q}"
        " --svg {output.svg:q} > {log:q} 2>&1"


rule report_page:
    input:
        # Each input's section (where its figures and rows are) and the
        # study's notes.
        arguments=job_arguments_file("report_page"),
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
        **JOB_LIMITS,
        mem_mb=JOB_MB,
    params:
        code=CODE["report_page"],
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.report.page_job {input.arguments:q}'
        " --summary {input.summary:q} --paper-table {input.paper_table:q}"
        " --paper-comparison {input.paper_comparison:q}"
        " --paper-figure {input.paper_figure:q} --bd-rates {input.bd_rates:q}"
        " --bd-rates-per-image {input.bd_rates_per_image:q}"
        " --set-curves {input.set_curves:q} --set-figure {input.set_figure:q}"
        " --index {output:q}/index.html > {log:q} 2>&1"
