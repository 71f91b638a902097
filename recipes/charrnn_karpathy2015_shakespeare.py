"""char-rnn (Karpathy 2015) on tiny Shakespeare: a character-level LSTM language model.

http://karpathy.github.io/2015/05/21/rnn-effectiveness/ (code: karpathy/char-rnn);
Graves (2013), https://arxiv.org/abs/1308.0850; lecture 000, "Deep Recurrent
Neural Networks".

Setup, as char-rnn's defaults and kgen build it:
- a 2-layer LSTM of 128 units (`--cell gru` for a GRU), characters embedded
  in 64 dimensions (char-rnn feeds one-hot vectors: the same thing with a
  learned first matrix), a softmax over the vocabulary (65 characters here);
- stateful truncated back-propagation through time: batches of 50 contiguous
  tracks, 50 characters per chunk, the state carried from chunk to chunk;
  `--mode windows` trains on shuffled independent windows instead;
- learning rate 2e-3 decayed by 0.97 per epoch after epoch 10, 50 epochs,
  no dropout (char-rnn used RMSprop and clipped gradients at 5; kgen uses
  Adam, whose normalized steps need no clipping here);
- the first 90 % of the text trains, the last 10 % validates (nats and bits
  per character); a sample from "ROMEO:" is written every epoch
  (`RUN/samples/epoch_XXXX.txt` and TensorBoard's text tab).

Usage:
    python recipes/charrnn_karpathy2015_shakespeare.py                  # ../shared/data/tinyshakespeare.txt
    python recipes/charrnn_karpathy2015_shakespeare.py --units 512 --num-layers 1 --epochs 8
    python recipes/charrnn_karpathy2015_shakespeare.py --data notes.txt --cell gru
    python recipes/charrnn_karpathy2015_shakespeare.py --smoke
    kgen sample RUN_DIR --prompt "ROMEO:" --length 500 --temperature 0.8 --seed 0
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHAKESPEARE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tinyshakespeare.txt"


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(SHAKESPEARE), help="a UTF-8 text file (or text:FILE)")
    p.add_argument("--cell", default="lstm", choices=("lstm", "gru"))
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--num-layers", type=int, default=2)
    p.add_argument("--embedding-dim", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--seq-length", type=int, default=50, help="BPTT length T")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--decay", type=float, default=0.97, help="learning-rate factor per epoch after --decay-after")
    p.add_argument("--decay-after", type=int, default=10)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--mode", default="stateful", choices=("stateful", "windows"))
    p.add_argument("--prompt", default="ROMEO:", help="prompt of the per-epoch samples")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--export", action="store_true", help="export the step bundle into RUN_DIR/export")
    p.add_argument("--run-dir", default="runs/charrnn_karpathy2015")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="tiny model, 1 epoch of 2 steps (seconds)")
    return p.parse_args(argv)


def datasets(args, source):
    """Training batches (stateful streams or windows), validation windows, and the text stream."""
    from kgen.data import load_sequences
    from kgen.models.language import load_text_stream, stream_dataset, window_dataset

    stream = load_text_stream(source)
    t = args.seq_length
    if args.mode == "stateful":
        train = stream_dataset(stream.train, args.batch_size, t)
    else:
        train = window_dataset(load_sequences(source, length=t + 1, stride=t).x, args.batch_size, seed=args.seed)
    val = window_dataset(load_sequences(source, length=t + 1, stride=t).x_val, args.batch_size, shuffle=False,
                         drop_remainder=False)
    return train, val, stream


def main(argv=None):
    args = parse(argv)
    if args.smoke:
        args.units, args.num_layers, args.embedding_dim, args.seq_length, args.batch_size = 16, 2, 8, 16, 8
        args.epochs = 1
    import keras

    import kgen
    from kgen.callbacks import TextSamples

    keras.utils.set_random_seed(args.seed)
    source = args.data if str(args.data).startswith("text:") else f"text:{args.data}"
    train, val, stream = datasets(args, source)
    model = kgen.zoo.build("char_rnn", (args.seq_length + 1,), vocabulary=stream.vocabulary, cell=args.cell,
                           units=args.units, num_layers=args.num_layers, embedding_dim=args.embedding_dim,
                           dropout=args.dropout, stateful=args.mode == "stateful", batch_size=args.batch_size,
                           learning_rate=args.lr, seed=args.seed)
    run_dir = Path(args.run_dir)
    kgen.runs.write_config(run_dir, {
        "model": "char_rnn", "data": source, "data_kind": "text", "input_shape": [args.seq_length + 1],
        "vocabulary": stream.vocabulary, "recipe": Path(__file__).name,
        **{k: v for k, v in vars(args).items() if k not in ("data", "run_dir")}})
    schedule = keras.callbacks.LearningRateScheduler(
        lambda epoch: args.lr * args.decay ** max(0, epoch - args.decay_after))
    callbacks = kgen.runs.callbacks_for(run_dir, samples=0, tensorboard=not args.smoke, backup=not args.smoke)
    callbacks += [schedule, TextSamples(run_dir / "samples", prompt=args.prompt, length=120 if args.smoke else 500,
                                        temperature=args.temperature, seed=args.seed,
                                        tensorboard_dir=None if args.smoke else str(run_dir / "logs"))]
    history = kgen.train(model, train, epochs=args.epochs, callbacks=callbacks,
                         steps_per_epoch=2 if args.smoke else None, verbose=0 if args.smoke else 2,
                         validation_data=val.take(2) if args.smoke else val)
    model.save(run_dir / kgen.runs.MODEL)
    val_ids = stream.validation[:4000] if args.smoke else stream.validation
    figures = model.evaluate_text(val_ids, batch_size=4 if args.smoke else 16, length=50 if args.smoke else 200)
    kgen.runs.write_config(run_dir, {"validation": figures,
                                     "final_logs": {k: v[-1] for k, v in history.history.items() if v}})
    print(f"validation: {figures['nats_per_char']:.4f} nats/char, {figures['bits_per_char']:.4f} bits/char "
          f"(state carried through the text; {figures['characters']:,} characters)")
    sample = model.sample(args.prompt, 120 if args.smoke else 500, args.temperature, seed=args.seed)
    (run_dir / "sample.txt").write_text(sample, encoding="utf-8")
    print(f"sample: {run_dir / 'sample.txt'}\n{sample}")
    if args.export:
        from kgen.models.language.export import export_char_rnn

        report = export_char_rnn(model, run_dir / "export", val_ids, prompt=args.prompt,
                                 quantize=("float32", "int8") if args.smoke else ("float32", "float16", "dynamic",
                                                                                  "int8"))
        print(f"export: {run_dir / 'export'} (" + ", ".join(
            f"{v}: agreement {report['text'][v]['agreement']:.4f}" for v in report["variants"]) + ")")
    print(f"model: {run_dir / kgen.runs.MODEL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
