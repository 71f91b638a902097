"""The char-rnn recipe runs end to end in --smoke mode, and `kgen sample` continues a prompt from its run."""

import json

from kgen import cli

SCRIPT = "charrnn_karpathy2015_shakespeare.py"


def test_recipe_smoke_then_kgen_sample_text(tmp_path, capsys, recipe_loader):
    run_dir = tmp_path / "run"
    assert recipe_loader(SCRIPT).main(["--smoke", "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "validation:" in out and "nats/char" in out
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == "char_rnn" and len(config["vocabulary"]) == 65
    assert config["validation"]["nats_per_char"] > 0
    assert (run_dir / "model.keras").exists() and (run_dir / "history.json").exists()
    epoch_sample = (run_dir / "samples" / "epoch_0001.txt").read_text(encoding="utf-8")
    assert epoch_sample.startswith("ROMEO:") and len(epoch_sample) == 126

    texts = []
    for name in ("a.txt", "b.txt"):
        argv = ["sample", str(run_dir), "--prompt", "ROMEO:", "--length", "80", "--temperature", "0.8",
                "--seed", "0", "--out", str(tmp_path / name)]
        assert cli.main(argv) == 0
        texts.append((tmp_path / name).read_text(encoding="utf-8"))
    assert texts[0] == texts[1] and texts[0].startswith("ROMEO:") and len(texts[0]) == 86
    assert texts[0] in capsys.readouterr().out
    assert cli.main(["sample", str(run_dir), "--length", "20", "--seed", "1", "--top-k", "3"]) == 0
    assert len((run_dir / "samples" / "sample.txt").read_text(encoding="utf-8")) == 21  # "\n" + 20
    # A prompt character outside the vocabulary is a user error: one line, exit status 2.
    assert cli.main(["sample", str(run_dir), "--prompt", "ROMEO€", "--length", "5"]) == 2
    assert "€" in capsys.readouterr().err
    # `kgen export` of the run: the step bundle, checked on the run's validation text.
    assert cli.main(["export", str(run_dir), "--quantize", "float32", "--latency-runs", "0"]) == 0
    report = json.loads((run_dir / "export" / "report.json").read_text())
    assert report["passed"] and report["text"]["float32"]["greedy_identical"]
    assert (run_dir / "export" / "step_float32.tflite").exists()
