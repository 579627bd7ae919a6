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
        mem_mb=memory_from_shape,
    params:
        code=script_digest("svd.py"),
    script:
        "../scripts/svd.py"
