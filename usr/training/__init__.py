"""Training the surface field across subjects (and per subject for fine-tuning): batches, losses, checkpoints, and
the training loop every trainer of the house plugs its step into (`loop`; the garment parser's too)."""
