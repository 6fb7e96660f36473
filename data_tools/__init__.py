"""data_tools: synthetic dressed humans with exact ground truth, and their calibrated multi-view renders."""
