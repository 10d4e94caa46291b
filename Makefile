# The README's commands. Each installs what it needs first, so they work on a fresh machine.
PYTHON ?= python3
PIP = $(PYTHON) -m pip install --quiet --disable-pip-version-check

.PHONY: install test quickstart bench clean

install:
	$(PIP) -e '.[test]'

# The test command (CI runs exactly this through .ci/run).
test: install
	$(PYTHON) -m pytest

# The main job: train restext_base on SST-2, evaluate, export a SavedModel, predict with it.
quickstart: install
	bash examples/sst2_quickstart.sh

# Accuracy and speed against fastText and TF-IDF (long: not part of the tests).
bench:
	$(PIP) -e '.[bench]'
	$(PYTHON) -m benchmarks.run

clean:
	rm -rf build *.egg-info .pytest_cache runs
