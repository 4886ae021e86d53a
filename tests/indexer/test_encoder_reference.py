"""An encoder folder given relative to a job's directory is recorded absolutely: a server started elsewhere finds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import DirectoryWriter, build_from_file, encoder_for, open_index
from indexer.settings import BuildSettings
from models.weights import minilm_dir
from tests.helpers import write_jsonl


def test_jobs_record_a_relative_encoder_folder_absolutely(
    sample_records: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # all-MiniLM-L6-v2's folder stands in for a fine-tuned one, reached through a link as a deployment might
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "tuned").symlink_to(minilm_dir())
    catalogue = write_jsonl(tmp_path / "catalogue.jsonl", sample_records[:20])
    root = tmp_path / "index"
    monkeypatch.chdir(jobs)
    build_from_file(DirectoryWriter(root), catalogue, BuildSettings(encoder="./tuned"))
    built = open_index(root).manifest
    DirectoryWriter(root).reembed("tuned/")
    reembedded = open_index(root).manifest
    expected = str(minilm_dir().resolve())
    for manifest in (built, reembedded):
        assert manifest.encoder == expected and manifest.settings["encoder"] == expected

    monkeypatch.chdir(tmp_path)  # the server's working directory is not the job's
    manifest = open_index(root).manifest
    assert manifest.job == "reembed" and encoder_for(manifest).name == expected


def test_a_staged_version_prunes_nothing_and_is_served_only_over_the_version_it_was_made_from(
    sample_records: list[dict], tmp_path: Path
) -> None:
    catalogue = write_jsonl(tmp_path / "catalogue.jsonl", sample_records[:20])
    root, encoder = tmp_path / "index", str(minilm_dir())
    writer = DirectoryWriter(root)
    build_from_file(writer, catalogue, BuildSettings(keep_versions=2))
    served = writer.reembed(encoder).version  # two versions kept, as many as the index keeps
    staged = writer.reembed(encoder, serve=False)
    assert not staged.published and not staged.removed and open_index(root).manifest.version == served
    assert len(writer.info().versions) == 3  # a staged version may be deleted yet: the oldest stays meanwhile
    assert not writer.switch(staged.version, replacing="v000001").published  # another version is served now
    assert open_index(root).manifest.version == served
    assert writer.switch(staged.version, replacing=served).published
    assert open_index(root).manifest.version == staged.version
