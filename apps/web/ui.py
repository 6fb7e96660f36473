"""The try-on page: pick a sample or upload a capture, reconstruct it, look at its layers, try a garment on
another person or on a parametric body. Every handler calls the Workspace; errors reach the visitor as
gr.Error with the message the library wrote (the server goes on)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from apps.progress import gradio_progress
from apps.web.uploads import UploadError
from apps.web.workspace import SAMPLES, Person, Workspace, preview_of
from smpl_d.anny_backend import PHENOTYPES
from smpl_d.swap import TRYON_POSES
from usr.io.errors import CaptureError

ONTO_BODY, ONTO_PERSON = "a parametric body", "person B"
EXPECTED = (ValueError, CaptureError, UploadError, FileNotFoundError, KeyError)


def build_page(workspace: Workspace) -> gr.Blocks:
    theme = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    with gr.Blocks(title="usr: layered people and try-on", delete_cache=(1800, 3600), analytics_enabled=False,
                   theme=theme) as page:  # system fonts: the page asks nothing of the internet
        session = gr.State(None, delete_callback=workspace.end_session)
        people = gr.State({})  # name → result folder
        gr.Markdown("# usr: from a few calibrated photos to separate, swappable layers\n"
                    "Reconstruct a bundled sample or your own capture, look at its layers, then try a garment on "
                    "another person or on a parametric body. Everything runs on this machine.")
        with gr.Row():
            with gr.Column(scale=1):
                sample = gr.Dropdown(list(SAMPLES), value=next(iter(SAMPLES)), label="Bundled sample")
                run_sample = gr.Button("Reconstruct the sample", variant="primary", elem_id="run-sample")
                upload = gr.File(file_count="multiple", file_types=[".zip", ".png", ".jpg", ".jpeg", ".json"],
                                 label="…or your capture: a zip of a subject folder, or images + cameras.json / "
                                       "transforms.json")
                run_upload = gr.Button("Reconstruct the upload", elem_id="run-upload")
                status = gr.Markdown(elem_id="status")
            with gr.Column(scale=2):
                shown = gr.Dropdown([], label="Person", elem_id="person", allow_custom_value=True)
                layers = gr.CheckboxGroup([], label="Layers", elem_id="layers")
                viewer = gr.Model3D(label="Layers in 3D (drag to turn)", elem_id="viewer", height=460,
                                    clear_color=(0.93, 0.93, 0.93, 1.0))
                preview = gr.Image(label="Front, side, back", elem_id="preview", interactive=False)
                with gr.Row():
                    glb_file = gr.File(label="GLB (the layers shown)", elem_id="glb-file")
                    zip_file = gr.File(label="Result folder (zip)", elem_id="zip-file")
        gr.Markdown("## Try a garment on")
        with gr.Row():
            source = gr.Dropdown([], label="Garment of person A", elem_id="source", allow_custom_value=True)
            garment = gr.Dropdown([], label="Garment", elem_id="garment", allow_custom_value=True)
            onto = gr.Radio([ONTO_BODY, ONTO_PERSON], value=ONTO_BODY, label="Onto", elem_id="onto")
            target = gr.Dropdown([], label="Person B", elem_id="target", allow_custom_value=True)
        with gr.Row():
            sliders = [gr.Slider(0.0, 1.0, 0.5, step=0.05, label=p) for p in PHENOTYPES]
            pose = gr.Dropdown(list(TRYON_POSES), value="a_pose", label="Pose", elem_id="pose")
        try_on = gr.Button("Try it on", variant="primary", elem_id="try-on")

        shown_outputs = [session, people, shown, layers, viewer, preview, glb_file, zip_file, status, source, target]

        def person_outputs(person: Person) -> tuple:
            """layers, viewer, preview, GLB file, zip file: a person shown with all their layers."""
            all_layers = person.layer_names()
            glb = str(workspace.view(person, all_layers))
            return gr.update(choices=all_layers, value=all_layers), glb, preview_of(person), glb, str(workspace.download(person))

        def show(session_dir, known: dict, person: Person, note: str, wearer: bool = True):
            """Outputs for a new (or chosen) person; `wearer`: offer their garments for the next try-on."""
            known = {**known, person.name: str(person.result)}
            names = list(known)
            return (session_dir, known, gr.update(choices=names, value=person.name), *person_outputs(person), note,
                    gr.update(choices=names, value=person.name) if wearer else gr.update(choices=names),
                    gr.update(choices=names, value=names[0]))

        def on_sample(name, session_dir, known, progress=gr.Progress()):
            session_dir = session_dir or str(workspace.new_session())
            try:
                if name in known:
                    return show(session_dir, known, Person(name, Path(known[name])), f"**{name}** (reconstructed earlier)")
                capture = workspace.sample(name, gradio_progress(progress))
                person = workspace.reconstruct(capture, Path(session_dir), name, gradio_progress(progress))
            except EXPECTED as exc:
                raise gr.Error(str(exc)) from None
            return show(session_dir, known, person, f"**{name}** reconstructed: {', '.join(person.garments())}")

        def on_upload(files, session_dir, known, progress=gr.Progress()):
            session_dir = session_dir or str(workspace.new_session())
            if not files:
                raise gr.Error("choose a zip, or images with cameras.json / transforms.json, first")
            name = f"Upload {sum(n.startswith('Upload') for n in known) + 1}"
            try:
                capture = workspace.upload([Path(f) for f in files], Path(session_dir))
                person = workspace.reconstruct(capture, Path(session_dir), name, gradio_progress(progress))
            except EXPECTED as exc:
                raise gr.Error(str(exc)) from None
            return show(session_dir, known, person, f"**{name}** reconstructed: {', '.join(person.garments())}")

        def on_person(name, known):
            if not name or name not in known:
                return gr.update(), None, None, None, None
            return person_outputs(Person(name, Path(known[name])))

        def on_layers(name, chosen, known):
            if not name or name not in known:
                return None, None
            try:
                glb = str(workspace.view(Person(name, Path(known[name])), chosen or []))
            except EXPECTED as exc:
                raise gr.Error(str(exc)) from None
            return glb, glb

        def on_source(name, known):
            garments = Person(name, Path(known[name])).garments() if name in known else []
            return gr.update(choices=garments, value=garments[0] if garments else None)

        def on_try(src, label, where, tgt, pose_name, session_dir, known, *values, progress=gr.Progress()):
            if src not in known or not label:
                raise gr.Error("reconstruct a person first, then choose their garment")
            tell = gradio_progress(progress)
            try:
                a = Person(src, Path(known[src]))
                if where == ONTO_PERSON:
                    if tgt not in known or tgt == src:
                        raise ValueError("choose another person B (reconstruct a second sample or an upload)")
                    person = workspace.swap(a, label, Person(tgt, Path(known[tgt])), Path(session_dir), tell)
                else:
                    person = workspace.tryon(a, label, dict(zip(PHENOTYPES, values)), pose_name, Path(session_dir), tell)
            except EXPECTED as exc:
                raise gr.Error(str(exc)) from None
            return show(session_dir, known, person, f"**{person.name}**", wearer=False)

        run_sample.click(on_sample, [sample, session, people], shown_outputs, api_name="sample")
        run_upload.click(on_upload, [upload, session, people], shown_outputs, api_name="upload")
        shown.input(on_person, [shown, people], [layers, viewer, preview, glb_file, zip_file], api_name="person")
        layers.input(on_layers, [shown, layers, people], [viewer, glb_file], api_name="layers")
        source.change(on_source, [source, people], [garment], api_name="garments")
        try_on.click(on_try, [source, garment, onto, target, pose, session, people, *sliders], shown_outputs, api_name="try_on")
    return page
