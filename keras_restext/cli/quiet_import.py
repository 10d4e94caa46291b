"""Imports TensorFlow without its C++ start-up lines on stderr.

TensorFlow 2.21 prints its oneDNN, CUDA-stub and CPU-feature notices (and "failed call to cuInit"
on a machine without a GPU) before its logging is initialised, so no `TF_CPP_MIN_LOG_LEVEL` hides
them; on every `restext` command they would bury the one line that matters. This imports TensorFlow
and lists its devices with file descriptor 2 pointed at /dev/null, then restores it: Python
exceptions still reach the caller. Set `RESTEXT_TF_LOGS=1` to see the lines.

Only the `restext` command calls it, before its first TensorFlow import: a library must not take
over the stderr of the programs that import it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Points file descriptor 2 at /dev/null for the duration of the block.

    Example:

    ```python
    with native_stderr_silenced():
        import tensorflow
    ```
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some notebooks, services): nothing to hide
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow_quietly() -> None:
    """Imports TensorFlow (and finds its devices) quietly, unless it is already imported.

    Does nothing when `RESTEXT_TF_LOGS` is set, so the lines can be seen when they matter.

    Example:

    ```python
    import_tensorflow_quietly()
    import tensorflow as tf  # already imported, without the C++ start-up lines
    ```
    """
    if "tensorflow" in sys.modules or os.environ.get("RESTEXT_TF_LOGS"):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()
