"""The MOL network: per-frame stem, two F5C blocks per frame pair, three heads.

Input (B, T, 128, 128) normalised frames, T = 8 by default, giving T-1 consecutive pairs. The
first frame of each pair goes through F5C block 1, the second through block 2 (separate weights).
Heads: recognition over all pairs (3-D conv), landmarks of each pair's second frame, flow of each
pair. ``with_aux=False`` builds the recognition path only (what pre-labelling runs).
"""

import torch
from torch import nn

from .blocks import F5C
from .config import FEATURE_SIZE, IMAGE_SIZE, MOLConfig
from .flownet import FlowNetC

CHANNELS = 128


def _conv_bn(cin: int, cout: int, k: int, stride: int, pad: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Stem(nn.Module):
    """1x128x128 frame -> 128x16x16 map (kernels 4/3/2/1, strides 2/2/2/1, channels 8/32/64/128)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv_bn(1, 8, 4, 2, 1),
            _conv_bn(8, 32, 3, 2, 1),
            _conv_bn(32, 64, 2, 2, 0),
            _conv_bn(64, CHANNELS, 1, 1, 0),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class RecognitionHead(nn.Module):
    """Pair features stacked in time -> 3-D conv -> 3-D max-pool -> dropout -> two linear layers.

    Pooling 2x4x4 keeps the path near the paper's ~1 M parameters (2x2x2 would give ~3 M).
    """

    def __init__(self, pairs: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv3d(2 * CHANNELS, 64, 3, 1, 1),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool3d((2, 4, 4), ceil_mode=True),
        )
        flat = 64 * ((pairs + 1) // 2) * (FEATURE_SIZE // 4) ** 2
        self.fc = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(flat, 128),
            nn.ReLU(inplace=True),
            nn.Linear(128, num_classes),
        )

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        """``pairs`` (B, P, 2C, 16, 16) -> logits (B, classes)."""
        return self.fc(self.conv(pairs.transpose(1, 2)))


class LandmarkHead(nn.Module):
    """Second-frame F5C map -> (P, 2) landmark coordinates as fractions of the crop side."""

    def __init__(self, num_landmarks: int) -> None:
        super().__init__()
        self.num_landmarks = num_landmarks
        self.body = nn.Sequential(
            _conv_bn(CHANNELS, 32, 3, 2, 1),
            nn.Flatten(),
            nn.Linear(32 * (FEATURE_SIZE // 2) ** 2, 256),
            nn.ReLU(inplace=True),
            nn.Linear(256, 2 * num_landmarks),
        )

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return self.body(feat).view(-1, self.num_landmarks, 2) + 0.5


class MOL(nn.Module):
    """Joint ME recognition, optical flow and landmark network (Shao et al., T-PAMI 2025)."""

    def __init__(self, config: MOLConfig, with_aux: bool = True) -> None:
        super().__init__()
        self.config = config
        self.with_aux = with_aux
        self.stem = Stem()
        self.block1 = F5C(CHANNELS, FEATURE_SIZE, config.k, config.graph)
        self.block2 = F5C(CHANNELS, FEATURE_SIZE, config.k, config.graph)
        self.recognition = RecognitionHead(config.num_frames - 1, config.num_classes, config.dropout)
        if with_aux:
            self.landmarks = LandmarkHead(config.num_landmarks)
            self.flow = FlowNetC(CHANNELS, config.flow_width, config.max_disp)

    def _pair_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t, h, w = x.shape
        if (t, h, w) != (self.config.num_frames, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"MOL expects (B, {self.config.num_frames}, {IMAGE_SIZE}, {IMAGE_SIZE}) frames, "
                f"got {tuple(x.shape)}"
            )
        feat = self.stem(x.reshape(b * t, 1, h, w)).view(b, t, CHANNELS, FEATURE_SIZE, FEATURE_SIZE)
        first = self.block1(feat[:, :-1].flatten(0, 1)).view(b, t - 1, CHANNELS, FEATURE_SIZE, FEATURE_SIZE)
        second = self.block2(feat[:, 1:].flatten(0, 1)).view(b, t - 1, CHANNELS, FEATURE_SIZE, FEATURE_SIZE)
        return first, second

    def recognise(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits only; skips the flow and landmark heads."""
        first, second = self._pair_features(x)
        return self.recognition(torch.cat([first, second], dim=2))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Logits (B, C), flow (B, T-1, 2, 128, 128), landmarks (B, T-1, P, 2) in crop fractions."""
        if not self.with_aux:
            raise RuntimeError("this MOL was built with with_aux=False: call recognise() instead")
        b, t = x.shape[:2]
        first, second = self._pair_features(x)
        logits = self.recognition(torch.cat([first, second], dim=2))
        landmarks = self.landmarks(second.flatten(0, 1)).view(b, t - 1, -1, 2)
        img1 = x[:, :-1].reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        img2 = x[:, 1:].reshape(-1, 1, IMAGE_SIZE, IMAGE_SIZE)
        flow = self.flow(img1, img2, first.flatten(0, 1), second.flatten(0, 1))
        return {
            "logits": logits,
            "flow": flow.view(b, t - 1, 2, IMAGE_SIZE, IMAGE_SIZE),
            "landmarks": landmarks,
        }
