"""The recurrent network of a character-level language model: embedding, stacked LSTM/GRU, softmax head.

A dynamical system `h(t) = f(h(t-1), x(t); theta)` (lecture 000, "Deep
Recurrent Neural Networks") read over a character sequence: each character id
is embedded, passes through `num_layers` recurrent cells, and a dense head
gives the logits of the next character. The network runs in two ways that
share every weight:

- `network(ids, state)`: a whole sequence `(N, T)` -> logits `(N, T, V)` and
  the final state, for training (truncated back-propagation through time);
- `network.step(ids, state)`: ONE character `(N,)` -> logits `(N, V)` and the
  next state, with no loop inside, so LiteRT runs it as plain matmuls and the
  caller (Python, the edge runner, an Android app) owns the generation loop
  (exported as `step_split`: the h's and an LSTM's c's in two tensors).

The state of all layers is packed into one float32 tensor `(N, state_size)`:
layer 0's `h` (then `c` for an LSTM), layer 1's `h` (`c`), ...; zeros start a
text.
"""

import keras
from keras import layers, ops

from kgen import distribute

CELLS = ("lstm", "gru")


@keras.saving.register_keras_serializable(package="kgen")
class CharRNNNetwork(keras.Model):
    """Embedding -> `num_layers` LSTM/GRU layers (dropout between them and before the head) -> logits.

    Dropout follows Zaremba et al. (2014, https://arxiv.org/abs/1409.2329) and
    char-rnn (Karpathy 2015): on the non-recurrent connections, i.e. every
    recurrent layer's output. Its masks come from the `seed_generator` the
    caller passes (the language model's own), drawn for the global batch and
    sliced per replica, so a step on N replicas sees the masks one device sees.

    Args:
        vocabulary_size: number of distinct characters V.
        cell: "lstm" or "gru".
        units: state size of every recurrent layer.
        num_layers: stacked recurrent layers.
        embedding_dim: size of the character embedding.
        dropout: drop rate of the recurrent layers' outputs while training.
        seed: seed of the network's own SeedGenerator (dropout when called
            without one).

    Example:
        >>> net = CharRNNNetwork(65, "lstm", units=128, num_layers=2)
        >>> logits, state = net(ids)                      # (N, T, 65), (N, net.state_size)
        >>> logits, state = net.step(ids[:, 0], state)    # one character
    """

    def __init__(self, vocabulary_size, cell="lstm", units=256, num_layers=2, embedding_dim=64,
                 dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if cell not in CELLS:
            raise ValueError(f"expected cell in {CELLS}. Received: cell={cell!r}")
        for key, value, low in (("vocabulary_size", vocabulary_size, 2), ("units", units, 1),
                                ("num_layers", num_layers, 1), ("embedding_dim", embedding_dim, 1)):
            if int(value) != value or int(value) < low:
                raise ValueError(f"expected an integer {key} >= {low}. Received: {key}={value!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"expected dropout in [0, 1). Received: dropout={dropout!r}")
        self.vocabulary_size = int(vocabulary_size)
        self.cell = cell
        self.units = int(units)
        self.num_layers = int(num_layers)
        self.embedding_dim = int(embedding_dim)
        self.dropout = float(dropout)
        self.seed = seed
        self.embedding = layers.Embedding(self.vocabulary_size, self.embedding_dim, name="embedding")
        make = layers.LSTM if cell == "lstm" else layers.GRU
        self.recurrent = [make(self.units, return_sequences=True, return_state=True, name=f"{cell}_{i}")
                          for i in range(self.num_layers)]
        self.head = layers.Dense(self.vocabulary_size, dtype="float32", name="logits")
        self.dropout_seed = keras.random.SeedGenerator(seed, name="dropout_seed")
        self.build((None, None))

    @property
    def states_per_layer(self):
        """Tensors in one layer's state: `h, c` for an LSTM, `h` for a GRU."""
        return 2 if self.cell == "lstm" else 1

    @property
    def state_size(self):
        """Width of the packed state: `num_layers * states_per_layer * units`."""
        return self.num_layers * self.states_per_layer * self.units

    def build(self, input_shape):
        if self.built:
            return
        batch = input_shape[0] if input_shape else None
        self.embedding.build((batch, None))
        for i, rnn in enumerate(self.recurrent):
            rnn.build((batch, None, self.embedding_dim if i == 0 else self.units))
        self.head.build((batch, None, self.units))
        self.built = True

    def zero_state(self, n):
        """The state that starts a text: zeros `(n, state_size)`."""
        return ops.zeros((n, self.state_size), "float32")

    def unpack_state(self, state):
        """Split a packed state `(N, state_size)` into each layer's list of tensors (compute dtype)."""
        state = ops.cast(state, self.compute_dtype)
        k, u = self.states_per_layer, self.units
        return [[state[:, (i * k + j) * u:(i * k + j + 1) * u] for j in range(k)]
                for i in range(self.num_layers)]

    @staticmethod
    def pack_state(per_layer):
        """Inverse of `unpack_state`: float32 `(N, state_size)`."""
        return ops.cast(ops.concatenate([t for layer in per_layer for t in layer], axis=-1), "float32")

    def _dropped(self, x, training, seed_generator):
        if not (training and self.dropout):
            return x
        gen = seed_generator if seed_generator is not None else self.dropout_seed
        n = ops.shape(x)[0]
        keep = distribute.draw_for_replica(lambda s: keras.random.uniform(s, seed=gen), n,
                                           tuple(ops.shape(x)[1:])) >= self.dropout
        return x * ops.cast(keep, x.dtype) / ops.cast(1.0 - self.dropout, x.dtype)

    def call(self, ids, state=None, training=False, seed_generator=None):
        """Run a sequence: ids `(N, T)` and a packed state (zeros when None) -> logits `(N, T, V)`, state."""
        ids = ops.cast(ids, "int32")
        x = self.embedding(ids)
        per_layer = self.unpack_state(state) if state is not None else [None] * self.num_layers
        final = []
        for rnn, initial in zip(self.recurrent, per_layer):
            out = rnn(x, initial_state=initial, training=training)
            x = self._dropped(out[0], training, seed_generator)
            final.append(list(out[1:]))
        return self.head(x), self.pack_state(final)

    def step(self, ids, state):
        """One character per row, inference mode: ids `(N,)`, state `(N, S)` -> logits `(N, V)`, state.

        Calls the recurrent cells directly: no loop, so it exports to LiteRT
        as a fixed graph that an edge app calls once per character.
        """
        logits, new = self.step_layers(ids, self.unpack_state(state))
        return logits, self.pack_state(new)

    def step_layers(self, ids, per_layer):
        """`step` on each layer's list of state tensors (`[h, c]` or `[h]`); returns logits and new lists."""
        x = self.embedding(ops.cast(ids, "int32"))
        new = []
        for rnn, states in zip(self.recurrent, per_layer):
            x, next_states = rnn.cell(x, [ops.cast(t, self.compute_dtype) for t in states], training=False)
            new.append(list(next_states))
        return self.head(x), new

    def split_state(self, state):
        """A packed state as the exported step's inputs: `{"state": every layer's h}` (+ `"cell_state"`: c).

        An LSTM's cell state c grows far beyond h's [-1, 1] (|c| ~ 40 after
        training on Shakespeare); in one tensor, int8 quantization would share
        one scale between them and round every h away.
        """
        per_layer = self.unpack_state(state)
        parts = {"state": ops.cast(ops.concatenate([layer[0] for layer in per_layer], axis=-1), "float32")}
        if self.cell == "lstm":
            parts["cell_state"] = ops.cast(ops.concatenate([layer[1] for layer in per_layer], axis=-1), "float32")
        return parts

    def step_split(self, ids, state, cell_state=None):
        """`step` on the split state of `split_state`: -> `{"logits", "next_state"[, "next_cell_state"]}`."""
        u = self.units
        hs = [state[:, i * u:(i + 1) * u] for i in range(self.num_layers)]
        if self.cell == "lstm":
            per_layer = [[h, cell_state[:, i * u:(i + 1) * u]] for i, h in enumerate(hs)]
        else:
            per_layer = [[h] for h in hs]
        logits, new = self.step_layers(ids, per_layer)
        out = {"logits": logits,
               "next_state": ops.cast(ops.concatenate([layer[0] for layer in new], axis=-1), "float32")}
        if self.cell == "lstm":
            out["next_cell_state"] = ops.cast(ops.concatenate([layer[1] for layer in new], axis=-1), "float32")
        return out

    def get_config(self):
        return {"name": self.name, "vocabulary_size": self.vocabulary_size, "cell": self.cell,
                "units": self.units, "num_layers": self.num_layers, "embedding_dim": self.embedding_dim,
                "dropout": self.dropout, "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def build_char_rnn_network(vocabulary_size, cell="lstm", units=256, num_layers=2, embedding_dim=64,
                           dropout=0.0, seed=None, name="char_rnn_network"):
    """Build a `CharRNNNetwork` (see its docstring).

    Example:
        >>> net = build_char_rnn_network(65, "gru", units=512, num_layers=1)
    """
    return CharRNNNetwork(vocabulary_size, cell, units, num_layers, embedding_dim, dropout, seed, name=name)
