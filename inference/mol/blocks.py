"""F5C building blocks: FCC (global circular convolution) and CCC (channel graph convolution).

FCC gives every output position a view of the whole 16x16 map with position awareness, the job a
transformer layer does, at convolution cost. CCC relates feature channels to one another through
a k-nearest-neighbour graph built on the fly, the job a graph layer does.
"""

import torch
import torch.nn.functional as F
from torch import nn


class CircularConv(nn.Module):
    """Depthwise convolution whose kernel spans a whole column (``axis=2``) or row (``axis=3``).

    Circular padding makes the kernel wrap around, so each output sees the entire column/row.
    A learnable position embedding is added first: wrapping alone would be translation-invariant.
    """

    def __init__(self, channels: int, size: int, axis: int) -> None:
        super().__init__()
        if axis not in (2, 3):
            raise ValueError(f"axis must be 2 (column) or 3 (row), got {axis}")
        self.axis = axis
        self.size = size
        shape = (1, channels, size, 1) if axis == 2 else (1, channels, 1, size)
        self.pos = nn.Parameter(torch.zeros(shape))
        nn.init.trunc_normal_(self.pos, std=0.02)
        kernel = (size, 1) if axis == 2 else (1, size)
        self.conv = nn.Conv2d(channels, channels, kernel, groups=channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[self.axis] != self.size:
            raise ValueError(
                f"CircularConv expects size {self.size} on axis {self.axis}, got {tuple(x.shape)}"
            )
        x = x + self.pos
        pad = (0, 0, 0, self.size - 1) if self.axis == 2 else (0, self.size - 1, 0, 0)
        return self.conv(F.pad(x, pad, mode="circular"))


class FCC(nn.Module):
    """Fully-connected convolution: half the channels column-then-row, the other half row-then-column.

    After both convolutions every output pixel depends on every input pixel (global receptive
    field). Each half keeps its own residual; a 1x1 convolution then mixes the halves.
    """

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        if channels % 2:
            raise ValueError(f"FCC needs an even channel count, got {channels}")
        half = channels // 2
        self.col_row = nn.Sequential(
            CircularConv(half, size, 2), CircularConv(half, size, 3), nn.BatchNorm2d(half)
        )
        self.row_col = nn.Sequential(
            CircularConv(half, size, 3), CircularConv(half, size, 2), nn.BatchNorm2d(half)
        )
        self.mix = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.GELU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=1)
        y = torch.cat([a + self.col_row(a), b + self.row_col(b)], dim=1)
        return y + self.mix(y)


def knn_cosine(nodes: torch.Tensor, k: int) -> torch.Tensor:
    """Indices (B, N, k) of each node's k most cosine-similar other nodes; ``nodes`` is (B, N, D).

    The node itself is excluded (its similarity is always 1, it would take a slot for nothing).
    """
    if not 0 < k < nodes.shape[1]:
        raise ValueError(f"k must be in 1..{nodes.shape[1] - 1} for {nodes.shape[1]} nodes, got {k}")
    unit = F.normalize(nodes, dim=-1)
    sim = unit @ unit.transpose(1, 2)
    sim = sim - 3.0 * torch.eye(sim.shape[1], device=sim.device, dtype=sim.dtype)
    return sim.topk(k, dim=-1).indices


class CCC(nn.Module):
    """Channel correspondence convolution: EdgeConv over a k-NN graph, then 1x1 conv, with residual.

    ``graph="channel"`` (the paper): nodes are the C channels, each described by its flattened
    H*W map. ``graph="spatial"`` (the released code): nodes are the H*W positions, each described
    by its C-vector. The edge feature ReLU(W_self x_i + W_diff (x_j - x_i)) uses maps shared by all
    edges; the maximum over the k neighbours is the new node feature. Fully vectorised (gather).
    """

    def __init__(self, channels: int, size: int, k: int = 4, graph: str = "channel") -> None:
        super().__init__()
        if graph not in ("channel", "spatial"):
            raise ValueError(f"graph must be 'channel' or 'spatial', got {graph!r}")
        self.graph = graph
        self.k = k
        dim = size * size if graph == "channel" else channels
        self.edge_self = nn.Linear(dim, dim)
        self.edge_diff = nn.Linear(dim, dim, bias=False)
        self.out = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels))

    def nodes(self, x: torch.Tensor) -> torch.Tensor:
        """Node matrix (B, N, D) for the chosen graph."""
        flat = x.flatten(2)  # B, C, HW
        return flat if self.graph == "channel" else flat.transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        nodes = self.nodes(x)
        idx = knn_cosine(nodes.detach(), self.k)  # B, N, k
        neigh = nodes[torch.arange(b, device=x.device)[:, None, None], idx]  # B, N, k, D
        edges = F.relu(self.edge_self(nodes).unsqueeze(2) + self.edge_diff(neigh - nodes.unsqueeze(2)))
        agg = edges.max(dim=2).values  # B, N, D
        agg = agg if self.graph == "channel" else agg.transpose(1, 2)
        return x + self.out(agg.reshape(b, c, h, w))


class F5C(nn.Module):
    """F5C block: ``F = FCC(x); out = F + CCC_branch(F)`` (CCC carries the residual itself)."""

    def __init__(self, channels: int = 128, size: int = 16, k: int = 4, graph: str = "channel") -> None:
        super().__init__()
        self.fcc = FCC(channels, size)
        self.ccc = CCC(channels, size, k, graph)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ccc(self.fcc(x))
