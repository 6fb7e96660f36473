"""Training the surface field across subjects (and per subject for fine-tuning): batches, losses, loop, checkpoints."""
