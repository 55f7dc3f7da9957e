"""Gradio app: draw, upload or film a handwritten number; a CNN or a GRU reads it.

    python app.py                   # http://127.0.0.1:7860, this machine only
    python app.py --host 0.0.0.0    # every interface (a Space sets GRADIO_SERVER_NAME=0.0.0.0 instead)
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import gradio as gr

from recognizer.limits import MAX_FILE_BYTES
from recognizer.presentation import (
    DEFAULT_MODEL, MODEL_LABELS, Reader, SteadyReading, as_json, model_view, probabilities_html, reading_html,
)

EXAMPLES = sorted(str(p) for p in (Path(__file__).parent / "examples").glob("*.png"))
CSS = """
.reading { text-align: center; padding: 0.5em; }
.reading .number { font-size: 4em; font-weight: 700; letter-spacing: 0.08em; font-family: monospace; }
.reading .number.none { font-size: 2em; color: #6b7280; }
.reading .confidence { font-size: 1.1em; color: #374151; }
.reading .unsure { margin-top: 0.4em; padding: 0.4em; background: #fef3c7; color: #92400e; border-radius: 6px; }
.reading.notice { color: #6b7280; font-size: 1.1em; }
table.probabilities { border-collapse: collapse; margin: auto; font-family: monospace; }
table.probabilities td, table.probabilities th { border: 1px solid #e5e7eb; padding: 4px 8px; text-align: center; }
table.probabilities td.best { outline: 3px solid #dc2626; outline-offset: -3px; font-weight: 700; }
"""
# A fresh sketchpad waits for its Brush tool to be chosen: choose it for the user.
SELECT_BRUSH = ("() => { setTimeout(() => "
                "document.querySelector('#sketch button[aria-label=\"Brush\"]')?.click(), 500); }")


class ImageInput(gr.Image):
    """`gr.Image` that passes a file Gradio cannot open on to the reader, whose message says why."""

    def get_block_name(self) -> str:
        return "image"

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except Exception:  # not an image, truncated, a decompression bomb...
            return str(payload.path) if self.type == "filepath" and payload and payload.path else None


def build(reader: Reader) -> gr.Blocks:
    """The Blocks app around one `Reader` (both models loaded once)."""

    def shown(prediction, message, image):
        return reading_html(prediction, message), probabilities_html(prediction), model_view(prediction), image

    def show(image, model):
        return shown(*reader.read(image, model), image)

    def show_live(frame, model, steady):
        prediction, message = reader.read(frame, model)
        if prediction is not None:
            prediction = steady.update(prediction, model)
        return *shown(prediction, message, frame), steady

    def show_sketch(value, model):
        return show(value.get("composite") if isinstance(value, dict) else value, model)

    def api_predict(image, model):
        return as_json(*reader.read(image, model))

    with gr.Blocks(title="Handwritten number reader") as demo:
        gr.Markdown("# Handwritten number reader\nWrite a number of any length: draw it, upload a photo of it, "
                    "or hold it up to the webcam. Two models read it; pick one below. Dots, commas, dashes and "
                    "colons between digits (12.50, 12:30) are skipped. Photos and the webcam read best when the paper "
                    "fills most of the picture.")
        last_input = gr.State(None)
        steady = gr.State(SteadyReading())  # the live webcam's reading, held steady (one per viewer)
        with gr.Row():
            with gr.Column(scale=3):
                choices = [(label, name) for name, label in MODEL_LABELS.items() if name in reader.recognizers]
                model = gr.Dropdown(choices, value=DEFAULT_MODEL, label="Model")
                with gr.Tabs():
                    with gr.Tab("Draw", id="draw"):
                        sketch = gr.Sketchpad(canvas_size=(900, 300), type="numpy", image_mode="RGBA", layers=False,
                                              transforms=(), brush=gr.Brush(default_size=14, colors=["#000000"],
                                                                            color_mode="fixed"),
                                              label="Draw a number (mouse or finger)", elem_id="sketch")
                        read_sketch = gr.Button("Read drawing", variant="primary")
                    with gr.Tab("Upload", id="upload"):
                        formats = "PNG, JPEG, HEIC, WebP, AVIF, BMP; or paste"
                        upload = ImageInput(type="filepath", image_mode=None, sources=["upload", "clipboard"],
                                          label=f"Photo, scan or screenshot ({formats})", elem_id="upload")
                        if EXAMPLES:
                            gr.Examples(EXAMPLES, inputs=upload, label="Examples (click one)")
                    with gr.Tab("Webcam", id="webcam"):
                        # Unmirrored: the model must see writing the right way round, not as in a selfie.
                        camera = gr.WebcamOptions(mirror=False)
                        live = gr.Image(sources=["webcam"], streaming=True, type="numpy", webcam_options=camera,
                                        label="Live: reads several times a second; hold the paper close",
                                        elem_id="live")
                        snapshot = gr.Image(sources=["webcam"], type="numpy", webcam_options=camera,
                                            label="Snapshot")
            with gr.Column(scale=2):
                reading = gr.HTML(reading_html(None, "Draw, upload or film a number to read it."), elem_id="reading")
                probabilities = gr.HTML(elem_id="probabilities")
                seen = gr.Image(label="What the model saw", interactive=False, height=120)
        outputs = [reading, probabilities, seen, last_input]
        quiet = {"show_progress": "hidden", "trigger_mode": "always_last"}
        sketch.change(show_sketch, [sketch, model], outputs, api_visibility="private", **quiet)
        read_sketch.click(show_sketch, [sketch, model], outputs, api_visibility="private")
        upload.change(show, [upload, model], outputs, api_visibility="private", **quiet)
        snapshot.change(show, [snapshot, model], outputs, api_visibility="private", **quiet)
        # Live video: one read at a time; frames arriving meanwhile are dropped, not queued.
        live.stream(show_live, [live, model, steady], [*outputs, steady], stream_every=0.25, concurrency_limit=1,
                    time_limit=3600, api_visibility="private", show_progress="hidden")
        model.change(show, [last_input, model], outputs, api_visibility="private", **quiet)
        demo.load(None, js=SELECT_BRUSH)

        # The HTTP API: Client(url).predict(handle_file("x.png"), "cnn", api_name="/predict") -> dict
        api_image = ImageInput(type="filepath", image_mode=None, visible=False)  # keep alpha: transparent canvases
        api_model = gr.Textbox(visible=False)
        api_result = gr.JSON(visible=False)
        gr.Button(visible=False).click(api_predict, [api_image, api_model], api_result, api_name="predict")
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the handwritten number reader.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="interface to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, help="port (default $GRADIO_SERVER_PORT, else 7860 or the next free)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        reader = Reader()
    except (FileNotFoundError, ValueError) as exc:  # missing or corrupt weights: say which, and how to rebuild
        raise SystemExit(f"error: {exc}") from None
    demo = build(reader)
    demo.queue(default_concurrency_limit=2).launch(server_name=args.host, server_port=args.port, css=CSS,
                                                   max_file_size=MAX_FILE_BYTES)


if __name__ == "__main__":
    main()
