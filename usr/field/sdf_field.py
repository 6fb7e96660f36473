"""The generalizable surface field: what a 3D point maps to, given the source views.

    hash-grid(x)  ⊕  aggregate_v [image features of x in view v]  →  MLP  →  SDF, geometry feature
    colour(x, ray) = Σ_v softmax_v(MLP[geometry feature, view features, angle to the ray]) · rgb_v(x)

The aggregation is visibility-aware: only views where x projects inside the image count, and the
fraction of views whose mask contains x (a soft visual hull) is an input. With `use_images=False`
the same field is a plain per-subject SDF (the from-scratch baseline, and the sphere test).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from jaxtyping import Float
from torch import Tensor, nn

from usr.field.hashgrid import HashGridConfig, make_hash_grid
from usr.field.image_encoder import ImageEncoder
from usr.field.source_views import SourceViews


@dataclass(frozen=True)
class FieldConfig:
    hash: HashGridConfig = field(default_factory=lambda: HashGridConfig(levels=12, log2_table_size=15, max_resolution=512))
    image_channels: int = 32
    hidden: int = 64
    geo_features: int = 15
    use_images: bool = True
    bound: float = 1.2  # the field lives in [−bound, bound]^3 (metres)
    init_radius: float = 0.5  # initial SDF: a sphere of this radius

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "FieldConfig":
        d = dict(d)
        d["hash"] = HashGridConfig(**d["hash"])
        return cls(**d)


def _mlp(i: int, h: int, o: int, layers: int = 2) -> nn.Sequential:
    mods: list[nn.Module] = []
    for k in range(layers):
        mods += [nn.Linear(i if k == 0 else h, h), nn.Softplus(beta=100)]
    mods.append(nn.Linear(h, o))
    return nn.Sequential(*mods)


class SDFField(nn.Module):
    def __init__(self, config: FieldConfig = FieldConfig()):
        super().__init__()
        self.config = config
        self.encoding = make_hash_grid(config.hash)
        self.encoder = ImageEncoder(config.image_channels) if config.use_images else None
        view_dim = self.encoder.out_dim if self.encoder else 0
        agg_dim = 2 * view_dim + 2 if self.encoder else 0  # mean, variance, inside-mask fraction, visible fraction
        self.sdf_net = _mlp(3 + self.encoding.out_dim + agg_dim, config.hidden, 1 + config.geo_features)
        blend_in = config.geo_features + (view_dim + 4 if self.encoder else 0)
        self.blend_net = _mlp(blend_in, config.hidden, 1, layers=1) if self.encoder else None
        self.colour_net = None if self.encoder else _mlp(config.geo_features + 3, config.hidden, 3, layers=1)
        self.log_inv_s = nn.Parameter(torch.tensor(4.0))  # NeuS sharpness s = exp(·), learned
        with torch.no_grad():  # start with the last layer near zero so the SDF starts as the sphere prior
            self.sdf_net[-1].weight.mul_(0.01)
            self.sdf_net[-1].bias.zero_()

    @property
    def inv_s(self) -> Tensor:
        return self.log_inv_s.exp().clamp(1.0, 1e4)

    def encode_views(self, views: SourceViews) -> SourceViews:
        """Compute the feature maps of the source views (once per subject)."""
        if self.encoder is not None:
            views.features = self.encoder(views.rgb, views.mask)
        return views

    def _aggregate(self, points: Tensor, views: SourceViews) -> tuple[Tensor, Tensor, Tensor]:
        feats, valid = views.sample(points)  # (v, n, c), (v, n)
        w = valid / valid.sum(0, keepdim=True).clamp(min=1.0)
        mean = (w[..., None] * feats).sum(0)
        var = (w[..., None] * (feats - mean) ** 2).sum(0)
        inside = (valid * (feats[..., -1] > 0.5)).sum(0) / valid.sum(0).clamp(min=1.0)
        agg = torch.cat([mean, var, inside[:, None], valid.mean(0)[:, None]], -1)
        return agg, feats, valid

    def forward(self, points: Float[Tensor, "n 3"], views: SourceViews | None = None) -> dict[str, Tensor]:
        """SDF (metres) and geometry features of world points; keeps per-view samples for `colour`."""
        b = self.config.bound
        x01 = (points + b) / (2 * b)
        inputs = [points, self.encoding(x01)]
        out: dict[str, Tensor] = {}
        if self.encoder is not None:
            if views is None or views.features is None:
                raise ValueError("this field reads images: call encode_views(views) and pass views")
            agg, feats, valid = self._aggregate(points, views)
            inputs.append(agg)
            out.update(view_feats=feats, valid=valid)
        h = self.sdf_net(torch.cat(inputs, -1))
        out["sdf"] = h[:, 0] + (points.norm(dim=-1) - self.config.init_radius)
        out["geo"] = h[:, 1:]
        return out

    def sdf(self, points: Tensor, views: SourceViews | None = None) -> Tensor:
        return self.forward(points, views)["sdf"]

    def colour(self, points: Tensor, ray_dirs: Tensor, out: dict[str, Tensor], views: SourceViews | None = None) -> Tensor:
        """RGB in 0..1: blended from the source views (image field) or predicted (from-scratch field)."""
        if self.encoder is None:
            return torch.sigmoid(self.colour_net(torch.cat([out["geo"], ray_dirs], -1)))
        feats, valid = out["view_feats"], out["valid"]
        vdirs = views.view_dirs(points)  # (v, n, 3)
        cos = (vdirs * ray_dirs[None]).sum(-1, keepdim=True)
        diff = vdirs - ray_dirs[None]
        v = feats.shape[0]
        x = torch.cat([out["geo"][None].expand(v, -1, -1), feats, cos, diff], -1)
        logits = self.blend_net(x)[..., 0].masked_fill(valid < 0.5, -1e4)
        weights = torch.softmax(logits, dim=0)
        rgb = feats[..., -4:-1]
        return (weights[..., None] * rgb).sum(0)
