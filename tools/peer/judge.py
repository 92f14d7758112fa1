#!/usr/bin/env python3
"""An independent judge of MNIST samples, in PyTorch, outside the library.

It trains a small CNN on the MNIST training set (2 epochs, about 98.7% test accuracy; cached in
the system's temp directory), then for each IDX file of samples (uint8, N x 28 x 28) prints:

- FID: the Frechet distance between the CNN's 128-d penultimate features of the samples and of
  the 10,000 MNIST test digits (scipy's sqrtm);
- the classes holding at least 5% and at least 1% of the samples, the mean top-class
  confidence, and the class histogram.

Used to compare our samples with the PyTorch peer's (tools/peer/gan_mnist_torch.py) on equal
terms. Needs Debian's python3-torch and python3-scipy.

  python3 tools/peer/judge.py --data MNIST_DIR ours.idx peer.idx
"""

import argparse
import os
import struct
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg
from torch import nn


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(dims)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)   # (B, 1, 28, 28) -> (B, 32, 28, 28)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)  # (B, 32, 14, 14) -> (B, 64, 14, 14)
        self.f1 = nn.Linear(64 * 7 * 7, 128)       # (B, 3136) -> (B, 128): the features
        self.f2 = nn.Linear(128, 10)               # (B, 128) -> (B, 10)

    def features(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return F.relu(self.f1(x.flatten(1)))

    def forward(self, x):
        return self.f2(self.features(x))


def as_input(images):
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def judge_network(data):
    torch.manual_seed(0)
    net = Net()
    cache = os.path.join(tempfile.gettempdir(), "gan-mnist-judge-v1.pt")
    if os.path.exists(cache):
        net.load_state_dict(torch.load(cache))
    else:
        x = as_input(read_idx(os.path.join(data, "train-images-idx3-ubyte")))
        y = torch.from_numpy(read_idx(os.path.join(data, "train-labels-idx1-ubyte")).astype(np.int64))
        optimizer = torch.optim.Adam(net.parameters(), 1e-3)
        for _ in range(2):
            order = torch.randperm(len(x))
            for i in range(0, len(x), 128):
                batch = order[i:i + 128]
                optimizer.zero_grad()
                F.cross_entropy(net(x[batch]), y[batch]).backward()
                optimizer.step()
        torch.save(net.state_dict(), cache)
    return net.eval()


def run(net, images):
    features, probabilities = [], []
    with torch.no_grad():
        for i in range(0, len(images), 1000):
            f = net.features(as_input(images[i:i + 1000]))
            features.append(f)
            probabilities.append(F.softmax(net.f2(f), 1))
    return torch.cat(features).double().numpy(), torch.cat(probabilities).numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="directory with the four MNIST IDX files")
    parser.add_argument("samples", nargs="+", help="IDX files of uint8 N x 28 x 28 samples")
    args = parser.parse_args()
    torch.set_num_threads(1)
    net = judge_network(args.data)
    test = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte"))
    labels = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte"))
    f_test, p_test = run(net, test)
    print(f"judge: test accuracy {(p_test.argmax(1) == labels).mean():.4f}")
    mu1, s1 = f_test.mean(0), np.cov(f_test, rowvar=False)
    for path in args.samples:
        images = read_idx(path)
        f, p = run(net, images)
        mu2, s2 = f.mean(0), np.cov(f, rowvar=False)
        root, _ = linalg.sqrtm(s1 @ s2, disp=False)
        fid = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * root.real)
        share = np.bincount(p.argmax(1), minlength=10) / len(images)
        print(f"{path}: FID {fid:.1f}, classes >=5%: {(share >= 0.05).sum()}, >=1%: {(share >= 0.01).sum()}, "
              f"confidence {p.max(1).mean():.3f}, shares {np.round(share, 3).tolist()}")


if __name__ == "__main__":
    main()
