rule evaluate:
    input:
        matrix=get_input_matrix,
        svd="results/svd/{input}.h5",
        networks=get_input_networks,
    output:
        "results/evaluations/{input}.csv",
    log:
        "results/logs/evaluate/{input}.log",
    conda:
        "../envs/lowrank.yaml"
    resources:
        mem_mb=memory_from_shape,
    params:
        ranks=get_input_ranks,
        code=script_digest("evaluate.py"),
    script:
        "../scripts/evaluate.py"


rule summary:
    input:
        evaluations=get_evaluations(),
        images=get_image_matrices(),
        rate_distortion=get_rate_distortion_tables(),
    output:
        csv="results/summary.csv",
        hdf="results/summary.h5",
    log:
        "results/logs/summary.log",
    conda:
        "../envs/lowrank.yaml"
    params:
        code=script_digest("summary.py"),
    script:
        "../scripts/summary.py"
