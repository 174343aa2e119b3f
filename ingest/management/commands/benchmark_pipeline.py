"""Accuracy and speed of the pipeline on a MOTChallenge sequence, against a plain Ultralytics baseline."""

import json
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingest.video import build_pipeline
from vision.geometry import Line, SceneGeometry, Zone
from vision.metrics import MotBoxes, evaluate, load_mot
from vision.models import ModelStore, ultralytics_offline
from vision.sources import VIDEO_SUFFIXES, ImageFolderSource, VideoFileSource

# A store-like geometry for the run: the lower half of the frame as a zone, a counting line across it.
BENCH_GEOMETRY = SceneGeometry(
    zones=(Zone("floor", "area", ((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0))),),
    lines=(Line("door", (0.5, 0.0), (0.5, 1.0), "left"),),
)


def _source(sequence: Path):
    videos = [p for p in sequence.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES]
    if len(videos) == 1:
        return VideoFileSource(videos[0])
    if (sequence / "img1").is_dir():
        return ImageFolderSource(sequence / "img1")
    raise CommandError(f"{sequence} has neither one video file nor an img1/ folder.")


def _as_mot(index: int, boxes, out: MotBoxes) -> None:
    for track_id, (x1, y1, x2, y2) in boxes:
        out[index + 1].append((int(track_id), x1, y1, x2 - x1, y2 - y1))


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("sequence", type=Path, help="Folder with seqinfo.ini, gt/gt.txt and a video or img1/")
        parser.add_argument("--json", type=Path, dest="json_path", help="Also write the figures to this file")
        parser.add_argument("--fps", type=float, help="Analysis rate (default: VISION_ANALYSIS_FPS)")
        parser.add_argument(
            "--people-size", choices=["regular", "small"], default="regular", help="As a camera's setting (tracker)"
        )

    def handle(self, *args, sequence: Path, json_path: Path | None, fps: float | None, people_size: str, **options):
        if not (sequence / "gt" / "gt.txt").is_file():
            raise CommandError(f"{sequence}/gt/gt.txt not found.")
        if settings.VISION_OFFLINE:
            ultralytics_offline()
        ground_truth = load_mot(sequence / "gt" / "gt.txt")
        fps = fps or settings.VISION_ANALYSIS_FPS
        info = _source(sequence).info
        size = (info.width, info.height)

        pipeline_boxes: MotBoxes = defaultdict(list)
        pipeline = build_pipeline(BENCH_GEOMETRY, size, people_size)
        pipeline.tracker.warm_up(next(_source(sequence).frames(fps)).image)  # load and compile before timing
        clock = time.perf_counter()
        frames = []

        def record(frame, boxes):
            frames.append(frame.index + 1)
            _as_mot(frame.index, boxes, pipeline_boxes)

        events = list(pipeline.run(_source(sequence).frames(fps), datetime.now(UTC), size, on_tracks=record))
        pipeline_wall = time.perf_counter() - clock
        video_seconds = len(frames) / fps if info.frame_count is None else min(info.duration, len(frames) / fps)

        baseline_boxes, baseline_wall = self._baseline(sequence, fps)
        ours = evaluate(ground_truth, pipeline_boxes, frames)
        base = evaluate(ground_truth, baseline_boxes, frames)
        video_seconds = max(video_seconds, frames[-1] / info.fps) if frames else 0.0
        result = {
            "sequence": sequence.name, "frames_analysed": len(frames), "analysis_fps": fps,
            "tracker": settings.VISION_TRACKER, "input_size": list(pipeline.tracker.shape),
            "faces": settings.VISION_FACES, "people_size": people_size,
            "mota": ours.mota, "idf1": ours.idf1, "hota": ours.hota, "id_switches": ours.id_switches,
            "recall": ours.recall, "precision": ours.precision,
            "persons_found": ours.persons_found, "persons_gt": ours.persons_gt,
            "visits": sum(1 for e in events if type(e).__name__ == "VisitEnded"),
            "pipeline_video_s_per_s": video_seconds / pipeline_wall,
            "baseline_video_s_per_s": video_seconds / baseline_wall,
            "speed_ratio": baseline_wall / pipeline_wall,
            "baseline_mota": base.mota, "baseline_idf1": base.idf1, "baseline_hota": base.hota,
            "baseline_id_switches": base.id_switches, "baseline_recall": base.recall,
            "baseline_persons_found": base.persons_found,
            "stage_seconds": {k: round(v, 3) for k, v in pipeline.progress.stage_seconds.items()},
            "pipeline_wall_s": pipeline_wall, "baseline_wall_s": baseline_wall,
        }  # fmt: skip
        self._print(result)
        if json_path:
            json_path.write_text(json.dumps(result, indent=2))

    def _baseline(self, sequence: Path, fps: float) -> tuple[MotBoxes, float]:
        """A plain `YOLO(weights).track()` loop over the same frames at the same rate, PyTorch, defaults."""
        from ultralytics import YOLO

        weights = ModelStore(Path(settings.VISION_MODEL_DIR), Path(settings.VISION_CACHE_DIR)).weights(
            settings.VISION_TRACKER["weights"]
        )
        model = YOLO(str(weights))
        model.predict(next(_source(sequence).frames(fps)).image, verbose=False)  # load before timing
        boxes: MotBoxes = defaultdict(list)
        clock = time.perf_counter()
        for frame in _source(sequence).frames(fps):
            result = model.track(frame.image, persist=True, classes=[0], verbose=False)[0]
            if result.boxes.id is not None:
                ids = result.boxes.id.int().tolist()
                _as_mot(frame.index, zip(ids, result.boxes.xyxy.tolist(), strict=True), boxes)
        return boxes, time.perf_counter() - clock

    def _print(self, r: dict) -> None:
        rows = [
            ("", "pipeline", "baseline"),
            ("MOTA", f"{r['mota']:.3f}", f"{r['baseline_mota']:.3f}"),
            ("IDF1", f"{r['idf1']:.3f}", f"{r['baseline_idf1']:.3f}"),
            ("HOTA", f"{r['hota']:.3f}", f"{r['baseline_hota']:.3f}"),
            ("ID switches", r["id_switches"], r["baseline_id_switches"]),
            ("recall", f"{r['recall']:.3f}", f"{r['baseline_recall']:.3f}"),
            ("persons found / in GT", f"{r['persons_found']} / {r['persons_gt']}", f"{r['baseline_persons_found']} / {r['persons_gt']}"),
            ("video s per wall s", f"{r['pipeline_video_s_per_s']:.2f}", f"{r['baseline_video_s_per_s']:.2f}"),
        ]  # fmt: skip
        self.stdout.write(
            f"{r['sequence']}: {r['frames_analysed']} frames at {r['analysis_fps']} fps, input {r['input_size']}"
        )
        for name, ours, base in rows:
            self.stdout.write(f"  {name:<24}{ours!s:>12}{base!s:>12}")
        self.stdout.write(f"  speed ratio (pipeline / baseline): {r['speed_ratio']:.2f}x")
        self.stdout.write("  stage seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in r["stage_seconds"].items()))
