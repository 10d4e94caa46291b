"""`restext --help` needs no TensorFlow; `import keras_restext` is cheap and leaves stderr alone."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "keras", "tensorflow_text", "tensorflow_datasets")

# Runs `python -m keras_restext.cli.main ARGS` in this process, then reports what it imported. (Not
# `python -X importtime`: its log goes to stderr, which a silenced TensorFlow import would hide.)
RUN_CLI = """\
import json, runpy, sys
sys.argv = ["restext", *sys.argv[1:]]
try:
    runpy.run_module("keras_restext.cli.main", run_name="__main__", alter_sys=True)
    code = None
except SystemExit as exit:
    code = exit.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in %r)
print(json.dumps({"code": code, "heavy": heavy, "cli": "keras_restext.cli.train" in sys.modules}))
""" % (HEAVY,)


def _python(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("RESTEXT_TF_LOGS", None)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=REPO, env=env)


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"], ["export"], ["presets"]])
def test_help_imports_no_tensorflow(command):
    result = _python("-c", RUN_CLI, *command, "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("usage: restext")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0 and report["cli"]
    assert report["heavy"] == [], f"`restext {' '.join(command)} --help` imported {report['heavy'][:5]}"


def test_import_keras_restext_is_cheap_and_public_names_load_on_use():
    code = (
        "import json, sys\n"
        "import keras_restext\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] in %r)\n"
        "block = keras_restext.ResBlock(8)\n"
        "import keras\n"
        "registered = keras.saving.get_registered_object('keras_restext>ResBlock') is keras_restext.ResBlock\n"
        "print(json.dumps({'before': before, 'tensorflow_after': 'tensorflow' in sys.modules,\n"
        "    'registered': registered, 'quiet_import': 'keras_restext.cli.quiet_import' in sys.modules,\n"
        "    'subpackage': keras_restext.layers.ResBlock is keras_restext.ResBlock,\n"
        "    'presets': 'restext_base' in keras_restext.presets}))\n"
    ) % (HEAVY,)
    result = _python("-c", code)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "before": [],  # nothing heavy until a public name is used
        "tensorflow_after": True,
        "registered": True,  # using a name registers its layers for `keras.saving.load_model`
        "quiet_import": False,  # the library never silences the stderr of the program importing it
        "subpackage": True,
        "presets": True,
    }


def test_an_unknown_name_is_explained():
    import keras_restext

    with pytest.raises(AttributeError, match=r"has no attribute 'ResNet'. Public names: BagOfTokensLogits, "):
        keras_restext.ResNet  # noqa: B018


def test_the_cli_strategy_choices_are_the_library_strategies():
    from keras_restext.cli.train import STRATEGIES
    from keras_restext.training import distribute

    assert STRATEGIES == distribute.STRATEGIES
