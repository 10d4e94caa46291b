"""Input pipeline: sources → `TextData` → labels and tokenizers → `tf.data` batches.

Example (on the benchmark data beside the repository, so not a doctest):

```python
from keras_restext.data import LabelVocabulary, build_pipeline, make_tokenizer, read_dataset

train = read_dataset("../shared/data/mr/train.csv")
labels = LabelVocabulary.from_data(train)
tokenizer = make_tokenizer("word", max_tokens=20000, max_length=256).adapt(train)
batches = build_pipeline(train, tokenizer, labels, batch_size=64, shuffle=True, seed=0)
```
"""

from keras_restext.data.errors import DataError
from keras_restext.data.labels import LABELS_FILE, LabelVocabulary
from keras_restext.data.pipeline import build_pipeline, default_bucket_boundaries
from keras_restext.data.sources import FORMATS, LABEL_COLUMN_NAMES, TEXT_COLUMN_NAMES, infer_format, read_dataset
from keras_restext.data.splits import split_validation, train_validation
from keras_restext.data.textdata import Row, TextData
from keras_restext.data.tokenizers import (
    OOV_ID,
    PAD_ID,
    TOKENIZERS,
    VDCNN_ALPHABET,
    CharTokenizer,
    Tokenizer,
    WordPieceTokenizer,
    WordTokenizer,
    make_tokenizer,
)

__all__ = [
    "FORMATS",
    "LABELS_FILE",
    "LABEL_COLUMN_NAMES",
    "OOV_ID",
    "PAD_ID",
    "TEXT_COLUMN_NAMES",
    "TOKENIZERS",
    "VDCNN_ALPHABET",
    "CharTokenizer",
    "DataError",
    "LabelVocabulary",
    "Row",
    "TextData",
    "Tokenizer",
    "WordPieceTokenizer",
    "WordTokenizer",
    "build_pipeline",
    "default_bucket_boundaries",
    "infer_format",
    "make_tokenizer",
    "read_dataset",
    "split_validation",
    "train_validation",
]
