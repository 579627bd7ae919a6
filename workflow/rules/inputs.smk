rule image_to_matrix:
    input:
        get_image_file,
    output:
        "results/inputs/images/{input}.h5",
    log:
        "results/logs/image_to_matrix/{input}.log",
    conda:
        "../envs/lowrank.yaml"
    params:
        mode=get_image_mode,
        max_pixels=config["images"]["max_pixels"],
        code=script_digest("image_to_matrix.py"),
    script:
        "../scripts/image_to_matrix.py"


rule study_matrix:
    output:
        "results/inputs/matrices/{input}.h5",
    log:
        "results/logs/study_matrix/{input}.log",
    conda:
        "../envs/lowrank.yaml"
    params:
        spec=get_matrix_spec,
        code=script_digest("study_matrix.py"),
    script:
        "../scripts/study_matrix.py"
