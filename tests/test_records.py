import h5py
import numpy as np
import pytest

from lowrank.decomposition.svd import thin_svd
from lowrank.errors import RecordError
from lowrank.records import (
    InputMatrix,
    Record,
    read_matrix,
    read_record,
    read_svd,
    write_matrix,
    write_record,
    write_svd,
)


def make_record():
    return Record(
        approximation=np.arange(6.0).reshape(1, 2, 3),
        input="a",
        rank=1,
        method="nn-exact",
        seed=3,
        seconds=1.5,
        steps=2,
        stored_numbers=9,
        loss=np.array([[0.5, 0.25]]),
        settings={"dtype": "float64"},
    )


def record_file(tmp_path):
    """``r.h5`` in ``tmp_path``, holding :func:`make_record`."""
    path = tmp_path / "r.h5"
    write_record(path, make_record())
    return path


def test_record_round_trip(tmp_path):
    path = record_file(tmp_path)
    record = read_record(path)
    np.testing.assert_array_equal(record.approximation, make_record().approximation)
    assert record.settings == {"dtype": "float64"}
    assert record.versions["numpy"] == np.__version__ and record.created
    assert (record.status, record.message) == ("ok", "")
    assert [p.name for p in tmp_path.iterdir()] == ["r.h5"]
    failed = make_record()
    failed.status, failed.message, failed.numerical_rank = "diverged", "why", 2
    write_record(path, failed)
    back = read_record(path)
    assert (back.status, back.message, back.numerical_rank) == ("diverged", "why", 2)


def test_matrix_and_svd_round_trip(tmp_path):
    matrix = np.random.default_rng(0).standard_normal((2, 4, 3))
    write_matrix(tmp_path / "m.h5", InputMatrix(matrix, "x", "image", "x.png", "x"))
    item = read_matrix(tmp_path / "m.h5")
    assert item.input == "x" and item.member == 0
    write_svd(tmp_path / "s.h5", "x", [thin_svd(c) for c in matrix], 0.1)
    (first, second) = read_svd(tmp_path / "s.h5")
    np.testing.assert_allclose(second.truncate(3), matrix[1])


def test_a_crash_while_writing_leaves_no_file(tmp_path):
    record = make_record()
    record.approximation = np.zeros((2, 2))  # wrong rank: fails inside the writer
    with pytest.raises(RecordError):
        write_record(tmp_path / "r.h5", record)
    assert list(tmp_path.iterdir()) == []


def test_truncated_file_is_named(tmp_path):
    path = record_file(tmp_path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(RecordError, match="r.h5"):
        read_record(path)


def test_edited_file_is_named(tmp_path):
    path = record_file(tmp_path)
    with h5py.File(path, "a") as handle:
        del handle["loss"]
        handle["loss"] = np.zeros((1, 5))
    with pytest.raises(RecordError, match="r.h5.*loss"):
        read_record(path)
    with h5py.File(path, "a") as handle:
        handle.attrs["schema"] = "other"
    with pytest.raises(RecordError, match="schema"):
        read_record(path)


def rewrite_approximation(path, **create):
    """The record at ``path`` with its approximation replaced by a dataset
    made with ``create`` (h5py create_dataset arguments)."""
    with h5py.File(path, "a") as handle:
        del handle["approximation"]
        handle.create_dataset("approximation", **create)


def test_a_crafted_record_is_refused_before_it_is_read(tmp_path):
    path = record_file(tmp_path)
    # A few kB on disk that declare 80 GB of numbers.
    huge = {"shape": (1, 100_000, 100_000), "dtype": "f8", "chunks": (1, 1000, 1000)}
    rewrite_approximation(path, **huge)
    assert path.stat().st_size < 100_000
    with pytest.raises(RecordError, match=r"declares shape \(1, 100000, 100000\)"):
        read_record(path)


def test_a_record_with_storage_outside_its_file_is_refused(tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(6.0).tobytes())
    path = record_file(tmp_path)
    rewrite_approximation(
        path, shape=(1, 2, 3), dtype="f8", external=[(str(secret), 0, 48)]
    )
    with pytest.raises(RecordError, match="stored outside the file"):
        read_record(path)
    write_record(path, make_record())
    with h5py.File(path, "a") as handle:
        del handle["approximation"]
        handle["approximation"] = h5py.ExternalLink(str(tmp_path / "o.h5"), "/x")
    with pytest.raises(RecordError, match="missing dataset 'approximation'"):
        read_record(path)


def test_a_loss_of_the_wrong_declared_shape_is_refused(tmp_path):
    path = record_file(tmp_path)
    with h5py.File(path, "a") as handle:
        handle.attrs["steps"] = 10**12
    with pytest.raises(RecordError, match=r"'loss' has shape \(1, 2\), expected"):
        read_record(path)


def test_a_chunk_larger_than_its_dataset_is_refused_before_it_is_read(tmp_path):
    path = record_file(tmp_path)
    # One number declared, stored in a 512 MiB chunk that reading would
    # decompress whole.
    rewrite_approximation(
        path, data=np.zeros((1, 1, 1)), maxshape=(None, None, None),
        chunks=(1, 8192, 8192), compression="gzip",
    )  # fmt: skip
    with pytest.raises(RecordError, match=r"chunks \(1, 8192, 8192\) larger than"):
        read_record(path)


def test_a_filter_lowrank_does_not_write_is_refused(tmp_path):
    path = record_file(tmp_path)
    rewrite_approximation(
        path, data=np.zeros((1, 2, 3)), chunks=(1, 2, 3), compression="lzf"
    )
    with pytest.raises(RecordError, match="filter"):
        read_record(path)


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("settings", 5, "attribute 'settings' is int"),
        ("settings", "[1, 2]", "must be JSON objects"),
        ("input", np.void(b"\xff\xfe"), "attribute 'input' is"),
        ("rank", "seven", "attribute 'rank' is str"),
        ("rank", 0, "out of range"),
        ("converged", 1.5, "attribute 'converged' is float"),
        ("schema", np.array([1, 2]), "schema"),
    ],
)
def test_attributes_of_the_wrong_type_are_refused_by_name(
    tmp_path, name, value, reason
):
    path = record_file(tmp_path)
    with h5py.File(path, "a") as handle:
        handle.attrs[name] = value
    with pytest.raises(RecordError, match=f"r.h5.*{reason}"):
        read_record(path)


def test_an_attribute_of_invalid_utf8_is_refused_by_name(tmp_path):
    path = record_file(tmp_path)
    with h5py.File(path, "a") as handle:
        del handle.attrs["input"]
        utf8 = h5py.h5t.C_S1.copy()
        utf8.set_size(2)
        utf8.set_cset(h5py.h5t.CSET_UTF8)
        attribute = h5py.h5a.create(
            handle.id, b"input", utf8, h5py.h5s.create(h5py.h5s.SCALAR)
        )
        attribute.write(np.array(b"\xff\xfe", dtype="S2"), mtype=utf8)
    with pytest.raises(RecordError, match="r.h5: attribute 'input' is unreadable"):
        read_record(path)
