rule train:
    input:
        get_input_matrix,
    output:
        "results/approximations/{input}/rank{rank}/nn-{regime}.h5",
    log:
        "results/logs/train/{input}/rank{rank}/{regime}.log",
    benchmark:
        "results/benchmarks/train/{input}/rank{rank}/{regime}.tsv"
    conda:
        "../envs/lowrank.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=1,
    params:
        settings=get_regime_settings,
        code=script_digest("train.py"),
    script:
        "../scripts/train.py"
