"""Image fixtures for the ADM center crop, JPEG decoding and image-folder ingestion tests.

PIL is the reference: the crops are made with the exact ADM / REPA `center_crop_imagenet` steps
(repeated 2x BOX reduction while the short side >= 2*size, BICUBIC resize of the short side to
size, center crop), and stored as .npy so the Java port is checked against PIL's numbers.

Run with Debian's python: /usr/bin/python3 gen_images.py
(writes ../resources/fixtures/adm_crop/ and ../resources/fixtures/imagefolder/)
"""
import io
import json
import os
import shutil

import numpy as np
import PIL.Image

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "resources", "fixtures")
rng = np.random.default_rng(20261127)


def adm_center_crop(pil_image, image_size):
    while min(*pil_image.size) >= 2 * image_size:
        pil_image = pil_image.resize(tuple(x // 2 for x in pil_image.size),
                                     resample=PIL.Image.BOX)
    scale = image_size / min(*pil_image.size)
    pil_image = pil_image.resize(tuple(round(x * scale) for x in pil_image.size),
                                 resample=PIL.Image.BICUBIC)
    arr = np.array(pil_image)
    crop_y = (arr.shape[0] - image_size) // 2
    crop_x = (arr.shape[1] - image_size) // 2
    return arr[crop_y:crop_y + image_size, crop_x:crop_x + image_size]


def textured(width, height, noise=24):
    """Smooth colour waves, hard edges and some noise: exercises every filter tap, stays small."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 127 + 100 * np.sin(x / 7.3) * np.cos(y / 11.1)
    g = 127 + 100 * np.sin((x + y) / 23.0)
    b = np.where(((x // 37) + (y // 29)) % 2 == 0, 230.0, 20.0)
    img = np.stack([r, g, b], axis=-1)
    img += rng.normal(0, noise, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def main():
    # --- ADM crop: sizes chosen for each branch of the algorithm ---------------------------------
    crop_dir = os.path.join(FIXTURES, "adm_crop")
    fresh(crop_dir)
    cases = {
        "upscale_200x150": (200, 150, 256),        # bicubic enlarges
        "odd_301x517": (301, 517, 256),            # bicubic shrinks, odd sizes, portrait
        "one_box_261x199": (261, 199, 64),         # one box reduction with an odd width
        "two_boxes_529x263": (529, 263, 64),       # two box reductions, then bicubic
        "three_boxes_777x389": (777, 389, 32),     # three box reductions with odd sizes
        "exact_128x175": (128, 175, 64),           # box to 64 exactly, bicubic is a no-op
        "small_target_97x61": (97, 61, 32),        # enlarges in one axis, shrinks in the other
    }
    for name, (w, h, size) in cases.items():
        arr = textured(w, h, noise=12)
        PIL.Image.fromarray(arr, "RGB").save(os.path.join(crop_dir, name + ".png"), optimize=True)
        crop = adm_center_crop(PIL.Image.fromarray(arr, "RGB"), size)
        assert crop.shape == (size, size, 3), crop.shape
        np.save(os.path.join(crop_dir, name + f".crop{size}.npy"), crop)
    with open(os.path.join(crop_dir, "cases.json"), "w") as f:
        json.dump({k: {"width": v[0], "height": v[1], "size": v[2]} for k, v in cases.items()}, f,
                  indent=1)

    # --- JPEG variants: what ImageIO must decode (PIL's decode kept for a tolerance check) --------
    jpeg_dir = os.path.join(FIXTURES, "jpeg")
    fresh(jpeg_dir)
    base = PIL.Image.fromarray(textured(120, 80, noise=4), "RGB")
    base.save(os.path.join(jpeg_dir, "baseline.jpg"), quality=92)
    base.save(os.path.join(jpeg_dir, "progressive.jpg"), quality=92, progressive=True)
    base.convert("L").save(os.path.join(jpeg_dir, "grey.jpg"), quality=92)
    base.convert("CMYK").save(os.path.join(jpeg_dir, "cmyk.jpg"), quality=92)
    for name in ["baseline", "progressive", "grey", "cmyk"]:
        decoded = PIL.Image.open(os.path.join(jpeg_dir, name + ".jpg"))
        np.save(os.path.join(jpeg_dir, name + ".pil_rgb.npy"), np.array(decoded.convert("RGB")))
        print(name, decoded.mode, decoded.size,
              "progressive" if decoded.info.get("progressive") else "")
    with open(os.path.join(jpeg_dir, "truncated.jpg"), "wb") as f:
        buf = io.BytesIO()
        base.save(buf, format="JPEG", quality=92)
        f.write(buf.getvalue()[:200])
    with open(os.path.join(jpeg_dir, "not_an_image.jpg"), "wb") as f:
        f.write(b"this is a text file with a .jpg name\n")

    # --- An ImageNet-style folder: class folders sorted by name give the label ids ---------------
    # Small images: the ingestion test crops them to 64x64 (d.png needs one box reduction).
    folder = os.path.join(FIXTURES, "imagefolder")
    fresh(folder)
    images = {
        "n01440764_tench": [("a.png", 90, 70), ("b.png", 65, 100), ("c.JPEG", 120, 90)],
        "n01443537_goldfish": [("d.png", 140, 133), ("e.jpg", 80, 90, "cmyk")],
        "n01484850_shark": [("f.png", 64, 64), ("broken.jpg", 0, 0, "broken")],
    }
    expected_labels = {}
    for label, cls in enumerate(sorted(images)):
        os.makedirs(os.path.join(folder, cls))
        for spec in images[cls]:
            fname, w, h = spec[:3]
            kind = spec[3] if len(spec) > 3 else None
            path = os.path.join(folder, cls, fname)
            if kind == "broken":
                with open(path, "wb") as f:
                    f.write(b"\xff\xd8\xff\xe0 not really a jpeg")
                continue
            img = PIL.Image.fromarray(textured(w, h, noise=6), "RGB")
            if kind == "cmyk":
                img = img.convert("CMYK")
            img.save(path, format="PNG" if fname.endswith(".png") else "JPEG", quality=90)
            expected_labels[cls + "/" + fname] = label
    with open(os.path.join(folder, "..", "imagefolder_expected.json"), "w") as f:
        json.dump({"labels": expected_labels, "classes": sorted(images)}, f, indent=1)
    print("wrote", crop_dir, jpeg_dir, folder)


if __name__ == "__main__":
    main()
