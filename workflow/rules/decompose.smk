rule svd:
    input:
        get_input_matrix,
    output:
        "results/svd/{input}.h5",
    log:
        "results/logs/svd/{input}.log",
    benchmark:
        "results/benchmarks/svd/{input}.tsv"
    conda:
        "../envs/lowrank.yaml"
    resources:
        mem_mb=memory_from_input,
    params:
        code=script_digest("svd.py"),
    script:
        "../scripts/svd.py"


rule truncate:
    input:
        matrix=get_input_matrix,
        svd="results/svd/{input}.h5",
    output:
        "results/approximations/{input}/rank{rank}/svd.h5",
    log:
        "results/logs/truncate/{input}/rank{rank}.log",
    conda:
        "../envs/lowrank.yaml"
    params:
        code=script_digest("truncate.py"),
    script:
        "../scripts/truncate.py"
