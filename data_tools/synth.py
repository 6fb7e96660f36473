"""`usr data synth`: a folder of synthetic subjects, deterministic per seed, resumable, atomic per subject.

Layout written (see docs/formats.md):
    OUT/synth.json          the configuration (a resumed run must match it)
    OUT/splits.json         train / val / test subject names
    OUT/subject_0000/       a subject folder: cameras.json, images/, masks/, labels/, depth/, normals/, gt/
                            (with --points: gt/points.npz; with --rig train: gt/rig.json)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_tools.attributes import BODY_SHAPES, OUTFIT_KINDS, Attributes, draw, parse_mix
from data_tools.garments.makehuman import GARMENT_SETS
from data_tools.photo import photo_like, photo_rng
from data_tools.points import PointSpec, points_for_subject
from usr.io.points_file import write_points
from data_tools.render import RenderOptions, Renderer, View
from data_tools.rigs import RIG_KINDS, framing, make_rig
from data_tools.subject import SyntheticSubject, clothed_surface, make_subject
from smpl_d.poses import ALL_POSE_KINDS, POSE_KINDS
from usr import labels as L
from usr.io.atomic import atomic_dir, clean_stale_temps, write_json_atomic
from usr.io.cameras import Camera
from usr.io.capture import SubjectCapture
from usr.io.meshes import write_obj
from usr.io.subject_folder import write_subject_files
from usr.progress import Progress, notify

SYNTH_VERSION = 1


@dataclass(frozen=True)
class SynthConfig:
    subjects: int = 4
    views: int = 8
    size: int = 512
    seed: int = 0
    rig: str = "ring"
    pose_kinds: tuple[str, ...] = POSE_KINDS
    garments_dir: str | None = None
    noise_sigma: float = 0.0
    blur_sigma: float = 0.0
    shadows: bool = True
    outfits: str = ""  # outfit-kind mix, e.g. "dress=0.8,trousers=0.2" (data_tools.attributes); "" = as usual
    bodies: str = ""  # body-shape mix, e.g. "heavy=0.9,slim=0.1"; "" = as usual
    points: int = 0  # supervision points per subject in gt/points.npz (data_tools.points); 0 = none
    photo: bool = False  # photo-like images (data_tools.photo): room background, exposure, white balance, noise, JPEG
    garment_set: str = "all"  # MakeHuman assets drawn from: all, train (no evaluation assets), eval (only those)

    def __post_init__(self) -> None:
        if self.subjects < 1 or self.views < 1 or self.size < 16:
            raise ValueError(f"need subjects ≥ 1, views ≥ 1, size ≥ 16; got {self.subjects}, {self.views}, {self.size}")
        if self.rig not in RIG_KINDS:
            raise ValueError(f"unknown rig {self.rig!r}; known: {', '.join(RIG_KINDS)}")
        if self.rig == "train" and self.views < 3:
            raise ValueError(f"rig 'train' draws 3…views cameras per subject: needs views ≥ 3, got {self.views}")
        if self.points < 0:
            raise ValueError(f"points must be ≥ 0, got {self.points}")
        if self.garment_set not in GARMENT_SETS:
            raise ValueError(f"unknown garment set {self.garment_set!r}; known: {', '.join(GARMENT_SETS)}")
        if self.garment_set == "eval" and self.garments_dir is None:
            raise ValueError("garment set 'eval' needs the MakeHuman CC0 assets (--garments-dir)")
        bad = [k for k in self.pose_kinds if k not in ALL_POSE_KINDS]
        if bad:
            raise ValueError(f"unknown pose kinds {bad}; known: {', '.join(ALL_POSE_KINDS)}")
        if self.garments_dir is not None and not Path(self.garments_dir).is_dir():
            raise FileNotFoundError(f"{self.garments_dir}: garments folder not found")
        if any(kind == "suit" for kind, _ in self.outfit_mix) and self.garments_dir is None:
            raise ValueError("outfit kind 'suit' needs the MakeHuman CC0 assets (--garments-dir)")
        self.body_mix  # noqa: B018 (parsed here so a bad mix fails before any subject is made)

    @property
    def outfit_mix(self) -> tuple[tuple[str, float], ...]:
        return parse_mix(self.outfits, OUTFIT_KINDS, "outfit kind")

    @property
    def body_mix(self) -> tuple[tuple[str, float], ...]:
        return parse_mix(self.bodies, tuple(BODY_SHAPES), "body shape")

    def attributes(self, subject_seed: int) -> Attributes | None:
        """What subject `subject_seed` is asked to be under the mixes (None without mixes: drawn as usual)."""
        if not (self.outfits or self.bodies):
            return None
        rng = np.random.default_rng([subject_seed, 17])  # its own stream: the subject's other draws are unchanged
        return Attributes(outfit=draw(self.outfit_mix, rng), body=draw(self.body_mix, rng))

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["pose_kinds"] = list(self.pose_kinds)
        for key in ("outfits", "bodies", "points", "photo"):  # folders made before these existed stay resumable
            if not d[key]:
                del d[key]
        if d["garment_set"] == "all":
            del d["garment_set"]
        d["version"] = SYNTH_VERSION
        return d


def subject_name(index: int) -> str:
    return f"subject_{index:04d}"


def subject_seed(seed: int, index: int) -> int:
    """Independent, reproducible seed for subject `index` of a run seeded with `seed`."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def splits(names: list[str]) -> dict[str, list[str]]:
    """Deterministic split: last ~10 % test, the ~10 % before it validation (≥ 1 each from 3 subjects)."""
    n = len(names)
    n_test = max(1, round(0.1 * n)) if n >= 3 else 0
    n_val = max(1, round(0.1 * n)) if n >= 3 else 0
    return {"train": names[: n - n_test - n_val], "val": names[n - n_test - n_val : n - n_test], "test": names[n - n_test :]}


def render_views(subject: SyntheticSubject, cameras: list[Camera], config: SynthConfig) -> list[View]:
    """The subject through every camera; with `config.photo` the images are made photo-like (masks, labels, depth
    and normals unchanged)."""
    renderer = Renderer(subject.layers(), subject.lighting)
    rng = np.random.default_rng(subject.seed + 1)
    bg = tuple(float(c) for c in rng.uniform(0.2, 0.8) + rng.uniform(-0.05, 0.05, 3))
    views = [
        renderer.render(cam, RenderOptions(bg, config.noise_sigma, config.blur_sigma, config.shadows, subject.seed + i))
        for i, cam in enumerate(cameras)
    ]
    if config.photo:
        views = [dataclasses.replace(v, rgb=photo_like(v.rgb, v.mask, photo_rng(subject.seed, i)))
                 for i, v in enumerate(views)]
    return views


def person_points(subject: SyntheticSubject) -> np.ndarray:
    """Every vertex of the subject's meshes: the extremes of its pictures (rigs that frame the person use them)."""
    return np.concatenate([layer.vertices for layer in subject.layers()])


def rig_facts(cameras: list[Camera], person: np.ndarray) -> dict:
    """gt/rig.json of a train rig: per camera, the person's share of the picture height and the sides it crosses."""
    rows = []
    for cam in cameras:
        f = framing(cam, person)
        rows.append({"name": cam.name, "height_fraction": round(f.height_fraction, 4), "cut": list(f.cut),
                     "distance_m": round(float(np.linalg.norm(cam.center - (person.min(0) + person.max(0)) / 2)), 4),
                     "vertical_fov_deg": round(float(np.degrees(2 * np.arctan(cam.height / 2 / cam.K[1, 1]))), 3)})
    return {"version": 1, "kind": "train", "cameras": rows}


def write_synthetic_subject(folder: Path, subject: SyntheticSubject, cameras: list[Camera], views: list[View]) -> None:
    """Write the subject folder contents into `folder` (already a temp folder, see atomic_dir)."""
    capture = SubjectCapture(
        subject.name, cameras, [v.rgb for v in views], [v.mask for v in views], [v.label for v in views],
        extras={"depth": [v.depth for v in views], "normals": [v.normal for v in views]},
    )
    write_subject_files(capture, folder)
    gt = folder / "gt"
    surface = clothed_surface(subject)
    write_obj(gt / "full.obj", surface.vertices, surface.faces, surface.colors,
              header="clothed surface; per-face labels in full_face_labels.npy")
    np.save(gt / "full_face_labels.npy", surface.face_labels)
    body = subject.body
    write_obj(gt / "body.obj", body.vertices, body.faces, subject.skin(body.vertices), header="body under the clothes")
    np.save(gt / "body_hm08_index.npy", body.hm08_index)
    by_label: dict[int, list] = {}
    for g, tex in zip(subject.garments, subject.garment_textures):
        by_label.setdefault(g.label, []).append((g, tex))
    for label, items in sorted(by_label.items()):
        verts, faces, colors, offset = [], [], [], 0
        for g, tex in items:
            verts.append(g.vertices)
            faces.append(g.faces + offset)
            colors.append(tex(g.vertices))
            offset += len(g.vertices)
        write_obj(gt / "garments" / f"{L.LABEL_NAMES[label]}.obj", np.concatenate(verts), np.concatenate(faces),
                  np.concatenate(colors), header=", ".join(g.name for g, _ in items))
    write_json_atomic(gt / "meta.json", subject.meta())


def synthesize(out: Path, config: SynthConfig, progress: Progress | None = None) -> dict:
    """Generate `config.subjects` subjects into `out`, skipping finished ones; return a summary. `progress` hears
    each subject's name once it is done."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "synth.json"
    if cfg_path.exists():
        previous = json.loads(cfg_path.read_text())
        if {k: v for k, v in previous.items() if k != "subjects"} != {k: v for k, v in config.to_json().items() if k != "subjects"}:
            raise ValueError(f"{cfg_path}: this folder was generated with other settings; use a new --out or the same settings")
    write_json_atomic(cfg_path, config.to_json())
    clean_stale_temps(out)
    names = [subject_name(i) for i in range(config.subjects)]
    done, made = 0, 0
    for i, name in enumerate(names):
        folder = out / name
        if (folder / "cameras.json").exists():
            done += 1
            notify(progress, f"{name} (already done)", (i + 1) / len(names))
            continue
        seed = subject_seed(config.seed, i)
        subject = make_subject(name, seed, config.pose_kinds, Path(config.garments_dir) if config.garments_dir else None,
                               config.attributes(seed), config.garment_set)
        person = person_points(subject) if config.rig == "train" else None
        cameras = make_rig(config.rig, config.views, config.size, np.random.default_rng(seed + 2), person)
        views = render_views(subject, cameras, config)
        with atomic_dir(folder) as tmp:
            write_synthetic_subject(tmp, subject, cameras, views)
            if person is not None:
                write_json_atomic(tmp / "gt" / "rig.json", rig_facts(cameras, person))
            if config.points:
                write_points(tmp / "gt" / "points.npz", points_for_subject(tmp / "gt", PointSpec(count=config.points), seed))
        made += 1
        notify(progress, name, (i + 1) / len(names))
    write_json_atomic(out / "splits.json", splits(names))
    return {"out": str(out), "subjects": len(names), "generated": made, "skipped": done}
