"""model_ids.tflite in `ai-edge-litert`, the runtime apps use, in a fresh venv without TensorFlow
(about 30 s with a warm pip cache: 15 s for the venv, 15 s for the export and the runs)."""

import pytest

from benchmarks.litert_runtime_check import check


@pytest.mark.slow
def test_ids_model_runs_in_ai_edge_litert_without_tensorflow(tmp_path, shared_data):
    report = check(None, str(shared_data / "mr" / "test.csv"), str(tmp_path / "venv"), 300, str(tmp_path))
    assert report["texts"] == 300
    for way in ("alone", "batched"):
        assert report[f"max |dp| {way}"] < 1e-4 and report[f"labels that differ {way}"] == 0
    # model.tflite needs the Flex delegate, which ai-edge-litert does not ship: the check reports it.
    assert "Flex" in report["model.tflite"] or report["model.tflite"] == "ran"
