"""Skewed studios (fed.partition, data_tools.attributes) and FedGC generation (fed.fedgc): budgets, prompts,
guidance, flags."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from data_tools.attributes import Attributes, outfit_kind_of, parse_mix
from fed.fedgc.budget import allocate
from fed.fedgc.prompts import PROMPT_DESIGNS, make_prompts, parse_prompt


def _kinds(folder):
    meta = json.loads((folder / "gt" / "meta.json").read_text())
    return outfit_kind_of([g["item"] for g in meta["garments"]])


def test_mix_parsing_refuses_unknown_kinds_and_bad_weights():
    assert parse_mix("dress=0.8,trousers=0.2", ("dress", "trousers"), "outfit") == (("dress", 0.8), ("trousers", 0.2))
    for bad, word in (("gown", "gown"), ("dress=x", "not a number"), ("dress=-1", "≥ 0"), ("dress=0", "sum to 0")):
        with pytest.raises(ValueError, match=word):
            parse_mix(bad, ("dress",), "outfit kind")
    with pytest.raises(ValueError, match="body 'huge'"):
        Attributes(body="huge")


def test_attributes_steer_the_subject_and_none_leaves_it_unchanged():
    from data_tools.subject import make_subject

    plain, same = make_subject("a", 11), make_subject("a", 11, attributes=Attributes())
    assert np.array_equal(plain.body.vertices, same.body.vertices)
    assert [g.name for g in plain.garments] == [g.name for g in same.garments]
    asked = make_subject("b", 11, attributes=Attributes(outfit="skirt", body="heavy", pose="t_pose", lighting="hard"))
    assert "skirt" in [g.name for g in asked.garments]
    assert asked.body.spec.phenotypes["weight"] >= 0.6 and asked.body.spec.pose.kind == "t_pose"
    assert asked.lighting.key >= 0.75 and asked.lighting.fill <= 0.08


def test_budget_allocations():
    hist = [{"dress": 6}, {"dress": 1, "skirt": 1}]
    bins = ("dress", "skirt", "trousers", "shorts")
    equal, inverse = allocate(hist, 0.5, "equal", bins), allocate(hist, 0.5, "inverse", bins)
    assert [sum(a.values()) for a in equal] == [2, 2] and [sum(a.values()) for a in inverse] == [1, 3]
    water = allocate(hist, 1.0, "water-filling", bins)
    assert sum(sum(a.values()) for a in water) == 8
    assert "dress" not in water[0]  # the studio full of dresses gets the kinds it lacks
    level = [[hist[k].get(b, 0) + water[k].get(b, 0) for b in bins] for k in range(2)]
    assert max(map(max, level)) == 6 and min(map(min, level)) >= 1  # the emptiest cells filled first
    with pytest.raises(ValueError, match="no private training subjects"):
        allocate([{}], 0.5, "equal", bins)


def test_every_prompt_design_reads_back_as_what_it_asked():
    rng = np.random.default_rng(0)
    for design in PROMPT_DESIGNS:
        prompts = make_prompts(design, 8, rng, {"outfit": "shorts"})
        assert all(parse_prompt(p).outfit == "shorts" for p in prompts)
        assert all(parse_prompt(p).body == "heavy" for p in make_prompts(design, 8, rng, {"body": "heavy"}))
    combos = make_prompts("combinatorial", 20, rng)
    assert len(set(combos)) == 20 and all(None not in vars(parse_prompt(p)).values() for p in combos)
    assert parse_prompt("A heavy woman in jeans, T-pose") == Attributes(outfit="trousers", body="heavy", pose="t_pose")
    with pytest.raises(ValueError, match="names nothing the generator knows"):
        parse_prompt("a cat on a sofa")


@pytest.fixture(scope="module")
def studios(tmp_path_factory):
    from fed.partition import PartitionPlan, make_studios

    root = tmp_path_factory.mktemp("studios")
    return make_studios(root, PartitionPlan(studios=2, subjects=4, skew="garment", dominance=1.0, views=3, size=48))


def test_garment_skew_gives_each_studio_its_own_kind(studios):
    for folder, kind in zip(studios, ("dress", "skirt")):
        assert {_kinds(s) for s in folder.glob("subject_*")} == {kind}
        assert json.loads((folder / "studio.json").read_text())["plan"]["skew"] == "garment"


@pytest.mark.parametrize("guidance", ["prompt-only", "real-only", "prompt+real"])
def test_generated_subjects_are_flagged_trained_on_and_never_evaluated(studios, tmp_path, guidance):
    from fed.fedgc.generate import FedGCPlan, generate
    from fed.task import studio_data

    copies = [shutil.copytree(s, tmp_path / s.name) for s in studios]
    summaries = generate(copies, FedGCPlan(ratio=0.5, guidance=guidance, prompts="one", seed=1))
    assert [s["generated"] for s in summaries] == [1, 1]
    for folder, own in zip(copies, ("dress", "skirt")):
        gen = folder / "gen_0000"
        info = json.loads((gen / "generated.json").read_text())
        assert info["generated"] and info["guidance"] == guidance
        if guidance == "real-only":  # the seed's own outfit on a perturbed body
            assert info["prompt"] is None and _kinds(gen) == own == _kinds(folder / info["seed_subject"])
            seed_body = json.loads((folder / info["seed_subject"] / "gt" / "meta.json").read_text())["body"]["phenotypes"]
            body = json.loads((gen / "gt" / "meta.json").read_text())["body"]["phenotypes"]
            assert 0 < max(abs(body[k] - seed_body[k]) for k in body) < 0.3
        else:  # water-filling asked for a kind the studio lacks, and the subject wears it
            assert _kinds(gen) == info["bin"] != own
        data = studio_data(folder, 32)
        assert data.generated == ["gen_0000"] and "gen_0000" in json.loads((folder / "splits.json").read_text())["train"]
        assert all(not s.name.startswith("gen_") for s in data.held_out) and data.held_out
    with pytest.raises(ValueError, match="other settings"):
        generate(copies, FedGCPlan(ratio=1.0, guidance=guidance, prompts="one", seed=1))


def test_real_guidance_needs_the_subjects_bodies(studios, tmp_path):
    from fed.fedgc.generate import FedGCPlan, generate

    folder = shutil.copytree(studios[0], tmp_path / "studio_0")
    for meta in folder.glob("*/gt/meta.json"):
        meta.unlink()
    with pytest.raises(ValueError, match="gt/meta.json.*prompt-only"):
        generate([folder], FedGCPlan(guidance="real-only"))
    assert not list(folder.glob("gen_*"))


def test_cli_partition_and_generate(tmp_path):
    from typer.testing import CliRunner

    from apps.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["fed", "partition", "--out", str(tmp_path), "--studios", "2", "--subjects", "3",
                              "--skew", "body", "--dominance", "1", "--views", "3", "--size", "32"])
    assert res.exit_code == 0, res.output
    bodies = [json.loads((tmp_path / f"studio_{k}" / "studio.json").read_text())["bodies"] for k in (0, 1)]
    assert bodies[0].startswith("slim=1.0") and "average=1.0" in bodies[1]
    res = runner.invoke(app, ["fed", "generate", str(tmp_path / "studio_0"), "--allocation", "greedy"])
    assert res.exit_code != 0 and "allocation 'greedy'" in res.output
    res = runner.invoke(app, ["fed", "generate", str(tmp_path / "studio_0"), str(tmp_path / "studio_1"), "--axis", "body",
                              "--ratio", "1", "--prompts", "combinatorial"])
    assert res.exit_code == 0, res.output
    made = [json.loads((tmp_path / f"studio_{k}" / "gen_0000" / "generated.json").read_text()) for k in (0, 1)]
    # water-filling over body shapes: each studio gets a shape it lacks, and the prompt asks for it
    assert [m["bin"] for m in made] == ["average", "slim"]
    assert [m["attributes"]["body"] for m in made] == ["average", "slim"]


def test_own_prompt_file_follows_the_water_filling_bins(studios, tmp_path):
    from fed.fedgc.generate import FedGCPlan, plan_studios

    prompts = tmp_path / "prompts.txt"
    prompts.write_text("# studio prompts\na slim person in a dress\nshorts in hard light\na person wearing jeans\n")
    jobs = plan_studios(studios, FedGCPlan(ratio=1.0, prompts=str(prompts)))
    for studio_jobs in jobs:
        for job in studio_jobs:
            assert parse_prompt(job["prompt"]).outfit == job["bin"] or job["bin"] == "skirt"  # no skirt prompt given
    bad = tmp_path / "bad.txt"
    bad.write_text("a cat on a sofa\n")
    with pytest.raises(ValueError, match="a cat on a sofa"):
        plan_studios(studios, FedGCPlan(prompts=str(bad)))
