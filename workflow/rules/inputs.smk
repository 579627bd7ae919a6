rule fetch:
    output:
        image="results/downloads/{input}.bytes",
        record="results/downloads/{input}.json",
    log:
        "results/logs/fetch/{input}.log",
    # Where Snakemake runs, on a cluster too: compute nodes often have no
    # route out.
    localrule: True
    conda:
        CONDA_ENVS["analysis"]
    resources:
        **JOB_LIMITS,
        mem_mb=JOB_MB,
    params:
        url=get_image_url,
        retry=get_fetch_retry,
        code=CODE["fetch"],
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.inputs.fetch_job -- {params.url:q}'
        " {output.image:q} {output.record:q} > {log:q} 2>&1"


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
        **JOB_LIMITS,
        mem_mb=memory_from_shape,
    params:
        source=get_input_source_json,
        code=CODE["prepare"],
    shell:
        '"$LOWRANK_PYTHON" -m lowrank.decomposition.prepare_job -- {wildcards.input:q}'
        " {params.source:q} {output.matrix:q} {output.svd:q} {output.card:q} {input:q}"
        " > {log:q} 2>&1"
