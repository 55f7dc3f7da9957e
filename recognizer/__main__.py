import contextlib
import os
import sys


@contextlib.contextmanager
def _native_stderr_silenced():
    """TensorFlow writes start-up notices straight to file descriptor 2 while it is imported: keep them off
    the CLI's stderr, which is for the user's error messages."""
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
with _native_stderr_silenced():
    import tensorflow  # noqa: F401

from recognizer.cli import main  # noqa: E402

sys.exit(main())
