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
        ranks=get_input_ranks_json,
        settings=get_regime_settings_json,
        code=module_digest("training_job"),
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.training_job {input:q} {output:q}'
        " --regime {wildcards.regime} --ranks {params.ranks:q}"
        " --settings {params.settings:q} --threads {threads}"
        ' --warm-seconds "$LOWRANK_WARM_SECONDS"'
        ' --server-timeout "$LOWRANK_SERVER_TIMEOUT" > {log:q} 2>&1'
