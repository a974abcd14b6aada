"""A tiny but real TorchScript "VAE encoder" and the latents torch computes with it.

The encoder maps pixels in [-1, 1] (N, 3, H, W) float32 to latents (N, 4, H/8, W/8): a fixed 8x8
average pool followed by a fixed 1x1 convolution. It is traced and saved with torch.jit.save, so
the Java side loads it exactly like a user's exported VAE. Expected latents for the PNG images of
the image-folder fixture (ADM crop to 64 with PIL, then this encoder; flips are of the crop, as
LightningDiT's transform flips after cropping) let the Spark ingestion test check its numbers.

Run after gen_images.py with Debian's python: /usr/bin/python3 gen_tiny_vae.py
(writes ../resources/fixtures/tiny_vae/)
"""
import os
import shutil

import numpy as np
import PIL.Image
import torch

from gen_images import adm_center_crop  # noqa: E402  (re-running it rewrites the same files)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "resources", "fixtures")
OUT = os.path.join(FIXTURES, "tiny_vae")
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)


class TinyEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = torch.nn.AvgPool2d(8)
        self.mix = torch.nn.Conv2d(3, 4, kernel_size=1)
        with torch.no_grad():
            self.mix.weight.copy_(torch.tensor(
                [[0.5, 0.25, 0.25], [1.0, -1.0, 0.0], [0.0, 1.0, -1.0], [0.3, 0.3, 0.3]]
            ).reshape(4, 3, 1, 1))
            self.mix.bias.copy_(torch.tensor([0.0, 0.1, -0.1, 0.05]))

    def forward(self, x):
        return self.mix(self.pool(x))


encoder = TinyEncoder().eval()
traced = torch.jit.trace(encoder, torch.zeros(1, 3, 64, 64))
torch.jit.save(traced, os.path.join(OUT, "tiny_vae.pt"))

folder = os.path.join(FIXTURES, "imagefolder")
names, latents, flips = [], [], []
for cls in sorted(os.listdir(folder)):
    for fname in sorted(os.listdir(os.path.join(folder, cls))):
        if not fname.endswith(".png"):
            continue
        img = PIL.Image.open(os.path.join(folder, cls, fname)).convert("RGB")
        crop = adm_center_crop(img, 64)
        x = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1)[None].float() / 127.5 - 1
        with torch.no_grad():
            latents.append(traced(x)[0].numpy())
            flips.append(traced(torch.flip(x, dims=[3]))[0].numpy())
        names.append(cls + "/" + fname)
np.save(os.path.join(OUT, "png_latents.npy"), np.stack(latents).astype(np.float32))
np.save(os.path.join(OUT, "png_latents_flip.npy"), np.stack(flips).astype(np.float32))
with open(os.path.join(OUT, "png_names.txt"), "w") as f:
    f.write("\n".join(names) + "\n")
print("wrote", OUT, names)
