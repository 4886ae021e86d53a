"""Model checksums follow the files, and model folders are recorded by where they are, not how they were typed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from models.encoders import INT8, MULTILINGUAL, REFERENCE, encoder_reference
from models.weights import directory_sha256, file_sha256

# Linux stamps file times from a clock that ticks every few milliseconds; a retraining takes far longer
TICK = 0.05


def retrain_in_place(path: Path, weights: bytes) -> None:
    time.sleep(TICK)
    path.write_bytes(weights)  # same path, same size, same inode: only the content and the times differ


@pytest.mark.fast
def test_a_file_rewritten_in_place_gets_its_new_checksum(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\x00" * 64)
    before = file_sha256(weights)
    assert file_sha256(weights) == before
    retrain_in_place(weights, b"\x01" * 64)
    assert file_sha256(weights) != before
    assert file_sha256(weights) == file_sha256(Path(f"{tmp_path}/./model.safetensors"))


@pytest.mark.fast
def test_a_model_folder_retrained_in_place_gets_its_new_checksum(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 64)
    (tmp_path / "1_Pooling").mkdir()
    before = directory_sha256(tmp_path)
    retrain_in_place(tmp_path / "model.safetensors", b"\x02" * 64)
    after = directory_sha256(tmp_path)
    assert after != before
    retrain_in_place(tmp_path / "model.safetensors", b"\x00" * 64)
    assert directory_sha256(tmp_path) == before  # the content decides, not the history


@pytest.mark.fast
def test_a_model_folder_is_recorded_by_its_absolute_resolved_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "models" / "tuned").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    expected = str((tmp_path / "models" / "tuned").resolve())
    assert encoder_reference("./models/tuned") == expected
    assert encoder_reference("link/../models/tuned/") == expected
    assert encoder_reference("link/tuned") == expected
    assert encoder_reference(expected) == expected
    # shipped names stay names, and a name that is no folder stays as typed for load_encoder to refuse
    for name in (INT8, REFERENCE, MULTILINGUAL, "no-such-folder"):
        assert encoder_reference(name) == name


@pytest.mark.fast
def test_build_settings_record_a_relative_encoder_folder_absolutely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indexer.settings import BuildSettings

    (tmp_path / "tuned").mkdir()
    monkeypatch.chdir(tmp_path)
    settings = BuildSettings(encoder="./tuned").for_catalogue(["Red kettle"])
    assert settings.encoder == str(tmp_path.resolve() / "tuned")
    assert BuildSettings.from_dict(settings.to_dict()).encoder == settings.encoder
