rule prepare:
    input:
        get_source_files,
    output:
        matrix="results/inputs/{input}.h5",
        svd="results/svd/{input}.h5",
        card="results/inputs/{input}.json",
    log:
        "results/logs/prepare/{input}.log",
    benchmark:
        "results/benchmarks/prepare/{input}.tsv"
    conda:
        CONDA_ENVS["analysis"]
    resources:
        mem_mb=memory_from_shape,
    params:
        source=get_input_source_json,
        code=CODE["prepare"],
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.decomposition.prepare_job -- {wildcards.input:q}'
        " {params.source:q} {output.matrix:q} {output.svd:q} {output.card:q} {input:q}"
        " > {log:q} 2>&1"
