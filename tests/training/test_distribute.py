import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from keras_restext.training.distribute import (
    get_strategy,
    global_batch_size,
    is_chief,
    scaled_learning_rate,
    with_shard_policy,
    write_dir,
)

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "scripts"


def run_script(name: str, *args: str, env: dict | None = None, timeout: int = 120) -> dict:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        cwd=REPO,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_mirrored_on_two_cpu_replicas_matches_one_device():
    report = run_script("mirrored_parity.py")
    assert report["replicas"] == 2
    assert report["max_weight_change"] > 1e-3  # training really moved the weights
    np.testing.assert_allclose(report["mirrored_loss"], report["single_loss"], rtol=1e-4)
    assert report["max_weight_diff"] < 1e-4


def test_default_strategy_rules():
    strategy = get_strategy("default")
    assert global_batch_size(32, strategy) == 32
    assert scaled_learning_rate(1e-3, strategy) == pytest.approx(1e-3)
    assert is_chief(strategy)
    assert write_dir("/tmp/out", strategy) == "/tmp/out"
    assert get_strategy("auto").num_replicas_in_sync == 1  # no TPU, no GPUs here


def test_shard_policy_is_set_explicitly():
    data = tf.data.Dataset.range(4)
    policy = tf.data.experimental.AutoShardPolicy
    assert with_shard_policy(data).options().experimental_distribute.auto_shard_policy == policy.DATA
    assert with_shard_policy(data, sharded_files=True).options().experimental_distribute.auto_shard_policy == policy.FILE
    assert with_shard_policy(data, sharded_here=True).options().experimental_distribute.auto_shard_policy == policy.OFF


def test_unknown_strategy_is_explained():
    with pytest.raises(ValueError, match=r"`strategy` must be one of .* Received: strategy='horovod'"):
        get_strategy("horovod")
    with pytest.raises(ValueError, match="TF_CONFIG"):
        os.environ.pop("TF_CONFIG", None)
        get_strategy("multiworker")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_multiworker_training_on_loopback_agrees_and_only_the_chief_writes(tmp_path):
    from tests.training.helpers import write_tsv

    data = tmp_path / "data"
    data.mkdir()
    write_tsv(data / "train.tsv", 160, seed=0)
    write_tsv(data / "dev.tsv", 40, seed=1)
    reports = _launch_workers("multiworker_train.py", str(data), str(tmp_path / "out"))
    chief, worker = reports
    assert (chief["chief"], worker["chief"]) == (True, False)
    assert chief["replicas"] == worker["replicas"] == 2
    assert chief["weights"] == worker["weights"]  # synchronous training: the same model on both
    # Only the chief wrote the run folder and the export; the worker's temporary folder is gone.
    assert chief["export_path"] == str(tmp_path / "out" / "export" / "1")
    assert Path(chief["export_path"], "saved_model.pb").is_file()
    assert worker["export_path"] is None
    assert worker["output_dir"] != chief["output_dir"] and not Path(worker["output_dir"]).exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["export", "run"]


def _launch_workers(script: str, *args: str) -> list[dict]:
    """Runs `script` as two loopback workers of one cluster; their last JSON lines."""
    workers = [f"127.0.0.1:{_free_port()}" for _ in range(2)]
    processes = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        processes.append(
            subprocess.Popen(
                [sys.executable, str(SCRIPTS / script), *args],
                cwd=REPO,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_CONFIG": json.dumps(tf_config)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        assert lines, err[-8000:]
        reports.append(json.loads(lines[-1]))
    return reports


def test_several_files_are_sharded_by_file_across_two_workers(tmp_path):
    """Four files, two workers: each worker's training pipeline reads exactly two of the files,
    every row of them in each epoch, none of the other worker's; the weights still agree."""
    rows, epochs = 24, 2
    words = ["good fine great", "bad dull awful"]
    for index in range(4):
        lines = [f"part{index} {words[r % 2]} {r},{r % 2}" for r in range(rows)]
        (tmp_path / f"train-{index}.csv").write_text("text,label\n" + "\n".join(lines) + "\n")
    (tmp_path / "dev.csv").write_text("text,label\n" + "".join(f"{words[r % 2]},{r % 2}\n" for r in range(8)))
    chief, worker = _launch_workers(
        "multiworker_files.py", str(tmp_path / "train-*.csv"), str(tmp_path / "dev.csv"), str(tmp_path / "out")
    )
    assert (chief["chief"], worker["chief"]) == (True, False)
    # Every row of its own two files, none of the other's: 0 and 2 on the chief, 1 and 3 on the worker.
    assert chief["rows_per_file"] == {"part0": rows, "part2": rows}
    assert worker["rows_per_file"] == {"part1": rows, "part3": rows}
    for report in (chief, worker):  # without the cache, each epoch reads them again (and Keras's build, once)
        assert all(reads >= rows * epochs and reads % rows == 0 for reads in report["reads_per_file"].values())
    assert chief["weights"] == worker["weights"]
