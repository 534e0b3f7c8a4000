"""FlowNetC correlation layer in plain PyTorch.

``corr[b, (dy, dx), i, j] = mean_c f1[b, c, i, j] * f2[b, c, i + dy, j + dx]`` for |dy|, |dx| <= d,
zero outside the map. One slice-and-multiply per displacement: (2d+1)^2 small steps, each
vectorised over batch, channels and positions, without an unfold copy of f2 per displacement.
"""

import torch
import torch.nn.functional as F


def correlation(f1: torch.Tensor, f2: torch.Tensor, max_disp: int) -> torch.Tensor:
    """Cost volume (B, (2d+1)^2, H, W); displacement channels ordered dy-major, then dx."""
    if f1.shape != f2.shape or f1.dim() != 4:
        raise ValueError(
            f"correlation needs two equal (B, C, H, W) maps, got {tuple(f1.shape)}, {tuple(f2.shape)}"
        )
    if max_disp < 0:
        raise ValueError(f"max_disp must be >= 0, got {max_disp}")
    h, w = f1.shape[2:]
    d = max_disp
    padded = F.pad(f2, (d, d, d, d))
    out = [
        (f1 * padded[:, :, d + dy : d + dy + h, d + dx : d + dx + w]).mean(dim=1)
        for dy in range(-d, d + 1)
        for dx in range(-d, d + 1)
    ]
    return torch.stack(out, dim=1)
