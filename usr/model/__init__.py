"""The reconstruction model (v2): frozen pretrained image features of the input views, sampled where each 3D point
projects, with the point's geometric cues per view; fused across views by attention; decoded into the clothed
surface's signed distance, the garment label and the body-under-clothes signed distance. Trained on exact 3D points
(data_tools.points), never by rendering."""
