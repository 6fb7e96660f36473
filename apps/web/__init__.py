"""`usr app`: the Gradio try-on demo.

uploads.py    an uploaded capture (a zip, or images + cameras.json / transforms.json) unpacked safely;
workspace.py  what the page does, without Gradio: samples, reconstruct, layer views, fit, swap, try-on, downloads;
ui.py         the page (gr.Blocks) wired to the workspace.
"""
