"""fed: federated co-training of the reconstruction field on Flower (federation issue)."""
