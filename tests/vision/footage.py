"""Where the tests find the shared real footage and models (env vars, else ../shared next to the repo)."""

import os
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FOOTAGE_DIR = Path(os.environ.get("FOOTAGE_DIR", SHARED / "footage"))
MODEL_DIR = Path(os.environ.get("VISION_MODEL_DIR", SHARED / "models"))
