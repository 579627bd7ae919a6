"""The ``ssimulacra2`` package's scores against the C++ tool's on the
synthetic pairs of ``tests/data/ssimulacra2_cpp_reference.csv``
(``tests/ssimulacra2_cases.py`` says where they come from):

    python bench/ssimulacra2_reference.py

Prints every distorted pair's scores and the largest difference, and how
many identical pairs score 100 in both (record:
bench/ssimulacra2_reference_2026-12-02.md).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ssimulacra2_cases import pictures, reference_cases  # noqa: E402

from lowrank.evaluation.image_quality import ssimulacra2  # noqa: E402


def stack(picture):
    return (picture / 255.0).transpose(2, 0, 1)


def main():
    identical, agreeing, rows = 0, 0, []
    for case in reference_cases():
        source, distorted = pictures(case["name"], case["width"], case["height"])
        score = ssimulacra2(stack(source), stack(distorted))
        if case["source_sha256"] == case["distorted_sha256"]:
            identical += 1
            agreeing += abs(score - case["cpp_score"]) < 1e-9
        else:
            rows.append((case["name"], case["cpp_score"], score))
    print("| pair | C++ tool | package | package - C++ |")
    print("| --- | ---: | ---: | ---: |")
    for name, expected, score in rows:
        print(f"| {name} | {expected:.2f} | {score:.2f} | {score - expected:+.2f} |")
    largest = max(abs(score - expected) for _, expected, score in rows)
    print(f"\nidentical pairs scoring 100 in both: {agreeing} of {identical}")
    print(f"distorted pairs: {len(rows)}, largest |package - C++| {largest:.2f}")


if __name__ == "__main__":
    main()
