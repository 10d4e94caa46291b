"""Data paths through `tf.io.gfile`: `ram://` (TensorFlow's in-memory file system) stands in for
`gs://`, `s3://` and `hdfs://`, which take the same code path."""

import tensorflow as tf

from keras_restext.data.sources import paths
from keras_restext.training import train


def write_ram(path: str, text: str) -> str:
    with tf.io.gfile.GFile(path, "w") as f:
        f.write(text)
    return path


def test_remote_paths_go_through_gfile(tmp_path):
    folder = "ram://paths-test/set"
    tf.io.gfile.makedirs(f"{folder}/pos")
    write_ram(f"{folder}/pos/a.txt", "fine")
    write_ram(f"{folder}/b.csv", "text,label\nx,1\n")
    assert paths.is_remote(folder) and not paths.is_remote(str(tmp_path))
    assert paths.isdir(folder) and paths.isfile(f"{folder}/b.csv") and not paths.exists(f"{folder}/none")
    assert paths.listdir(folder) == ["b.csv", "pos"]
    assert paths.glob_files(f"{folder}/*") == [f"{folder}/b.csv"]  # files only
    assert paths.file_size(f"{folder}/b.csv") == 15
    with paths.open_binary(f"{folder}/b.csv") as stream:
        assert stream.peek(4)[:4] == b"text" and stream.read() == b"text,label\nx,1\n"


def test_ram_paths_train_end_to_end(tmp_path):
    words = ["a fine good film", "a dull bad film"]
    lines = [f"{words[i % 2]} {i},{i % 2}\n" for i in range(40)]
    rows = "".join(lines)
    train_path = write_ram("ram://train-test/train.csv", "text,label\n" + rows)
    test_path = write_ram("ram://train-test/test.csv", "text,label\n" + "".join(lines[:10]))
    result = train(
        train=train_path, test=test_path, preset="restext_small", epochs=1, batch_size=8,
        output=str(tmp_path / "run"), verbose=0, log=None,
    )  # fmt: skip
    assert result.sizes == {"train": 40, "test": 10}
    assert 0.0 <= result.metrics["test"]["accuracy"] <= 1.0
