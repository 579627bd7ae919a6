# The door into workflow/Snakefile (catalog layout). Snakemake ignores
# default_target in included files (snakemake/snakemake#2773), so the default
# target is repeated here.
include: "workflow/Snakefile"


rule default:
    input:
        rules.all.input,
