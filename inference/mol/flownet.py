"""Optical-flow head: a FlowNetC-style encoder-decoder that also receives the F5C features.

Both frames go through a shared encoder to 1/8 resolution (16x16), where a correlation layer
compares them; the F5C features of both frames (same 16x16 grid) join the cost volume. The
decoder refines flow coarse-to-fine with skip connections up to the full 128x128 crop.
Channel widths are FlowNetC's, scaled by ``width`` (1.0 reproduces the paper's ~40 M parameters).
"""

import torch
from torch import nn

from .correlation import correlation


def _conv(cin: int, cout: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2), nn.LeakyReLU(0.1, inplace=True))


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.LeakyReLU(0.1, inplace=True))


class FlowNetC(nn.Module):
    """Predicts (N, 2, 128, 128) flow from two frames (N, 1, 128, 128) and F5C maps (N, C, 16, 16)."""

    def __init__(self, feature_channels: int = 128, width: float = 1.0, max_disp: int = 4) -> None:
        super().__init__()

        def w(c: int) -> int:
            return max(4, round(c * width))

        self.max_disp = max_disp
        self.enc1 = _conv(1, w(64), 7, 2)  # 64x64
        self.enc2 = _conv(w(64), w(128), 5, 2)  # 32x32
        self.enc3 = _conv(w(128), w(256), 5, 2)  # 16x16
        self.redir = _conv(w(256), w(32), 1)
        self.f5c = _conv(2 * feature_channels, w(64), 1)
        n_corr = (2 * max_disp + 1) ** 2
        self.conv3_1 = _conv(n_corr + w(32) + w(64), w(256))
        self.conv4 = nn.Sequential(_conv(w(256), w(512), 3, 2), _conv(w(512), w(512)))  # 8x8
        self.conv5 = nn.Sequential(_conv(w(512), w(512), 3, 2), _conv(w(512), w(512)))  # 4x4
        self.conv6 = nn.Sequential(_conv(w(512), w(1024), 3, 2), _conv(w(1024), w(1024)))  # 2x2
        # Decoder levels, coarse to fine: (skip channels, deconv output channels).
        skips = [w(512), w(512), w(256), w(128), w(64), 0]
        outs = [w(512), w(256), w(128), w(64), w(32), w(16)]
        self.predict = nn.ModuleList([nn.Conv2d(w(1024), 2, 3, 1, 1)])
        self.deconv = nn.ModuleList()
        self.flow_up = nn.ModuleList()
        cin = w(1024)
        for skip, out in zip(skips, outs, strict=True):
            self.deconv.append(_up(cin, out))
            self.flow_up.append(nn.ConvTranspose2d(2, 2, 4, 2, 1, bias=False))
            cin = skip + out + 2
            self.predict.append(nn.Conv2d(cin, 2, 3, 1, 1))

    def forward(
        self, img1: torch.Tensor, img2: torch.Tensor, feat1: torch.Tensor, feat2: torch.Tensor
    ) -> torch.Tensor:
        n = img1.shape[0]
        x = torch.cat([img1, img2])  # shared encoder: both frames in one pass
        x = self.enc1(x)
        e1 = x[:n]
        x = self.enc2(x)
        e2 = x[:n]
        x = self.enc3(x)
        e3a, e3b = x[:n], x[n:]
        corr = nn.functional.leaky_relu(correlation(e3a, e3b, self.max_disp), 0.1)
        x3 = self.conv3_1(torch.cat([corr, self.redir(e3a), self.f5c(torch.cat([feat1, feat2], 1))], 1))
        x4 = self.conv4(x3)
        x5 = self.conv5(x4)
        x = self.conv6(x5)
        flow = self.predict[0](x)
        for i, skip in enumerate([x5, x4, x3, e2, e1, None]):
            parts = [self.deconv[i](x), self.flow_up[i](flow)]
            x = torch.cat(parts if skip is None else [skip, *parts], 1)
            flow = self.predict[i + 1](x)
        return flow
