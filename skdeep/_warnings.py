"""Warnings reported at the user's line, whatever the call chain inside the libraries."""

import concurrent.futures
import functools
import multiprocessing
import os
import sys
import threading
import warnings

import joblib
import sklearn

# Frames in these folders are library code: the warning goes to the first frame outside them,
# the line that called fit, partial_fit, cross_val_score, Pipeline.fit, ... The standard
# library's thread and process-pool plumbing counts too: a fit run by a worker has no user
# line of its own in its thread.
_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.realpath(module.__file__)) + os.sep
    for module in (
        sys.modules[__package__],
        sklearn,
        joblib,
        concurrent.futures,
        multiprocessing,
    )
)
_LIBRARY_FILES = (os.path.realpath(threading.__file__),)


@functools.lru_cache(maxsize=256)
def _is_library_file(filename):
    if filename.startswith("<"):  # <doctest ...>, <string>, <stdin>: code a user typed
        return False
    path = os.path.realpath(filename)
    return path.startswith(_LIBRARY_DIRS) or path in _LIBRARY_FILES


def warn_at_user_line(message, category):
    """``warnings.warn(message, category)`` attributed to the first frame outside the libraries.

    The stack level is found by walking the frames, not counted by hand, so it stays right
    when the internal call chain changes. When every frame is library code (a fit started by
    a library's worker thread, say), the outermost frame gets the warning.

    Parameters
    ----------
    message : str
    category : type of Warning
    """
    frame = sys._getframe(1)
    level = 2  # stacklevel 2 is the caller of this function
    while frame.f_back is not None and _is_library_file(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
