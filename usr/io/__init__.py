"""Capture formats: one SubjectCapture type, whatever the source (see docs/formats.md)."""

from usr.io.cameras import Camera
from usr.io.cameras_json import read_cameras_json
from usr.io.capture import GroundTruth, SubjectCapture
from usr.io.errors import CaptureError
from usr.io.subject_folder import read_subject, write_subject
from usr.io.validate import capture_problems, subject_problems

__all__ = ["Camera", "CaptureError", "GroundTruth", "SubjectCapture", "capture_problems", "read_cameras_json",
           "read_subject", "subject_problems", "write_subject"]
