"""`kgen train`: train a registered model on a data source into a run directory."""

HELP = "train a model (default: DCGAN on the embedded digits) into a run directory"


def add_arguments(p):
    p.add_argument("--model", default="dcgan", help="registered model name (see --list-models)")
    p.add_argument("--data", default="digits",
                   help="digits | ring8 | grid25 | tfds:NAME[:SPLIT] | FILE.npz | IMAGE_FOLDER")
    p.add_argument("--image-size", type=int, default=None, help="resize images to this power of two")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps-per-epoch", type=int, default=None)
    p.add_argument("--latent-dim", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--strategy", default="auto",
                   help="auto | default | cpu | gpu | mirrored | multiworker | tpu")
    p.add_argument("--jit", action="store_true", help="compile the train step with XLA")
    p.add_argument("--tiny", action="store_true", help="a very small network (smoke tests)")
    p.add_argument("--run-dir", default=None, help="output directory (default runs/MODEL-DATA)")
    p.add_argument("--export", action="store_true",
                   help="after training, export SavedModel + TFLite variants into RUN_DIR/export")
    p.add_argument("--quantize", default="float32,dynamic,float16,int8",
                   help="TFLite variants for --export")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --run-dir, allowing a different --epochs")
    p.add_argument("--overwrite", action="store_true",
                   help="delete what kgen wrote in --run-dir and start over")
    p.add_argument("--checkpoint-every", type=int, default=None,
                   help="also checkpoint every N steps (long epochs); always at each epoch end")
    p.add_argument("--no-nan-guard", action="store_true",
                   help="train on through NaN/inf losses or weights (default: stop, keep the last good checkpoint)")
    p.add_argument("--list-models", action="store_true", help="print the registered models and exit")
    p.add_argument("--verbose", type=int, default=1)


def run(args):
    from kgen import runs, zoo

    if args.list_models:
        for name in zoo.names():
            b = zoo.get(name)
            print(f"{name:24s} data={b.data} labels={b.labels} scale={b.scale}")
        return 0
    zoo.get(args.model)
    run_dir = runs.default_run_dir(args.model, args.data) if args.run_dir is None else args.run_dir
    with runs.RunLock(run_dir) as lock:  # a second `kgen train` here fails before any work
        return _run(args, run_dir, lock)


def _run(args, run_dir, lock):
    import shlex
    import sys
    import time

    import keras

    from kgen import data as kdata
    from kgen import distribute, runs, zoo
    from kgen.errors import TrainingInterrupted
    from kgen.training import train

    builder = zoo.get(args.model)
    keras.utils.set_random_seed(args.seed)
    arrays = kdata.load_arrays(args.data, image_size=args.image_size, scale=builder.scale,
                               labels=True if builder.labels else None)
    dataset = kdata.to_dataset(arrays.x, arrays.y if builder.labels else None,
                               batch_size=args.batch_size, shuffle=True, seed=args.seed)
    input_shape = tuple(arrays.x.shape[1:])
    kwargs = {"tiny": args.tiny, "seed": args.seed}
    if args.latent_dim:
        kwargs["latent_dim"] = args.latent_dim
    if builder.labels:
        kwargs["num_classes"] = arrays.num_classes
    if args.jit:
        kwargs["jit_compile"] = True
    strategy = distribute.get_strategy(args.strategy)
    with strategy.scope():
        model = zoo.build(args.model, input_shape, **kwargs)
    config = {
        "model": args.model, "data": args.data, "input_shape": list(input_shape),
        "num_classes": arrays.num_classes if builder.labels else None,
        "class_names": arrays.class_names if builder.labels else None,
        "scale": builder.scale, "value_range": arrays.info.get("value_range"),
        "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
        "latent_dim": getattr(model, "latent_dim", None), "strategy": type(strategy).__name__,
        "replicas": strategy.num_replicas_in_sync, "jit_compile": bool(args.jit),
        "tiny": bool(args.tiny), "image_size": args.image_size, "steps_per_epoch": args.steps_per_epoch,
    }
    opened = runs.open_run(run_dir, config, resume=args.resume, overwrite=args.overwrite, lock=lock)
    for note in opened.notes:
        print(f"kgen: note: {note}", file=sys.stderr)
    print(f"kgen: {opened.message}")
    if opened.action == "done":
        return 0
    value_range = tuple(arrays.info.get("value_range") or (-1.0, 1.0))
    callbacks = runs.callbacks_for(run_dir, samples=64 if builder.data == "images" else 0,
                                   value_range=value_range)
    print(f"kgen: training {args.model} on {args.data} {input_shape} for {args.epochs} epochs "
          f"({type(strategy).__name__}, {strategy.num_replicas_in_sync} replica(s)) -> {run_dir}")
    start = time.time()
    try:
        history = train(model, dataset, epochs=args.epochs, callbacks=callbacks,
                        steps_per_epoch=args.steps_per_epoch, verbose=args.verbose,
                        checkpoint_every=args.checkpoint_every, guard=not args.no_nan_guard)
    except TrainingInterrupted as stop:
        command = " ".join(shlex.quote(a) for a in ["kgen", *sys.argv[1:]])
        print(f"kgen: {stop}: {command}", file=sys.stderr)
        return stop.exit_code
    runs.save_model(model, run_dir)
    runs.write_config(run_dir, {"train_seconds": round(time.time() - start, 1),
                                "final_logs": {k: v[-1] for k, v in history.history.items() if v}})
    print(f"\nkgen: run directory  {run_dir}")
    print(f"  model        {runs.Path(run_dir) / runs.MODEL}")
    print(f"  samples      {runs.Path(run_dir) / 'samples'}")
    print(f"  history      {runs.Path(run_dir) / 'history.json'}")
    print(f"  tensorboard  tensorboard --logdir {runs.Path(run_dir) / 'logs'}")
    if args.export:
        from kgen import cli

        return cli.main(["export", str(run_dir), "--quantize", args.quantize])
    return 0


