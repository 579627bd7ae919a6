import csv
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from quality_pairs import original, pairs

from lowrank.colour import luma, rgb_to_ycbcr, ycbcr_to_rgb
from lowrank.evaluation.codecs import image_codec
from lowrank.evaluation.image_quality import QualityReference, ms_ssim, ssimulacra2
from lowrank.evaluation.metrics import UndefinedMetricWarning, psnr, ssim

REFERENCE = Path(__file__).with_name("data") / "ms_ssim_reference.csv"


def test_ms_ssim_matches_the_reference_implementations_values():
    with REFERENCE.open() as handle:
        expected = {(r["original"], r["distortion"]): float(r["ms_ssim"])
                    for r in csv.DictReader(handle)}  # fmt: skip
    found = {(name, kind): ms_ssim(a, b) for name, kind, a, b in pairs()}
    assert found.keys() == expected.keys()
    for key, value in expected.items():
        # TensorFlow's filters run in float32: agreement to about 1e-6.
        assert found[key] == pytest.approx(value, abs=1e-5), key


def test_ms_ssim_of_an_identical_image_is_one_and_small_images_are_undefined():
    image = original((3, 180, 190), seed=4)
    assert ms_ssim(image, image) == pytest.approx(1.0)
    with pytest.warns(UndefinedMetricWarning, match="176 pixels"):
        assert math.isnan(ms_ssim(image[:, :100], image[:, :100]))


def test_ssimulacra2_is_the_packages_score_and_falls_with_quality():
    image = original((3, 96, 128), seed=5)
    assert ssimulacra2(image, image) == pytest.approx(100.0, abs=1e-6)
    scores = [
        ssimulacra2(image, image_codec(image, "jpeg", q)[0]) for q in (10, 40, 90)
    ]
    assert scores[0] < scores[1] < scores[2] < 100.0
    with pytest.warns(UndefinedMetricWarning, match="8 pixels"):
        assert math.isnan(ssimulacra2(image[:, :6, :6], image[:, :6, :6]))


@pytest.mark.parametrize("shape", [(3, 96, 128), (1, 75, 41)])
def test_a_curves_ssimulacra2_is_the_packages_score_to_the_last_bit(shape):
    image = original(shape, seed=7)
    reference = QualityReference(image)
    for codec, quality in (("jpeg", 10), ("webp", 60), ("avif", 90)):
        decoded, _ = image_codec(image, codec, quality)
        assert reference(decoded)["ssimulacra2"] == ssimulacra2(image, decoded)
    with pytest.warns(UndefinedMetricWarning, match="8 pixels"):
        small = image[:, :6, :9]
        assert math.isnan(QualityReference(small)(small)["ssimulacra2"])


@pytest.mark.parametrize("shape", [(3, 180, 190), (1, 60, 70)])
def test_a_curves_ssim_is_the_published_ssim_with_or_without_ms_ssim(shape):
    image = original(shape, seed=8)
    decoded, _ = image_codec(image, "jpeg", 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # small: no MS-SSIM
        scores = QualityReference(image)(decoded)
        expected_ms_ssim = ms_ssim(image, decoded)
    assert scores["ssim"] == pytest.approx(ssim(image, decoded), rel=1e-12)
    assert scores["ssim"] < 1.0
    assert scores["ms_ssim"] == pytest.approx(expected_ms_ssim, rel=1e-12, nan_ok=True)


def test_psnr_y_is_psnr_of_luma_and_equals_psnr_for_gray():
    rgb = original((3, 40, 50), seed=6)
    noisy = np.clip(
        rgb + 0.02 * np.random.default_rng(0).standard_normal(rgb.shape), 0, 1
    )
    scores = QualityReference(rgb)(noisy)
    assert scores["psnr"] == pytest.approx(psnr(rgb, noisy))
    assert scores["psnr_y"] == pytest.approx(psnr(luma(rgb), luma(noisy)))
    assert scores["psnr_y"] != pytest.approx(scores["psnr"])
    gray = rgb[:1]
    gray_scores = QualityReference(gray)(noisy[:1])
    assert gray_scores["psnr_y"] == pytest.approx(gray_scores["psnr"])


def test_ycbcr_round_trip_and_luma_weights():
    rgb = original((3, 8, 9), seed=7)
    assert np.allclose(ycbcr_to_rgb(rgb_to_ycbcr(rgb)), rgb, atol=1e-12)
    white = np.ones((3, 2, 2))
    assert np.allclose(rgb_to_ycbcr(white)[:, 0, 0], [1.0, 0.5, 0.5])


def test_the_ssimulacra2_reference_pictures_are_the_ones_the_cpp_tool_scored():
    from ssimulacra2_cases import pictures, reference_cases, sha256

    cases = reference_cases()
    assert len(cases) == 62
    for case in cases:
        source, distorted = pictures(case["name"], case["width"], case["height"])
        assert (sha256(source), sha256(distorted)) == (
            case["source_sha256"], case["distorted_sha256"]
        ), case["name"]  # fmt: skip


def test_the_package_agrees_with_the_cpp_tool_on_identical_pictures():
    from ssimulacra2_cases import pictures, reference_cases

    identical = [c for c in reference_cases() if c["cpp_score"] == 100.0]
    assert len(identical) == 40
    for case in identical:
        source, _ = pictures(case["name"], case["width"], case["height"])
        shown = (source / 255.0).transpose(2, 0, 1)
        assert QualityReference(shown)(shown)["ssimulacra2"] == pytest.approx(100.0)
