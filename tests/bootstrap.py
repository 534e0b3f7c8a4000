"""Loaded with `-p tests.bootstrap` before Django starts: tests get their own var folder
(database file, media, broker queue), so they never touch a running embedded instance."""

import os
import tempfile

os.environ.setdefault("MESTUDIO_VAR_DIR", tempfile.mkdtemp(prefix="mestudio-test-"))
