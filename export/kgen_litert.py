#!/usr/bin/env python
"""Run a kgen export bundle on the edge: ai-edge-litert, numpy and pillow only (no TensorFlow).

A bundle (written by `kgen export`) holds `<signature>_<variant>.tflite` files
and `metadata.json` describing each signature's inputs (name, shape with -1
batch, dtype, role: latent / label / code / image, latent distribution) and
outputs (value range, `to_pixels`), and each file's int8 scale/zero point.

Command line:
    python export/kgen_litert.py BUNDLE --variant int8 --n 16 --out grid.png [--labels 3,3,7] [--seed 0]
    python export/kgen_litert.py BUNDLE --variant float32 --encode a.png b.png --out codes.npz
    python export/kgen_litert.py BUNDLE --variant int8 --prompt "ROMEO:" --length 500 --temperature 0.8 \
        --seed 0 --out sample.txt [--top-k 0] [--top-p 1]       # a char-RNN bundle (`step` signature)
    python export/kgen_litert.py BUNDLE --gibbs-steps 1000 --n 16 --out chains.png --seed 0   # an RBM bundle
    python export/kgen_litert.py BUNDLE --variant int8 --n 16 --steps 50 --eta 0 --seed 0 --out grid.png
        # a diffusion bundle (`denoise` signature): the DDIM loop runs here in numpy

Module:
    >>> bundle = Bundle("bundle", variant="int8")
    >>> images = bundle.generate(16, seed=0)           # float images in the output value range
    >>> save_grid(images, "grid.png", bundle.output_spec("generate")["to_pixels"])
    >>> codes = bundle.encode(images)                  # dict output name -> array
    >>> text = TextGenerator("char_bundle", "int8").generate("ROMEO:", 500, temperature=0.8, seed=0)
"""

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from PIL import Image


def load_metadata(bundle):
    """Read `BUNDLE/metadata.json`."""
    path = Path(bundle) / "metadata.json"
    if not path.exists():
        raise FileNotFoundError(f"no metadata.json in {bundle}; expected a bundle written by `kgen export`")
    return json.loads(path.read_text())


def draw(distribution, n, shape=None, rng=None):
    """Draw `n` samples from a prior's metadata record, exactly as `kgen.priors` does in numpy.

    The same record and the same `numpy.random.Generator` state give the same
    values as `kgen.priors.get(record).numpy_sample(n, rng)` (tested), so a
    seed means the same latents on the device as in Python.

    Args:
        distribution: a record `{"type": ..., "shape": [...], ...}` from metadata.json.
        n: number of samples.
        shape: event shape, when the record has none.
        rng: a `numpy.random.Generator`.
    """
    kind = distribution.get("type", "none")
    shape = tuple(int(s) for s in distribution.get("shape", shape or ()))
    if kind == "normal":
        out = distribution.get("loc", 0.0) + distribution.get("scale", 1.0) * rng.standard_normal((n, *shape))
    elif kind == "uniform":
        out = rng.uniform(distribution.get("low", -1.0), distribution.get("high", 1.0), (n, *shape))
    elif kind == "categorical":
        return rng.integers(0, int(distribution["num_classes"]), (n, *shape)).astype(np.int32)
    elif kind == "one_hot_categorical":
        v, k = int(distribution["num_variables"]), int(distribution["num_categories"])
        out = np.eye(k, dtype=np.float32)[rng.integers(0, k, (n, v))].reshape(n, v * k)
    elif kind == "bernoulli":
        out = rng.uniform(0.0, 1.0, (n, *shape)) < distribution.get("p", 0.5)
    elif kind == "concat":
        out = np.concatenate([draw(p, n, None, rng).astype(np.float32) for p in distribution["parts"]], axis=-1)
    else:
        # No prior to sample (a plain autoencoder's code): N(0, 1) stands in.
        print(f"kgen_litert: input type {kind!r} has no prior; drawing N(0, 1) (pass encoded "
              "latents with --latents for meaningful samples)", file=sys.stderr)
        out = rng.standard_normal((n, *shape))
    return np.asarray(out, np.float32)


def draw_inputs(input_specs, n, rng, labels=None, latents=None):
    """Draw every random input of a signature, in its order, from its recorded prior.

    Args:
        input_specs: the signature's `inputs` from metadata.json.
        n: batch size.
        rng: a `numpy.random.Generator`.
        labels: class ids for a `label` input (repeated to n), or None (drawn).
        latents: an array for the `latent` input, or None (drawn).

    Returns:
        dict input name -> array of the input's dtype.
    """
    batch = {}
    for spec in input_specs:
        shape = tuple(spec["shape"][1:])
        if spec["role"] == "label" and labels is not None:
            k = int(spec["num_classes"])
            value = np.resize(np.asarray(labels), n)
            if np.any(value < 0) or np.any(value >= k):
                raise ValueError(f"expected labels in [0, {k}). Received: {sorted(set(value.tolist()))}")
        elif spec["role"] == "latent" and latents is not None:
            value = np.asarray(latents)
            if value.shape[1:] != shape:
                raise ValueError(f"expected latents of shape (N, {', '.join(map(str, shape))}). "
                                 f"Received: shape={value.shape}")
        elif spec["role"] in ("latent", "code", "label"):
            value = draw(spec.get("distribution") or {"type": "none"}, n, shape, rng)
        else:
            raise ValueError(f"input {spec['name']!r} has role {spec['role']!r}: pass it to run()")
        batch[spec["name"]] = np.asarray(value).astype(spec["dtype"])
    return batch


class Bundle:
    """One variant of a bundle, ready to run.

    Args:
        path: bundle folder.
        variant: "float32", "dynamic", "float16", "int8" or "int8_io".
        num_threads: LiteRT interpreter threads.
    """

    def __init__(self, path, variant="float32", num_threads=None):
        self.path = Path(path)
        self.metadata = load_metadata(path)
        self.variant = variant
        self.num_threads = num_threads
        self._interpreters = {}

    def signature(self, name):
        """The metadata of signature `name`."""
        signatures = self.metadata["signatures"]
        if name not in signatures:
            raise ValueError(f"no signature {name!r} in this bundle; it has {sorted(signatures)}")
        return signatures[name]

    def output_spec(self, name):
        """The first output's metadata of signature `name`."""
        return self.signature(name)["outputs"][0]

    def _interpreter(self, name):
        if name not in self._interpreters:
            files = self.signature(name)["files"]
            if self.variant not in files:
                raise ValueError(f"no {self.variant!r} variant of {name!r}; the bundle has {sorted(files)}")
            interpreter = Interpreter(model_path=str(self.path / files[self.variant]["file"]),
                                      num_threads=self.num_threads)
            runner = interpreter.get_signature_runner(name)
            self._interpreters[name] = (interpreter, runner.get_input_details(),
                                        runner.get_output_details())
        return self._interpreters[name]

    def run(self, name, **inputs):
        """Run signature `name` on float/int inputs; returns float outputs (dequantized)."""
        interpreter, in_details, out_details = self._interpreter(name)
        missing = set(in_details) - set(inputs)
        if missing:
            raise ValueError(f"missing inputs {sorted(missing)} for {name!r}")
        # Exported models have a dynamic batch: size every input to this batch.
        for key, detail in in_details.items():
            interpreter.resize_tensor_input(detail["index"], np.shape(inputs[key]), strict=True)
        interpreter.allocate_tensors()
        for key, detail in in_details.items():
            interpreter.set_tensor(detail["index"], _quantize(inputs[key], detail))
        interpreter.invoke()
        return {key: _dequantize(interpreter.get_tensor(detail["index"]), detail)
                for key, detail in out_details.items()}

    def sample_inputs(self, name, n, seed=None, labels=None, latents=None):
        """Draw a signature's random inputs from their recorded priors (see `draw_inputs`)."""
        return draw_inputs(self.signature(name)["inputs"], n, np.random.default_rng(seed), labels, latents)

    def generate(self, n=16, seed=None, labels=None, latents=None, signature=None):
        """Generate `n` images (float, in the output's value range) from fresh or given latents."""
        signature = signature or ("generate" if "generate" in self.metadata["signatures"] else "decode")
        if latents is not None:
            n = len(latents)
        inputs = self.sample_inputs(signature, n, seed, labels, latents)
        return self.run(signature, **inputs)[self.output_spec(signature)["name"]]

    def encode(self, images, signature="encode", labels=None):
        """Encode float images (in the input's value range) to codes: dict name -> array."""
        images = np.asarray(images, np.float32)
        inputs = {}
        for spec in self.signature(signature)["inputs"]:
            if spec["role"] == "image":
                inputs[spec["name"]] = images
            elif spec["role"] == "label":
                if labels is None:
                    raise ValueError(f"signature {signature!r} is conditional: pass labels")
                inputs[spec["name"]] = np.resize(np.asarray(labels), len(images)).astype(spec["dtype"])
            else:
                raise ValueError(f"input {spec['name']!r} of {signature!r} has role {spec['role']!r}: use run()")
        return self.run(signature, **inputs)


def translate(bundle, images, signature="translate"):
    """Image-to-image bundles (pix2pix, CycleGAN, SRGAN): float images in, translated float images out."""
    spec = next(s for s in bundle.signature(signature)["inputs"] if s["role"] == "image")
    out = bundle.run(signature, **{spec["name"]: np.asarray(images, np.float32)})
    return out[bundle.output_spec(signature)["name"]]


def write_translations(args, bundle):
    """`--input IMAGE...`: one translated PNG per input into the --out folder, and grid.png (input | output)."""
    name = args.signature or "translate"
    spec = next(s for s in bundle.signature(name)["inputs"] if s["role"] == "image")
    images = load_images(args.input, spec)
    out_spec = bundle.output_spec(name)
    outputs = translate(bundle, images, name)
    os.makedirs(args.out, exist_ok=True)
    for path, y in zip(args.input, outputs):
        pixels = to_uint8(y, out_spec["to_pixels"])
        stem = os.path.splitext(os.path.basename(path))[0]
        Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(os.path.join(args.out, stem + ".png"))
    if images.shape[1:3] == outputs.shape[1:3] and images.shape[-1] == outputs.shape[-1]:
        pairs = np.stack([images, outputs], axis=1).reshape((-1, *outputs.shape[1:]))
        save_grid(pairs, os.path.join(args.out, "grid.png"), out_spec["to_pixels"], ncols=2,
                  scale=max(1, 64 // outputs.shape[1]))
    print(f"translated {len(images)} images ({name}, {args.variant}) -> {args.out}")
    return 0


def _quantize(value, detail):
    dtype = np.dtype(detail["dtype"])
    value = np.asarray(value)
    scale, zero_point = detail["quantization"]
    if dtype in (np.int8, np.uint8) and scale:
        info = np.iinfo(dtype)
        value = np.clip(np.round(value / scale + zero_point), info.min, info.max)
    return value.astype(dtype)


def _dequantize(value, detail):
    scale, zero_point = detail["quantization"]
    if np.dtype(detail["dtype"]) in (np.int8, np.uint8) and scale:
        return ((value.astype(np.float32) - zero_point) * scale).astype(np.float32)
    return value


def to_uint8(images, to_pixels):
    """Map float images to uint8 pixels with metadata's `pixel = (x + offset) * scale`."""
    pixels = (np.asarray(images, np.float32) + to_pixels["offset"]) * to_pixels["scale"]
    return np.clip(np.round(pixels), 0, 255).astype(np.uint8)


def from_pixels(pixels, to_pixels):
    """Inverse of `to_uint8`: uint8 pixels to the float values a model expects."""
    return np.asarray(pixels, np.float32) / to_pixels["scale"] - to_pixels["offset"]


def save_grid(images, path, to_pixels, ncols=None, padding=1, scale=1):
    """Tile `(N, H, W, C)` float images into one PNG; returns the uint8 grid."""
    tiles = to_uint8(images, to_pixels)
    n, h, w, c = tiles.shape
    ncols = ncols or int(math.ceil(math.sqrt(n)))
    nrows = int(math.ceil(n / ncols))
    grid = np.zeros((nrows * (h + padding) + padding, ncols * (w + padding) + padding, c), np.uint8)
    for i in range(n):
        r, k = divmod(i, ncols)
        grid[padding + r * (h + padding):][:h, padding + k * (w + padding):][:, :w] = tiles[i]
    img = Image.fromarray(grid[..., 0] if c == 1 else grid)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    img.save(path)
    return grid


def load_images(paths, spec):
    """Read image files into a float batch matching an image input's shape and value range."""
    h, w, c = spec["shape"][1:]
    batch = []
    for path in paths:
        img = Image.open(path).convert("L" if c == 1 else "RGB").resize((w, h), Image.BILINEAR)
        batch.append(np.asarray(img, np.float32).reshape(h, w, c))
    return from_pixels(np.stack(batch), spec["to_pixels"])


# -- text: character-level language models (a `step` signature) -----------------------------
#
# A char-RNN bundle has one signature, `step`: inputs `ids` (N,) int32 (role
# "token"; its metadata holds the `vocabulary` string, id i = vocabulary[i])
# and one or more `state` role inputs (N, S) float32 (zeros start a text; an
# LSTM has `state` and `cell_state`); outputs `logits` (N, V) and, for each
# state input NAME, `next_NAME` to feed back. No loop inside: the loop is here.


def softmax(logits):
    """Softmax of a 1-D float array (float64, max-subtracted)."""
    z = np.asarray(logits, np.float64)
    z = np.exp(z - z[np.isfinite(z)].max())
    return z / z.sum()


def filter_logits(logits, top_k=0, top_p=1.0):
    """Set logits outside the top-k / top-p set to -inf, by the rules of kgen's sampler.

    top-k (k > 0) keeps the logits >= the k-th largest; top-p (p < 1) then
    keeps every logit whose exclusive cumulative probability (the mass of the
    strictly more likely ones) is below p. Ties at a cut are kept.
    """
    logits = np.array(logits, np.float32, copy=True).reshape(-1)
    if top_k and 0 < int(top_k) < logits.size:
        kth = np.sort(logits)[::-1][int(top_k) - 1]
        logits[logits < kth] = -np.inf
    if top_p is not None and float(top_p) < 1.0:
        ordered = np.sort(logits)[::-1]
        probs = softmax(ordered)
        before = np.cumsum(probs) - probs
        cut = ordered[before < float(top_p)].min()
        logits[logits < cut] = -np.inf
    return logits


def choose_next(logits, temperature=1.0, top_k=0, top_p=1.0, rng=None):
    """The next character id: argmax at temperature 0, else a draw from the filtered softmax.

    Args:
        logits: the step's logits for one row, `(V,)`.
        temperature: softmax temperature (0: greedy).
        top_k, top_p: filters (0 / 1: off).
        rng: a `numpy.random.Generator` (one uniform draw per character).
    """
    logits = np.asarray(logits, np.float32).reshape(-1)
    if float(temperature) <= 0.0:
        return int(np.argmax(logits))
    probs = softmax(filter_logits(logits / np.float32(temperature), top_k, top_p))
    return int(min(np.searchsorted(np.cumsum(probs), rng.random(), side="right"), probs.size - 1))


class TextGenerator:
    """Generate text with a char-RNN bundle: one LiteRT `step` call per character.

    Args:
        path: bundle folder.
        variant: "float32", "dynamic", "float16", "int8" or "int8_io".
        num_threads: interpreter threads.

    Example:
        >>> gen = TextGenerator("bundle", variant="int8")
        >>> print(gen.generate("ROMEO:", length=500, temperature=0.8, seed=0))
    """

    def __init__(self, path, variant="float32", num_threads=None):
        self.bundle = Bundle(path, variant, num_threads)
        signature = self.bundle.signature("step")
        token = [spec for spec in signature["inputs"] if spec["role"] == "token"]
        states = [spec for spec in signature["inputs"] if spec["role"] == "state"]
        if len(token) != 1 or not states:
            raise ValueError(f"{path}: the step signature needs one token input and state inputs")
        self.vocabulary = token[0]["vocabulary"]
        self.default_prompt = token[0].get("default_prompt") or self.vocabulary[0]
        self._ids = token[0]["name"]
        self.state_shapes = {spec["name"]: (1, int(spec["shape"][1])) for spec in states}
        interpreter, self._in, self._out = self.bundle._interpreter("step")  # noqa: SLF001 - same class family
        self.interpreter = interpreter
        # One row: size the tensors once, then only set/invoke/get per character.
        for key, shape in ((self._ids, (1,)), *self.state_shapes.items()):
            interpreter.resize_tensor_input(self._in[key]["index"], shape, strict=True)
        interpreter.allocate_tensors()
        self._index = {ch: i for i, ch in enumerate(self.vocabulary)}

    def encode(self, text):
        """Character ids of `text` (ValueError naming characters outside the vocabulary)."""
        unknown = sorted({ch for ch in text if ch not in self._index})
        if unknown:
            raise ValueError(f"characters {unknown} are not in the model's vocabulary; remove them from the prompt")
        return [self._index[ch] for ch in text]

    def zero_state(self):
        """The states that start a text: zeros, by input name."""
        return {name: np.zeros(shape, np.float32) for name, shape in self.state_shapes.items()}

    def step(self, char_id, state):
        """One character: `(id, states by name)` -> `(logits (V,), next states by name)`."""
        interpreter = self.interpreter
        interpreter.set_tensor(self._in[self._ids]["index"],
                               _quantize(np.asarray([char_id], np.int32), self._in[self._ids]))
        for name, value in state.items():
            interpreter.set_tensor(self._in[name]["index"], _quantize(value, self._in[name]))
        interpreter.invoke()
        logits = _dequantize(interpreter.get_tensor(self._out["logits"]["index"]), self._out["logits"])
        nxt = {name: np.asarray(_dequantize(interpreter.get_tensor(self._out[f"next_{name}"]["index"]),
                                            self._out[f"next_{name}"]), np.float32) for name in state}
        return logits[0], nxt

    def generate_ids(self, prompt_ids, length, temperature=1.0, top_k=0, top_p=1.0, seed=None):
        """Read the prompt ids, then draw `length` ids (a list)."""
        rng = np.random.default_rng(seed)
        state = self.zero_state()
        logits = None
        for i in prompt_ids:
            logits, state = self.step(i, state)
        drawn = []
        for _ in range(int(length)):
            nxt = choose_next(logits, temperature, top_k, top_p, rng)
            drawn.append(nxt)
            logits, state = self.step(nxt, state)
        return drawn

    def generate(self, prompt=None, length=500, temperature=1.0, top_k=0, top_p=1.0, seed=None):
        """The prompt followed by `length` generated characters (same seed: same text)."""
        prompt = prompt or self.default_prompt
        drawn = self.generate_ids(self.encode(prompt), length, temperature, top_k, top_p, seed)
        return prompt + "".join(self.vocabulary[i] for i in drawn)


# -- Boltzmann machines: a Gibbs chain (a `gibbs_step` signature) ------------------------------
#
# An RBM bundle has `gibbs_step`: inputs `visible` (the chain's state), `hidden_noise` and
# `visible_noise` (their recorded priors: uniforms, or normals for Gaussian visible units);
# outputs `visible` (the next state, to feed back), `images` (E[v | h]) and `hidden`. The
# initial states come from the `generate` signature's `visible` prior. The loop is here.


def gibbs_chain(bundle, n=16, steps=1000, seed=None, start=None, every=None):
    """Run `steps` Gibbs steps of an RBM bundle's `gibbs_step` signature, one LiteRT call per step.

    Args:
        bundle: a `Bundle`.
        n: chains.
        steps: Gibbs steps.
        seed: numpy seed of the initial states and every step's noise.
        start: initial visible states `(n, ...)` (default: drawn from the recorded prior).
        every: also keep `images` every this many steps (None: only the last).

    Returns:
        (images of the last step, list of kept images).
    """
    rng = np.random.default_rng(seed)
    specs = {s["name"]: s for s in bundle.signature("gibbs_step")["inputs"]}
    if start is None:
        init = next(s for s in bundle.signature("generate")["inputs"] if s["name"] == "visible")
        start = draw(init["distribution"], n, tuple(init["shape"][1:]), rng)
    v = np.asarray(start, np.float32)
    kept, out = [], None
    for t in range(int(steps)):
        feed = {"visible": v}
        for name in ("hidden_noise", "visible_noise"):
            spec = specs[name]
            feed[name] = np.asarray(draw(spec["distribution"], len(v), tuple(spec["shape"][1:]), rng), np.float32)
        out = bundle.run("gibbs_step", **feed)
        v = out["visible"]
        if every and (t + 1) % every == 0:
            kept.append(out["images"])
    return out["images"], kept


def write_text(args, bundle_path):
    """The command line's text mode: generate, write `--out`, report characters per second."""
    import time

    gen = TextGenerator(bundle_path, args.variant, args.threads)
    start = time.perf_counter()
    text = gen.generate(args.prompt, args.length, args.temperature, args.top_k, args.top_p, args.seed)
    seconds = time.perf_counter() - start
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {len(text)} characters ({args.variant}, {args.length / max(seconds, 1e-9):.0f} "
          f"generated characters/s) -> {args.out}")
    return 0


# -- diffusion: a `denoise` signature, the sampling loop here ---------------------------------
#
# A diffusion bundle has one signature, `denoise`: inputs `x_t` (N, H, W, C)
# float (role "latent": x_T is drawn from its N(0, 1) record), `t` (N,) int32
# (role "timestep": the original index 0..T-1) and, for class-conditional
# models, `labels` (N,) int32 (`null_label` K = no label, for guidance);
# output `eps` (or `v`) whose metadata holds `prediction` and the `schedule`
# (`alpha_bar`, T values). No loop inside the model: DDIM runs here in numpy.


def ddim_timesteps(num_timesteps, steps, spacing="uniform"):
    """`steps` increasing original indices over [0, T-1], both ends in (as kgen's `spaced_timesteps`).

    "uniform": round(linspace(0, T - 1, steps)); "quadratic": round(linspace(0, 1, steps)^2 (T - 1)),
    each index at least the previous + 1 (the bundle's `sampler.spacing` says which).
    """
    steps, num_timesteps = int(steps), int(num_timesteps)
    if spacing not in ("uniform", "quadratic"):
        raise ValueError(f"expected spacing 'uniform' or 'quadratic'. Received: spacing={spacing!r}")
    if not 1 <= steps <= num_timesteps:
        raise ValueError(f"expected 1 <= steps <= {num_timesteps}. Received: steps={steps}")
    if steps == 1:
        return np.array([num_timesteps - 1])
    if spacing == "uniform":
        return np.unique(np.round(np.linspace(0, num_timesteps - 1, steps)).astype(np.int64))
    u = np.arange(steps) / (steps - 1)  # i / (steps - 1) then u * u: the Android class computes the same doubles
    out = np.round(u * u * (num_timesteps - 1)).astype(np.int64)
    for i in range(1, steps):
        out[i] = max(out[i], out[i - 1] + 1)
    return out


def ddim_sample(denoise, x_T, alpha_bar, steps, eta=0.0, rng=None, prediction="epsilon", spacing="uniform"):
    """DDIM (Song et al. 2021, eq. 12) in numpy: the loop kgen's `samplers.ddim` runs in TensorFlow.

    Args:
        denoise: `(x_t float32 (N, ...), t int32 (N,)) -> network output`.
        x_T: starting noise.
        alpha_bar: the training schedule's T values (metadata `schedule.alpha_bar`).
        steps: number of sampling steps.
        eta: 0 (deterministic) .. 1.
        rng: a `numpy.random.Generator` for the per-step noise (eta > 0): one
            standard-normal draw of x's shape per step, from the noisiest step down.
        prediction: "epsilon" or "v".
        spacing: "uniform" or "quadratic" timesteps (`ddim_timesteps`).

    Returns:
        x_0, float32.
    """
    if not 0.0 <= float(eta) <= 1.0:
        raise ValueError(f"expected eta in [0, 1]. Received: eta={eta}")
    full = np.asarray(alpha_bar, np.float64)
    timesteps = ddim_timesteps(len(full), steps, spacing)
    ab = full[timesteps]
    ab_prev = np.concatenate([[1.0], ab[:-1]])
    x = np.asarray(x_T, np.float32)
    for i in range(len(timesteps) - 1, -1, -1):
        out = np.asarray(denoise(x, np.full((len(x),), timesteps[i], np.int32)), np.float32)
        a, s = np.float32(np.sqrt(ab[i])), np.float32(np.sqrt(1 - ab[i]))
        if prediction == "epsilon":
            eps = out
            x0 = (x - s * eps) / a
        else:
            x0, eps = a * x - s * out, s * x + a * out
        sigma = float(eta) * np.sqrt((1 - ab_prev[i]) / (1 - ab[i])) * np.sqrt(1 - ab[i] / ab_prev[i])
        x = np.float32(np.sqrt(ab_prev[i])) * x0 + np.float32(np.sqrt(max(1 - ab_prev[i] - sigma ** 2, 0.0))) * eps
        if float(eta) > 0:
            x = x + np.float32(sigma) * rng.standard_normal(x.shape).astype(np.float32)
    return x.astype(np.float32)


class DiffusionSampler:
    """Sample images with a diffusion bundle: the DDIM loop around the LiteRT `denoise` signature.

    Args:
        path: bundle folder.
        variant: "float32", "dynamic", "float16", "int8" or "int8_io".
        num_threads: interpreter threads.

    Example:
        >>> images = DiffusionSampler("bundle", "int8").sample(16, steps=50, eta=0.0, seed=0)
    """

    def __init__(self, path, variant="float32", num_threads=None):
        self.bundle = Bundle(path, variant, num_threads)
        signature = self.bundle.signature("denoise")
        self.inputs = {spec["role"]: spec for spec in signature["inputs"]}
        self.output = signature["outputs"][0]
        self.schedule = self.output["schedule"]
        self.prediction = self.output.get("prediction", "epsilon")
        self.defaults = self.output.get("sampler", {})

    def denoiser(self, labels=None, guidance=0.0):
        """`(x_t, t) -> output`, with classifier-free guidance `(1 + w) out_c - w out_null` when w != 0."""
        names = {role: spec["name"] for role, spec in self.inputs.items()}
        run = lambda **kw: self.bundle.run("denoise", **kw)[self.output["name"]]  # noqa: E731

        def denoise(x, t):
            feed = {names["latent"]: x, names["timestep"]: t}
            if "label" not in names:
                return run(**feed)
            feed[names["label"]] = labels
            cond = run(**feed)
            if not guidance:
                return cond
            null = np.full_like(labels, int(self.inputs["label"]["null_label"]))
            uncond = run(**{**feed, names["label"]: null})
            return (1.0 + guidance) * cond - guidance * uncond

        return denoise

    def sample(self, n=16, steps=None, eta=None, seed=None, labels=None, guidance=None, x_T=None, spacing=None):
        """`n` images in [-1, 1]: x_T from the `x_t` input's recorded prior (seeded), then DDIM.

        `spacing` (default: the bundle's `sampler.spacing`, else "uniform") picks the timesteps.
        """
        rng = np.random.default_rng(seed)
        steps = int(steps or self.defaults.get("steps", 50))
        spacing = spacing or self.defaults.get("spacing", "uniform")
        eta = float(self.defaults.get("eta", 0.0) if eta is None else eta)
        guidance = float(self.defaults.get("guidance", 0.0) if guidance is None else guidance)
        if x_T is None:
            spec = self.inputs["latent"]
            x_T = draw(spec.get("distribution") or {"type": "normal"}, n, tuple(spec["shape"][1:]), rng)
        n = len(x_T)
        if "label" in self.inputs:
            k = int(self.inputs["label"]["num_classes"])
            labels = np.resize(np.asarray(np.arange(n) % k if labels is None else labels, np.int32), n)
            if np.any(labels < 0) or np.any(labels > k):
                raise ValueError(f"expected labels in [0, {k}] ({k}: none). Received: {sorted(set(labels.tolist()))}")
        return ddim_sample(self.denoiser(labels, guidance), x_T, self.schedule["alpha_bar"], steps, eta, rng,
                           self.prediction, spacing)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run a kgen bundle with LiteRT (no TensorFlow).")
    parser.add_argument("bundle", help="bundle folder (metadata.json + .tflite files)")
    parser.add_argument("--variant", default="float32", help="float32, dynamic, float16, int8, int8_io")
    parser.add_argument("--signature", default=None, help="generate / decode / encode")
    parser.add_argument("--n", type=int, default=16, help="number of samples")
    parser.add_argument("--seed", type=int, default=None, help="latent seed")
    parser.add_argument("--labels", default=None, help="comma-separated class ids (repeated to --n)")
    parser.add_argument("--latents", default=None, help=".npy file of latents (N, latent_dim)")
    parser.add_argument("--encode", nargs="+", default=None, metavar="IMAGE", help="images to encode")
    parser.add_argument("--input", nargs="+", default=None, metavar="IMAGE",
                        help="image-to-image bundles: images to translate (--out is then a folder; "
                             "--signature translate_b2a for CycleGAN's B -> A)")
    parser.add_argument("--threads", type=int, default=None, help="interpreter threads")
    parser.add_argument("--out", required=True,
                        help="PNG grid (generate), .npz codes (encode) or a text file (language models)")
    parser.add_argument("--prompt", default=None, help="language models: text to continue")
    parser.add_argument("--length", type=int, default=500, help="language models: characters to generate")
    parser.add_argument("--temperature", type=float, default=1.0, help="language models: 0 decodes greedily")
    parser.add_argument("--top-k", type=int, default=0, help="language models: keep the k likeliest (0: off)")
    parser.add_argument("--top-p", type=float, default=1.0, help="language models: nucleus mass (1: off)")
    parser.add_argument("--gibbs-steps", type=int, default=None,
                        help="Boltzmann machines: loop the gibbs_step signature this many steps")
    parser.add_argument("--steps", type=int, default=None, help="diffusion models: DDIM steps (default: 50)")
    parser.add_argument("--eta", type=float, default=None, help="diffusion models: DDIM eta in [0, 1] (default: 0)")
    parser.add_argument("--guidance", type=float, default=None, help="conditional diffusion models: guidance w")
    parser.add_argument("--spacing", default=None, choices=("uniform", "quadratic"),
                        help="diffusion models: DDIM timestep spacing (default: the bundle's)")
    args = parser.parse_args(argv)
    if "step" in load_metadata(args.bundle)["signatures"]:
        return write_text(args, args.bundle)
    if "denoise" in load_metadata(args.bundle)["signatures"]:
        import time

        sampler = DiffusionSampler(args.bundle, args.variant, args.threads)
        labels = [int(v) for v in args.labels.split(",")] if args.labels else None
        start = time.perf_counter()
        images = sampler.sample(args.n, args.steps, args.eta, args.seed, labels, args.guidance,
                                spacing=args.spacing)
        seconds = time.perf_counter() - start
        save_grid(images, args.out, {"offset": 1.0, "scale": 127.5}, scale=max(1, 64 // images.shape[1]))
        print(f"wrote {len(images)} samples ({args.variant}, DDIM, {seconds / len(images):.3f} s/image) -> {args.out}")
        return 0
    bundle = Bundle(args.bundle, args.variant, args.threads)
    if args.gibbs_steps:
        images, _ = gibbs_chain(bundle, args.n, args.gibbs_steps, args.seed)
        save_grid(images, args.out, bundle.output_spec("generate")["to_pixels"], scale=max(1, 64 // images.shape[1]))
        print(f"wrote {len(images)} chains after {args.gibbs_steps} Gibbs steps ({args.variant}) -> {args.out}")
        return 0
    if args.input:
        return write_translations(args, bundle)
    if args.encode:
        name = args.signature or "encode"
        spec = next(s for s in bundle.signature(name)["inputs"] if s["role"] == "image")
        images = load_images(args.encode, spec)
        labels = [int(v) for v in args.labels.split(",")] if args.labels else None
        codes = bundle.encode(images, name, labels)
        np.savez(args.out, **codes)
        print(f"encoded {len(images)} images -> {args.out} ({', '.join(codes)})")
        return 0
    labels = [int(v) for v in args.labels.split(",")] if args.labels else None
    latents = np.load(args.latents) if args.latents else None
    images = bundle.generate(args.n, args.seed, labels, latents, args.signature)
    name = args.signature or ("generate" if "generate" in bundle.metadata["signatures"] else "decode")
    save_grid(images, args.out, bundle.output_spec(name)["to_pixels"],
              scale=max(1, 64 // images.shape[1]))
    print(f"wrote {len(images)} samples ({args.variant}) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
