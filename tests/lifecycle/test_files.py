"""kgen.files: writes are atomic, disk errors name the path, damaged JSON names the file."""

import errno
import json
import os

import numpy as np
import pytest

from kgen import files
from kgen.errors import CorruptFileError, StorageError


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / "config.json"
    files.write_json(path, {"seed": 0})
    with pytest.raises(RuntimeError, match="writer died"):
        with files.atomic_path(path) as tmp:
            tmp.write_text('{"seed": 1, "trunc')
            raise RuntimeError("writer died")
    assert json.loads(path.read_text()) == {"seed": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_temporaries_keep_the_suffix_and_stale_ones_are_removed(tmp_path):
    with files.atomic_path(tmp_path / "model.keras") as tmp:
        assert tmp.name.endswith(".keras") and tmp.parent == tmp_path
        tmp.write_bytes(b"zip")
    dead = tmp_path / ".history.999999-abcdef.tmp.json"  # a writer killed with -9
    dead.write_text("{")
    live = tmp_path / f".history.{os.getpid()}-abcdef.tmp.json"
    live.write_text("{")
    assert files.remove_stale_temporaries(tmp_path) == [dead]
    assert live.exists() and (tmp_path / "model.keras").read_bytes() == b"zip"


def test_directories_are_replaced_whole(tmp_path):
    target = tmp_path / "saved_model"
    for version in ("old", "new"):
        with files.atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / "v").write_text(version)
    assert (target / "v").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved_model"]


@pytest.mark.parametrize("content, what", [("", "is empty"), ('{"epoch": [1, 2', "not valid JSON"),
                                           (b"\xff\xfe", "not UTF-8")])
def test_damaged_json_names_the_file(tmp_path, content, what):
    path = tmp_path / "history.json"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(CorruptFileError, match=what) as info:
        files.read_json(path)
    assert str(path) in str(info.value)
    assert files.read_json(tmp_path / "missing.json", default={}) == {}


def test_full_disk_names_the_path_and_space_and_keeps_the_old_file(small_disk):
    path = small_disk.path / "samples.npz"
    files.write_bytes(path, b"previous")
    small_disk.fill()
    with pytest.raises(StorageError, match="no space left") as info:
        files.write_bytes(path, np.zeros(300_000, "float32").tobytes())
    assert info.value.errno == errno.ENOSPC and info.value.path == str(path)
    assert "1.2 MB needed" in str(info.value) and "free" in str(info.value)
    small_disk.free()
    assert path.read_bytes() == b"previous"
    assert [p.name for p in small_disk.path.iterdir()] == ["samples.npz"]


def test_read_only_directory_names_the_path(small_disk):
    path = small_disk.path / "report.json"
    files.write_text(path, "{}")
    small_disk.read_only()
    with pytest.raises(StorageError, match="read-only") as info:
        files.write_text(path, '{"fid": 1}')
    assert str(path) in str(info.value)
    assert path.read_text() == "{}"
