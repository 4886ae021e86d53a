"""Fast ONNX forms of all-MiniLM-L6-v2 and of trained models, derived once and cached.

See docs/design.md#onnx-export-and-int8.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

RECIPE = "2"  # bump when a derivation below changes; it names the cached files


def cache_dir() -> Path:
    """Where derived graphs are kept: PRODSEARCH_CACHE (read here only), else ~/.cache/prodsearch."""
    return Path(os.environ.get("PRODSEARCH_CACHE", Path.home() / ".cache" / "prodsearch"))


def prepared_model(source: Path, source_sha256: str, kind: str = "fp32") -> Path:
    """The cached ONNX file of `kind` (fp32 or int8) derived from `source`, made on first use."""

    def build(target: Path) -> None:
        _fold(source, target)
        _fuse(target, target)
        if kind == "int8":
            _quantize_per_token(target, target)

    return _cached(f"minilm-l6-{kind}-r{RECIPE}-{source_sha256[:16]}.onnx", build)


def exported_model(directory: Path, weights_sha256: str, scores: bool = False) -> Path:
    """The cached int8 graph of the BERT model in `directory`, made on first use: its token states
    (a sentence-transformers bi-encoder), or with `scores` its one-label head (a cross-encoder)."""
    import json

    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))

    def build(target: Path) -> None:
        _export(directory, target, scores)
        _fuse(target, target, config["num_attention_heads"], config["hidden_size"])
        _quantize_per_token(target, target)

    kind = "cross" if scores else "bert"
    return _cached(f"{kind}-int8-r{RECIPE}-{weights_sha256[:16]}.onnx", build)


def _cached(name: str, build) -> Path:
    target = cache_dir() / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as work:
            built = Path(work) / name
            build(built)
            os.replace(built, target)  # atomic: a concurrent or killed job never sees half a file
    return target


def _export(directory: Path, target: Path, scores: bool) -> None:
    """The transformer's token states, or its classifier's logits, as an ONNX graph, batch and length left free."""
    import warnings

    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification

    class Outputs(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.logits if scores else out.last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    output = "scores" if scores else "token_states"
    free = {0: "batch"} if scores else {0: "batch", 1: "tokens"}  # scores are (batch, 1)
    loader = AutoModelForSequenceClassification if scores else AutoModel
    model = loader.from_pretrained(str(directory), local_files_only=True).eval()
    example = torch.ones(2, 8, dtype=torch.long)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it leaves dynamic
        torch.onnx.export(
            Outputs(model),
            (example, example, torch.zeros_like(example)),
            str(target),
            input_names=names,
            output_names=[output],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in names} | {output: free},
            opset_version=17,
            dynamo=False,
        )


def _fold(source: Path, target: Path) -> None:
    """The shipped int8 weights multiplied out into float32 initialisers."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    folded, removed = [], []
    for node in list(graph.node):
        if node.op_type != "Cast" or node.input[0] not in initializers:
            continue
        (scale_mul,) = consumers[node.output[0]]  # weight_q -> Cast -> Mul(scale) in this export
        scale = next(name for name in scale_mul.input if name != node.output[0])
        weights = numpy_helper.to_array(initializers[node.input[0]]).astype("float32")
        weights *= numpy_helper.to_array(initializers[scale]).astype("float32")
        folded.append(numpy_helper.from_array(weights, scale_mul.output[0]))
        removed += [node, scale_mul]
    for node in removed:
        graph.node.remove(node)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept + folded)
    onnx.save(model, str(target))


def _fuse(source: Path, target: Path, heads: int = 12, hidden: int = 384) -> None:
    """bias+GELU and skip+LayerNorm fused into single operators."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(str(source), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
    fused.save_model_to_file(str(target))


def _quantize_per_token(source: Path, target: Path) -> None:
    """Replaces every multiplication by a weight matrix with an int8 MatMulInteger.

    See docs/design.md#onnx-export-and-int8.
    """
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    opset = next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))
    constants = {
        "q_inv127": np.array(1 / 127, np.float32),
        "q_tiny": np.array(1e-8, np.float32),
        "q_shift": np.array(128.5, np.float32),
        "q_zero": np.array(128, np.uint8),
        "q_last": np.array([-1], np.int64),
    }
    added = [numpy_helper.from_array(value, name) for name, value in constants.items()]
    scales: dict[str, tuple[str, str]] = {}  # activation -> (quantized, per-token scale)
    nodes = []

    def quantize(x: str) -> tuple[str, str]:
        if x not in scales:
            quantized, scale = f"{x}_q", f"{x}_qscale"
            reduce = (
                helper.make_node("ReduceMax", [f"{x}_abs", "q_last"], [f"{x}_amax"], keepdims=1)
                if opset >= 18
                else helper.make_node("ReduceMax", [f"{x}_abs"], [f"{x}_amax"], keepdims=1, axes=[-1])
            )
            nodes.extend(
                [
                    helper.make_node("Abs", [x], [f"{x}_abs"]),
                    reduce,
                    helper.make_node("Max", [f"{x}_amax", "q_tiny"], [f"{x}_amax1"]),
                    helper.make_node("Mul", [f"{x}_amax1", "q_inv127"], [scale]),
                    helper.make_node("Div", [x, scale], [f"{x}_scaled"]),
                    helper.make_node("Add", [f"{x}_scaled", "q_shift"], [f"{x}_shifted"]),
                    helper.make_node("Cast", [f"{x}_shifted"], [quantized], to=TensorProto.UINT8),
                ]
            )
            scales[x] = (quantized, scale)
        return scales[x]

    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in weights:
            nodes.append(node)
            continue
        quantized, scale = quantize(node.input[0])
        matrix = numpy_helper.to_array(weights[node.input[1]]).astype(np.float32)
        column_scale = np.maximum(np.abs(matrix).max(axis=0), 1e-8) / 127
        added.append(numpy_helper.from_array(np.round(matrix / column_scale).astype(np.int8), f"{node.name}_w8"))
        added.append(numpy_helper.from_array(column_scale.astype(np.float32), f"{node.name}_wscale"))
        out = node.output[0]
        nodes.extend(
            [
                helper.make_node("MatMulInteger", [quantized, f"{node.name}_w8", "q_zero"], [f"{out}_i32"]),
                helper.make_node("Cast", [f"{out}_i32"], [f"{out}_f32"], to=TensorProto.FLOAT),
                helper.make_node("Mul", [f"{out}_f32", scale], [f"{out}_rows"]),
                helper.make_node("Mul", [f"{out}_rows", f"{node.name}_wscale"], [out]),
            ]
        )
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in [*graph.initializer, *added] if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.save(model, str(target))
