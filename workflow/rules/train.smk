rule train:
    input:
        matrix="results/inputs/{input}.h5",
    output:
        directory(NETWORK_FOLDER),
    log:
        "results/logs/train/{input}/{regime}.log",
    benchmark:
        "results/benchmarks/train/{input}/{regime}.tsv"
    priority: stage_priority("train")
    conda:
        CONDA_ENVS["training"]
    threads: config["training"]["threads"]
    resources:
        **TRAINING_LIMITS,
        mem_mb=training_memory_mb,
        gpu=TRAINING_REQUESTS.gpu,
        gpu_share=TRAINING_REQUESTS.gpu_share,
        cpu_training=TRAINING_REQUESTS.cpu_training,
    params:
        ranks=get_input_ranks_json,
        settings=get_regime_settings_json,
        backend=config["training"]["backend"],
        code=get_training_code,
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.training.job {input.matrix:q} {output:q}'
        " --regime {wildcards.regime} --ranks {params.ranks:q}"
        " --settings {params.settings:q} --backend {params.backend}"
        " --threads {threads} --gpus $(({resources.gpu} + {resources.gpu_share}))"
        ' --device "$LOWRANK_DEVICE" --gpu-shares "$LOWRANK_GPU_SHARES"'
        ' --warm-seconds "$LOWRANK_WARM_SECONDS"'
        ' --server-timeout "$LOWRANK_SERVER_TIMEOUT"'
        ' --gpu-wait "$LOWRANK_GPU_WAIT" > {log:q} 2>&1'
