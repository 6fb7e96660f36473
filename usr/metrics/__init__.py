"""Metrics of the evaluation protocol (DESIGN.md): geometry in cm at 1.8 m height, images on held-out views."""
