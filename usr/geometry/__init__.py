"""Geometry utilities over numpy arrays (distances, ray casts), grouped by topic like trimesh's modules."""
