"""MC-WES losses: MIL against the weak label, one term per consistency level, frame supervision.

Conventions: `probs` (S, 3) is the per-snippet softmax over {ME, MaE, background}; `a` (S,) the
fused saliency; the per-class foreground score used by MIL, the losses and the decoder alike is
`probs[:, c] * a`, so training and decoding look at the same curve.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

EPS = 1e-6
CONCENTRATION_ALLOWANCE = 4  # a present class may spread over 4 x its top-k before it is penalised


def topk_mean(x: torch.Tensor, k: int) -> torch.Tensor:
    """MIL pooling: mean of the k largest values of a 1-D sequence (k clipped to its length)."""
    return torch.topk(x, min(k, len(x))).values.mean()


def squash(p: torch.Tensor) -> torch.Tensor:
    """Keep probabilities inside [EPS, 1 - EPS] for the log of BCE without cutting the gradient.

    A clamp has zero gradient outside its range: once the negative videos had pushed every pooled
    ME score under EPS, the positive videos could no longer pull it back, and training sat in an
    all-background state (2 of 4 LOSO folds of the synthetic bench). The affine map always passes
    a gradient.
    """
    return EPS + (1 - 2 * EPS) * p


def mil_loss(probs: torch.Tensor, a: torch.Tensor, y: torch.Tensor, ks: tuple[int, int]) -> torch.Tensor:
    """Video-level BCE of top-k pooled scores against the weak label y = [ME, MaE].

    Per class c in {ME, MaE}, top-k_c of probs_c * a must match y_c; and the saliency's own
    top-k_ME mean must say whether the video holds any expression (it is what makes videos
    without expressions teach the attention to stay low). Background needs no term of its own:
    the softmax gives it whatever the foreground classes do not claim. An explicit "top half of
    probs_bg * (1 - a) is 1" term (every video holds background) dominated the first epochs,
    while nothing yet told snippets apart, and drove every snippet to background; training then
    stayed there (loss ~0.8, no detection) in 2 of 4 LOSO folds of the synthetic bench.
    """
    k_me, k_mae = ks
    fg = torch.stack([topk_mean(probs[:, 0] * a, k_me), topk_mean(probs[:, 1] * a, k_mae)])
    any_fg = topk_mean(a, k_me)
    scores = squash(torch.cat([fg, any_fg[None]]))
    target = torch.cat([y, y.max()[None]])
    return F.binary_cross_entropy(scores, target)


def saliency_consistency(a_img: torch.Tensor, a_flow: torch.Tensor) -> torch.Tensor:
    """(1) Modal-level: the salient snippets of the appearance and motion streams should agree.

    Symmetric with stop-gradient: each stream is pulled toward the other's (detached) saliency,
    so neither stream can satisfy the term by dragging the other down to its level.
    """
    return 0.5 * (((a_img - a_flow.detach()) ** 2).mean() + ((a_flow - a_img.detach()) ** 2).mean())


def distribution_consistency(
    probs: torch.Tensor, a: torch.Tensor, y: torch.Tensor, ks: tuple[int, int]
) -> torch.Tensor:
    """(2) Video-level: expressions are sparse in time, MEs far sparser than MaEs.

    Attention sparsity (its mean) plus, for each class present in the video, the mean activation
    probs_c * a outside its CONCENTRATION_ALLOWANCE x k_c strongest snippets; k_ME << k_MaE makes
    ME activation concentrate on far fewer snippets than MaE activation.
    """
    loss = a.mean()
    for c, k in enumerate(ks):
        if y[c] > 0:
            rest = torch.sort(probs[:, c] * a, descending=True).values[CONCENTRATION_ALLOWANCE * k :]
            if len(rest):
                loss = loss + rest.mean()
    return loss


def _erode(x: torch.Tensor, w: int) -> torch.Tensor:
    """e[j] = min of x over the w-window ending at j, outside the sequence counted as 0; (S+w-1,)."""
    xp = F.pad(x[None, None], (w - 1, w - 1))
    return -F.max_pool1d(-xp, w, stride=1)[0, 0]


def duration_consistency(x: torch.Tensor, min_len: int, max_len: int) -> torch.Tensor:
    """(3) Label-level: an activation run of one class should last within its duration prior.

    x (S,) is the class's activation in [0, 1]. Longer than max_len: a min-pool (erosion) of width
    max_len + 1 is non-zero only where the run is at least that long. Shorter than min_len: a
    grey-scale opening of width min_len removes exactly the shorter runs, so x - opening is the
    too-short part. Both are differentiable and zero for every run of length in [min_len, max_len].
    """
    too_long = _erode(x, max_len + 1).clamp(min=0).mean()
    opened = F.max_pool1d(_erode(x, min_len)[None, None], min_len, stride=1)[0, 0]
    too_short = (x - opened).clamp(min=0).mean()
    return too_long + too_short


def class_prototypes(
    features: torch.Tensor, scores: torch.Tensor, y: torch.Tensor, ks: tuple[int, int, int]
) -> tuple[list[torch.Tensor], list[int]]:
    """Per video: the mean feature of the top-k snippets of each present class and of background.

    Returns (vectors, kinds) with kinds 0 ME, 1 MaE, 2 background; scores is (S, 3).
    """
    vecs, kinds = [], []
    for c in range(3):
        if c == 2 or y[c] > 0:
            idx = torch.topk(scores[:, c], min(ks[c], len(scores))).indices
            vecs.append(features[idx].mean(0))
            kinds.append(c)
    return vecs, kinds


def feature_consistency(vectors: torch.Tensor, kinds: list[int], temperature: float) -> torch.Tensor:
    """(4) Segment-level: snippet features with the same label are alike, across videos.

    Supervised contrastive loss over class prototypes from several videos: every foreground
    prototype is pulled toward the other prototypes of its class and pushed from all the rest
    (background and the other class). Background prototypes act only as negatives. Zero when no
    foreground class occurs in two prototypes.
    """
    z = F.normalize(vectors, dim=1)
    sim = z @ z.T / temperature
    n = len(kinds)
    kinds_t = torch.tensor(kinds, device=vectors.device)
    self_mask = torch.eye(n, dtype=torch.bool, device=vectors.device)
    log_prob = sim - torch.logsumexp(sim.masked_fill(self_mask, float("-inf")), dim=1, keepdim=True)
    pos = (kinds_t[:, None] == kinds_t[None]) & ~self_mask & (kinds_t[:, None] < 2)
    has_pos = pos.any(1)
    if not has_pos.any():
        return vectors.sum() * 0.0
    per_anchor = (log_prob * pos).sum(1)[has_pos] / pos.sum(1)[has_pos]
    return -per_anchor.mean()


def frame_supervision_loss(
    cas: torch.Tensor, a_img: torch.Tensor, a_flow: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Comparison mode with frame-level labels: per-snippet cross-entropy on the CAS plus BCE
    telling each stream's saliency which snippets are foreground."""
    fg = (targets < 2).float()
    return (
        F.cross_entropy(cas, targets)
        + F.binary_cross_entropy(a_img.clamp(EPS, 1 - EPS), fg)
        + F.binary_cross_entropy(a_flow.clamp(EPS, 1 - EPS), fg)
    )
