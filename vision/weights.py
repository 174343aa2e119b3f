"""Where the pipeline's Ultralytics models come from, and in which form they run.

Weights are looked up in the model folder (a deployment with network access fetches missing ones by
name through Ultralytics). On CPU they run through OpenVINO: the `.pt` weights are exported once per
input size into a cache folder shared by the workers, several times faster than PyTorch on the same
CPU with the same detections. `backend="pytorch"` runs the weights as they are (GPU workers).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path


def ultralytics_offline() -> None:
    """Keep Ultralytics from reaching the network or installing packages (models come from the model folder)."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_VERBOSE", "false")


def openvino_full_precision() -> None:
    """Run OpenVINO models on the CPU in 32-bit floats, as they were exported and measured. On CPUs with AMX or
    AVX-512 BF16 (Sapphire Rapids and newer) OpenVINO otherwise computes in bfloat16, and Ultralytics asks for full
    precision only on ARM: the same video then gave other detections, and other counts, on other servers (the most
    people at once in TUD-Campus: 8 instead of 6). Ultralytics compiles its models itself, so the CPU's default is
    set where every compilation for the CPU passes: a precision a caller asks for is kept."""
    import openvino

    compile_model = openvino.Core.compile_model
    if getattr(compile_model, "full_precision", False):
        return

    def full_precision(self, model, device_name=None, config=None, **kwargs):
        if device_name == "CPU":
            config = {"INFERENCE_PRECISION_HINT": "f32", **(config or {})}
        return compile_model(self, model, device_name, config, **kwargs)

    full_precision.full_precision = True
    openvino.Core.compile_model = full_precision


class ModelStore:
    def __init__(self, model_dir: Path, cache_dir: Path):
        self.model_dir, self.cache_dir = Path(model_dir), Path(cache_dir)

    def weights(self, name: str) -> Path:
        path = Path(name) if Path(name).is_absolute() else self.model_dir / name
        if not path.exists():
            from ultralytics.utils.downloads import attempt_download_asset

            self.model_dir.mkdir(parents=True, exist_ok=True)
            try:
                attempt_download_asset(path)  # Ultralytics fetches its released weights by name
            except Exception as error:
                raise FileNotFoundError(f"Model weights {path} not found, and they could not be fetched.") from error
        return path

    def model(self, name: str, backend: str, shape: tuple[int, int]) -> str:
        """A path Ultralytics' `YOLO()` loads: the weights themselves, or their export for this input shape."""
        source = self.weights(name)
        if backend == "pytorch" or source.suffix != ".pt":
            return str(source)
        suffix = {"openvino": "_openvino_model", "onnx": ".onnx"}[backend]
        folder = self.cache_dir / f"{source.stem}-{shape[0]}x{shape[1]}"
        exported = folder / f"{source.stem}{suffix}"
        if exported.exists():
            return str(exported)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one worker exports, the others wait and reuse it
            if not exported.exists():
                from ultralytics import YOLO

                local = folder / source.name
                shutil.copyfile(source, local)
                YOLO(str(local)).export(format=backend, imgsz=list(shape), dynamic=False, half=False, verbose=False)
                local.unlink()
        return str(exported)
