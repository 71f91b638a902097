"""Bad `kgen` invocations: exit status 2, one `kgen: error:` line naming the value and the flag,
no traceback, and nothing created or changed on disk.

All cases run in-process (`kgen.cli.main`) against one set of fixture files and one finished run.
"""

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kgen import cli

# (id, argv, regex the one error line must match). Paths: {d} is the fixture folder, {run} a
# finished tiny DCGAN run, {unfinished} a run directory without model.keras.
CASES = [
    # counts and numbers
    ("epochs-0", "train --epochs 0", r"argument --epochs: must be an integer >= 1\. Received: 0"),
    ("epochs-negative", "train --epochs -3", r"argument --epochs: must be an integer >= 1\. Received: -3"),
    ("epochs-text", "train --epochs ten", r"argument --epochs: expected an integer\. Received: 'ten'"),
    ("latent-dim-0", "train --latent-dim 0", r"argument --latent-dim: must be an integer >= 1"),
    ("steps-0", "train --steps-per-epoch 0", r"argument --steps-per-epoch: must be an integer >= 1"),
    ("batch-0", "train --batch-size 0", r"argument --batch-size: must be an integer >= 1"),
    ("seed-negative", "train --seed -1", r"argument --seed: must be an integer >= 0"),
    ("lr-0", "train --lr 0", r"argument --lr: must be a number > 0\. Received: 0"),
    ("lr-nan", "train --lr nan", r"argument --lr: expected a finite number"),
    ("beta1-1", "train --beta1 1.0", r"argument --beta1: must lie in \[0, 1\)\. Received: 1"),
    ("beta2-negative", "train --beta2 -0.1", r"argument --beta2: must lie in \[0, 1\)"),
    ("ema-decay", "train --ema 1.5", r"argument --ema: must lie in \(0, 1\)"),
    ("sample-every-negative", "train --sample-every -1", r"argument --sample-every: must be an integer >= 0"),
    ("image-size-30", "train --image-size 30", r"argument --image-size: must be a power of two"),
    ("image-size-2", "train --image-size 2", r"argument --image-size: must be a power of two .* Received: 2"),
    ("num-classes-1", "train --model cgan --num-classes 1", r"argument --num-classes: must be an integer >= 2"),
    ("seq-length-1", "train --model sequence_autoencoder --seq-length 1", r"argument --seq-length: must be an integer >= 2"),
    ("validation-split-1", "train --model sequence_autoencoder --validation-split 1", r"argument --validation-split: must lie in \[0, 1\)"),
    # choices
    ("channels-2", "train --channels 2", r"argument --channels: invalid choice: 2"),
    ("value-range-reversed", "train --value-range 1,0", r"argument --value-range: HIGH must exceed LOW"),
    ("value-range-text", "train --value-range abc", r"argument --value-range: expected LOW,HIGH"),
    ("strategy", "train --strategy foo", r"argument --strategy: invalid choice: 'foo'"),
    ("device", "train --device tpu", r"argument --device: invalid choice: 'tpu'"),
    ("mixed-precision", "train --mixed-precision fp8", r"argument --mixed-precision: invalid choice: 'fp8'"),
    ("verbose", "train --verbose 3", r"argument --verbose: invalid choice: 3"),
    ("on-error", "train --on-error ignore", r"argument --on-error: invalid choice: 'ignore'"),
    ("unknown-flag", "train --epoch 3", r"unrecognized arguments: --epoch 3"),
    ("unknown-command", "trian", r"invalid choice: 'trian'"),
    ("quantize-int4", "train --export --quantize int4", r"--quantize: unknown TFLite variant\(s\) \['int4'\]"),
    ("quantize-without-export", "train --quantize int8", r"--quantize chooses the variants of --export; add --export"),
    # names and combinations
    ("unknown-model", "train --model dcgann", r"unknown model 'dcgann' \(--model\); known models: .*dcgan"),
    ("labels-unconditional", "train --labels", r"--labels: model dcgan is unconditional"),
    ("no-labels-conditional", "train --model cgan --no-labels", r"--no-labels: model cgan is conditional"),
    ("num-classes-unconditional", "train --num-classes 5", r"--num-classes: model dcgan is unconditional"),
    ("num-classes-too-few", "train --model cgan --num-classes 5 --tiny", r"--num-classes 5: --data digits has label 9"),
    ("label-1e6", "train --model cgan --data {d}/huge_label.npz --tiny", r"label values up to 1000000.*--num-classes K"),
    ("points-model-on-images", "train --model gan_mlp --data digits", r"model gan_mlp trains on points, but --data digits holds images; use --data ring8 or grid25"),
    ("image-model-on-points", "train --data ring8", r"model dcgan trains on images, but --data ring8 holds points"),
    ("sequence-model-on-images", "train --model sequence_autoencoder --data digits", r"trains on sequences, but --data digits holds images; use --data sines, text:FILE"),
    ("image-model-on-text", "train --data text:{d}/notes.txt", r"model dcgan trains on images, but --data text:.* holds sequences"),
    ("image-flag-on-sequences", "train --model sequence_autoencoder --data text:{d}/notes.txt --image-size 16", r"--image-size does not apply here: model sequence_autoencoder trains on sequences"),
    ("sequence-flag-on-images", "train --seq-length 10", r"--seq-length does not apply here: model dcgan trains on images"),
    ("image-flag-on-points", "train --model gan_mlp --data ring8 --channels 3", r"--channels does not apply here: --data ring8 holds 2-D points"),
    ("source-flag-not-taken", "train --image-key x", r"--image-key does not apply to --data digits"),
    ("tfds-flag-on-npz", "train --data {d}/chw.npz --data-dir {d}", r"--data-dir does not apply to --data .*chw.npz \(source 'npz' takes --image-key, --label-key, --value-range\)"),
    ("d-lr-one-optimizer", "train --model vae --d-lr 1e-3 --tiny", r"--d-lr/--g-lr set a GAN's two learning rates; model vae has optimizer: use --lr"),
    ("beta1-rmsprop", "train --model wgan --beta1 0.5 --tiny --batch-size 8", r"--beta1: model wgan's d_optimizer is RMSprop, which has no beta_1"),
    ("ema-no-generator", "train --model vae --ema --tiny", r"--ema averages a GAN's generator; model vae has none"),
    ("ema-built-in", "train --model ddpm --ema --tiny", r"--ema: model ddpm keeps its own moving average of the denoiser \(ema_decay=0.9999, with warm-up\)"),
    ("latent-dim-not-taken", "train --model infogan --latent-dim 4 --tiny", r"--latent-dim: model infogan sets its latent size otherwise"),
    ("builder-rejects", "train --model vqvae --latent-dim 4 --tiny", r"model vqvae cannot be built from these flags: a VQ-VAE's latent size"),
    ("batch-too-big", "train --model wgan --batch-size 400 --tiny", r"--batch-size 400: one step reads 2000 examples \(5 critic steps x 400\), but --data digits has 1797; lower --batch-size"),
    ("device-gpu-none", "train --device gpu", r"--device gpu: TensorFlow sees no GPU"),
    ("device-contradicts", "train --device cpu --strategy gpu", r"--device cpu contradicts --strategy gpu"),
    ("strategy-gpu-none", "train --strategy gpu --tiny", r"--strategy gpu: strategy 'gpu' asked for, but TensorFlow sees no GPU"),
    # data: every fix names a CLI flag
    ("data-missing-path", "train --data {d}/nope.npz", r"data path does not exist: '.*nope.npz'"),
    ("data-unknown-source", "train --data digitz", r"unknown data source 'digitz'"),
    ("data-text-without-prefix", "train --data {d}/notes.txt", r"unsupported file type .*'text:.*notes.txt' for a text"),
    ("data-tfds-no-name", "train --data tfds:", r"source 'tfds:' is missing its argument"),
    ("data-npz-no-images", "train --data {d}/nokey.npz", r"no image array in .*nokey.npz: found keys \['foo'\].*pass --image-key KEY"),
    ("data-npz-bad-key", "train --data {d}/nokey.npz --image-key bar", r"no image array in .*found keys \['foo'\]"),
    ("data-float-labels", "train --model cgan --data {d}/float_labels.npz", r"non-integer float labels .*--no-labels"),
    ("data-channels-first", "train --data {d}/chw.npz", r"channels last.*looks channels-first"),
    ("data-float-range", "train --data {d}/float255.npz", r"outside the expected range \[0, 1\].*pass --value-range LOW,HIGH"),
    ("data-int-range", "train --data {d}/int_wide.npz", r"span \[0, 1000\], outside 0\.\.255; pass --value-range LOW,HIGH"),
    ("data-nan", "train --data {d}/nan.npz", r"non-finite value\(s\) \(NaN/inf\), first in example index 1"),
    ("data-mixed-sizes", "train --data {d}/sizes", r"images have different sizes: .*Pass --image-size N"),
    ("data-mixed-channels", "train --data {d}/channels --image-size 8", r"mixed channel counts: .*Pass --channels 1 .*--channels 3"),
    ("data-corrupt-file", "train --data {d}/corrupt", r"1 of 2 image file\(s\) .*could not be read: .*broken.png.*pass --on-error skip"),
    ("data-empty-folder", "train --data {d}/empty", r"no image files found under"),
    ("data-tfds-offline", "train --data tfds:mnist --data-dir {d}/tfds --no-download", r"could not load tensorflow-datasets dataset 'mnist'.*pass --data-dir DIR \(add --no-download"),
    ("text-missing", "train --model sequence_autoencoder --data text:{d}/nope.txt", r"text file not found: '.*nope.txt'"),
    ("text-not-utf8", "train --model sequence_autoencoder --data text:{d}/latin1.txt", r"is not UTF-8 text \(byte 3"),
    ("text-too-short", "train --model sequence_autoencoder --data text:{d}/notes.txt --seq-length 500", r"fewer than one window of --seq-length 500; lower --seq-length"),
    ("text-no-validation-window", "train --model sequence_autoencoder --data text:{d}/notes.txt --seq-length 50", r"the last 10% \(45 characters\) hold no window of --seq-length 50; .*--validation-split 0"),
    ("sequence-npz-length", "train --model sequence_autoencoder --data {d}/seqs.npz --seq-length 8", r"length/stride do not apply to .*seqs.npz: \.npz sequences keep their stored length; drop --seq-length"),
    ("sequence-npz-no-key", "train --model sequence_autoencoder --data {d}/nokey.npz", r"no sequence array in .*nokey.npz"),
    # --set (model hyperparameters)
    ("set-no-equals", "train --set loss", r"argument --set: expected KEY=VALUE with KEY a hyperparameter name, such as loss=hybrid\. Received: 'loss'"),
    ("set-by-a-flag", "train --set seed=3", r"--set seed: set by --seed, not --set; drop --set seed=3"),
    ("set-unknown", "train --model ddpm --tiny --set hybrid_wieght=0.1", r"--set: model ddpm cannot take \['hybrid_wieght'\]: .*keyword argument.*hybrid_wieght.*its builder takes .*base_filters"),
    ("set-bad-value", "train --model ddpm --tiny --set loss=vlb", r"model ddpm cannot be built from these flags: expected loss in"),
    # --config
    ("config-missing", "train --config {d}/nope.toml", r"--config file not found: '.*nope.toml'"),
    ("config-unknown-key", "train --config {d}/unknown.toml", r"unknown setting 'epoch' in --config .*settings are the flags' names: .*epochs"),
    ("config-bad-syntax", "train --config {d}/broken.toml", r"neither valid TOML nor JSON"),
    ("config-bad-json", "train --config {d}/broken.json", r"is not valid JSON"),
    ("config-bool", "train --config {d}/tiny3.toml", r"setting 'tiny' in --config .* must be true or false\. Received: 3"),
    ("config-value-checked", "train --config {d}/epochs0.toml", r"argument --epochs: must be an integer >= 1\. Received: 0"),
    # sample
    ("sample-no-run", "sample {d}/nope", r"run directory not found: '.*nope'"),
    ("sample-unfinished", "sample {unfinished}", r"holds no model\.keras: its training did not finish"),
    ("sample-n-0", "sample {run} --n 0", r"argument --n: must be an integer >= 1\. Received: 0"),
    ("sample-labels-unconditional", "sample {run} --labels 3", r"--labels: the model in .* is unconditional"),
    ("sample-out-not-png", "sample {run} --out {d}/grid.jpg", r"--out must name a \.png file"),
    # eval
    ("eval-no-run", "eval {d}/nope", r"run directory not found"),
    ("eval-unfinished", "eval {unfinished}", r"holds no model\.keras"),
    ("eval-n-samples-1", "eval {run} --n-samples 1", r"argument --n-samples: must be an integer >= 2"),
    ("eval-extractor", "eval {run} --extractor vgg", r"--extractor: unknown feature extractor 'vgg'; choose from digits, inception"),
    ("eval-weights-missing", "eval {run} --extractor inception --inception-weights {d}/none.h5", r"--inception-weights file not found"),
    ("eval-iwae-negative", "eval {run} --iwae-samples -1", r"argument --iwae-samples: must be an integer >= 0"),
    # export
    ("export-no-run", "export {d}/nope", r"run directory not found"),
    ("export-unfinished", "export {unfinished}", r"holds no model\.keras"),
    ("export-int4", "export {run} --quantize int4", r"--quantize: unknown TFLite variant\(s\) \['int4'\]; choose from float32"),
    ("export-floor-text", "export {run} --floor int8=high", r"argument --floor: expected VARIANT=DB pairs .* Received: 'int8=high'"),
    ("export-floor-variant", "export {run} --floor int4=20", r"--floor: unknown variant\(s\) \['int4'\]"),
    ("export-calibration", "export {run} --quantize int8 --calibration-samples 50", r"--calibration-samples 50: int8 calibration needs at least 100"),
    ("export-parity-0", "export {run} --parity-samples 0", r"argument --parity-samples: must be an integer >= 1"),
    ("export-max-fid-alone", "export {run} --max-fid 5", r"--max-fid needs --features"),
    ("export-features", "export {run} --features vgg", r"--features: unknown feature extractor 'vgg'"),
]


def _png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _write_fixtures(d):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 8, 8), dtype=np.uint8)
    np.savez(d / "huge_label.npz", images=images, labels=np.r_[np.zeros(39, int), 1_000_000])
    np.savez(d / "float_labels.npz", images=images, labels=np.full(40, 0.5))
    np.savez(d / "nokey.npz", foo=images)
    np.savez(d / "chw.npz", images=rng.random((4, 3, 8, 8)).astype(np.float32))
    np.savez(d / "float255.npz", images=rng.random((4, 8, 8)).astype(np.float32) * 255)
    np.savez(d / "int_wide.npz", images=np.linspace(0, 1000, 4 * 64).astype(np.int32).reshape(4, 8, 8))
    nan = rng.random((4, 8, 8)).astype(np.float32)
    nan[1, 2, 3] = np.nan
    np.savez(d / "nan.npz", images=nan)
    _png(d / "sizes" / "a.png", rng.integers(0, 256, (8, 8), dtype=np.uint8))
    _png(d / "sizes" / "b.png", rng.integers(0, 256, (16, 16), dtype=np.uint8))
    _png(d / "channels" / "a.png", rng.integers(0, 256, (8, 8), dtype=np.uint8))
    _png(d / "channels" / "b.png", rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
    _png(d / "corrupt" / "good.png", rng.integers(0, 256, (8, 8), dtype=np.uint8))
    (d / "corrupt" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    np.savez(d / "seqs.npz", sequences=rng.random((20, 6, 2)).astype(np.float32))
    (d / "empty").mkdir()
    (d / "tfds").mkdir()
    (d / "notes.txt").write_text("the quick brown fox jumps over the lazy dog. " * 10)
    (d / "latin1.txt").write_bytes("caf\xe9 na\xefve".encode("latin-1"))
    (d / "unknown.toml").write_text("epoch = 3\n")
    (d / "broken.toml").write_text("epochs = = 3\n")
    (d / "broken.json").write_text("{\"epochs\": 3,}")
    (d / "tiny3.toml").write_text("tiny = 3\n")
    (d / "epochs0.toml").write_text("epochs = 0\n")


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    d = tmp_path_factory.mktemp("fixtures")
    _write_fixtures(d)
    run = tmp_path_factory.mktemp("runs") / "dcgan"
    assert cli.main(["train", "--tiny", "--epochs", "1", "--steps-per-epoch", "1", "--image-size", "8",
                     "--batch-size", "8", "--run-dir", str(run), "--verbose", "0"]) == 0
    unfinished = run.parent / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.json").write_text(json.dumps({"model": "dcgan", "data": "digits"}))
    return {"d": d, "run": run, "unfinished": unfinished}


def _snapshot(*roots):
    state = {}
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            stat = path.stat()
            digest = hashlib.sha1(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            state[str(path)] = (stat.st_mtime_ns, stat.st_size, digest)
    return state


def test_the_table_has_at_least_60_cases():
    assert len(CASES) >= 60 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("argv,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_invocation(argv, expected, places, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the default run directory runs/... would appear here
    monkeypatch.delenv("KGEN_DEBUG", raising=False)
    before = _snapshot(places["d"], places["run"].parent, tmp_path)
    rc = cli.main(argv.format(**places).split())
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert rc == 2, (out, err)
    assert len(lines) == 1 and lines[0].startswith("kgen: error: "), err
    assert "Traceback" not in err and "Traceback" not in out
    assert re.search(expected, lines[0]), lines[0]
    # Python keyword spellings are for the library; the CLI names its flags.
    assert not re.search(r"\b(on_error|channels|value_range|image_key|image_size|data_dir)=", lines[0])
    assert "labels=False" not in lines[0]
    assert _snapshot(places["d"], places["run"].parent, tmp_path) == before


def test_debug_shows_the_traceback_of_a_user_error(places, monkeypatch):
    from kgen.errors import UserError

    with pytest.raises(UserError, match="run directory not found"):
        cli.main(["--debug", "sample", str(places["d"] / "nope")])
    monkeypatch.setenv("KGEN_DEBUG", "1")
    with pytest.raises(UserError, match="run directory not found"):
        cli.main(["sample", str(places["d"] / "nope")])


def test_an_internal_bug_keeps_its_traceback(places, monkeypatch):
    import kgen.commands.sample as sample

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(sample, "_label_ids", broken)
    with pytest.raises(ZeroDivisionError):
        cli.main(["sample", str(places["run"])])
