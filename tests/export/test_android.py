"""export/android/KgenGenerator.kt reads only fields a real bundle's metadata.json has."""

import re

import pytest
from pathlib import Path

from kgen.export import load_metadata

KOTLIN = Path(__file__).resolve().parents[2] / "export" / "android" / "KgenGenerator.kt"
KOTLIN_TEXT = KOTLIN.with_name("KgenTextGenerator.kt")
_JSON_GET = re.compile(
    r'\b(?:get|opt)(?:JSONObject|JSONArray|String|Double|Int)\("([a-z_0-9]+)"|\bhas\("([a-z_0-9]+)"\)')


def _keys(value, found=None):
    found = set() if found is None else found
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(key)
            _keys(item, found)
    elif isinstance(value, list):
        for item in value:
            _keys(item, found)
    return found


def test_kotlin_fields_exist_in_real_metadata(cgan_bundle):
    source = KOTLIN.read_text()
    used = {a or b for a, b in _JSON_GET.findall(source)}
    meta = load_metadata(cgan_bundle[0])
    keys = _keys(meta)
    # Parameters of priors this bundle does not use (uniform, one-hot, Bernoulli,
    # concatenated latents) must be fields of a prior's metadata record.
    from kgen import priors

    other = [priors.Uniform(2), priors.OneHotCategorical(2, 3), priors.Bernoulli(2),
             priors.Concatenate([priors.Normal(2)])]
    other_distributions = set().union(*(_keys(p.metadata()) for p in other))
    # A key the Kotlin class reads that the bundle lacks is a layout mismatch.
    missing = sorted(used - keys - other_distributions)
    assert not missing, f"KgenGenerator.kt reads {missing}, absent from metadata.json"
    assert {"signatures", "files", "to_pixels", "quantization", "zero_point", "scale", "offset",
            "distribution", "num_classes", "role", "dtype"} <= used


def test_kotlin_layout_matches_metadata_paths(cgan_bundle):
    """The exact paths the class walks exist, for the variant that quantizes I/O."""
    meta = load_metadata(cgan_bundle[0])
    sig = meta["signatures"]["generate"]
    f = sig["files"]["int8_io"]
    out = sig["outputs"][0]
    assert [i["role"] for i in sig["inputs"]] == ["latent", "label"]  # roles the class handles
    for spec in sig["inputs"]:
        assert spec["name"] in f["inputs"] and "dtype" in f["inputs"][spec["name"]]
    assert f["inputs"]["latent"]["dtype"] == "int8"  # the class checks this exact string
    q = f["inputs"]["latent"]["quantization"]
    assert isinstance(q["scale"], float) and isinstance(q["zero_point"], int)
    assert out["shape"][0] == -1 and len(out["shape"]) == 4  # [-1, H, W, C]
    assert set(out["to_pixels"]) >= {"offset", "scale"}
    assert f["outputs"][out["name"]]["quantization"]["scale"] > 0
    source = KOTLIN.read_text()
    assert '"int8"' in source and '"label"' in source and '"latent"' in source


ROOT = Path(__file__).resolve().parents[2]
STUBS = Path(__file__).resolve().parent / "android"
#: Where tools/setup.sh test installs the Kotlin compiler from npm when `kotlinc` is not on PATH.
LOCAL_KOTLINC = ROOT / ".tools" / "kotlin" / "node_modules" / "kotlin-compiler" / "bin" / "kotlinc"


def _kotlinc(external_tool):
    how = ("compiling the Android class needs the Kotlin compiler and a JDK: run `bash tools/setup.sh test` "
           "(it installs both), or `npm install --prefix .tools/kotlin kotlin-compiler@2` and "
           "`apt-get install -y default-jdk-headless`")
    for tool in ("javac", "java"):
        external_tool([tool], "KGEN_SKIP_KOTLIN_TESTS", how)
    return external_tool(["kotlinc", LOCAL_KOTLINC], "KGEN_SKIP_KOTLIN_TESTS", how)


def compile_check(external_tool, sources, tmp_path):
    """Compile the Android/LiteRT stubs (javac) and the Kotlin `sources` (`-Werror`) into one jar.

    Returns:
        The java classpath that runs a check's `main`: `"JAR:STUB_CLASSES"`.
    """
    import subprocess

    kotlinc = _kotlinc(external_tool)
    classes = tmp_path / "stubs"
    javac = subprocess.run(["javac", "-d", str(classes), *map(str, sorted(STUBS.rglob("*.java")))],
                           capture_output=True, text=True, timeout=300)
    assert javac.returncode == 0, javac.stderr
    jar = tmp_path / "check.jar"
    compiled = subprocess.run([kotlinc, *map(str, sources), "-cp", str(classes), "-include-runtime", "-Werror",
                               "-d", str(jar)], capture_output=True, text=True, timeout=600)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return f"{jar}:{classes}"


def _expected_pixel(meta, variant):
    """Pixel (0, 0) the class must produce from an all-zero output tensor."""
    import numpy as np

    sig = meta["signatures"]["generate"]
    out = sig["outputs"][0]
    q = sig["files"][variant]["outputs"][out["name"]].get("quantization")
    value = np.float32(0.0)
    if sig["files"][variant]["outputs"][out["name"]]["dtype"] == "int8":
        value = np.float32((0 - q["zero_point"]) * np.float32(q["scale"]))
    pixel = (value + np.float32(out["to_pixels"]["offset"])) * np.float32(out["to_pixels"]["scale"])
    gray = int(min(max(np.floor(pixel + np.float32(0.5)), 0), 255))
    argb = (255 << 24) | (gray << 16) | (gray << 8) | gray
    return argb - (1 << 32)  # a Java int


@pytest.mark.slow
def test_kotlin_class_compiles_and_runs_on_a_real_bundle(cgan_bundle, tmp_path, external_tool):
    """KgenGenerator.kt compiled with the Kotlin compiler against stubs of the Android/LiteRT
    classes it calls (their real signatures), then run on a real bundle: a renamed metadata
    field, a wrong API call or a wrong tensor layout fails here."""
    import json
    import subprocess

    classpath = compile_check(external_tool, [KOTLIN, STUBS / "KgenGeneratorCheck.kt"], tmp_path)
    variants = ["float32", "int8", "int8_io"]
    ran = subprocess.run(["java", "-cp", classpath, "KgenGeneratorCheckKt", str(cgan_bundle[0]),
                          *variants], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    meta = load_metadata(cgan_bundle[0])
    sig = meta["signatures"]["generate"]
    _, h, w, c = sig["outputs"][0]["shape"]
    results = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [r["variant"] for r in results] == variants
    for r in results:
        files = sig["files"][r["variant"]]
        assert r["model"] == files["file"] and r["signature"] == "generate"
        assert (r["count"], r["width"], r["height"]) == (3, w, h)
        latent = "byte" if files["inputs"]["latent"]["dtype"] == "int8" else "float"
        out = "byte" if files["outputs"][sig["outputs"][0]["name"]]["dtype"] == "int8" else "float"
        feeds = {spec["name"]: f"{latent}[3x{spec['shape'][1]}]" if spec["role"] == "latent" else "int[3]"
                 for spec in sig["inputs"]}
        assert r["feeds"] == {**feeds, f"output:{sig['outputs'][0]['name']}": f"{out}[3x{h}x{w}x{c}]"}
        assert r["pixel"] == _expected_pixel(meta, r["variant"]), r
    assert results[2]["feeds"]["latent"].startswith("byte")  # int8_io quantizes the latents


@pytest.fixture(scope="module")
def char_bundle(tmp_path_factory):
    """An untrained tiny GRU char-RNN (vocabulary "abcdef") exported as float32 and int8 `step` files."""
    import numpy as np

    from kgen import zoo
    from kgen.models.language.export import export_char_rnn

    model = zoo.build("char_rnn", (9,), vocabulary="abcdef", cell="gru", units=8, num_layers=1,
                      embedding_dim=4, seed=0)
    ids = np.random.default_rng(0).integers(0, 6, 400).astype("int32")
    path = tmp_path_factory.mktemp("char_rnn") / "bundle"
    export_char_rnn(model, path, ids, quantize=("float32", "int8"), prompt="ab", greedy_length=10,
                    calibration_samples=100, parity_samples=8, gate=False)
    return path


@pytest.mark.slow
def test_kotlin_text_class_compiles_and_runs_the_step_loop_on_a_real_bundle(char_bundle, tmp_path, external_tool):
    """KgenTextGenerator.kt compiled against the stubs and run on a real char-RNN bundle: it feeds
    the `step` signature one id and the states named in metadata.json, decodes greedily (zero
    logits: id 0 every time), samples from the vocabulary, and rejects unknown prompt characters."""
    import json
    import subprocess

    classpath = compile_check(external_tool, [KOTLIN_TEXT, STUBS / "KgenTextGeneratorCheck.kt"], tmp_path)
    variants = ["float32", "int8"]
    ran = subprocess.run(["java", "-cp", classpath, "KgenTextGeneratorCheckKt", str(char_bundle),
                          *variants], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    step = load_metadata(char_bundle)["signatures"]["step"]
    results = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [r["variant"] for r in results] == variants
    for r in results:
        files = step["files"][r["variant"]]
        assert r["model"] == files["file"] and r["signature"] == "step"
        assert r["text"] == "ba" + "a" * 5
        # Equal logits tie at the 3rd largest, so top-3 keeps all six: a draw over the vocabulary.
        assert len(r["sampled"]) == 21 and set(r["sampled"]) <= set("abcdef") and len(set(r["sampled"])) > 2
        assert "'z'" in r["error"] and "vocabulary" in r["error"]
        expected = {}
        for spec in step["inputs"]:
            kind = {"int32": "int", "int8": "byte", "float32": "float"}[files["inputs"][spec["name"]]["dtype"]]
            expected[spec["name"]] = f"{kind}[1]" if spec["role"] == "token" else f"{kind}[1x{spec['shape'][1]}]"
        assert {k: v for k, v in r["feeds"].items() if not k.startswith("output:")} == expected
        assert r["feeds"]["output:logits"].endswith("[1x6]")
