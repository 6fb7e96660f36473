"""Prompts for generated subjects, and what the generator (data_tools) reads from them.

The generator is the project's synthetic-human pipeline, so a prompt is an attribute description in words: outfit,
body shape, pose, lighting (data_tools.attributes). Designs:

    one            one template, "a photo of a person wearing {outfit}": only the outfit varies
    several        a few templates naming different attributes (body, pose, lighting) besides the outfit
    combinatorial  one template naming every attribute, over all their combinations in a seeded order

A user's own prompts (one per line) work too when they use the vocabulary below (`parse_prompt` says which words it
knows). What a prompt does not name is drawn as for any synthetic subject.
"""

from __future__ import annotations

import itertools
import re

import numpy as np

from data_tools.attributes import BODY_SHAPES, LIGHTINGS, Attributes
from smpl_d.poses import POSE_KINDS

PROMPT_DESIGNS = ("one", "several", "combinatorial")
PROMPT_OUTFITS = ("dress", "skirt", "trousers", "shorts")  # a suit needs MakeHuman assets: named only when asked
WORDS = {  # attribute → value → the phrase prompts use (first) and the words parse_prompt also accepts
    "outfit": {"dress": ["a dress"], "skirt": ["a skirt"], "trousers": ["trousers", "pants", "jeans"],
               "shorts": ["shorts"], "suit": ["a suit"]},
    "body": {"slim": ["slim", "thin"], "average": ["medium-build", "average build", "average-build", "medium build"], "heavy": ["heavy-set", "heavy", "plus-size"]},
    "pose": {"a_pose": ["in an A-pose", "a-pose"], "t_pose": ["in a T-pose", "t-pose"],
             "relaxed": ["standing relaxed", "relaxed"], "random": ["in a natural pose", "natural pose"]},
    "lighting": {"soft": ["in soft light", "soft light"], "studio": ["in studio light", "studio light"],
                 "hard": ["in hard light", "hard light"]},
}
ATTRIBUTES = ("outfit", "body", "pose", "lighting")
VALUES = {"outfit": PROMPT_OUTFITS, "body": tuple(BODY_SHAPES), "pose": POSE_KINDS, "lighting": LIGHTINGS}
TEMPLATES = {
    "one": ["a photo of a person wearing {outfit}"],
    "several": ["a photo of a {body} person wearing {outfit}",
                "a person wearing {outfit}, {pose}",
                "a person wearing {outfit}, {lighting}",
                "a {body} person wearing {outfit}, {pose}, {lighting}"],
    "combinatorial": ["a {body} person wearing {outfit}, {pose}, {lighting}"],
}


def phrase(attribute: str, value: str) -> str:
    return WORDS[attribute][value][0]


def make_prompts(design: str, count: int, rng: np.random.Generator, fixed: dict[str, str] | None = None) -> list[str]:
    """`count` prompts of a design. `fixed` pins attributes (a water-filling bin, e.g. {"outfit": "skirt"}): a
    template that does not name a pinned attribute gets it appended."""
    if design not in PROMPT_DESIGNS:
        raise ValueError(f"prompt design {design!r}: known designs are {', '.join(PROMPT_DESIGNS)}")
    fixed = fixed or {}
    choices = {a: (fixed[a],) if a in fixed else values for a, values in VALUES.items()}
    if design == "combinatorial":
        combos = list(itertools.product(*(choices[a] for a in ATTRIBUTES)))
        order = rng.permutation(len(combos))
        picked = [dict(zip(ATTRIBUTES, combos[order[i % len(combos)]])) for i in range(count)]
    else:
        picked = [{"outfit": choices["outfit"][i % len(choices["outfit"])]}
                  | {a: str(rng.choice(choices[a])) for a in ATTRIBUTES[1:]} for i in range(count)]
    out = []
    for i, values in enumerate(picked):
        template = TEMPLATES[design][i % len(TEMPLATES[design])]
        text = template.format(**{a: phrase(a, v) for a, v in values.items()})
        missing = [a for a in fixed if "{" + a + "}" not in template]
        out.append(text + "".join(f", {phrase(a, fixed[a])}" + (" body" if a == "body" else "") for a in missing))
    return out


def parse_prompt(prompt: str) -> Attributes:
    """The attributes a prompt names (longest phrases first, whole words); an error when it names none."""
    text = " " + re.sub(r"[^a-z\- ]+", " ", prompt.lower()) + " "
    found: dict[str, str] = {}
    for attribute, values in WORDS.items():
        candidates = sorted(((w.lower(), v) for v, words in values.items() for w in words), key=lambda x: -len(x[0]))
        for word, value in candidates:
            if re.search(rf"(?<![a-z\-]){re.escape(word)}(?![a-z\-])", text):
                found[attribute] = value
                break
    if not found:
        known = "; ".join(f"{a}: " + ", ".join(w[0] for w in v.values()) for a, v in WORDS.items())
        raise ValueError(f"prompt {prompt!r} names nothing the generator knows ({known})")
    return Attributes(**found)
