"""export/android/KgenGenerator.kt reads only fields a real bundle's metadata.json has."""

import re
from pathlib import Path

from kgen.export import load_metadata

KOTLIN = Path(__file__).resolve().parents[2] / "export" / "android" / "KgenGenerator.kt"
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
