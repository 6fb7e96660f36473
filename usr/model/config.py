"""The reconstruction model's architecture settings (stored in its checkpoint)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from usr.backbone import VARIANTS
from usr.labels import NUM_LABELS
from usr.settings import setting

FUSIONS = ("attention", "meanvar")


@dataclass(frozen=True)
class ModelConfig:
    backbone: str = setting("lite0", "Frozen image backbone: lite0, lite1 or lite2 (EfficientNet-Lite, ImageNet).")
    work_size: int = setting(384, "Long side in pixels the input views are resized to.", min=64)
    strides: tuple[int, ...] = setting((4, 8, 16), "Backbone feature maps sampled per view (their strides).",
                                       cli=False)
    pixel_dim: int = setting(48, "Pixel features are projected to this many channels per view.", min=1)
    context_layers: int = setting(0, "Trainable 3×3 convolutions over each view's projected pixel features (image "
                                     "context beyond the frozen backbone), residual.", min=0)
    view_dim: int = setting(64, "Width of a point's per-view code.", min=4)
    hidden: int = setting(128, "Width of the decoder.", min=8)
    fusion: str = setting("attention", "Across views: attention (visibility- and depth-aware) or meanvar.")
    heads: int = setting(4, "Attention heads of the view fusion.", min=1)
    labels: int = setting(NUM_LABELS, "Garment label classes of the label head.", min=1)
    body_prior: bool = setting(False, "Read a fitted body's signed distance as a point feature.")
    volume: int = setting(0, "Lattice size of a coarse 3D feature volume around the person refined by a 3D CNN "
                             "(usr.model.volume); 0 = none.", min=0)
    volume_dim: int = setting(16, "Channels of the feature volume.", min=1)
    volume_layers: int = setting(3, "Residual 3×3×3 convolutions over the feature volume.", min=0)
    volume_extent: float = setting(1.2, "Half side of the feature volume's cube around the person's centre, metres.",
                                   min=0.1)
    sdf_scale: float = setting(0.05, "The SDF head's output unit, metres.", min=1e-4)
    silhouette_clamp: float = setting(0.2, "Distances to a view's silhouette edge are clamped to this, metres.",
                                      min=1e-3)

    def __post_init__(self) -> None:
        if self.backbone not in VARIANTS:
            raise ValueError(f"unknown backbone {self.backbone!r}; known: {', '.join(VARIANTS)}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {self.fusion!r}; known: {', '.join(FUSIONS)}")
        if not self.strides or any(s not in (2, 4, 8, 16, 32) for s in self.strides):
            raise ValueError(f"strides must be among 2, 4, 8, 16, 32; got {self.strides}")
        if self.view_dim % self.heads:
            raise ValueError(f"view_dim {self.view_dim} must divide by heads {self.heads}")

    @property
    def feature_channels(self) -> int:
        """Channels of the sampled backbone maps, all strides together."""
        channels = VARIANTS[self.backbone].feature_channels
        return sum(channels[(2, 4, 8, 16, 32).index(s)] for s in self.strides)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "ModelConfig":
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if "strides" in d:
            d["strides"] = tuple(d["strides"])
        return cls(**d)
