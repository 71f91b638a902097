"""Character-level recurrent language model (char-RNN): train on a text, sample text, export one step.

Graves (2013), https://arxiv.org/abs/1308.0850; Karpathy, "The Unreasonable
Effectiveness of Recurrent Neural Networks" (2015),
http://karpathy.github.io/2015/05/21/rnn-effectiveness/ (char-rnn); lecture
000's "Deep Recurrent Neural Networks": an RNN is a dynamical system
`h(t) = f(h(t-1), x(t); theta)`; trained on Shakespeare one character at a
time, its samples improve "as it trains more".

The model predicts each next character: on a window of ids `w (N, T + 1)` the
loss is the mean cross-entropy of `w[:, 1:]` given `w[:, :-1]`, in nats per
character (also reported in bits per character, and as next-character
accuracy). An untrained model scores about ln(vocabulary size).

It has no latent prior (`model.prior` is empty): its randomness is the
choice of each next character, drawn through the model's SeedGenerator.
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgen.models.core import Endpoint, GenerativeModel, SingleObjectiveSteps, TensorSpec, from_config_with_networks
from kgen.models.language import sampling
from kgen.models.language.text_data import decode, encode, stream_batches
from kgen.networks.char_rnn import CharRNNNetwork
from kgen.zoo import register_builder

#: The vocabulary of a model built without one: newline and printable ASCII.
DEFAULT_VOCABULARY = "\n" + "".join(chr(c) for c in range(32, 127))

LN2 = math.log(2.0)


class _Carry:
    """Holds a stateful model's per-replica state outside Keras' weight tracking.

    It is runtime state (where each stream track has got to), not a weight:
    it is neither saved nor restored, and each replica keeps its own rows
    (a sync-on-read variable).
    """

    def __init__(self):
        self.state = None


def _step_endpoint_call(network, ids, state, cell_state=None):
    return network.step_split(ids, state, cell_state)


@keras.saving.register_keras_serializable(package="kgen")
class CharRNN(SingleObjectiveSteps, GenerativeModel):
    """A character-level language model around a `kgen.networks.CharRNNNetwork`.

    Batches are either fixed windows of ids `(N, T + 1)` (each from the zero
    state; also `(x, y)` pairs of `(N, T)`), or, for a `stateful` model,
    stream batches `{"ids": (N, T + 1), "reset": (N,)}` from
    `kgen.models.language.stream_dataset`: each row's final state carries
    into the same row of the next batch unless its `reset` flag is 1
    (truncated back-propagation through time). Evaluation (`test_step`)
    always starts from the zero state; `evaluate_text` carries the state
    through a whole text.

    Args:
        network: a `CharRNNNetwork` (`kgen.networks.build_char_rnn_network`).
        vocabulary: the characters, id `i` being `vocabulary[i]` (a string or
            a list of single characters), as many as the network's
            `vocabulary_size`; stored in the config.
        stateful: carry states across stream batches while training.
        batch_size: the global batch size of a stateful model's stream
            batches (each replica keeps `batch_size / replicas` states).
        seed: seed of the model's SeedGenerator (dropout masks and sampling).

    Example:
        >>> stream = load_text_stream("text:../shared/data/tinyshakespeare.txt")
        >>> model = build_char_rnn(vocabulary=stream.vocabulary, stateful=True, batch_size=64)
        >>> model.fit(stream_dataset(stream.train, 64, 100), epochs=5)
        >>> print(model.sample("ROMEO:", length=500, temperature=0.8, seed=0))
    """

    def __init__(self, network, vocabulary, stateful=False, batch_size=None, seed=None, **kwargs):
        kwargs.pop("prior", None)
        super().__init__(prior=None, seed=seed, **kwargs)
        vocabulary = "".join(vocabulary)
        if len(vocabulary) != network.vocabulary_size or len(set(vocabulary)) != len(vocabulary):
            raise ValueError(
                f"expected a vocabulary of {network.vocabulary_size} distinct characters (the network's "
                f"vocabulary_size). Received: {len(vocabulary)} characters, {len(set(vocabulary))} distinct")
        self.network = network
        self.vocabulary = vocabulary
        self.stateful = bool(stateful)
        self.batch_size = None if batch_size is None else int(batch_size)
        self._carry = _Carry()
        self._sample_loop = None
        # The network is built (its variables exist); so is the wrapper.
        self.built = True
        if self.stateful:
            self._carry.state = self._carried_state_variable()

    @property
    def vocabulary_size(self):
        return len(self.vocabulary)

    def _carried_state_variable(self):
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if self.batch_size is None or self.batch_size < 1 or self.batch_size % replicas:
            raise ValueError(
                f"a stateful CharRNN needs batch_size = the global batch of its stream batches, a multiple "
                f"of the {replicas} replica(s). Received: batch_size={self.batch_size}")
        return tf.Variable(tf.zeros((self.batch_size // replicas, self.network.state_size)), trainable=False,
                           name="carried_state", synchronization=tf.VariableSynchronization.ON_READ,
                           aggregation=tf.VariableAggregation.MEAN)

    def reset_states(self):
        """Zero the carried states of a stateful model (stream batches also reset on their first chunk)."""
        if self._carry.state is not None:
            self._carry.state.assign(tf.zeros_like(self._carry.state.read_value()))

    # -- training -----------------------------------------------------------------
    def metric_names(self):
        return ["loss", "nats_per_char", "bits_per_char", "accuracy"]

    def batch_inputs(self, data):
        if isinstance(data, dict):
            return data["ids"], data.get("reset")
        if isinstance(data, (tuple, list)) and len(data) == 2 and data[1] is not None:
            x, y = data
            return ops.concatenate([ops.cast(x, "int32"), ops.cast(y[:, -1:], "int32")], axis=1), None
        x, _ = self.unpack_batch(data)
        return x, None

    def compute_losses(self, ids, reset=None, training=True):
        """Next-character cross-entropy of a batch of windows `(N, T + 1)`: loss in nats per character.

        Args:
            ids: int windows `(N, T + 1)`.
            reset: `(N,)` flags of stream batches (1: the row starts a track).
            training: dropout on, and a stateful model reads and stores its carried states.

        Returns:
            `{"loss", "nats_per_char", "bits_per_char", "accuracy"}` (local-batch means).
        """
        ids = ops.cast(ids, "int32")
        if len(ids.shape) != 2:
            raise ValueError(f"expected windows of character ids (N, T + 1). Received: shape={ids.shape}")
        x, y = ids[:, :-1], ids[:, 1:]
        carried = self._carry.state if (self.stateful and training) else None
        state = None
        if carried is not None:
            if reset is None:
                raise ValueError("a stateful CharRNN trains on stream batches {'ids', 'reset'}: build them "
                                 "with kgen.models.language.stream_dataset(ids, batch_size, length).")
            rows = carried.shape[0]
            if ids.shape[0] is not None and ids.shape[0] != rows:
                raise ValueError(f"stateful batches must hold {rows} rows per replica (batch_size="
                                 f"{self.batch_size}). Received: {ids.shape[0]} rows")
            keep = 1.0 - ops.cast(ops.reshape(reset, (-1, 1)), "float32")
            state = carried.read_value() * keep
        logits, final = self.network(x, state, training=training, seed_generator=self.seed_generator)
        if carried is not None:
            carried.assign(ops.stop_gradient(final))
        return self._cross_entropy_terms(y, logits)

    @staticmethod
    def _cross_entropy_terms(y, logits):
        logits = ops.cast(logits, "float32")
        nats = ops.mean(keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True))
        hits = ops.cast(ops.equal(ops.argmax(logits, axis=-1), ops.cast(y, "int64")), "float32")
        return {"loss": nats, "nats_per_char": nats, "bits_per_char": nats / LN2, "accuracy": ops.mean(hits)}

    # -- evaluation ---------------------------------------------------------------
    def evaluate_text(self, text, batch_size=16, length=200, carry=True):
        """Cross-entropy of a whole text or id stream, in nats and bits per character.

        With `carry` (the default) the text is cut into `batch_size`
        contiguous tracks read chunk by chunk with the state carried along,
        so every character after a track's first is predicted from all of
        its track before it. Without it, each chunk of `length` predictions
        starts from the zero state (the fixed-window evaluation of training).

        Args:
            text: a string or an id array.
            batch_size: parallel tracks.
            length: characters per chunk.
            carry: carry the state across chunks.

        Returns:
            `{"nats_per_char", "bits_per_char", "characters"}` (characters predicted).
        """
        ids = encode(text, self.vocabulary) if isinstance(text, str) else np.asarray(text, np.int32)
        windows, _ = stream_batches(ids, batch_size, length)
        total, count = 0.0, 0
        state = self.network.zero_state(windows.shape[1])
        for chunk in windows:
            nats, final = self._chunk_loss(chunk, state)
            state = final if carry else state
            total += float(nats)
            count += chunk.shape[0] * (chunk.shape[1] - 1)
        mean = total / count
        return {"nats_per_char": mean, "bits_per_char": mean / LN2, "characters": count}

    @tf.function(reduce_retracing=True)
    def _chunk_loss(self, chunk, state):
        logits, final = self.network(chunk[:, :-1], state, training=False)
        ce = keras.losses.sparse_categorical_crossentropy(chunk[:, 1:], ops.cast(logits, "float32"),
                                                          from_logits=True)
        return ops.sum(ce), final

    # -- sampling -----------------------------------------------------------------
    def encode(self, text):
        """The ids of `text` in this model's vocabulary (ValueError naming unknown characters)."""
        return encode(text, self.vocabulary)

    def decode(self, ids):
        """The text of ids."""
        return decode(ids, self.vocabulary)

    def default_prompt(self):
        """What a prompt-less sample starts from: a newline if the vocabulary has one, else its first character."""
        return "\n" if "\n" in self.vocabulary else self.vocabulary[0]

    def sample_ids(self, prompt_ids, length, temperature=1.0, top_k=0, top_p=1.0, seed=None):
        """Continue each row of `prompt_ids` by `length` drawn ids.

        Args:
            prompt_ids: int ids `(N, P)` with `P >= 1` (or `(P,)` for one row).
            length: ids to draw per row.
            temperature: softmax temperature; 0 decodes greedily.
            top_k: keep the k most likely characters (0: all).
            top_p: keep the smallest most-likely set with this mass (1: all).
            seed: re-seed the model's SeedGenerator for this call (and restore
                its state after), so a seed gives the same text every time;
                None draws on from its current state.

        Returns:
            int32 `(N, length)` (the prompt not included).
        """
        temperature, top_k, top_p = sampling.check_sampling(temperature, top_k, top_p)
        prompt = np.asarray(prompt_ids, np.int32)
        prompt = prompt[None] if prompt.ndim == 1 else prompt
        if prompt.ndim != 2 or prompt.shape[1] < 1:
            raise ValueError(f"expected prompt ids (N, P) with P >= 1. Received: shape={prompt.shape}")
        if prompt.min() < 0 or prompt.max() >= self.vocabulary_size:
            raise ValueError(f"expected prompt ids in [0, {self.vocabulary_size}). Received: "
                             f"min={prompt.min()}, max={prompt.max()}")
        if int(length) < 0:
            raise ValueError(f"expected length >= 0. Received: length={length}")
        if int(length) == 0:
            return np.zeros((len(prompt), 0), np.int32)
        if self._sample_loop is None:
            self._sample_loop = tf.function(self._sample_graph, reduce_retracing=True)
        gen_state = self.seed_generator.state
        saved = np.asarray(gen_state.numpy())
        if seed is not None:
            gen_state.assign(np.asarray([int(seed), 0], saved.dtype))
        try:
            out = self._sample_loop(tf.constant(prompt), tf.constant(int(length)),
                                    tf.constant(temperature, tf.float32), tf.constant(top_k, tf.int32),
                                    tf.constant(top_p, tf.float32))
        finally:
            if seed is not None:
                gen_state.assign(saved)
        return np.asarray(out)

    def _sample_graph(self, prompt, length, temperature, top_k, top_p):
        n = tf.shape(prompt)[0]
        logits, state = self.network(prompt, self.network.zero_state(n), training=False)
        logits = logits[:, -1]
        drawn = tf.TensorArray(tf.int32, size=length)
        for i in tf.range(length):
            nxt = sampling.draw_next(logits, temperature, top_k, top_p, self.seed_generator)
            drawn = drawn.write(i, nxt)
            logits, state = self.network.step(nxt, state)
        return tf.transpose(drawn.stack())

    def sample(self, prompt=None, length=200, temperature=1.0, top_k=0, top_p=1.0, seed=None, n=None):
        """Generate text: the prompt followed by `length` drawn characters.

        Args:
            prompt: starting text (default `default_prompt()`); every
                character must be in the vocabulary.
            length, temperature, top_k, top_p, seed: see `sample_ids`.
            n: number of samples (None: one string; an int: a list).

        Returns:
            A string, or a list of `n` strings.

        Example:
            >>> model.sample("ROMEO:", length=500, temperature=0.8, seed=0)
        """
        prompt = self.default_prompt() if prompt is None or prompt == "" else prompt
        ids = self.encode(prompt)
        rows = 1 if n is None else int(n)
        drawn = self.sample_ids(np.tile(ids, (rows, 1)), length, temperature, top_k, top_p, seed)
        texts = [prompt + self.decode(row) for row in drawn]
        return texts[0] if n is None else texts

    def generate(self, n=1, prompt=None, length=200, temperature=1.0, top_k=0, top_p=1.0, seed=None):
        """`n` text samples (see `sample`): a language model's `generate` draws characters, not latents.

        Example:
            >>> model.generate(4, prompt="KING", length=100, seed=1)
        """
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"expected a number of samples n >= 1. Received: n={n!r}")
        return self.sample(prompt, length, temperature, top_k, top_p, seed, n=int(n))

    # -- export -------------------------------------------------------------------
    def export_endpoints(self):
        """One `step` signature: a character id and the state -> next-character logits and state.

        No loop inside, so LiteRT runs it as a fixed graph; the caller starts
        from zero states and feeds each `next_<name>` output back as input
        `<name>` (see `export/kgen_litert.py` and
        `export/android/KgenTextGenerator.kt`). The state is every layer's h
        (`state`) and, for an LSTM, every layer's c (`cell_state`), apart, so
        each gets its own int8 scale.
        """
        net = self.network
        width = net.num_layers * net.units
        kinds = [("state", "h")] + ([("cell_state", "c")] if net.cell == "lstm" else [])
        inputs = [TensorSpec("ids", (), "int32", "token",
                             {"distribution": {"type": "categorical", "num_classes": self.vocabulary_size,
                                               "shape": []},
                              "vocabulary": self.vocabulary, "default_prompt": self.default_prompt()})]
        outputs = [TensorSpec("logits", (self.vocabulary_size,), "float32", "output",
                              {"note": "next-character logits; sample softmax(logits / temperature)"})]
        for name, kind in kinds:
            info = {"initial": "zeros", "feedback": f"next_{name}", "cell": net.cell, "units": net.units,
                    "num_layers": net.num_layers, "layout": f"every layer's {kind}, layer 0 first"}
            inputs.append(TensorSpec(name, (width,), "float32", "state", info))
            outputs.append(TensorSpec(f"next_{name}", (width,), "float32", "state",
                                      {"note": f"feed back as `{name}` with the next character"}))
        return [Endpoint("step", net, inputs, outputs, call=_step_endpoint_call)]

    def get_config(self):
        return {**super().get_config(), "network": keras.saving.serialize_keras_object(self.network),
                "vocabulary": self.vocabulary, "stateful": self.stateful, "batch_size": self.batch_size}

    @classmethod
    def from_config(cls, config):
        return from_config_with_networks(cls, config, ("network",))


@register_builder("char_rnn", data="text",
                  paper="Karpathy 2015 (char-rnn), http://karpathy.github.io/2015/05/21/rnn-effectiveness/; "
                        "Graves 2013, https://arxiv.org/abs/1308.0850")
def build_char_rnn(input_shape=None, num_classes=None, tiny=False, seed=None, vocabulary=None, cell="lstm",
                   units=None, num_layers=None, embedding_dim=None, dropout=0.0, stateful=False,
                   batch_size=None, learning_rate=2e-3, **compile_kwargs):
    """Character-level LSTM/GRU language model (char-RNN) with temperature/top-k/top-p sampling.

    Args:
        input_shape: `(T + 1,)` of the training windows (any length works; unused).
        num_classes: must be None (a language model has no class labels).
        tiny: a few-thousand-parameter model for tests.
        seed: model seed.
        vocabulary: the data set's characters (`load_text_stream(...).vocabulary`);
            default `DEFAULT_VOCABULARY` (newline and printable ASCII).
        cell: "lstm" or "gru".
        units, num_layers, embedding_dim, dropout: the network's sizes
            (defaults 512, 1, 64; tiny 16, 1, 8).
        stateful, batch_size: carry states across stream batches (see `CharRNN`).
        learning_rate: Adam's learning rate.
        **compile_kwargs: passed to `compile` (e.g. `jit_compile=True`).

    Returns:
        A compiled `CharRNN`.

    Example:
        >>> model = build_char_rnn(vocabulary=stream.vocabulary, cell="gru", units=256, num_layers=2)
    """
    if num_classes is not None:
        raise ValueError(f"a character language model has no class labels. Received: num_classes={num_classes}")
    if input_shape is not None and len(tuple(input_shape)) != 1:
        raise ValueError(f"expected input_shape (T + 1,) of id windows. Received: input_shape={input_shape}")
    vocabulary = DEFAULT_VOCABULARY if vocabulary is None else "".join(vocabulary)
    network = CharRNNNetwork(len(vocabulary), cell, units or (16 if tiny else 512), num_layers or 1,
                             embedding_dim or (8 if tiny else 64), dropout, seed=seed)
    model = CharRNN(network, vocabulary, stateful=stateful, batch_size=batch_size, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_kwargs)
    return model
