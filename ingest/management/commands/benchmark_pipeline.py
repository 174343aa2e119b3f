"""Accuracy and speed of the pipeline on a MOTChallenge sequence, against plain Ultralytics tracking loops.

Two plain `YOLO(weights).track()` loops (PyTorch) run over the same frames in the same process: the *baseline*
at Ultralytics' defaults (640 px), and a *fair peer* at the input size the pipeline chose. With ground truth
(gt/gt.txt) the command also scores tracking (MOTA, IDF1, HOTA), the number of people per frame, and what a
store reads (line ins and outs, zone entrants and dwell, visitors), the truth being counted by the product's
own geometry from the true people's feet. Without it, it measures speed and writes the files asked for.
"""

import argparse
import csv
import dataclasses
import json
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingest.job_runner import build_pipeline
from venues.models import Camera
from vision.events import Event
from vision.geometry import Line, SceneGeometry, Zone
from vision.metrics import (
    MotBoxes,
    SceneCounts,
    count_errors,
    counts_from_events,
    counts_from_positions,
    evaluate,
    load_mot,
    mot_feet,
    people_per_frame_error,
    people_present,
)
from vision.sources import Frame, SourceError
from vision.store_footage import sequence_source
from vision.weights import ModelStore, ultralytics_offline

# A store-like geometry for the run: the lower half of the frame as a zone, a counting line down the middle.
BENCH_LINE = Line("door", (0.5, 0.0), (0.5, 1.0), "left")
BENCH_ZONE = Zone("floor", "area", ((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)))
# Footage time counts from the Unix epoch, so an event's ISO time reads as its offset into the clip.
RECORDING_START = datetime.fromtimestamp(0, UTC)
EVENT_FIELDS_LEFT_OUT = ("face_embedding", "trajectory")  # large, and not needed to check the counts
EVENT_DURATIONS = ("dwell_seconds", "duration_seconds", "wait_seconds")  # properties worth writing out
PLAIN_LOOPS = ("baseline", "peer")


def _numbers(value: str, separator: str = ",") -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in value.split(separator))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a list of numbers") from None


def _line(value: str) -> tuple[tuple[float, float], tuple[float, float]]:
    numbers = _numbers(value)
    if len(numbers) != 4:
        raise argparse.ArgumentTypeError(f"{value!r} is not X1,Y1,X2,Y2")
    return numbers[:2], numbers[2:]


def _zone(value: str) -> Zone:
    polygon = tuple(_numbers(point) for point in value.split(";"))
    if len(polygon) < 3 or any(len(point) != 2 for point in polygon):
        raise argparse.ArgumentTypeError(f"{value!r} is not at least 3 points X,Y;X,Y;X,Y")
    return Zone(BENCH_ZONE.name, "area", polygon)


def _frames(sequence: Path, fps: float):
    return sequence_source(sequence).frames(fps)


def _as_mot(index: int, boxes, out: MotBoxes) -> None:
    for track_id, (x1, y1, x2, y2) in boxes:
        out[index + 1].append((int(track_id), x1, y1, x2 - x1, y2 - y1))


def _event_record(event: Event) -> dict:
    """The event's fields (nested ones too) and its durations, for one line of JSON."""
    record = {"type": type(event).__name__, **dataclasses.asdict(event)}
    for name in EVENT_FIELDS_LEFT_OUT:
        record.pop(name, None)
    record.update({name: getattr(event, name) for name in EVENT_DURATIONS if hasattr(event, name)})
    return record


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("sequence", type=Path, help="Folder with a video or img1/, and optionally gt/gt.txt")
        parser.add_argument("--json", type=Path, dest="json_path", help="Also write the figures to this file")
        parser.add_argument("--fps", type=float, help="Analysis rate (default: VISION_ANALYSIS_FPS)")
        parser.add_argument(
            "--people-size",
            choices=Camera.PeopleSize.values,
            default=Camera.PeopleSize.AUTO,
            help="As a camera's setting: automatic (measured), or an override",
        )
        parser.add_argument(
            "--line",
            type=_line,
            action="append",
            dest="lines",
            metavar="X1,Y1,X2,Y2",
            help="Counting line, normalised (0..1, y down); repeat for several (door1, door2, ...). 'in' is crossing "
            "onto the left of someone walking from the first point to the second, as seen on the screen: for "
            "0.5,0,0.5,1 (walking down) that is moving left to right. Default: 0.5,0,0.5,1",
        )
        parser.add_argument(
            "--zone",
            type=_zone,
            default=BENCH_ZONE,
            metavar="X,Y;X,Y;...",
            help="Zone polygon, normalised. Default: the lower half, 0,0.5;1,0.5;1,1;0,1",
        )
        parser.add_argument("--events", type=Path, help="Write every event the pipeline emitted here (JSON lines)")
        parser.add_argument(
            "--frame-counts",
            type=Path,
            help="Write a CSV `frame,people` here: for each analysed frame (0-based video index), the people present "
            "then as the product counts occupancy (visits open: seen in that frame, or hidden between two sightings)",
        )

    def handle(
        self,
        *args,
        sequence: Path,
        json_path: Path | None,
        fps: float | None,
        people_size: str,
        lines: list | None,
        zone: Zone,
        events: Path | None,
        frame_counts: Path | None,
        **options,
    ):
        try:
            info = sequence_source(sequence).info
        except (FileNotFoundError, SourceError) as error:
            raise CommandError(str(error)) from error
        gt_path = sequence / "gt" / "gt.txt"
        ground_truth = load_mot(gt_path) if gt_path.is_file() else None
        if settings.VISION_OFFLINE:
            ultralytics_offline()
        fps = fps or settings.VISION_ANALYSIS_FPS
        size = (info.width, info.height)
        lines = tuple(Line(f"door{n}", *ends, "left") for n, ends in enumerate(lines, 1)) if lines else (BENCH_LINE,)
        geometry = SceneGeometry(zones=(zone,), lines=lines)

        pipeline_boxes: MotBoxes = defaultdict(list)
        frame_times: dict[int, datetime] = {}  # analysed frame (1-based, as in MOTChallenge) -> its footage time
        pipeline = build_pipeline(geometry, size, people_size)
        pipeline.tracker.warm_up(next(_frames(sequence, fps)).image)  # load and compile before timing

        def record(frame: Frame, boxes):
            frame_times[frame.index + 1] = RECORDING_START + timedelta(seconds=frame.pts)
            _as_mot(frame.index, boxes, pipeline_boxes)

        clock = time.perf_counter()
        first_pass = pipeline.run(_frames(sequence, fps), RECORDING_START, size, on_tracks=record, second_pass=True)
        emitted = pipeline.stitched(list(first_pass))  # as video jobs of files do
        walls = {"pipeline": time.perf_counter() - clock}
        for boxes in pipeline_boxes.values():  # scored with the identities the stitching gave
            boxes[:] = [(pipeline.stitches.get(visit, visit), *box) for visit, *box in boxes]
        people = people_present(emitted, frame_times)
        input_sizes = {"baseline": None, "peer": list(pipeline.tracker.shape)}  # None: Ultralytics' default
        tracked = {"": pipeline_boxes}  # by the prefix of their keys in the result
        for name in PLAIN_LOOPS:
            tracked[f"{name}_"], walls[name] = self._plain_tracking(sequence, fps, input_sizes[name])
        video_seconds = info.duration or len(people) / fps

        counts = counts_from_events(emitted, geometry)
        result = {
            "sequence": sequence.name, "frames_analysed": len(people), "analysis_fps": fps,
            "tracker": settings.VISION_TRACKER, "input_size": input_sizes["peer"], "scale": pipeline.tracker.choice.as_dict(),
            "faces": settings.VISION_FACES, "people_size": people_size,
            "lines": {line.name: [list(line.start), list(line.end)] for line in lines},
            "zone": [list(point) for point in zone.polygon],
            **{f"{name}_video_s_per_s": video_seconds / wall for name, wall in walls.items()},
            "speed_ratio": walls["baseline"] / walls["pipeline"], "speed_ratio_vs_peer": walls["peer"] / walls["pipeline"],
            **{f"{name}_wall_s": wall for name, wall in walls.items()},
            "stage_seconds": {k: round(v, 3) for k, v in pipeline.progress.stage_seconds.items()},
            **counts.figures(),
        }  # fmt: skip
        if ground_truth is not None:
            frames = list(frame_times)
            positions = mot_feet(ground_truth, frames, size)
            truth = counts_from_positions(positions, frame_times, geometry, pipeline.config.geometry)
            result.update(self._scored(ground_truth, tracked, frames))
            result.update(self._count_errors(counts, truth))
            result.update(self._people_per_frame(ground_truth, people))
        self._print(result, list(counts.figures()))
        if json_path:
            json_path.write_text(json.dumps(result, indent=2))
        if events:
            events.write_text("".join(json.dumps(_event_record(e), default=_json_default) + "\n" for e in emitted))
        if frame_counts:
            with open(frame_counts, "w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["frame", "people"])
                writer.writerows((frame - 1, count) for frame, count in people.items())

    @staticmethod
    def _scored(ground_truth: MotBoxes, tracked: dict[str, MotBoxes], frames: list[int]) -> dict:
        """Tracking scores of each run by its key prefix (the pipeline's "": `idf1`, `baseline_idf1`, ...)."""
        result = {}
        for prefix, boxes in tracked.items():
            scores = dataclasses.asdict(evaluate(ground_truth, boxes, frames))
            result["persons_gt"] = scores.pop("persons_gt")
            result.update({f"{prefix}{key}": value for key, value in scores.items()})
        return result

    @staticmethod
    def _count_errors(counts: SceneCounts, truth: SceneCounts) -> dict:
        result = {}
        for figure, error in count_errors(counts, truth).items():
            result.update({f"{figure}_truth": error.truth, f"{figure}_error": error.error,
                           f"{figure}_relative_error": error.relative_error})  # fmt: skip
        return result

    @staticmethod
    def _people_per_frame(ground_truth: MotBoxes, people: dict[int, int]) -> dict:
        mae, truth_mean = people_per_frame_error(ground_truth, people)
        return {"people_per_frame_mae": mae, "people_per_frame_truth_mean": truth_mean,
                "people_per_frame_mae_pct": 100 * mae / truth_mean if truth_mean else None,
                "peak_people": max(people.values(), default=0),
                "peak_people_truth": max((len(ground_truth.get(frame, [])) for frame in people), default=0)}  # fmt: skip

    def _plain_tracking(self, sequence: Path, fps: float, input_size: list[int] | None) -> tuple[MotBoxes, float]:
        """A plain `YOLO(weights).track()` loop (PyTorch, Ultralytics' defaults but the input size) over the same
        frames at the same rate; the boxes and the wall time."""
        from ultralytics import YOLO

        weights = ModelStore(Path(settings.VISION_MODEL_DIR), Path(settings.VISION_CACHE_DIR)).weights(
            settings.VISION_TRACKER["weights"]
        )
        model = YOLO(str(weights))
        options = {} if input_size is None else {"imgsz": input_size}
        model.predict(next(_frames(sequence, fps)).image, verbose=False, **options)  # load before timing
        boxes: MotBoxes = defaultdict(list)
        clock = time.perf_counter()
        for frame in _frames(sequence, fps):
            result = model.track(frame.image, persist=True, classes=[0], verbose=False, **options)[0]
            if result.boxes.id is not None:
                ids = result.boxes.id.int().tolist()
                _as_mot(frame.index, zip(ids, result.boxes.xyxy.tolist(), strict=True), boxes)
        return boxes, time.perf_counter() - clock

    def _print(self, r: dict, count_figures: list[str]) -> None:
        runs = ("", "baseline_", "peer_")
        self.stdout.write(
            f"{r['sequence']}: {r['frames_analysed']} frames at {r['analysis_fps']} fps, input {r['input_size']} "
            f"(the peer's too; the baseline's 640)"
        )
        self.stdout.write(f"  {'':<24}" + "".join(f"{name:>12}" for name in ("pipeline", *PLAIN_LOOPS)))
        if "mota" in r:
            for label, key in (("MOTA", "mota"), ("IDF1", "idf1"), ("HOTA", "hota"), ("recall", "recall")):
                self.stdout.write(f"  {label:<24}" + "".join(f"{r[run + key]:>12.3f}" for run in runs))
            for label, key in (
                ("ID switches", "id_switches"),
                ("splits (of a person)", "splits"),
                ("merges (of people)", "merges"),
            ):
                self.stdout.write(f"  {label:<24}" + "".join(f"{r[run + key]:>12}" for run in runs))
            found = [f"{r[run + 'persons_found']} / {r['persons_gt']}" for run in runs]
            self.stdout.write(f"  {'persons found / in GT':<24}" + "".join(f"{value:>12}" for value in found))
        speeds = [r[f"{name}_video_s_per_s"] for name in ("pipeline", *PLAIN_LOOPS)]
        self.stdout.write(f"  {'video s per wall s':<24}" + "".join(f"{value:>12.2f}" for value in speeds))
        self.stdout.write(
            f"  speed ratio: pipeline / baseline {r['speed_ratio']:.2f}x, pipeline / peer {r['speed_ratio_vs_peer']:.2f}x"
        )
        self.stdout.write("  stage seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in r["stage_seconds"].items()))
        lines = ", ".join(f"{name} {start} -> {end}" for name, (start, end) in r["lines"].items())
        self.stdout.write(
            f"  counts: lines {lines} (in: crossing onto the left of a walker from the first point to the second), "
            f"zone {r['zone']}"
        )
        scored = "visitors_truth" in r
        columns = ("pipeline", "truth", "error", "relative") if scored else ("pipeline",)
        self.stdout.write(f"  {'':<24}" + "".join(f"{name:>12}" for name in columns))
        for figure in count_figures:
            if not scored:
                self.stdout.write(f"  {figure:<24}{r[figure]:>12.4g}")
                continue
            relative = r[f"{figure}_relative_error"]
            self.stdout.write(
                f"  {figure:<24}{r[figure]:>12.4g}{r[f'{figure}_truth']:>12.4g}{r[f'{figure}_error']:>+12.4g}"
                + ("" if relative is None else f"{relative:>+12.1%}")
            )
        if "people_per_frame_mae" in r:
            share = r["people_per_frame_mae_pct"]
            self.stdout.write(
                f"  people per frame: mean absolute error {r['people_per_frame_mae']:.2f}"
                + ("" if share is None else f" ({share:.1f}% of the true mean {r['people_per_frame_truth_mean']:.2f})")
                + f"; most at once {r['peak_people']} (truth {r['peak_people_truth']})"
            )
