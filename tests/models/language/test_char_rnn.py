"""The char-RNN: metrics, truncated BPTT (stateful == windowed where they agree), sampling, text, config."""

import importlib.util
import math
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import zoo
from kgen.callbacks import TextSamples
from kgen.models.language import (CharRNN, decode, encode, load_text_stream, stream_batches, stream_dataset,
                                  window_dataset)
from kgen.models.language import sampling
from kgen.networks import CharRNNNetwork

ROOT = Path(__file__).resolve().parents[3]
SHAKESPEARE = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
VOCAB = "abcdefghijklmnopqrst"


def _edge_runner():
    spec = importlib.util.spec_from_file_location("kgen_litert", ROOT / "export" / "kgen_litert.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(cell="lstm", num_layers=2, **kwargs):
    keras.utils.set_random_seed(0)
    return zoo.build("char_rnn", (9,), tiny=True, seed=1, vocabulary=VOCAB, cell=cell, num_layers=num_layers,
                     **kwargs)


@pytest.fixture(scope="module")
def shakespeare():
    return load_text_stream(f"text:{SHAKESPEARE}")


def test_shakespeare_split_and_vocabulary(shakespeare):
    text = SHAKESPEARE.read_text(encoding="utf-8")
    vocab = "".join(shakespeare.vocabulary)
    assert vocab == "".join(sorted(set(text))) and len(vocab) == 65
    cut = len(text) - round(0.1 * len(text))  # first 90 % train, last 10 % validation
    assert decode(shakespeare.train[:200], vocab) == text[:200]
    assert abs(len(shakespeare.train) - cut) <= 1 and abs(len(shakespeare.validation) - (len(text) - cut)) <= 1
    assert decode(shakespeare.validation[:100], vocab) == text[cut:cut + 100]


def test_an_untrained_model_scores_about_ln_vocabulary_size(shakespeare):
    keras.utils.set_random_seed(0)
    model = zoo.build("char_rnn", (101,), vocabulary=shakespeare.vocabulary, units=64, seed=0)
    figures = model.evaluate_text(shakespeare.validation[:20_000], batch_size=16, length=100)
    assert abs(figures["nats_per_char"] - math.log(65)) < 0.02, figures
    assert figures["bits_per_char"] == pytest.approx(figures["nats_per_char"] / math.log(2))
    # The training metrics say the same, by name.
    windows = np.stack([shakespeare.validation[i:i + 101] for i in range(0, 6400, 100)])
    logs = model.evaluate(window_dataset(windows, 32, shuffle=False), verbose=0, return_dict=True)
    assert set(logs) == {"loss", "nats_per_char", "bits_per_char", "accuracy"}
    assert abs(logs["nats_per_char"] - math.log(65)) < 0.02 and logs["loss"] == logs["nats_per_char"]
    assert logs["bits_per_char"] == pytest.approx(logs["nats_per_char"] / math.log(2), rel=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_one_step_calls_reproduce_the_sequence_run(cell):
    net = CharRNNNetwork(20, cell, units=8, num_layers=2, embedding_dim=4)
    ids = np.random.default_rng(0).integers(0, 20, (3, 7))
    logits, final = net(ids, training=False)
    state, steps = net.zero_state(3), []
    for t in range(7):
        out, state = net.step(ids[:, t], state)
        steps.append(np.asarray(out))
    np.testing.assert_allclose(np.stack(steps, 1), logits, atol=1e-6)
    np.testing.assert_allclose(state, final, atol=1e-6)
    assert final.shape == (3, net.state_size) == (3, 2 * (2 if cell == "lstm" else 1) * 8)


def test_stateful_stream_loss_equals_the_windowed_loss_where_they_agree():
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 20, 4 * 30 + 1).astype("int32")
    stateful = _model(stateful=True, batch_size=4)
    windowed = CharRNN(stateful.network, VOCAB)  # same network, zero state for every window
    windows, reset = stream_batches(ids, 4, 6)  # 4 tracks of 30 ids: 5 chunks of 6 predictions
    assert windows.shape == (5, 4, 7)
    chunk_losses = [float(stateful.compute_losses(w, r, training=True)["loss"]) for w, r in zip(windows, reset)]
    # Carried through the chunks, the stream loss is the loss of each whole track read at once.
    tracks = np.concatenate([windows[0]] + [w[:, 1:] for w in windows[1:]], axis=1)
    whole = float(windowed.compute_losses(tracks, training=False)["loss"])
    assert np.mean(chunk_losses) == pytest.approx(whole, abs=1e-5)
    # On the first chunk (reset) both start from zero: the same loss; later chunks differ (state carried).
    zero_state = [float(windowed.compute_losses(w, training=False)["loss"]) for w in windows]
    assert chunk_losses[0] == pytest.approx(zero_state[0], abs=1e-6)
    assert all(abs(a - b) > 1e-4 for a, b in zip(chunk_losses[1:], zero_state[1:]))
    # A reset flag restarts its row from the zero state, whatever was carried.
    stateful._carry.state.assign(tf.fill(stateful._carry.state.shape, 0.7))
    again = float(stateful.compute_losses(windows[0], reset[0], training=True)["loss"])
    assert again == pytest.approx(chunk_losses[0], abs=1e-6)


def test_stateful_fit_updates_as_windowed_fit_on_the_first_chunk_and_resets_each_epoch():
    ids = np.random.default_rng(2).integers(0, 20, 4 * 24 + 1).astype("int32")
    stateful = _model(stateful=True, batch_size=4)
    stateful.compile(optimizer=keras.optimizers.SGD(0.5))
    windowed = _model()
    windowed.compile(optimizer=keras.optimizers.SGD(0.5))
    windowed.set_weights(stateful.get_weights())
    data = stream_dataset(ids, 4, 6)
    first = next(iter(data))
    stateful.fit(data.take(1), epochs=1, verbose=0)
    windowed.fit(tf.data.Dataset.from_tensors(first["ids"]), epochs=1, verbose=0)
    for a, b in zip(stateful.get_weights(), windowed.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # Two epochs over the stream: the second one starts from the zero state again (reset flags).
    history = stateful.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and all(np.isfinite(history.history["loss"]))
    assert int(data.cardinality()) == 4


def test_stateful_model_rejects_plain_windows_and_needs_its_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        _model(stateful=True)
    model = _model(stateful=True, batch_size=4)
    with pytest.raises(ValueError, match="stream batches"):
        model.compute_losses(np.zeros((4, 7), "int32"), training=True)
    with pytest.raises(ValueError, match="4 rows"):
        model.compute_losses(np.zeros((3, 7), "int32"), np.ones(3), training=True)
    with pytest.raises(ValueError, match="class labels"):
        zoo.build("char_rnn", (9,), tiny=True, num_classes=3)
    with pytest.raises(ValueError, match="distinct characters"):
        CharRNN(CharRNNNetwork(5, units=4), "abcd")


def test_evaluate_text_without_carry_matches_keras_evaluate_on_the_same_windows():
    model = _model()
    ids = np.random.default_rng(3).integers(0, 20, 8 * 20 + 1)
    windows, _ = stream_batches(ids, 8, 5)
    figures = model.evaluate_text(ids, batch_size=8, length=5, carry=False)
    logs = model.evaluate(window_dataset(windows.reshape(-1, 6), 8, shuffle=False), verbose=0, return_dict=True)
    assert figures["characters"] == windows.size // 6 * 5
    assert figures["nats_per_char"] == pytest.approx(logs["nats_per_char"], abs=1e-5)
    carried = model.evaluate_text(ids, batch_size=8, length=5)
    assert abs(carried["nats_per_char"] - figures["nats_per_char"]) > 1e-5


def test_sampling_is_deterministic_for_a_seed_and_restores_the_generator():
    model = _model()
    state = model.seed_generator.state.numpy().copy()
    a = model.sample("abc", length=40, temperature=1.0, seed=0)
    assert a == model.sample("abc", length=40, temperature=1.0, seed=0)
    assert a != model.sample("abc", length=40, temperature=1.0, seed=1)
    assert a.startswith("abc") and len(a) == 43 and set(a) <= set(VOCAB)
    np.testing.assert_array_equal(model.seed_generator.state.numpy(), state)
    # Without a seed it draws on from the model's generator (which advances).
    b, c = model.sample("abc", 20), model.sample("abc", 20)
    assert b != c and not np.array_equal(model.seed_generator.state.numpy(), state)
    texts = model.generate(3, prompt="ab", length=10, seed=5)
    assert len(texts) == 3 and len(set(texts)) > 1 and texts == model.generate(3, prompt="ab", length=10, seed=5)


def test_greedy_top_k_1_and_tiny_top_p_agree_and_follow_argmax():
    model = _model()
    greedy = model.sample_ids([[0, 1, 2]], 30, temperature=0.0)
    np.testing.assert_array_equal(greedy, model.sample_ids([[0, 1, 2]], 30, temperature=1.0, top_k=1, seed=3))
    np.testing.assert_array_equal(greedy, model.sample_ids([[0, 1, 2]], 30, temperature=1.5, top_p=1e-6, seed=4))
    # Greedy decoding is the argmax of each step's logits.
    logits, state = model.network(np.asarray([[0, 1, 2]]), training=False)
    logits = logits[:, -1]
    for t in range(5):
        nxt = int(np.argmax(logits[0]))
        assert nxt == greedy[0, t]
        logits, state = model.network.step(np.asarray([nxt]), state)


def test_draws_follow_the_filtered_softmax():
    gen = keras.random.SeedGenerator(0)
    logits = tf.constant(np.log([[0.5, 0.3, 0.15, 0.05]] * 4000), tf.float32)

    def freq(temperature, top_k=0, top_p=1.0):
        ids = sampling.draw_next(logits, tf.constant(temperature), tf.constant(top_k), tf.constant(top_p), gen)
        return np.bincount(np.asarray(ids), minlength=4) / 4000

    np.testing.assert_allclose(freq(1.0), [0.5, 0.3, 0.15, 0.05], atol=0.03)
    np.testing.assert_allclose(freq(1.0, top_k=2), [0.625, 0.375, 0, 0], atol=0.03)
    np.testing.assert_allclose(freq(1.0, top_p=0.7), [0.625, 0.375, 0, 0], atol=0.03)  # 0.5 < 0.7 <= 0.8
    p = np.array([0.5, 0.3, 0.15, 0.05]) ** 2
    np.testing.assert_allclose(freq(0.5), p / p.sum(), atol=0.03)
    np.testing.assert_array_equal(freq(0.0), [1, 0, 0, 0])


@pytest.mark.parametrize("top_k,top_p", [(0, 1.0), (5, 1.0), (0, 0.9), (10, 0.5), (1, 1.0), (0, 0.05)])
def test_edge_runner_filters_logits_by_the_same_rules(top_k, top_p):
    runner = _edge_runner()
    logits = np.random.default_rng(top_k).normal(0, 2, (6, 65)).astype("float32")
    ours = np.asarray(sampling.filter_logits(tf.constant(logits), tf.constant(top_k), tf.constant(top_p)))
    for row, want in zip(logits, ours):
        np.testing.assert_array_equal(np.isfinite(runner.filter_logits(row, top_k, top_p)), np.isfinite(want))
    kept = np.isfinite(ours).sum(axis=1)
    assert (kept == (top_k or 65)).all() if top_p == 1.0 else (kept < 65).all()


def test_prompts_and_options_are_checked():
    model = _model()
    with pytest.raises(ValueError, match=r"\['Z'\]"):
        model.sample("abZ", 5)
    with pytest.raises(ValueError, match="temperature"):
        model.sample("ab", 5, temperature=-1)
    with pytest.raises(ValueError, match="top_p"):
        model.sample("ab", 5, top_p=0.0)
    assert model.sample(None, 0) == model.default_prompt() == "a"  # no newline in this vocabulary


def test_any_utf8_text_trains_samples_and_round_trips(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("naïve café — 日本語 ✓ Größe\n" * 200, encoding="utf-8")
    stream = load_text_stream(str(path))
    vocab = "".join(stream.vocabulary)
    assert "日" in vocab and "\n" in vocab and encode("café", vocab).dtype == np.int32
    assert decode(encode("Größe ✓", vocab), vocab) == "Größe ✓"
    model = zoo.build("char_rnn", (17,), tiny=True, vocabulary=stream.vocabulary, seed=0)
    model.fit(stream_dataset(stream.train, 4, 16).take(3), epochs=1, verbose=0)
    text = model.sample("日本", 30, temperature=0.9, seed=2)
    assert set(text) <= set(vocab) and text.startswith("日本")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.vocabulary == vocab and loaded.get_config()["vocabulary"] == vocab
    ids = np.asarray([encode("naïve café", vocab)])
    np.testing.assert_allclose(loaded.network(ids)[0], model.network(ids)[0], atol=1e-6)
    assert loaded.sample("日本", 30, temperature=0.9, seed=2) == text


def test_config_round_trips_with_the_network_and_vocabulary():
    model = _model(cell="gru", num_layers=3, dropout=0.25, embedding_dim=5)
    config = model.get_config()
    clone = CharRNN.from_config(config)
    net = clone.network
    assert (net.cell, net.num_layers, net.dropout, net.embedding_dim, net.units) == ("gru", 3, 0.25, 5, 16)
    assert clone.vocabulary == VOCAB and clone.get_config()["vocabulary"] == VOCAB
    assert not clone.prior and model.export_endpoints()[0].name == "step"


def test_dropout_is_on_only_while_training_and_drawn_from_the_given_generator():
    net = CharRNNNetwork(20, "lstm", units=8, num_layers=2, embedding_dim=4, dropout=0.5)
    ids = np.random.default_rng(0).integers(0, 20, (2, 5))
    np.testing.assert_array_equal(net(ids)[0], net(ids)[0])
    a = net(ids, training=True, seed_generator=keras.random.SeedGenerator(7))[0]
    b = net(ids, training=True, seed_generator=keras.random.SeedGenerator(7))[0]
    c = net(ids, training=True, seed_generator=keras.random.SeedGenerator(8))[0]
    np.testing.assert_array_equal(a, b)
    assert np.abs(np.asarray(a) - np.asarray(c)).max() > 1e-4 and np.abs(np.asarray(a) - net(ids)[0]).max() > 1e-4


def test_mixed_bfloat16_trains_with_float32_logits_and_metrics():
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = _model()
        history = model.fit(window_dataset(np.random.default_rng(0).integers(0, 20, (8, 9)), 4), epochs=1,
                            verbose=0)
        logits, state = model.network.step(np.asarray([1, 2]), model.network.zero_state(2))
        assert logits.dtype == "float32" and state.dtype == "float32"
        assert np.isfinite(history.history["bits_per_char"]).all()
        assert len(model.sample("ab", 10, seed=0)) == 12
    finally:
        keras.mixed_precision.set_global_policy(previous)


def test_text_samples_callback_writes_files_and_tensorboard_text(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = _model()
    cb = TextSamples(tmp_path / "samples", prompt="abc", length=25, seed=0,
                     tensorboard_dir=str(tmp_path / "logs"))
    model.fit(window_dataset(np.random.default_rng(0).integers(0, 20, (8, 9)), 4), epochs=2, verbose=0,
              callbacks=[cb])
    files = sorted((tmp_path / "samples").glob("*.txt"))
    assert [f.name for f in files] == ["epoch_0001.txt", "epoch_0002.txt"]
    text = files[-1].read_text(encoding="utf-8")
    assert text == model.sample("abc", 25, 0.8, seed=0) and len(text) == 28
    events = EventAccumulator(str(tmp_path / "logs" / "samples"), size_guidance={"tensors": 0})
    events.Reload()
    assert "samples/text" in events.Tags()["tensors"]
    logged = events.Tensors("samples/text")
    assert [e.step for e in logged] == [1, 2]
    assert tf.make_ndarray(logged[-1].tensor_proto).item().decode("utf-8").strip().startswith("abc")


def test_stream_batches_reset_every_track_periodically_and_staggered():
    windows, reset = stream_batches(np.arange(4 * 60 + 1), 4, 5, reset_every=3)
    assert reset.shape == (12, 4) and (reset[0] == 1).all()
    for b in range(4):
        assert [k for k in range(1, 12) if reset[k, b]] == [k for k in range(1, 12) if (k + b) % 3 == 0]
    assert len({tuple(np.nonzero(reset[1:, b])[0]) for b in range(3)}) == 3  # staggered, not all at once
    # Consecutive chunks of a row continue the same track: chunk k ends where chunk k + 1 starts.
    np.testing.assert_array_equal(windows[1:, :, 0], windows[:-1, :, -1])
    _, default = stream_batches(np.arange(4 * 60 + 1), 4, 5)
    assert default[1:].sum() == 0
