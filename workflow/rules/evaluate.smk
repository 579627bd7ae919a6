rule evaluate:
    input:
        matrix=get_input_matrix,
        svd="results/svd/{input}.h5",
        approximation="results/approximations/{input}/rank{rank}/{method}.h5",
    output:
        "results/records/{input}/rank{rank}/{method}.h5",
    log:
        "results/logs/evaluate/{input}/rank{rank}/{method}.log",
    conda:
        "../envs/lowrank.yaml"
    resources:
        mem_mb=memory_from_input,
    params:
        code=script_digest("evaluate.py"),
    script:
        "../scripts/evaluate.py"


rule summary:
    input:
        records=get_records(),
        matrices=get_record_inputs(),
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
