"""MC-WES network: two small snippet encoders, per-stream temporal attention, fused CAS head.

Small on purpose (~0.1 M parameters): it must train on two CPU cores in minutes. One forward call
handles one video of S snippets; the temporal head treats the snippets as a 1-D sequence. Temporal
convolutions pad by replication: zero padding makes the first and last snippets recognisable,
and the attention learned to fire there in every video (a shortcut seen on the synthetic corpus).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .config import MCWESConfig
from .data import motion_columns


def _cnn(in_ch: int, out_dim: int) -> nn.Sequential:
    """c x c frames stacked as channels -> one vector per snippet (three stride-2 convolutions)."""
    return nn.Sequential(
        nn.Conv2d(in_ch, 16, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(128, out_dim),
        nn.ReLU(),
    )


def _attention(dim: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(dim, dim // 2, 3, padding=1, padding_mode="replicate"),
        nn.ReLU(),
        nn.Conv1d(dim // 2, 1, 1),
        nn.Sigmoid(),
    )


@dataclass
class Output:
    cas: torch.Tensor  # (S, 3) class activation logits: ME, MaE, background
    a_img: torch.Tensor  # (S,) appearance-stream saliency in [0, 1]
    a_flow: torch.Tensor  # (S,) motion-stream saliency
    features: torch.Tensor  # (S, 2H) fused embedding (used by the feature-consistency loss)

    @property
    def attention(self) -> torch.Tensor:
        return (self.a_img + self.a_flow) / 2

    @property
    def probs(self) -> torch.Tensor:
        return torch.softmax(self.cas, dim=1)


class MCWESNet(nn.Module):
    def __init__(self, config: MCWESConfig):
        super().__init__()
        h, L = config.hidden, config.snippet_len
        self.user_features = config.feature_dim > 0
        if self.user_features:
            half = config.feature_dim // 2
            self.enc_img = nn.Sequential(nn.Linear(half, h), nn.ReLU())
            self.enc_flow = nn.Sequential(nn.Linear(half, h), nn.ReLU())
        else:
            if config.n_regions < 1:
                raise ValueError("MCWESNet needs config.n_regions >= 1 (set from the training videos)")
            self.enc_img = _cnn(L, h)
            self.enc_diff = _cnn(L - 1, h)
            self.enc_reg = nn.Sequential(nn.Linear(L * motion_columns(config), h), nn.ReLU())
            self.enc_flow = nn.Sequential(nn.Linear(2 * h, h), nn.ReLU())
        # temporal context per stream before attention and fusion
        self.ctx_img = nn.Sequential(nn.Conv1d(h, h, 3, padding=1, padding_mode="replicate"), nn.ReLU())
        self.ctx_flow = nn.Sequential(nn.Conv1d(h, h, 3, padding=1, padding_mode="replicate"), nn.ReLU())
        self.att_img = _attention(h)
        self.att_flow = _attention(h)
        self.cas = nn.Sequential(
            nn.Conv1d(2 * h, h, 3, padding=1, padding_mode="replicate"),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Conv1d(h, 3, 1),
        )

    def encode(self, x: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-snippet appearance and motion vectors, each (S, H)."""
        if self.user_features:
            half = x["features"].shape[1] // 2
            return self.enc_img(x["features"][:, :half]), self.enc_flow(x["features"][:, half:])
        img = self.enc_img(x["appearance"])
        flow = self.enc_flow(torch.cat([self.enc_diff(x["difference"]), self.enc_reg(x["regional"])], 1))
        return img, flow

    def forward(self, x: dict[str, torch.Tensor]) -> Output:
        img, flow = self.encode(x)
        img = self.ctx_img(img.T[None])  # (1, H, S)
        flow = self.ctx_flow(flow.T[None])
        fused = torch.cat([img, flow], 1)
        return Output(
            cas=self.cas(fused)[0].T,
            a_img=self.att_img(img)[0, 0],
            a_flow=self.att_flow(flow)[0, 0],
            features=fused[0].T,
        )
