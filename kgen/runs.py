"""Run directories: one folder per training run, with everything it produced.

Layout::

    RUN_DIR/config.json      what was trained, on what, how
    RUN_DIR/model.keras      the whole model (keras.saving.load_model)
    RUN_DIR/history.json     per-epoch logs
    RUN_DIR/checkpoints/     BackupAndRestore state (resume)
    RUN_DIR/samples/         epoch_XXXX.png grids from fixed latents
    RUN_DIR/logs/            TensorBoard scalars and images
    RUN_DIR/export/          exported SavedModel / TFLite bundle
"""

import json
import os
from pathlib import Path

import keras

from kgen.callbacks import JsonHistory, SampleGrid

CONFIG = "config.json"
MODEL = "model.keras"


def callbacks_for(run_dir, samples=64, sample_every=1, value_range=(-1.0, 1.0), tensorboard=True,
                  backup=True):
    """The standard callbacks of a run: samples, TensorBoard, resumable checkpoints, JSON history.

    Args:
        run_dir: the run directory.
        samples: samples per grid (0 for none).
        sample_every: epochs between grids.
        value_range: the model's output range.
        tensorboard: write TensorBoard scalars and sample images.
        backup: `BackupAndRestore` into `RUN_DIR/checkpoints` (resumes an
            interrupted run at the right epoch).

    Returns:
        A list of callbacks; BackupAndRestore comes first so the others see
        restored weights.
    """
    run_dir = Path(run_dir)
    cbs = []
    if backup:
        cbs.append(keras.callbacks.BackupAndRestore(str(run_dir / "checkpoints"),
                                                    delete_checkpoint=False))
    if tensorboard:
        cbs.append(keras.callbacks.TensorBoard(str(run_dir / "logs"), write_graph=False))
    if samples:
        cbs.append(SampleGrid(run_dir / "samples", n=samples, every=sample_every,
                              value_range=value_range,
                              tensorboard_dir=str(run_dir / "logs") if tensorboard else None))
    cbs.append(JsonHistory(run_dir / "history.json"))
    return cbs


def write_config(run_dir, config):
    """Write `config.json` (merged over an existing one)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / CONFIG
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(config)
    path.write_text(json.dumps(old, indent=1, default=str))
    return path


def load_run(run_dir, compile=True):
    """Load a finished run's model and config.

    Args:
        run_dir: a directory written by `kgen train`.
        compile: restore the compiled state.

    Returns:
        `(model, config)`.

    Example:
        >>> gan, config = load_run("runs/dcgan-digits")
        >>> images = gan.generate(16)
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run directory not found: {str(run_dir)!r}. Train one with `kgen train --run-dir DIR`.")
    model_path = run_dir / MODEL
    if not model_path.exists():
        raise FileNotFoundError(
            f"{str(model_path)!r} is missing: the run did not finish. Re-run `kgen train --run-dir "
            f"{run_dir}` (it resumes from {run_dir / 'checkpoints'})."
        )
    import kgen.models  # noqa: F401 - registers kgen classes for deserialization

    model = keras.saving.load_model(str(model_path), compile=compile)
    config_path = run_dir / CONFIG
    config = json.loads(config_path.read_text()) if config_path.exists() else {}
    return model, config


def default_run_dir(model_name, data_name):
    """`runs/<model>-<data>` with characters unsafe in paths replaced."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{model_name}-{os.path.basename(str(data_name))}")
    return Path("runs") / safe
