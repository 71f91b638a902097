"""`kgen train`: every zoo model with the CLI defaults, the flags' effects, --config replay,
sequence and text data, and TensorBoard's step axis. In-process (`kgen.cli.main`), tiny models."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import cli, runs, zoo

ROOT = Path(__file__).resolve().parents[1]
SHAKESPEARE = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
QUICK = ["--tiny", "--epochs", "1", "--steps-per-epoch", "2", "--verbose", "0"]


def _train(run_dir, *flags):
    rc = cli.main(["train", *flags, "--run-dir", str(run_dir)])
    assert rc == 0
    return json.loads((Path(run_dir) / "config.json").read_text())


def _load(run_dir):
    return runs.load_run(run_dir, compile=True)[0]


DEFAULT_DATA = {"images": "digits", "points": "ring8", "sequences": "sines", "text": "zen",
                "color_images": "photos", "paired": "edges2digits", "unpaired": "digits2inverted",
                "super_resolution": "sr:x4"}


def _family(name):
    builder = zoo.get(name)
    return builder.fn.__module__.split(".")[2], builder.data  # kgen.models.<family>.<file>


# One full `kgen train` per (family, data kind): the run's callbacks (sample grids, checkpoints,
# history) differ by family and data, not by model; every other model takes one step of the
# same CLI pipeline below (tracing each model's step twice more cost ~3 CI minutes).
TRAINED_BY_CLI = sorted({_family(name): name for name in reversed(zoo.names())}.values())


@pytest.mark.parametrize("name", TRAINED_BY_CLI)
def test_a_zoo_model_of_each_family_and_data_kind_trains_with_the_cli_defaults(name, tmp_path):
    config = _train(tmp_path / name, "--model", name, *QUICK)
    history = json.loads((tmp_path / name / "history.json").read_text())
    assert history["epoch"] == [1] and (tmp_path / name / "model.keras").is_file()
    assert config["data"] == DEFAULT_DATA[zoo.get(name).data]
    # --batch-size is one critic step's batch: the pipeline reads d_steps of them.
    assert config["pipeline_batch_size"] == config["d_steps"] * config["batch_size"] == config["d_steps"] * 64


@pytest.mark.parametrize("name", zoo.names())
def test_every_zoo_model_builds_from_the_cli_defaults_and_steps_on_their_pipeline(name):
    """The CLI's own steps (flags, default data, builder, pipeline), then one eager train step."""
    from kgen.commands import train

    args = cli.build_parser().parse_args(["train", "--model", name, *QUICK])
    builder = train.validate(args)
    assert args.data == DEFAULT_DATA[builder.data]
    data = train.check_data(args, builder, train.load_data(args, builder))
    model, strategy = train.build_model(args, builder, data)
    dataset, _, steps = train.make_datasets(args, model, strategy, data)
    assert steps == 2
    batch = next(iter(dataset))
    before = [v.numpy().copy() for v in model.trainable_variables]
    logs = model.train_step(batch)
    assert set(logs) == set(model.metric_names()), (sorted(logs), model.metric_names())
    assert all(np.all(np.isfinite(np.asarray(v))) for v in logs.values()), logs
    assert any(np.abs(a - v.numpy()).max() > 0 for a, v in zip(before, model.trainable_variables))


def test_wgan_batch_is_d_steps_critic_batches_and_the_data_repeats(tmp_path):
    # 40 images, batch 4 x 5 critic steps = 20 per step: one pass is 2 steps, 7 steps repeat it.
    images = np.random.default_rng(0).integers(0, 256, (40, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "small.npz", images=images)
    config = _train(tmp_path / "wgan", "--model", "wgan", "--data", str(tmp_path / "small.npz"), "--tiny",
                    "--batch-size", "4", "--epochs", "2", "--steps-per-epoch", "7", "--verbose", "0")
    assert config["pipeline_batch_size"] == 20 and config["steps_per_epoch"] == 7
    model = _load(tmp_path / "wgan")
    assert int(model.g_optimizer.iterations) == 14  # 2 epochs x 7 steps, none cut short
    assert int(model.d_optimizer.iterations) == 70  # 5 critic updates per step


def test_optimizer_flags_set_every_optimizer(tmp_path):
    _train(tmp_path / "gan", "--lr", "1e-3", "--d-lr", "3e-4", "--beta1", "0.9", "--beta2", "0.95", *QUICK)
    gan = _load(tmp_path / "gan")
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(3e-4)
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(1e-3)
    assert gan.d_optimizer.beta_1 == gan.g_optimizer.beta_1 == pytest.approx(0.9)
    assert gan.g_optimizer.beta_2 == pytest.approx(0.95)
    _train(tmp_path / "vae", "--model", "vae", "--lr", "5e-4", *QUICK)
    assert float(_load(tmp_path / "vae").optimizer.learning_rate) == pytest.approx(5e-4)


def test_config_file_and_replay_of_a_runs_config_json(tmp_path):
    first = _train(tmp_path / "a", "--model", "dcgan", "--image-size", "8", "--batch-size", "8", "--lr",
                   "1e-3", "--seed", "3", "--sample-every", "2", "--tiny", "--epochs", "2",
                   "--steps-per-epoch", "2", "--verbose", "0")
    replay = _train(tmp_path / "b", "--config", str(tmp_path / "a" / "config.json"))
    assert replay["flags"] == first["flags"]
    assert replay["final_logs"] == pytest.approx(first["final_logs"])  # same seed, same run
    (tmp_path / "c.toml").write_text('model = "vae"\nbatch-size = 8\nepochs = 5\ntiny = true\n'
                                     'steps_per_epoch = 2\nverbose = 0\nlabels = false\n')
    config = _train(tmp_path / "c", "--config", str(tmp_path / "c.toml"), "--epochs", "1")
    assert (config["model"], config["batch_size"], config["epochs"]) == ("vae", 8, 1)  # flags win
    assert config["flags"]["labels"] is False


def test_sample_every_mixed_precision_ema_device(tmp_path):
    _train(tmp_path / "a", "--epochs", "2", "--sample-every", "2", "--mixed-precision", "bf16",
           "--ema", "0.5", "--device", "cpu", "--tiny", "--steps-per-epoch", "1", "--verbose", "0")
    run = tmp_path / "a"
    config = json.loads((run / "config.json").read_text())
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_0002.png"]
    assert config["mixed_precision"] == "bf16" and config["ema"] == 0.5 and config["strategy"] == "cpu"
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after the run
    gan = _load(run)
    assert "mixed_bfloat16" in {layer.dtype_policy.name for layer in gan.generator.layers}
    raw = keras.models.clone_model(gan.generator)
    raw.load_weights(str(run / "generator_raw.weights.h5"))
    # The saved generator holds the EMA: after 2 updates with decay 0.5 it differs from the raw one.
    assert any(not np.allclose(a, b) for a, b in zip(raw.get_weights(), gan.generator.get_weights()))
    _train(tmp_path / "b", "--sample-every", "0", *QUICK)
    assert not (tmp_path / "b" / "samples").exists()
    assert "strategy" in config and json.loads((tmp_path / "b" / "config.json").read_text())["strategy"] == "default"


@pytest.mark.slow  # ~20 s: two LSTM models traced for training and validation
def test_sequence_autoencoder_on_text_and_on_npz(tmp_path):
    config = _train(tmp_path / "text", "--model", "sequence_autoencoder", "--data", f"text:{SHAKESPEARE}",
                    "--seq-length", "64", "--batch-size", "64", *QUICK)
    vocabulary = config["vocabulary"]
    assert len(vocabulary) == 65 and config["input_shape"] == [64, 65]
    history = json.loads((tmp_path / "text" / "history.json").read_text())
    assert "val_loss" in history  # the last 10 % of the text is the validation set
    seqs = np.random.default_rng(0).normal(size=(50, 7, 3)).astype(np.float32)
    np.savez(tmp_path / "seqs.npz", sequences=seqs)
    config = _train(tmp_path / "npz", "--model", "sequence_autoencoder", "--data", str(tmp_path / "seqs.npz"),
                    "--batch-size", "8", *QUICK)
    assert config["input_shape"] == [7, 3] and config["data_kind"] == "sequences"


def test_run_directory_names_have_no_file_extension(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.savez(tmp_path / "faces.npz", images=np.zeros((8, 8, 8), np.uint8))
    assert cli.main(["train", "--data", "faces.npz", "--batch-size", "4", *QUICK]) == 0
    assert (tmp_path / "runs" / "dcgan-faces" / "model.keras").is_file()


def _events(directory):
    found = {}
    for path in Path(directory).rglob("events.out.tfevents*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                found.setdefault(value.tag, set()).add(event.step)
    return found


def test_tensorboard_scalars_images_and_every_learning_rate_share_one_step_axis(tmp_path):
    _train(tmp_path / "gan", "--epochs", "3", "--tiny", "--steps-per-epoch", "1", "--verbose", "0")
    train = _events(tmp_path / "gan" / "logs" / "train")
    images = _events(tmp_path / "gan" / "logs" / "samples")
    assert images["samples"] == {1, 2, 3}
    for tag in ("epoch_d_loss", "epoch_g_loss", "learning_rate/d_optimizer", "learning_rate/g_optimizer"):
        assert train[tag] == {1, 2, 3}, tag


def test_set_passes_model_hyperparameters_to_the_builder_and_config_json_replays_them(tmp_path):
    """`--set loss=hybrid --set hybrid_weight=0.01` builds the hybrid DDPM (no training: the
    every-zoo test trains a ddpm); the flags recorded in config.json become the same --set tokens."""
    from kgen.commands import _config, train

    parser = cli.build_parser()
    argv = ["train", "--model", "ddpm", "--tiny", "--image-size", "8", "--set", "loss=hybrid",
            "--set", "hybrid_weight=0.01", "--set", "schedule=cosine"]
    args = parser.parse_args(argv)
    assert args.set == ["loss=hybrid", "hybrid_weight=0.01", "schedule=cosine"]
    builder = train.validate(args)
    data = train.check_data(args, builder, train.load_data(args, builder))
    model, _ = train.build_model(args, builder, data)
    assert (model.loss_kind, model.hybrid_weight) == ("hybrid", 0.01)
    assert model.get_config()["schedule"] == "cosine"
    assert model.network.outputs[0].shape[-1] == 2  # learned variances: 2C output channels
    (tmp_path / "config.json").write_text(json.dumps({"flags": {"model": "ddpm", "set": args.set}}))
    command = parser._subparsers._group_actions[0].choices["train"]  # noqa: SLF001
    tokens = _config.settings_to_argv(command, _config.read_settings(tmp_path / "config.json"))
    assert tokens == ["--model=ddpm", "--set=loss=hybrid", "--set=hybrid_weight=0.01", "--set=schedule=cosine"]
    assert parser.parse_args(["train", *tokens]).set == args.set
