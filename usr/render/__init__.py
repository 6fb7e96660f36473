"""Volume rendering of the SDF field: occupancy (visual hull) sampling and NeuS compositing."""
