"""Fixtures in the exact upstream layouts of the two latent datasets igspark imports, plus small
Fashion-MNIST-style IDX files.

- LightningDiT (hustvl/LightningDiT extract_features.py + datasets/img_latent_dataset.py):
  <dir>/latents_rank00_shard000.safetensors ... with tensors `latents` [N,C,H,W] float32,
  `latents_flip` [N,C,H,W] float32, `labels` [N] int64 and metadata {total_size, dtype, device};
  <dir>/latents_stats.pt = torch.save({'mean': [1,C,1,1], 'std': [1,C,1,1]}) computed like
  upstream (mean/std over dims [0,2,3], keepdim). Real shapes are 32x16x16; 32x4x4 keeps it small.
  Shards are written by hand (no safetensors package here): u64 LE header length, JSON header
  padded with spaces to 8 bytes, raw little-endian data.
- REPA/EDM2 (sihyun-yu/REPA preprocessing/dataset_tools.py `encode`, dataset.py):
  <dir>/vae-sd/00000/img-mean-std-00000000.npy ... float32 [8,32,32] = cat(mean, std) on the
  channel axis (4 mean channels, then 4 std channels), and <dir>/vae-sd/dataset.json
  {"labels": [["00000/img-mean-std-00000000.npy", label], ...]}.
- IDX (Fashion-MNIST): magic 0x00000803 images [N,28,28] u8, 0x00000801 labels [N] u8, gzipped.

Run with Debian's python: /usr/bin/python3 gen_latent_imports.py
(writes ../resources/fixtures/{lightningdit,edm2,idx}/)
"""
import gzip
import json
import os
import shutil
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "resources", "fixtures")
rng = np.random.default_rng(5)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


SAFETENSORS_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64",
                      np.dtype(np.float16): "F16"}


def save_safetensors(path, tensors, metadata):
    header, offset, blobs = {}, 0, []
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# --- LightningDiT ----------------------------------------------------------------------------
C, H, W = 32, 4, 4
ldit = os.path.join(FIXTURES, "lightningdit", "imagenet_train_256")
fresh(ldit)
shard_sizes = [5, 3]
all_latents = []
for i, n in enumerate(shard_sizes):
    latents = (rng.normal(0, 1, (n, C, H, W)) * np.linspace(0.5, 3, C)[None, :, None, None]
               + np.linspace(-1, 1, C)[None, :, None, None]).astype(np.float32)
    latents_flip = latents[..., ::-1].copy() + rng.normal(0, 0.01, latents.shape).astype(np.float32)
    labels = rng.integers(0, 1000, n).astype(np.int64)
    save_safetensors(os.path.join(ldit, f"latents_rank00_shard{i:03d}.safetensors"),
                     {"latents": latents, "latents_flip": latents_flip, "labels": labels},
                     {"total_size": f"{n}", "dtype": "torch.float32", "device": "cuda:0"})
    all_latents.append(torch.from_numpy(latents))
stacked = torch.cat(all_latents, dim=0)
torch.save({"mean": stacked.mean(dim=[0, 2, 3], keepdim=True),
            "std": stacked.std(dim=[0, 2, 3], keepdim=True)},
           os.path.join(ldit, "latents_stats.pt"))

bad = os.path.join(FIXTURES, "lightningdit", "no_labels")
fresh(bad)
lat = rng.normal(0, 1, (2, C, H, W)).astype(np.float32)
save_safetensors(os.path.join(bad, "latents_rank00_shard000.safetensors"),
                 {"latents": lat, "latents_flip": lat[..., ::-1].copy()},
                 {"total_size": "2", "dtype": "torch.float32", "device": "cuda:0"})
shutil.copy(os.path.join(ldit, "latents_stats.pt"), os.path.join(bad, "latents_stats.pt"))

# --- REPA / EDM2 vae-sd ------------------------------------------------------------------------
edm2 = os.path.join(FIXTURES, "edm2", "vae-sd")
fresh(edm2)
labels = []
for idx in range(4):
    mean = rng.normal(0, 4, (4, 32, 32)).astype(np.float32)
    std = np.exp(rng.uniform(-4, -1, (4, 32, 32))).astype(np.float32)
    idx_str = f"{idx:08d}"
    fname = f"{idx_str[:5]}/img-mean-std-{idx_str}.npy"
    os.makedirs(os.path.join(edm2, os.path.dirname(fname)), exist_ok=True)
    np.save(os.path.join(edm2, fname), np.concatenate([mean, std], axis=0))
    labels.append([fname, int(rng.integers(0, 1000))])
with open(os.path.join(edm2, "dataset.json"), "w") as f:
    json.dump({"labels": labels}, f)

# --- IDX ---------------------------------------------------------------------------------------
idx_dir = os.path.join(FIXTURES, "idx")
fresh(idx_dir)
for split, n in [("train", 12), ("t10k", 7)]:
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    images[:, :3, :] = 0  # a black border like the real data, to see the padding value
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    with gzip.open(os.path.join(idx_dir, f"{split}-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
    with gzip.open(os.path.join(idx_dir, f"{split}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + labels.tobytes())
    np.save(os.path.join(idx_dir, f"{split}_images.npy"), images)
    np.save(os.path.join(idx_dir, f"{split}_labels.npy"), labels)
print("wrote", ldit, bad, edm2, idx_dir)
