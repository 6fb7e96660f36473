"""Garments: procedural (cut from the body surface) and MakeHuman CC0 assets bound to anny bodies."""
