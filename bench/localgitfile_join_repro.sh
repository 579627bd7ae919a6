#!/bin/bash
# A minimal reproduction of Snakemake's LocalGitFile.join bug, to report
# upstream: a module from a local Git repository (gitfile(...)) with one
# script: rule runs once, then fails on the next run, when Snakemake compares
# the script's time with its output's (jobs.py _path_to_source_file joins
# the rule's basedir, a LocalGitFile, with a LocalSourceFile, and
# LocalGitFile.join takes only strings; SourceFile.join converts first).
#   bench/localgitfile_join_repro.sh [SNAKEMAKE]
set -euo pipefail
snakemake=$(realpath "$(command -v "${1:-snakemake}")")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/upstream/workflow/scripts" "$scratch/user/workflow"
cd "$scratch/upstream"
printf 'rule hello:\n    output:\n        "hello.txt",\n    script:\n        "scripts/hello.py"\n' \
  > workflow/Snakefile
printf 'open(snakemake.output[0], "w").write("hello\\n")\n' > workflow/scripts/hello.py
git init -q && git add -A
git -c user.email=repro@example.org -c user.name=repro commit -qm one && git tag v1
cd "$scratch/user"
printf 'module upstream:\n    snakefile:\n        gitfile("%s", path="workflow/Snakefile", tag="v1")\n\n\nuse rule * from upstream\n' \
  "$scratch/upstream" > workflow/Snakefile
echo "snakemake $("$snakemake" --version)"
echo "first run:"; "$snakemake" --cores 1 >/dev/null 2>&1 && echo "  ok"
echo "second run:"; "$snakemake" --cores 1 2>&1 | grep -E "^[A-Za-z]*Error" | sed "s/^/  /" || true
