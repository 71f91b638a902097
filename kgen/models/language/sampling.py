"""Choosing the next character from logits: temperature, top-k and top-p (nucleus) filtering.

The rules (the edge runner `export/kgen_litert.py` applies the same ones in
numpy, tested against these):

- temperature `t`: logits / t; `t == 0` is greedy decoding (argmax);
- top-k (`k > 0`): keep the logits >= the k-th largest (ties at the k-th are kept);
- top-p (`0 < p < 1`, Holtzman et al. 2020, https://arxiv.org/abs/1904.09751):
  sort descending, keep every logit whose *exclusive* cumulative probability
  (the mass of the strictly more likely ones) is below p, i.e. the smallest
  set of top characters whose mass reaches p; ties at the cut are kept.

Filtering runs after the temperature, top-k before top-p (as in Hugging Face's
`generate`). Filtered logits become -inf, so they are never drawn.
"""

import keras
import tensorflow as tf


def check_sampling(temperature, top_k, top_p):
    """Validate sampling options; returns `(float temperature, int top_k, float top_p)`."""
    temperature, top_k, top_p = float(temperature), int(top_k or 0), float(1.0 if top_p is None else top_p)
    if not temperature >= 0.0:
        raise ValueError(f"expected temperature >= 0 (0: greedy). Received: temperature={temperature}")
    if top_k < 0:
        raise ValueError(f"expected top_k >= 0 (0: off). Received: top_k={top_k}")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"expected top_p in (0, 1] (1: off). Received: top_p={top_p}")
    return temperature, top_k, top_p


def filter_logits(logits, top_k, top_p):
    """Set the logits outside the top-k / top-p set to -inf (see the module docstring).

    Args:
        logits: float32 `(N, V)`.
        top_k: int32 scalar (0: no top-k filter).
        top_p: float32 scalar (>= 1: no top-p filter).

    Returns:
        Filtered logits `(N, V)`.
    """
    vocab = tf.shape(logits)[-1]
    neg_inf = tf.constant(-float("inf"), logits.dtype)
    k = tf.where(top_k > 0, tf.minimum(top_k, vocab), vocab)
    kth = tf.math.top_k(logits, k).values[:, -1:]
    logits = tf.where(logits < kth, neg_inf, logits)
    ordered = tf.sort(logits, axis=-1, direction="DESCENDING")
    probs = tf.nn.softmax(ordered, axis=-1)
    before = tf.cumsum(probs, axis=-1, exclusive=True)
    kept = tf.logical_or(before < top_p, top_p >= 1.0)
    cut = tf.reduce_min(tf.where(kept, ordered, tf.constant(float("inf"), logits.dtype)), axis=-1,
                        keepdims=True)
    return tf.where(logits < cut, neg_inf, logits)


def draw_next(logits, temperature, top_k, top_p, seed_generator):
    """Draw one id per row from `logits (N, V)`: greedy at temperature 0, else filtered softmax sampling.

    The draw goes through `seed_generator` (the language model's own).

    Returns:
        int32 ids `(N,)`.
    """
    logits = tf.cast(logits, tf.float32)
    greedy = tf.argmax(logits, axis=-1, output_type=tf.int32)
    scaled = filter_logits(logits / tf.maximum(temperature, 1e-6), top_k, top_p)
    drawn = tf.cast(keras.random.categorical(scaled, 1, seed=seed_generator)[:, 0], tf.int32)
    return tf.where(temperature > 0.0, drawn, greedy)
