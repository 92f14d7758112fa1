#!/usr/bin/env python3
"""The PyTorch peer: the same presets, the same training step, on the CPU.

It reproduces @gan/mnist's recipes in plain PyTorch so that both can be timed and judged in
one run. Same architectures (sizes, activations, BatchNorm placement, PyTorch default init),
same loss (BCE on logits: one D step on a real and a fake batch, one non-saturating G step on
the same noise, then g_steps - 1 more G steps on fresh noise), same Adam settings, same batches
(the last incomplete one dropped). --faithful: the original recipe as written (standard without
BatchNorm in G and with one G step; dcgan with one G step), as `cli.ts train --faithful`.

Needs Debian's python3-torch and libopenblas0 (`deno task peer:install`).

  python3 tools/peer/gan_mnist_torch.py train --preset lite --epochs 10 --seed 1 \
      --data DIR --samples out.idx --n 10000
  python3 tools/peer/gan_mnist_torch.py time --preset standard --steps 200 --threads 1
  python3 tools/peer/gan_mnist_torch.py convs --threads 1

`convs` times single convolutions (forward, input gradient, filter gradient), by default
the dcgan preset's, or those `--shapes` gives as JSON (what `cli.ts bench --convs` passes).
"""

import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

PRESETS = {
    "standard": dict(latent=100, g_hidden=[256, 256], g_act="relu", g_alpha=0.2, g_bn=True,
                     d_hidden=[256, 256], d_act="leaky_relu", d_alpha=0.2,
                     epochs=50, batch=64, lr=2e-4, limit=None, g_steps=2),
    "lite": dict(latent=64, g_hidden=[128, 256, 512], g_act="relu", g_alpha=0.2, g_bn=True,
                 d_hidden=[512, 256], d_act="leaky_relu", d_alpha=0.2,
                 epochs=20, batch=64, lr=1e-3, limit=10000, g_steps=1),
    "tutorial": dict(latent=32, g_hidden=[128], g_act="leaky_relu", g_alpha=0.01, g_bn=False,
                     d_hidden=[64], d_act="leaky_relu", d_alpha=0.01,
                     epochs=25, batch=32, lr=1e-3, limit=None, g_steps=1),
    # Convolutional: g_hidden are the generator's feature-map channels (7x7 first), d_hidden the
    # discriminator's convolution channels; 4x4 filters, stride 2, padding 1; N(0, 0.02) weights.
    "dcgan": dict(latent=100, g_hidden=[128, 64], d_hidden=[64, 128], d_alpha=0.2, conv=True,
                  epochs=5, batch=64, lr=2e-4, g_lr=8e-4, limit=None, g_steps=2),
}

# --faithful: standard, lite and tutorial as their projects wrote them, dcgan as the DCGAN paper
# trains it (ORIGINAL_PRESETS). Our lite and tutorial defaults also average G (not timed here).
SEED = {"standard": dict(g_bn=False, g_steps=1), "lite": dict(lr=2e-4), "tutorial": dict(lr=2e-4),
        "dcgan": dict(g_steps=1, g_lr=2e-4)}


class DcganGenerator(nn.Module):
    def __init__(self, p, side=28):
        super().__init__()
        maps = p["g_hidden"]
        self.first = (maps[0], side // 2 ** len(maps))
        h0 = self.first[1]
        self.dense = nn.Linear(p["latent"], h0 * h0 * maps[0], bias=False)  # (B, z) -> (B, h0*h0*c0)
        layers = []
        for i, c in enumerate(maps):
            last = i == len(maps) - 1
            out = 1 if last else maps[i + 1]
            layers += [nn.BatchNorm2d(c), nn.ReLU(),                  # (B, c, h, h)
                       nn.ConvTranspose2d(c, out, 4, 2, 1, bias=last)]  # -> (B, out, 2h, 2h)
        layers.append(nn.Tanh())
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        c0, h0 = self.first
        # tf.js's Dense + Reshape gives NHWC: (B, h0, h0, c0); PyTorch's conv layers want NCHW.
        x = self.dense(z).view(-1, h0, h0, c0).permute(0, 3, 1, 2)
        return self.body(x).reshape(z.shape[0], -1)               # (B, 784) as the MLPs


class DcganDiscriminator(nn.Module):
    def __init__(self, p, side=28):
        super().__init__()
        layers, c_in = [], 1
        for i, c in enumerate(p["d_hidden"]):
            layers.append(nn.Conv2d(c_in, c, 4, 2, 1, bias=i == 0))  # (B, c_in, h, h) -> (B, c, h/2, h/2)
            if i > 0:
                layers.append(nn.BatchNorm2d(c))
            layers.append(nn.LeakyReLU(p["d_alpha"]))
            c_in, side = c, (side + 1) // 2
        self.body = nn.Sequential(*layers)
        self.logit = nn.Linear(c_in * side * side, 1)                 # (B, c*h*h) -> (B, 1)

    def forward(self, x):
        return self.logit(self.body(x.view(-1, 1, 28, 28)).flatten(1))


def dcgan_init(module):
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


def activation(name, alpha):
    return nn.LeakyReLU(alpha) if name == "leaky_relu" else nn.ReLU()


def generator(p, size=784):
    layers, fan_in = [], p["latent"]
    for units in p["g_hidden"]:
        layers.append(nn.Linear(fan_in, units))              # (B, fan_in) -> (B, units)
        if p["g_bn"]:
            layers.append(nn.BatchNorm1d(units))             # (B, units)
        layers.append(activation(p["g_act"], p["g_alpha"]))  # (B, units)
        fan_in = units
    layers += [nn.Linear(fan_in, size), nn.Tanh()]           # (B, fan_in) -> (B, 784)
    return nn.Sequential(*layers)


def discriminator(p, size=784):
    layers, fan_in = [], size
    for units in p["d_hidden"]:
        layers += [nn.Linear(fan_in, units), activation(p["d_act"], p["d_alpha"])]
        fan_in = units
    layers.append(nn.Linear(fan_in, 1))                      # (B, fan_in) -> (B, 1) logits
    return nn.Sequential(*layers)


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x0800 + array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(array.tobytes())


def load(data_dir, limit):
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte"))
    if limit:
        images = images[:limit]
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 127.5 - 1.0)
    return x


class Trainer:
    def __init__(self, p, seed):
        torch.manual_seed(seed)
        self.p = p
        if p.get("conv"):
            self.G, self.D = dcgan_init(DcganGenerator(p)), dcgan_init(DcganDiscriminator(p))
        else:
            self.G, self.D = generator(p), discriminator(p)
        # g_lr: G's own learning rate where the preset gives one (dcgan's two-timescale rule)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=p.get("g_lr", p["lr"]),
                                      betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=p["lr"], betas=(0.5, 0.999))
        self.bce = nn.BCEWithLogitsLoss()

    def step(self, real):
        b = real.shape[0]
        ones, zeros = torch.ones(b, 1), torch.zeros(b, 1)
        z = torch.randn(b, self.p["latent"])
        fake = self.G(z)
        self.opt_d.zero_grad(set_to_none=True)
        real_logits, fake_logits = self.D(real), self.D(fake.detach())
        loss_d = self.bce(real_logits, ones) + self.bce(fake_logits, zeros)
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g = self.bce(self.D(fake), ones)
        loss_g.backward()
        self.opt_g.step()
        for _ in range(self.p["g_steps"] - 1):
            self.opt_g.zero_grad(set_to_none=True)
            self.bce(self.D(self.G(torch.randn(b, self.p["latent"]))), ones).backward()
            self.opt_g.step()
        return loss_d.item(), loss_g.item()


def preset(args):
    p = dict(PRESETS[args.preset])
    if args.faithful:
        p.update(SEED.get(args.preset, {}))
    return p


def train(args):
    p = preset(args)
    if args.epochs:
        p["epochs"] = args.epochs
    x = load(args.data, p["limit"])
    t = Trainer(p, args.seed)
    steps = len(x) // p["batch"]
    start = time.time()
    for epoch in range(1, p["epochs"] + 1):
        order = torch.randperm(len(x))
        sums = [0.0, 0.0]
        for s in range(steps):
            ld, lg = t.step(x[order[s * p["batch"]:(s + 1) * p["batch"]]])
            sums[0] += ld
            sums[1] += lg
        print(f"[{epoch}/{p['epochs']}] loss_d {sums[0] / steps:.3f} loss_g {sums[1] / steps:.3f} "
              f"{time.time() - start:.1f}s", flush=True)
    if args.samples:
        t.G.eval()
        with torch.no_grad():
            g = torch.Generator().manual_seed(args.seed + 1)
            images = t.G(torch.randn(args.n, p["latent"], generator=g))
        pixels = ((images + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
        write_idx(args.samples, pixels.reshape(args.n, 28, 28))
        print(f"wrote {args.n} samples to {args.samples}")


def time_steps(args):
    torch.set_num_threads(args.threads)
    p = preset(args)
    if args.batch_size:
        p["batch"] = args.batch_size
    t = Trainer(p, args.seed)
    real = torch.rand(p["batch"], 784) * 2 - 1
    for _ in range(args.warmup):
        t.step(real)
    start = time.perf_counter()
    for _ in range(args.steps):
        t.step(real)
    ms = 1000 * (time.perf_counter() - start) / args.steps
    print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "threads": args.threads,
                      "preset": args.preset, "batch": p["batch"], "ms_per_step": round(ms, 3)}))


def preset_convs(p, side=28, channels=1):
    """A preset's discriminator convolutions, NHWC as ours (its G's transposed ones are these)."""
    shapes, c_in = [], channels
    for c in p["d_hidden"]:
        out = (side + 1) // 2
        shapes.append(dict(name=f"{side}x{side}x{c_in} -> {out}x{out}x{c}",
                           x=[p["batch"], side, side, c_in], filter=[4, 4, c_in, c],
                           stride=[2, 2], padding=[1, 1], y=[p["batch"], out, out, c]))
        side, c_in = out, c
    return shapes


def time_call(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    for _ in range(runs):
        fn()
    return 1000 * (time.perf_counter() - start) / runs


def time_conv(shape, runs, warmup):
    """One convolution's three passes, as a training step's autograd runs them (NCHW)."""
    b, h, w, c = shape["x"]
    fh, fw, _, o = shape["filter"]
    x = torch.randn(b, c, h, w, requires_grad=True)       # (B, C, H, W)
    weight = torch.randn(o, c, fh, fw, requires_grad=True)  # (O, C, fh, fw)
    conv = dict(stride=tuple(shape["stride"]), padding=tuple(shape["padding"]))
    y = F.conv2d(x, weight, **conv)                        # (B, O, H', W')
    got = [y.shape[0], y.shape[2], y.shape[3], y.shape[1]]
    if "y" in shape and got != list(shape["y"]):
        raise ValueError(f"{shape['name']}: PyTorch's output is {got} (NHWC), ours {shape['y']}")
    dy = torch.randn_like(y)

    def forward():
        with torch.no_grad():
            F.conv2d(x, weight, **conv)

    # autograd computes only the gradient asked for (convolution_backward's output mask)
    def input_gradient():
        torch.autograd.grad(y, x, dy, retain_graph=True)

    def filter_gradient():
        torch.autograd.grad(y, weight, dy, retain_graph=True)

    return dict(name=shape["name"], y=got,
                forward_ms=round(time_call(forward, runs, warmup), 4),
                input_gradient_ms=round(time_call(input_gradient, runs, warmup), 4),
                filter_gradient_ms=round(time_call(filter_gradient, runs, warmup), 4))


def time_convs(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    shapes = json.loads(args.shapes) if args.shapes else preset_convs(PRESETS[args.preset])
    convs = [time_conv(shape, args.runs, args.warmup) for shape in shapes]
    if args.json:
        print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "threads": args.threads,
                          "runs": args.runs, "convs": convs}))
        return
    print(f"PyTorch {torch.__version__}, {args.threads} thread(s), ms per pass:")
    for conv in convs:
        print(f"  {conv['name']:28} forward {conv['forward_ms']:8.2f}  input gradient "
              f"{conv['input_gradient_ms']:8.2f}  filter gradient {conv['filter_gradient_ms']:8.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train")
    tr.add_argument("--preset", choices=PRESETS, default="lite")
    tr.add_argument("--faithful", action="store_true")
    tr.add_argument("--epochs", type=int)
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--data", required=True)
    tr.add_argument("--samples")
    tr.add_argument("--n", type=int, default=10000)
    tr.add_argument("--threads", type=int, default=1)
    tm = sub.add_parser("time")
    tm.add_argument("--preset", choices=PRESETS, default="standard")
    tm.add_argument("--faithful", action="store_true")
    tm.add_argument("--steps", type=int, default=200)
    tm.add_argument("--warmup", type=int, default=10)
    tm.add_argument("--batch-size", type=int)
    tm.add_argument("--threads", type=int, default=1)
    tm.add_argument("--seed", type=int, default=0)
    cv = sub.add_parser("convs")
    cv.add_argument("--preset", choices=[n for n in PRESETS if PRESETS[n].get("conv")],
                    default="dcgan")
    cv.add_argument("--shapes", help='JSON: [{"name", "x": NHWC, "filter": [fh, fw, in, out], '
                    '"stride": [sh, sw], "padding": [ph, pw], "y": NHWC (checked)}, ...]')
    cv.add_argument("--runs", type=int, default=10)
    cv.add_argument("--warmup", type=int, default=2)
    cv.add_argument("--threads", type=int, default=1)
    cv.add_argument("--seed", type=int, default=0)
    cv.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.command == "train":
        torch.set_num_threads(args.threads)
        train(args)
    elif args.command == "convs":
        time_convs(args)
    else:
        time_steps(args)


if __name__ == "__main__":
    sys.exit(main())
