"""usr: Unified Sparse-view Reconstruction of dressed humans into separable layers.

Sub-packages by role (see docs/ARCHITECTURE.md):
    usr.io        capture formats: cameras, subject folders, readers/writers, validation
    usr.labels    the label table shared by every stage
"""

__version__ = "0.1.0"
