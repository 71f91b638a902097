"""`kgen translate`: run an image-to-image run (pix2pix, CycleGAN, SRResNet/SRGAN) on image files."""

from pathlib import Path

from kgen.commands._args import positive_int, run_dir_of
from kgen.errors import UserError

HELP = "translate image files with a trained image-to-image run (pix2pix, cyclegan, srresnet, srgan)"


def add_arguments(p):
    p.add_argument("run_dir", help="run directory written by `kgen train` (an image-to-image model)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders of images")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for the translated PNGs and grid.png (default: RUN_DIR/translated)")
    p.add_argument("--direction", choices=("a2b", "b2a"), default=None,
                   help="CycleGAN: a2b (G, default) or b2a (F)")
    p.add_argument("--batch-size", type=positive_int, default=64, help="images per forward pass")


def _files(inputs):
    from kgen.data.images import IMAGE_EXTENSIONS, find_image_files

    files = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = find_image_files(path)
            if not found:
                raise UserError(f"no image files in folder '{path}' (extensions {sorted(IMAGE_EXTENSIONS)}).")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise UserError(f"input not found: '{path}'; pass image files or folders.")
    return files


def read_inputs(files, shape):
    """Decode image files into `(N, H, W, C)` in [-1, 1] at the model's input `shape` (resized, channels converted)."""
    import numpy as np

    from kgen.data.images import decode_image_file
    from kgen.data.transforms import convert_channels, resize_images

    images = []
    for f in files:
        try:
            x = decode_image_file(f)
        except Exception as err:  # PIL raises many types for unreadable files
            raise UserError(f"cannot read image '{f}': {err}") from err
        x = convert_channels(x[None], int(shape[-1]))
        images.append(resize_images(x, tuple(int(v) for v in shape[:2]))[0])
    return np.stack(images) * 2.0 - 1.0


def run(args):
    import numpy as np

    from kgen import runs
    from kgen.images import save_grid, to_uint8
    from kgen.models.translation.grids import translation_grid

    run_dir = run_dir_of(args.run_dir)
    model, config = runs.load_run(run_dir, compile=False)
    if not hasattr(model, "translate") or getattr(model, "condition", "image") != "image":
        raise UserError(f"kgen translate needs an image-to-image run (pix2pix, cyclegan, srresnet, srgan); "
                        f"'{run_dir}' holds {config.get('model', type(model).__name__)}: use `kgen sample`.")
    cycle = hasattr(model, "generator_ba")
    if args.direction and not cycle:
        raise UserError(f"--direction chooses CycleGAN's generator; '{run_dir}' holds {config.get('model')} "
                        "(one direction): drop --direction.")
    direction = args.direction or "a2b"
    endpoint = {e.name: e for e in model.export_endpoints()}["translate_b2a" if direction == "b2a" else "translate"]
    shape = endpoint.inputs[-1].shape
    files = _files(args.inputs)
    x = read_inputs(files, shape)
    kwargs = {"direction": direction} if cycle else {}
    outputs = np.concatenate([np.asarray(model.translate(x[i:i + args.batch_size], **kwargs))
                              for i in range(0, len(x), args.batch_size)])
    out = Path(args.out) if args.out else run_dir / "translated"
    out.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    for f, y in zip(files, outputs):
        pixels = to_uint8(y)
        Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(out / f"{f.stem}.png")
    save_grid(translation_grid(x, outputs), out / "grid.png", ncols=2, scale=2)
    print(f"kgen: translated {len(files)} image(s) ({direction if cycle else config.get('model')}) into {out} "
          "(grid.png: input | output)")
    return 0
