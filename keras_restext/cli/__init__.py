"""The `restext` command line: train, evaluate, predict, export, presets."""
