onstart:
    prestart_training_servers()


rule train:
    input:
        "results/inputs/{input}.h5",
    output:
        directory(NETWORK_FOLDER),
    log:
        "results/logs/train/{input}/{regime}.log",
    benchmark:
        "results/benchmarks/train/{input}/{regime}.tsv"
    priority: larger_first
    conda:
        "../envs/lowrank.yaml"
    threads: config["training"]["threads"]
    resources:
        gpu=TRAINING_GPUS,
        cpu_training=1 - TRAINING_GPUS,
    params:
        ranks=get_input_ranks,
        settings=get_regime_settings,
        code=script_digest("train.py"),
    script:
        "../scripts/train.py"
