rule rate_distortion:
    input:
        matrix=get_input_matrix,
        svd="results/svd/{input}.h5",
    output:
        table="results/rate_distortion/{input}.csv",
        png=report(
            "results/figures/{input}/rate_distortion.png",
            caption="../report/rate_distortion.rst",
            category="Rate and distortion",
            labels={"input": "{input}"},
        ),
        svg="results/figures/{input}/rate_distortion.svg",
    log:
        "results/logs/rate_distortion/{input}.log",
    conda:
        "../envs/lowrank.yaml"
    params:
        ranks=get_input_ranks,
        qualities=config["report"]["jpeg_qualities"],
        code=script_digest("rate_distortion.py"),
    script:
        "../scripts/rate_distortion.py"


rule figures_rank:
    input:
        unpack(get_rank_records),
        matrix=get_input_matrix,
        decomposition="results/svd/{input}.h5",
    output:
        panels=report(
            "results/figures/{input}/rank{rank}/panels.png",
            caption="../report/panels.rst",
            category="Approximations",
            labels={"input": "{input}", "rank": "{rank}"},
        ),
        panels_svg="results/figures/{input}/rank{rank}/panels.svg",
        training=report(
            "results/figures/{input}/rank{rank}/training.png",
            caption="../report/training.rst",
            category="Training curves",
            labels={"input": "{input}", "rank": "{rank}"},
        ),
        training_svg="results/figures/{input}/rank{rank}/training.svg",
    log:
        "results/logs/figures_rank/{input}/rank{rank}.log",
    conda:
        "../envs/lowrank.yaml"
    params:
        methods=METHODS,
        code=script_digest("figures_rank.py"),
    script:
        "../scripts/figures_rank.py"


rule figures_input:
    input:
        records=get_input_records,
        svd="results/svd/{input}.h5",
    output:
        png=report(
            "results/figures/{input}/errors.png",
            caption="../report/errors.rst",
            category="Error against rank",
            labels={"input": "{input}"},
        ),
        svg="results/figures/{input}/errors.svg",
    log:
        "results/logs/figures_input/{input}.log",
    conda:
        "../envs/lowrank.yaml"
    params:
        code=script_digest("figures_input.py"),
    script:
        "../scripts/figures_input.py"


rule paper_tables:
    input:
        "results/summary.csv",
    output:
        table="results/paper_tables.csv",
        png=report(
            "results/figures/paper_gap.png",
            caption="../report/paper_gap.rst",
            category="Paper tables",
        ),
        svg="results/figures/paper_gap.svg",
    log:
        "results/logs/paper_tables.log",
    conda:
        "../envs/lowrank.yaml"
    params:
        code=script_digest("paper_tables.py"),
    script:
        "../scripts/paper_tables.py"


rule report_page:
    input:
        summary="results/summary.csv",
        paper_table="results/paper_tables.csv",
        paper_figure="results/figures/paper_gap.png",
        figures=get_report_figures(),
        rate_distortion=get_rate_distortion_tables(),
    output:
        "results/report/index.html",
    log:
        "results/logs/report_page.log",
    conda:
        "../envs/lowrank.yaml"
    params:
        sections=report_sections(),
        code=script_digest("report_page.py"),
    script:
        "../scripts/report_page.py"
