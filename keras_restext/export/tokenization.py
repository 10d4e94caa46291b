"""`tokenization.md`: what an app must do to turn a text into `model_ids.tflite`'s input, written
beside the LiteRT models for apps that tokenize themselves.

The spec has a title, the steps of the tokenizer's kind (word, char or WordPiece) and a common
section on ids, truncation and padding. Tests follow the written steps in plain Python on real
texts and compare the ids with the tokenizer's.
"""

from __future__ import annotations

import keras

from keras_restext.data.tokenizers import CharTokenizer, WordPieceTokenizer, WordTokenizer

TOKENIZATION_FILE = "tokenization.md"
_TITLE = ["# Tokenization for model_ids.tflite", ""]
# The tokenizers' first step (`keras_restext.data.tokenizers.base.CONTROL_CHARACTERS`), in words.
_CONTROL_STEP = (
    "Replace every control character with a space: U+0000-U+0008, U+000B, U+000C, U+000E-U+001F and "
    "U+007F-U+009F (tab, newline and carriage return are white space already)."
)


def tokenization_spec(tokenizer: keras.layers.Layer) -> str:
    """The Markdown spec of what an app must do to turn a text into `model_ids.tflite`'s input.

    Raises:
        ValueError: for a tokenizer that is not a word, char or WordPiece tokenizer.

    Example:
    ```python
    print(tokenization_spec(tokenizer))
    ```
    """
    ids_section = _ids_section(tokenizer)
    if isinstance(tokenizer, WordTokenizer):
        lines = _word_steps(tokenizer)
    elif isinstance(tokenizer, CharTokenizer):
        lines = _char_steps(tokenizer)
    elif isinstance(tokenizer, WordPieceTokenizer):
        lines = _wordpiece_steps(tokenizer)
    else:
        raise ValueError(
            f"No tokenization spec for {type(tokenizer).__name__}: expected a word, char or wordpiece tokenizer"
        )
    return "\n".join(_TITLE + lines + ids_section) + "\n"


def _ids_section(tokenizer: keras.layers.Layer) -> list[str]:
    """The spec's end, the same for every tokenizer: truncation, padding, the input and the outputs."""
    length = (
        f"exactly {tokenizer.max_length} (pad every text to it)"
        if tokenizer.pad_to_max_length
        else f"from 1 to {tokenizer.max_length}: pad a batch to its longest text (the model masks padding, so "
        "it does not change the probabilities); a batch of one text needs no padding"
    )
    return [
        "",
        "## Ids, truncation and padding",
        f"- Keep the first {tokenizer.max_length} ids of a text (`max_length`); drop the rest.",
        "- Padding is id 0, appended at the end. An empty text is one id 0.",
        f"- Input: int32 `[batch, length]`, the length {length}. Resize the input tensor to the batch's shape "
        "before allocating tensors.",
        "- Outputs: `probabilities` float32 `[batch, classes]` (classes in the order of `labels.txt`) and "
        "`label_id` int32 `[batch]` (the line of `labels.txt`, from 0).",
    ]


def _word_steps(tokenizer: WordTokenizer) -> list[str]:
    """The word tokenizer's vocabulary and steps: lower-casing, punctuation, the split, n-grams, ids."""
    punctuation = {
        "split": "put a space before and after every punctuation mark or symbol (every character of Unicode "
        "general category P* or S*: regex `[\\p{P}\\p{S}]`), so that each becomes a word of its own",
        "strip": "replace every punctuation mark or symbol (Unicode category P* or S*) with a space",
        "keep": "leave punctuation as it is",
    }[tokenizer.punctuation]
    lines = [
        "Word tokens. `vocabulary.txt` holds one token per line; the id of a token is its line number "
        "minus 1 (line 1 is the empty padding token, id 0; line 2 `[UNK]`, id 1).",
        "",
        "## Steps",
        f"1. {_CONTROL_STEP}",
        "2. Lower-case: "
        + ("Unicode lower-casing of every character (full case mapping)." if tokenizer.lowercase else "none."),
        f"3. Punctuation: {punctuation}.",
        "4. Split on runs of ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r) and drop empty words; other "
        "spaces (such as U+00A0) stay inside words.",
    ]
    if tokenizer.ngrams > 1:
        widths = ", ".join(str(n) for n in range(2, tokenizer.ngrams + 1))
        lines.append(
            f"5. N-grams of {widths} words: after the words, append every run of n adjacent words joined by one "
            "space (\"not\", \"good\" → \"not good\"), in order of position"
            + (", all 2-grams before the 3-grams, and so on." if tokenizer.ngrams > 2 else ".")
        )
    lines.append(
        f"{6 if tokenizer.ngrams > 1 else 5}. Map every token to its id: a token missing from `vocabulary.txt` "
        "is 1."
    )
    return lines


def _char_steps(tokenizer: CharTokenizer) -> list[str]:
    """The char tokenizer's steps: bytes (id = byte + 2) or code points looked up in the vocabulary."""
    if tokenizer.mode == "bytes":
        steps = [
            f"1. Lower-case: {'ASCII letters A-Z only' if tokenizer.lowercase else 'none'}.",
            "2. Every UTF-8 byte b of the text is one token, id b + 2 (control characters included).",
        ]
    else:
        steps = [
            "1. Replace every invalid UTF-8 sequence with U+FFFD.",
            f"2. {_CONTROL_STEP}",
            f"3. Lower-case: {'Unicode lower-casing of every character' if tokenizer.lowercase else 'none'}.",
            "4. Every Unicode code point is one token; its id is the line number minus 1 of that character in "
            "`vocabulary.txt`, 1 when it is missing (line 1 is padding, id 0; line 2 `[UNK]`, id 1).",
        ]
    return ["Character tokens.", "", "## Steps", *steps]


def _wordpiece_steps(tokenizer: WordPieceTokenizer) -> list[str]:
    """The WordPiece tokenizer's steps, those of BERT's tokenizer with its vocabulary."""
    return [
        "WordPiece tokens, as BERT's tokenizer produces them (`vocabulary.txt` is a BERT vocabulary: line 1 "
        "`[PAD]`, id 0; line 2 `[UNK]`, id 1; the id of a piece is its line number minus 1).",
        "",
        "## Steps",
        "1. Replace every invalid UTF-8 sequence with U+FFFD.",
        f"2. {_CONTROL_STEP}",
        "3. "
        + (
            "Case-fold, normalise to NFD and remove combining marks (Unicode category Mn), as BERT uncased."
            if tokenizer.lowercase
            else "No normalisation."
        ),
        "4. Split on whitespace and around every punctuation character, as BERT's basic tokenizer does.",
        "5. Split each word greedily into the longest pieces in `vocabulary.txt`, continuation pieces with the "
        "prefix `##`; a word that cannot be split is one `[UNK]` (id 1).",
        "",
        "Any BERT WordPiece implementation (e.g. the TensorFlow Lite Support library's `BertTokenizer`) does this "
        "with this vocabulary.",
    ]


__all__ = ["TOKENIZATION_FILE", "tokenization_spec"]
