"""Surface extraction from the field: SDF on a grid inside the hull, marching cubes, colours from the views."""
