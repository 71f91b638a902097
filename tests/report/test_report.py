"""`kgen eval RUN_DIR`: report.json and a self-contained report.html, rendered in headless Chromium."""

import base64
import io
import json
import re
import subprocess

import numpy as np
import pytest
from PIL import Image

from kgen import cli


def _train(run_dir, model, data="digits"):
    rc = cli.main(["train", "--model", model, "--data", data, "--tiny", "--epochs", "2",
                   "--steps-per-epoch", "2", "--batch-size", "32", "--run-dir", str(run_dir),
                   "--verbose", "0"])
    assert rc == 0


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "dcgan"
    _train(run_dir, "dcgan")
    assert cli.main(["eval", str(run_dir), "--n-samples", "200", "--max-real", "400"]) == 0
    return run_dir


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "vae"
    _train(run_dir, "vae")
    # An exported run: its report gets the export section.
    assert cli.main(["export", str(run_dir), "--quantize", "float32,dynamic", "--latency-runs", "3",
                     "--verbose", "0"]) == 0
    assert cli.main(["eval", str(run_dir), "--n-samples", "200", "--max-real", "400",
                     "--iwae-samples", "4", "--verbose", "0"]) == 0
    return run_dir


def _inline_images(page):
    return re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)


def test_gan_report_json_and_html(gan_run):
    report = json.loads((gan_run / "report.json").read_text())
    for key in ("fid", "kid", "kid_std", "precision", "recall", "inception_score", "class_coverage"):
        assert isinstance(report["metrics"][key], float), key
    # A 2-step tiny GAN is far from real digits.
    assert report["metrics"]["fid"] > 10 and report["metrics"]["precision"] < 0.5
    assert report["extractor"] == "digits" and report["n_samples"] == 200
    # The Inception score over 10 splits has a spread (one split gave std 0).
    assert report["is_splits"] == 10 and report["metrics"]["inception_score_std"] > 0
    page = (gan_run / "report.html").read_text()
    images = _inline_images(page)
    # generated samples, real images, training curves, interpolation strip
    assert len(images) == 4 == len(report["figures"])
    assert report["figures"][:2] == ["64 generated samples", "64 real images (digits)"]
    for data in images:
        assert Image.open(io.BytesIO(base64.b64decode(data))).format == "PNG"
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "<td>fid</td>" in page
    # Every score says which way is better and what it measures, on which features.
    assert report["metric_notes"]["fid"].startswith("\u2193 lower is better; Frechet distance")
    assert "digits features" in report["metric_notes"]["kid"]
    assert report["metric_notes"]["precision"].startswith("\u2191 higher is better")
    assert "not comparable to Inception FID" in page
    assert "<td>None</td>" not in page and ">None<" not in page
    assert "id='export'" not in page  # this run was not exported


@pytest.mark.slow
def test_autoencoder_report_has_reconstructions_projections_and_likelihood(vae_run):
    report = json.loads((vae_run / "report.json").read_text())
    metrics = report["metrics"]
    assert 0 < metrics["mse"] < 1 and metrics["psnr"] > 0 and -1 <= metrics["ssim"] <= 1
    assert metrics["iwae_log_likelihood_k4"] < 0
    captions = " ".join(report["figures"])
    for word in ("samples", "interpolation", "reconstruction", "PCA", "t-SNE", "history"):
        assert word in captions, word
    assert len(_inline_images((vae_run / "report.html").read_text())) == 7
    rows = report["export"]["rows"]
    assert [(r["endpoint"], r["variant"]) for r in rows] == [
        ("decode", "float32"), ("decode", "dynamic"), ("encode", "float32"), ("encode", "dynamic")]
    assert all(r["size_kb"] > 0 and r["latency_ms_1_thread"] > 0 for r in rows)
    assert rows[0]["psnr_db"] > 60 and rows[2]["snr_db"] > 60


def test_points_report_has_mode_coverage(tmp_path):
    run_dir = tmp_path / "gan_mlp"
    _train(run_dir, "gan_mlp", data="ring8")
    assert cli.main(["eval", str(run_dir), "--n-samples", "500"]) == 0
    metrics = json.loads((run_dir / "report.json").read_text())["metrics"]
    assert metrics["num_modes"] == 8.0 and 0 <= metrics["modes"] <= 8
    assert 0.0 <= metrics["high_quality"] <= 1.0 and "fid" in metrics


def test_eval_of_a_missing_run_names_the_directory(tmp_path, capsys):
    assert cli.main(["eval", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.startswith(f"kgen: error: run directory not found: '{tmp_path / 'nope'}'")


def test_loss_curves_have_whole_epoch_ticks():
    from kgen.report import figures

    fig = figures.loss_curves_figure({"epoch": [1, 2, 3], "d_loss": [1.0, 0.5, 0.7], "g_loss": [2, 1, 1]})
    for ax in fig.axes[:2]:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def _chromium(external_tool):
    return external_tool(["chromium", "chromium-browser"], "KGEN_SKIP_BROWSER_TESTS",
                         "the headless rendering test needs `chromium` (or `chromium-browser`) on PATH: "
                         "run `bash tools/setup.sh test` (it installs Debian's package), or "
                         "`apt-get install -y chromium`")


@pytest.mark.slow
def test_report_renders_in_headless_chromium_with_its_images(vae_run, tmp_path, external_tool):
    browser = _chromium(external_tool)
    url = (vae_run / "report.html").resolve().as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # The page's load handler counts images that decoded with a non-zero size.
    assert 'data-images-rendered="7/7"' in dom.stdout, dom.stdout[:500]
    # The sections a reader needs, in the rendered DOM: better-direction marks, the
    # features caveat, real images beside samples, the export table.
    for text in ("\u2193 lower is better", "\u2191 higher is better", "not comparable to Inception",
                 "64 real images (digits)", 'id="export"', "LiteRT ms (1 thread)", "decode", "encode"):
        assert text in dom.stdout, text
    assert ">None<" not in dom.stdout
    shot = tmp_path / "report.png"
    run = subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=1200,2400", url],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("L"), np.float64)
    assert pixels.shape == (2400, 1200)
    # Not blank: text, tables and figures give many dark pixels and contrast.
    assert pixels.std() > 20
    assert (pixels < 128).mean() > 0.01


def test_eval_with_inception_offline_exits_with_the_placement_message(gan_run, tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    assert cli.main(["eval", str(gan_run), "--extractor", "inception", "--out",
                     str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5" in err
    assert str(tmp_path / "keras_home" / "models") in err


@pytest.mark.parametrize("model", ["rbm", "dbn"])
def test_boltzmann_report_shows_gibbs_chains_and_filters(tmp_path, model):
    run_dir = tmp_path / model
    _train(run_dir, model)
    assert cli.main(["eval", str(run_dir), "--n-samples", "100", "--max-real", "200", "--no-tsne",
                     "--verbose", "0"]) == 0
    report = json.loads((run_dir / "report.json").read_text())
    chains = next(c for c in report["figures"] if c.startswith("Gibbs chains"))
    assert "1, 10, 100, 1000 steps" in chains
    assert any(c.startswith("filters: first-layer weights") for c in report["figures"])
    images = [Image.open(io.BytesIO(base64.b64decode(d))) for d in
              _inline_images((run_dir / "report.html").read_text())]
    assert len(images) == len(report["figures"])
    # 16x16 digits, one tile row per chain (8) and one column per snapshot (4), 1-pixel padding.
    grid = images[report["figures"].index(chains)]
    scale = grid.width // (4 * 17 + 1)
    assert grid.size == ((4 * 17 + 1) * scale, (8 * 17 + 1) * scale)
    metrics = report["metrics"]
    assert not any(k.startswith("iwae") for k in metrics)  # an RBM's log_likelihood is not the IWAE call
    if model == "rbm":  # 16 hidden units: log Z by enumeration, a log-likelihood below 0
        assert -256 * np.log(2) * 2 < metrics["log_likelihood_exact"] < 0
        assert report["metric_notes"]["log_likelihood_exact"].startswith("\u2191 higher is better")
