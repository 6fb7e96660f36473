"""`usr fed generate`: the one-shot FedGC step of each studio, before federated training.

Guidance (where a generated subject comes from):
    prompt-only  the prompt's attributes; everything else drawn at random
    real-only    a perturbation of one of the studio's own subjects: its body (phenotypes jittered, pose redrawn
                 within its kind, new heading) wearing its own outfit, in new light
    prompt+real  one of the studio's own bodies (jittered) re-dressed and re-posed as the prompt says

Real guidance reads a subject's body and outfit from gt/meta.json (exact for synthetic subjects). A subject without
it is refused with its name: prompt-only guidance needs nothing from the studio's subjects.

Generated subjects are ordinary subject folders named gen_NNNN, each with generated.json (prompt, guidance, seed
subject), added to the studio's splits.json as training subjects only: they are never evaluated on
(fed.task.studio_data also leaves them out of the held-out set).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from data_tools.attributes import BODY_SHAPES, OUTFIT_KINDS, Attributes
from data_tools.rigs import make_rig
from data_tools.subject import make_subject
from data_tools.synth import SynthConfig, render_views, subject_seed, write_synthetic_subject
from fed.fedgc.budget import ALLOCATIONS, ANY_BIN, allocate
from fed.fedgc.prompts import PROMPT_DESIGNS, make_prompts, parse_prompt
from fed.fedgc.real import from_real
from fed.fedgc.studio import StudioSubject, histogram, private_subjects
from fed.task import GENERATED_FILE
from usr.io.atomic import atomic_dir, write_json_atomic
from usr.progress import Progress, notify

GUIDANCES = ("prompt-only", "real-only", "prompt+real")
AXES = {"outfit": OUTFIT_KINDS[:4], "body": tuple(BODY_SHAPES)}  # the attribute bins water-filling balances
PLAN_FILE = "fedgc.json"


@dataclass(frozen=True)
class FedGCPlan:
    ratio: float = 0.5  # generated subjects per private training subject, over all studios
    allocation: str = "water-filling"
    prompts: str = "several"  # a design of fed.fedgc.prompts, or a text file of prompts (one per line)
    guidance: str = "prompt-only"
    axis: str = "outfit"  # the bins of the water-filling: outfit | body
    jitter: float = 0.05  # σ of the phenotype perturbation of real guidance (phenotypes are 0..1)
    seed: int = 0
    garments_dir: str | None = None  # MakeHuman assets named by real subjects' outfits

    def __post_init__(self) -> None:
        if self.allocation not in ALLOCATIONS:
            raise ValueError(f"allocation {self.allocation!r}: known allocations are {', '.join(ALLOCATIONS)}")
        if self.guidance not in GUIDANCES:
            raise ValueError(f"guidance {self.guidance!r}: known guidances are {', '.join(GUIDANCES)}")
        if self.axis not in AXES:
            raise ValueError(f"axis {self.axis!r}: known axes are {', '.join(AXES)}")
        if self.prompts not in PROMPT_DESIGNS and not Path(self.prompts).is_file():
            raise ValueError(f"prompts {self.prompts!r}: a design ({', '.join(PROMPT_DESIGNS)}) or a text file of prompts")


def plan_studios(studios: list[Path], plan: FedGCPlan) -> list[list[dict]]:
    """Per studio, the subjects to generate: each a dict with the prompt (None for real-only) and the seed subject."""
    rng = np.random.default_rng([plan.seed, 4141])
    subjects = [private_subjects(Path(s)) for s in studios]
    cells = allocate([histogram(s, plan.axis) for s in subjects], plan.ratio, plan.allocation, AXES[plan.axis])
    user_prompts = None if plan.prompts in PROMPT_DESIGNS else _read_prompts(Path(plan.prompts))
    out = []
    for own, alloc in zip(subjects, cells):
        jobs = []
        for bin_, count in alloc.items():
            if plan.guidance == "real-only":
                prompts = [None] * count
            elif user_prompts is not None:  # the user's prompts that name the bin, if any do
                fitting = [p for p in user_prompts if getattr(parse_prompt(p), plan.axis) == bin_] or user_prompts
                prompts = [fitting[(len(jobs) + i) % len(fitting)] for i in range(count)]
            else:
                prompts = make_prompts(plan.prompts, count, rng, {plan.axis: bin_} if bin_ != ANY_BIN else None)
            for prompt in prompts:
                seed = _seed_subject(own, bin_, plan, rng) if plan.guidance != "prompt-only" else None
                made = seed.bins.get(plan.axis, "unknown") if plan.guidance == "real-only" else bin_  # real-only: the seed's
                jobs.append({"prompt": prompt, "bin": made, "seed_subject": seed.folder.name if seed else None})
        out.append(jobs)
    return out


def _seed_subject(own: list[StudioSubject], bin_: str, plan: FedGCPlan, rng: np.random.Generator) -> StudioSubject:
    usable = [s for s in own if s.meta is not None]
    if not usable:
        raise ValueError(f"{own[0].folder.parent}: {plan.guidance} guidance needs the body and outfit of the studio's "
                         "subjects (gt/meta.json), and none has them; use --guidance prompt-only")
    same_bin = [s for s in usable if plan.guidance == "real-only" and s.bins.get(plan.axis) == bin_]
    pool = same_bin or usable
    return pool[int(rng.integers(len(pool)))]


def _read_prompts(path: Path) -> list[str]:
    prompts = [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    if not prompts:
        raise ValueError(f"{path}: no prompts (one per line)")
    for p in prompts:
        parse_prompt(p)  # fails early, naming the prompt
    return prompts


def generate(studios: list[Path], plan: FedGCPlan, progress: Progress | None = None,
             jobs: list[list[dict]] | None = None) -> list[dict]:
    """Make every studio's generated subjects (resumable: a finished gen_NNNN folder is kept); per-studio summaries.
    `jobs`: plan_studios(studios, plan) when the caller has it already."""
    jobs = jobs if jobs is not None else plan_studios([Path(s) for s in studios], plan)
    total, done, summaries = sum(map(len, jobs)), 0, []
    for k, (studio, studio_jobs) in enumerate(zip(map(Path, studios), jobs)):
        previous = studio / PLAN_FILE
        if previous.is_file() and json.loads(previous.read_text()).get("plan") != asdict(plan):
            raise ValueError(f"{previous}: this studio already has subjects generated with other settings; "
                             "remove its gen_* folders and fedgc.json first")
        views, size = _studio_rig(studio)
        names = []
        for i, job in enumerate(studio_jobs):
            name = f"gen_{i:04d}"
            names.append(name)
            if not (studio / name / "cameras.json").is_file():
                seed = subject_seed(plan.seed * 7919 + k, i)
                _write_generated(studio / name, name, seed, job, plan, SynthConfig(subjects=1, views=views, size=size))
            done += 1
            notify(progress, f"{studio.name}/{name}", done / total)
        _add_to_splits(studio, names)
        summary = {"studio": studio.name, "private": len(private_subjects(studio)), "generated": len(names),
                   "bins": dict(Counter(j["bin"] or "any" for j in studio_jobs)), "plan": asdict(plan)}
        write_json_atomic(previous, summary)
        summaries.append(summary)
    return summaries


def _studio_rig(studio: Path) -> tuple[int, int]:
    """Camera count and image size of the studio's first subject: generated subjects are filmed alike."""
    first = next(p for p in sorted(studio.iterdir()) if (p / "cameras.json").is_file())
    cams = json.loads((first / "cameras.json").read_text())["cameras"]
    return len(cams), int(max(max(c["width"], c["height"]) for c in cams))


def _write_generated(folder: Path, name: str, seed: int, job: dict, plan: FedGCPlan, config: SynthConfig) -> None:
    attributes = parse_prompt(job["prompt"]) if job["prompt"] else Attributes()
    garments_dir = Path(plan.garments_dir) if plan.garments_dir else None
    if job["seed_subject"] is None:
        subject = make_subject(name, seed, garments_dir=garments_dir, attributes=attributes)
    else:
        subject = from_real(name, seed, folder.parent / job["seed_subject"], attributes, plan.jitter, garments_dir)
    cameras = make_rig("ring", config.views, config.size, np.random.default_rng(seed + 2))
    views = render_views(subject, cameras, config)
    with atomic_dir(folder) as tmp:
        write_synthetic_subject(tmp, subject, cameras, views)
        write_json_atomic(tmp / GENERATED_FILE, {"generated": True, "guidance": plan.guidance, "prompt": job["prompt"],
                                                 "bin": job["bin"], "seed_subject": job["seed_subject"],
                                                 "attributes": attributes.to_json(), "seed": seed})


def _add_to_splits(studio: Path, names: list[str]) -> None:
    path = studio / "splits.json"
    splits = json.loads(path.read_text()) if path.is_file() else {}
    train = splits.get("train", [])
    splits["train"] = train + [n for n in names if n not in train]
    write_json_atomic(path, splits)
