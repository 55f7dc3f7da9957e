"""What one request may cost, configured in one place (the README's "Limits" section quotes these).

Larger files are refused with a message, larger images are refused or downscaled, and a read that runs
past the time limit is answered with a message.
"""

#: Largest image file read (the CLI, the Python API given a path or bytes, the app's uploads).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Largest decoded image, in pixels; larger ones are refused before they are decoded (decompression bombs).
MAX_PIXELS = 50_000_000
#: Longest side kept for processing; larger images are downscaled first.
MAX_SIDE = 1600
#: Seconds the app waits for one reading before answering with a message instead.
REQUEST_SECONDS = 10.0
