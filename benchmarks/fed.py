"""Benchmark of federated co-training (the must-show of the fed issue).

4 studios with garment-type-skewed synthetic subjects (`usr fed partition --skew garment`: each mostly dresses,
skirts, trousers or shorts), held-out subjects from every studio. The field starts from the embedded model (the
studios improve the shipped model together; `--start scratch`: fresh weights) and every method gets the same
rounds × local steps:

- local-only: each studio alone (evaluated on its own and on the other studios' held-out subjects);
- centralized: one model on all studios' training subjects pooled (the compute of all studios together);
- FedAvg, FedProx, SCAFFOLD, FedAdam: Flower simulation (fed.simulate, the same ServerApp / ClientApp as deployment);
- FedAvg + FedGC: every studio first adds generated subjects (fed.fedgc: water-filling over outfit kinds,
  several prompts, prompt-only guidance, ratio 0.5);
- a fifth studio joins; it sends scaled, noise or label-flipped (mirrored views) updates, aggregated by the mean,
  the coordinate median and multi-Krum, against the clean 5-studio run;
- DP-FedAvg with C from the measured update norms of the FedAvg run, at a stated ε;
- FedAvg and centralized with the hash grid left as sent (grid_lr_scale 0: its local updates are near-orthogonal
  noise from studio to studio);
- FedAvg, centralized and FedAvg + FedGC again with other batch seeds (--extra-seeds): how much a rerun moves
  the scores.

Scores: Chamfer (cm at 1.8 m) of the feed-forward mesh from all 6 views (128³ grid) and PSNR of a held-out view
rendered from the others, averaged over held-out subjects. Every model's mesh is cut at its own surface level,
measured as a federated run measures it (fed.level: 2 scanned training subjects per studio it trained on, never a
held-out one); the scores at the starting model's level are kept beside them. Runs resume (finished runs are kept
in --work).

    python benchmarks/fed.py --work /work/bench_fed [--start embedded|scratch] --out benchmarks/results/fed.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.fed_eval import held_out_subjects, means, score_field, update_anatomy  # noqa: E402
from fed.core.privacy import epsilon_after  # noqa: E402
from fed.settings import ALGORITHMS, FedSettings  # noqa: E402
from fed.task import initial_field  # noqa: E402
from usr.training.checkpoint import load_checkpoint, save_checkpoint, surface_level  # noqa: E402
from usr.io.atomic import write_json_atomic  # noqa: E402

FEDERATED = {name: ALGORITHMS[name] for name in ("fedavg", "fedprox", "scaffold", "fedadam")}  # as `usr fed simulate --alg`
ATTACKS = ("scaled", "noise", "flipped")
RULES = ("mean", "median", "multi-krum")  # aggregation of the attacked 5-studio runs


def make_data(work: Path, args) -> dict[str, list[Path]]:
    """studios4 (garment skew), studios4_fedgc (the same + generated subjects), studios5 (+ a fifth studio)."""
    from data_tools.synth import synthesize
    from fed.fedgc.generate import FedGCPlan, generate
    from fed.partition import PartitionPlan, make_studios, studio_configs

    plan = PartitionPlan(studios=4, subjects=args.subjects, skew="garment", views=6, size=args.size, seed=args.seed)
    four = make_studios(work / "studios4", plan,
                        progress=lambda stage, f: print(f"data: {stage} ({f:.0%})", flush=True))
    five = work / "studios5"
    five.mkdir(exist_ok=True)
    for k, folder in enumerate(four):
        if not (five / folder.name).exists():
            (five / folder.name).symlink_to(folder.resolve(), target_is_directory=True)
    synthesize(five / "studio_4", studio_configs(replace(plan, studios=5))[4])
    gc = work / "studios4_fedgc"
    for folder in four:
        if not (gc / folder.name).exists():
            shutil.copytree(folder, gc / folder.name, copy_function=os.link)  # hard links: no copy of the images
    gc_studios = [gc / f.name for f in four]
    summaries = generate(gc_studios, FedGCPlan(ratio=args.fedgc_ratio, allocation="water-filling", prompts="several",
                                               guidance="prompt-only", seed=args.seed),
                         progress=lambda stage, f: print(f"fedgc: {stage} ({f:.0%})", flush=True))
    return {"studios4": four, "studios4_fedgc": gc_studios, "studios5": [five / f"studio_{k}" for k in range(5)],
            "fedgc": summaries}


def settings_for(args, **overrides) -> FedSettings:
    start = "scratch" if args.start == "scratch" else ""
    return replace(FedSettings(rounds=args.rounds, local_steps=args.local_steps, initial_checkpoint=start,
                               seed=args.seed, work_size=96, timeout=7200.0), **overrides)


def federated_run(work: Path, name: str, studios: list[Path], settings: FedSettings) -> tuple[Path, list[dict], float]:
    """The Flower simulation (resumes from its checkpoints); the final field.pt, the round history and its seconds."""
    from fed.level import measures_level
    from fed.simulate import simulate

    out = work / "runs" / name
    history_file = out / "history.json"
    done = json.loads(history_file.read_text()) if history_file.is_file() else []
    if len(done) < settings.rounds or (measures_level(settings) and not (out / "level.json").is_file()):
        print(f"run {name}: {len(studios)} studios, {settings.rounds} rounds", flush=True)
        simulate(replace(settings, checkpoint_dir=str(out), studios_dir=str(studios[0].parent)), len(studios),
                 on_round=lambda r: print(f"  {name} round {r['round']}: {r.get('val_psnr', float('nan')):.2f} dB, "
                                          f"{r['seconds']:.0f} s", flush=True))
    history = json.loads(history_file.read_text())
    return out / "field.pt", history, round(sum(r["seconds"] for r in history), 1)  # training + per-round evaluation


def solo_run(work: Path, name: str, studios: list[Path], settings: FedSettings, steps_per_round: int) -> tuple[Path, float]:
    """Local-only / centralized (fed.baselines): the same rounds of local training, on one data set; its surface
    level measured on those studios (calibrate_alone)."""
    from fed.baselines import train_alone

    out = work / "runs" / f"{name}.pt"
    if not out.is_file():
        print(f"run {name}: {settings.rounds} rounds × {steps_per_round} steps", flush=True)
        t = time.perf_counter()
        field = train_alone(studios, settings, steps_per_round)
        out.parent.mkdir(parents=True, exist_ok=True)
        save_checkpoint(out, field, settings.rounds * steps_per_round,
                        extra={"benchmark": name, "seconds": round(time.perf_counter() - t, 1)})
    calibrate_alone(out, studios, settings)
    return out, load_checkpoint(out)[1].get("extra", {}).get("seconds")  # None: made before seconds were kept


def calibrate_alone(checkpoint: Path, studios: list[Path], settings: FedSettings) -> None:
    """The surface level of a model trained without federation, measured as a federated run measures its own
    (fed.level: the same training subjects of each studio it trained on, the same views); stored in the checkpoint."""
    from fed.level import combine_tables, studio_table
    from usr.training.surface_level import write_level

    done = checkpoint.with_suffix(".level.json")
    if done.is_file():
        return
    field, _ = load_checkpoint(checkpoint)
    tables = {s.name: studio_table(field, s, settings.level_subjects, settings.level_views, settings.work_size)
              for s in studios}
    cal = combine_tables(tables, settings.level_views)
    write_level(checkpoint, cal)
    write_json_atomic(done, {"level": cal.level, "chamfer_cm_by_level": cal.chamfer_by_level, "studios": cal.subjects})


def weights_digest(field) -> str:
    import hashlib

    from fed.core.weights import model_vector

    return hashlib.sha256(model_vector(field).tobytes()).hexdigest()[:16]


def scores_of(field, digest: str, held: list, cache: Path, level: float) -> list[dict]:
    """Scores of the field (weights digest `digest`) with its surface at `level` (cached per level and weights)."""
    cache = cache.with_name(f"{cache.stem}@{level:+.3f}.json")
    if cache.is_file() and json.loads(cache.read_text()).get("weights") == digest:
        return json.loads(cache.read_text())["rows"]
    rows = score_field(field, held, level)
    write_json_atomic(cache, {"weights": digest, "rows": rows})
    return rows


def dp_clip(fedavg_history: list[dict]) -> float:
    """C = the median update norm the FedAvg run measured: clipping then keeps most of the signal."""
    norms = [v for r in fedavg_history for v in r.get("update_norms", {}).values() if v is not None]
    if not norms:
        raise SystemExit("the FedAvg run recorded no update norms (history.json made by an older version?)")
    return float(np.median(norms))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True, help="Data, runs and scores (kept: a rerun resumes).")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/fed.json"))
    ap.add_argument("--subjects", type=int, default=8, help="Subjects per studio (2 of them held out).")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--local-steps", type=int, default=25)
    ap.add_argument("--attack-rounds", type=int, default=4, help="Rounds of the 5-studio runs (clean and attacked).")
    ap.add_argument("--fedgc-ratio", type=float, default=0.5)
    ap.add_argument("--dp-noise", type=float, nargs="+", default=[1.0], help="σ of each DP run (C: measured).")
    ap.add_argument("--seed", type=int, default=0, help="Seed of the studios' data and of the training batches.")
    ap.add_argument("--extra-seeds", type=int, nargs="*", default=[1], help="Group seed: FedAvg, centralized and "
                    "FedAvg + FedGC again with these batch seeds (same data).")
    ap.add_argument("--start", choices=["embedded", "scratch"], default="embedded")
    ap.add_argument("--only", nargs="*", default=None, help="Run only these groups: base fed fedgc attack dp grid seed.")
    args = ap.parse_args()
    groups = set(args.only or ["base", "fed", "fedgc", "attack", "dp", "grid", "seed"])
    t0 = time.perf_counter()
    data = make_data(args.work, args)
    work = args.work / args.start  # runs and scores of this starting point
    start_field, start_state = initial_field(settings_for(args))
    level = surface_level(start_state)
    four, five = data["studios4"], data["studios5"]
    held4, held5 = held_out_subjects(four), held_out_subjects(five)
    scores_dir = work / "scores"
    base = settings_for(args)
    runs: dict[str, dict] = {}
    start_ckpt = work / "runs" / "start.pt"
    if not start_ckpt.is_file():
        start_ckpt.parent.mkdir(parents=True, exist_ok=True)
        save_checkpoint(start_ckpt, start_field, 0, extra=start_state.get("extra", {}))
    calibrate_alone(start_ckpt, four, base)

    def record(name: str, checkpoint: Path, held: list, seconds: float | None, **info) -> None:
        """Scores at the model's own calibrated level (fed.level) and, for comparison, at the starting model's."""
        field, state = load_checkpoint(checkpoint)
        own, digest = surface_level(state), weights_digest(field)
        rows = scores_of(field, digest, held, scores_dir / f"{name}.json", own)
        at_start = means(scores_of(field, digest, held, scores_dir / f"{name}.json", level))
        runs[name] = {"all": means(rows), "surface_level": own, "at_start_level": at_start, "seconds": seconds,
                      "weights": digest, "per_subject": rows, **info}
        a = runs[name]["all"]
        print(f"{name} (level {own:+.3f}): Chamfer {a['chamfer_cm'] if a['empty_meshes'] == 0 else 'empty meshes'}, "
              f"PSNR {a['psnr']:.2f}; at the starting level {at_start['chamfer_cm']}", flush=True)

    record("start", start_ckpt, held4, None)
    record("start5", start_ckpt, held5, None)
    if "base" in groups:
        for k, studio in enumerate(four):
            ckpt, secs = solo_run(work, f"local_{k}", [studio], base, args.local_steps)
            record(f"local_{k}", ckpt, held4, secs, studio=k)
            rows = runs[f"local_{k}"]["per_subject"]
            runs[f"local_{k}"] |= {"own": means(rows, lambda r, k=k: r["studio"] == k),
                                   "others": means(rows, lambda r, k=k: r["studio"] != k)}
        ckpt, secs = solo_run(work, "centralized", four, base, args.local_steps * len(four))
        record("centralized", ckpt, held4, secs)
    history = {}
    if groups & {"fed", "dp"}:
        for name, (local, server, lr) in FEDERATED.items():
            if name != "fedavg" and "fed" not in groups:
                continue
            ckpt, history[name], secs = federated_run(work, name, four, replace(base, algorithm=local,
                                                      server_optimizer=server, server_lr=lr))
            record(name, ckpt, held4, secs, algorithm=name)
    if "fedgc" in groups:
        ckpt, history["fedavg_fedgc"], secs = federated_run(work, "fedavg_fedgc", data["studios4_fedgc"], base)
        record("fedavg_fedgc", ckpt, held4, secs, fedgc=data["fedgc"])
    if "attack" in groups:
        five_base = replace(base, rounds=args.attack_rounds)
        ckpt, _, secs = federated_run(work, "clean5_mean", five, five_base)
        record("clean5_mean", ckpt, held5, secs)
        for attack in ATTACKS:
            for rule in RULES:
                name = f"{attack}5_{rule}"
                ckpt, _, secs = federated_run(work, name, five, replace(five_base, attack=attack, attack_studio=4,
                                                                         rule=rule))
                record(name, ckpt, held5, secs, attack=attack, rule=rule, attacker="studio_4")
    if "grid" in groups:  # the hash grid left as sent (grid_lr_scale 0): federated and centralized alike
        frozen = replace(base, grid_lr_scale=0.0)
        ckpt, _, secs = federated_run(work, "fedavg_grid0", four, frozen)
        record("fedavg_grid0", ckpt, held4, secs, grid_lr_scale=0.0)
        ckpt, secs = solo_run(work, "centralized_grid0", four, frozen, args.local_steps * len(four))
        record("centralized_grid0", ckpt, held4, secs, grid_lr_scale=0.0)
    if "seed" in groups:  # the same FedAvg and centralized runs on other batches: how much a rerun moves the scores
        for seed in args.extra_seeds:
            other = replace(base, seed=seed)
            ckpt, _, secs = federated_run(work, f"fedavg_seed{seed}", four, other)
            record(f"fedavg_seed{seed}", ckpt, held4, secs, seed=seed)
            ckpt, secs = solo_run(work, f"centralized_seed{seed}", four, other, args.local_steps * len(four))
            record(f"centralized_seed{seed}", ckpt, held4, secs, seed=seed)
            ckpt, _, secs = federated_run(work, f"fedavg_fedgc_seed{seed}", data["studios4_fedgc"], other)
            record(f"fedavg_fedgc_seed{seed}", ckpt, held4, secs, seed=seed, fedgc=data["fedgc"])
    anatomy_file = work / "update_anatomy.json"
    if "grid" in groups and not anatomy_file.is_file():
        write_json_atomic(anatomy_file, update_anatomy(four, base))
    anatomy = json.loads(anatomy_file.read_text()) if anatomy_file.is_file() else None
    if "dp" in groups:
        clip = dp_clip(history["fedavg"])
        for sigma in args.dp_noise:
            name = f"fedavg_dp_sigma{sigma:g}"
            ckpt, hist, secs = federated_run(work, name, four, replace(base, dp_noise=sigma, dp_clip=clip))
            spent = [r["epsilon"] for r in hist if r.get("epsilon") is not None]  # rounds where updates were combined
            record(name, ckpt, held4, secs, dp_clip=clip, dp_noise=sigma, epsilon=spent[-1] if spent else 0.0,
                   delta=1e-5, rounds_with_updates=len(spent),
                   epsilon_all_rounds=epsilon_after(sigma, args.rounds, 1e-5))
    result = {
        "benchmark": "fed", "command": f"python benchmarks/fed.py --work WORK --start {args.start} --out {args.out}",
        "setup": {"studios": 4, "skew": "garment", "subjects_per_studio": args.subjects, "size": args.size, "views": 6,
                  "rounds": args.rounds, "attack_rounds": args.attack_rounds, "local_steps": args.local_steps,
                  "rays": base.rays, "samples": base.samples,
                  "work_size": base.work_size, "start": args.start, "surface_level": level, "seed": args.seed,
                  "held_out": [f"{h.folder.parent.name}/{h.folder.name}" for h in held4],
                  "held_out_5": [f"{h.folder.parent.name}/{h.folder.name}" for h in held5],
                  "fedgc": {"ratio": args.fedgc_ratio, "allocation": "water-filling", "prompts": "several",
                            "guidance": "prompt-only"}},
        "runs": runs, "goals": goals(runs), "update_anatomy": anatomy, "seconds": round(time.perf_counter() - t0, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    previous = json.loads(args.out.read_text()) if args.out.is_file() else {}
    if previous.get("benchmark") == "fed" and args.only:  # a partial rerun keeps the other groups' runs
        result["runs"] = {**previous.get("runs", {}), **runs}
        result["goals"] = goals(result["runs"])
        result["update_anatomy"] = anatomy or previous.get("update_anatomy")
    write_json_atomic(args.out, result)
    print(json.dumps(result["goals"], indent=1))


def goals(runs: dict) -> dict:
    """The issue's goals against the measured runs (None when a run is missing)."""
    def chamfer(name, key="all"):
        return runs[name][key]["chamfer_cm"] if name in runs else None

    locals_others = [runs[k]["others"]["chamfer_cm"] for k in runs if k.startswith("local_")]
    local = float(np.mean(locals_others)) if locals_others else None
    out = {"local_only_others_chamfer": local, "centralized_chamfer": chamfer("centralized")}
    for name in FEDERATED:
        c = chamfer(name)
        if c is None or local is None:  # not run, or ruined (empty meshes)
            continue
        out[name] = {"chamfer": c, "vs_local_others": c / local - 1,
                     "better_than_local_by_10pct": c <= 0.9 * local}
        if chamfer("centralized") is not None:
            out[name] |= {"vs_centralized": c / chamfer("centralized") - 1,
                          "within_10pct_of_centralized": c <= 1.1 * chamfer("centralized")}
    if chamfer("fedavg_grid0") is not None and chamfer("centralized_grid0") is not None:
        out["grid0"] = {"fedavg_vs_centralized": chamfer("fedavg_grid0") / chamfer("centralized_grid0") - 1,
                        "fedavg_vs_fedavg_with_grid": chamfer("fedavg_grid0") / chamfer("fedavg") - 1
                        if chamfer("fedavg") is not None else None}
    for name in runs:
        if name.startswith("fedavg_seed") and f"centralized_{name[7:]}" in runs:
            out[name] = _seed_goals(chamfer(name), chamfer(f"centralized_{name[7:]}"), chamfer(f"fedavg_fedgc_{name[7:]}"))
    seeds = sorted(n[11:] for n in runs if n.startswith("fedavg_seed"))
    trio = ("fedavg", "centralized", "fedavg_fedgc")
    if seeds and all(chamfer(f"{m}_seed{k}") is not None and chamfer(m) is not None for m in trio for k in seeds):
        mean = {m: float(np.mean([chamfer(m)] + [chamfer(f"{m}_seed{k}") for k in seeds])) for m in trio}
        out["seed_means"] = {"seeds": [0, *map(int, seeds)], **mean,
                             **_seed_goals(mean["fedavg"], mean["centralized"], mean["fedavg_fedgc"])}
    if chamfer("fedavg_fedgc") is not None and chamfer("fedavg") is not None:  # both ran with a surface
        out["fedgc"] = {"vs_fedavg": chamfer("fedavg_fedgc") / chamfer("fedavg") - 1,
                        "better_by_5pct": chamfer("fedavg_fedgc") <= 0.95 * chamfer("fedavg")}
    clean = chamfer("clean5_mean")
    for attack in ATTACKS:
        for rule in RULES:
            name = f"{attack}5_{rule}"
            if name in runs and clean is not None:
                c = chamfer(name)  # None: the field was ruined (empty meshes)
                out[name] = {"vs_clean": None if c is None else c / clean - 1,
                             "within_5pct_of_clean": c is not None and c <= 1.05 * clean}
    return out



def _seed_goals(fedavg: float, centralized: float, fedgc: float | None) -> dict:
    """The centralized and FedGC goals for one batch seed's runs (or their means)."""
    out = {"fedavg_vs_centralized": fedavg / centralized - 1, "within_10pct_of_centralized": fedavg <= 1.1 * centralized}
    if fedgc is not None:
        out |= {"fedgc_vs_fedavg": fedgc / fedavg - 1, "fedgc_better_by_5pct": fedgc <= 0.95 * fedavg}
    return out


if __name__ == "__main__":
    main()
