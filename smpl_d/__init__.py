"""smpl_d: body model + displacements fitted under the clothes; garment layers bound to it (SMPL-D issue)."""
