"""The generalizable surface field: encodings, image features, SDF + colour heads (nerfstudio-style split)."""
