"""Generates a tiny stand-in for a user's TorchScript VAE decoder (docs/evaluation.md), and fixtures.

The stand-in has the decoder interface igspark expects, not a VAE's weights: forward(z) takes
float32 latents (N, 4, 8, 8), already un-normalised (the dataset's normalisation undone), and
returns float32 images (N, 3, 32, 32) in [-1, 1] (a tanh keeps them there; a real VAE overshoots a
little and the uint8 conversion clamps). Outputs written to ../resources/fixtures/decoder-standin/:

  decoder.pt          the contract-conforming module (torch.jit.script, torch 1.13)
  one_channel.pt      returns (N, 1, 32, 32): violates the contract (not RGB)
  pixels_0_255.pt     returns values in [0, 255]: violates the contract (not [-1, 1])
  expected.npz        z: 3 latents (3,4,8,8) float32; x: their decoded images (torch eager);
                      floor: uint8 of clamp(255*(x+1)/2, 0, 255) truncated (REPA/IG);
                      round: uint8 of clamp(127.5*x+128, 0, 255) truncated (SiT/ADM)

Run: /usr/bin/python3 gen_decoder_standin.py
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "../resources/fixtures/decoder-standin")


class DecoderStandIn(nn.Module):
    def __init__(self, out_channels: int = 3, scale: float = 1.0, offset: float = 0.0):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, out_channels, 3, padding=1)
        self.scale = scale
        self.offset = offset

    def forward(self, z: torch.Tensor):
        h = F.interpolate(z, scale_factor=4.0, mode="nearest")  # 8x8 -> 32x32, as a VAE's x8
        h = F.silu(self.conv1(h))
        return torch.tanh(self.conv2(h)) * self.scale + self.offset


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    model = DecoderStandIn().eval()
    torch.jit.save(torch.jit.script(model), os.path.join(OUT, "decoder.pt"))
    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(DecoderStandIn(out_channels=1).eval()),
                   os.path.join(OUT, "one_channel.pt"))
    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(DecoderStandIn(scale=127.5, offset=127.5).eval()),
                   os.path.join(OUT, "pixels_0_255.pt"))

    z = torch.randn(3, 4, 8, 8, generator=torch.Generator().manual_seed(7)) * 3.0
    with torch.no_grad():
        x = model(z)
    floor = torch.clamp(255 * (x + 1) / 2, 0, 255).to(torch.uint8)
    rnd = torch.clamp(127.5 * x + 128.0, 0, 255).to(torch.uint8)
    np.savez(os.path.join(OUT, "expected.npz"), z=z.numpy(), x=x.numpy(),
             floor=floor.numpy(), round=rnd.numpy())
    print("x range", float(x.min()), float(x.max()),
          "floor!=round", int((floor != rnd).sum()))


if __name__ == "__main__":
    main()
