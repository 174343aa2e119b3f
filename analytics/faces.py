"""Why age, gender or returning visitors are missing: said with the numbers behind it, never an empty chart."""

from __future__ import annotations

from core.models import Tenant
from venues.models import Camera


def faces_missing(venue, visits: int, with_faces: int, *, embeddings: bool) -> dict | None:
    """None when some visits had a usable face; else the reason (`no_visits`, `face_processing`, `faces_too_small`
    or `no_usable_face`) and what to do, in a sentence. `embeddings`: the answer needs face embeddings (returning
    visitors), not only age and gender. Face sizes come from the cameras' last video jobs (`Camera.detection_scale`:
    the typical person's height times a face's share of it)."""
    if with_faces:
        return None
    if not visits:
        return {"reason": "no_visits", "message": "No visits in this period: process footage of this store first."}
    processing = venue.tenant.face_processing
    if processing == Tenant.FaceProcessing.OFF or (embeddings and processing != Tenant.FaceProcessing.RETURNING):
        return {"reason": "face_processing", "message": "Face processing is turned off for this organisation "
                "(settings), so no face is analysed."}  # fmt: skip
    small = []
    for camera in Camera.objects.filter(venue=venue).order_by("name"):
        scale = camera.detection_scale or {}
        if scale.get("face_px") is not None and scale["face_px"] < scale["face_px_needed"]:
            small.append({"camera": camera.name, "face_px": scale["face_px"], "needed_px": scale["face_px_needed"]})
    if small:
        sizes = ", ".join(f"{c['camera']}: about {c['face_px']} px" for c in small)
        return {
            "reason": "faces_too_small",
            "cameras": small,
            "message": f"Faces are too small to analyse ({sizes} tall; they need about {small[0]['needed_px']} px). "
            "A camera closer to where people walk, at head height, or a higher resolution would give them.",
        }
    return {"reason": "no_usable_face", "message": "No face was large, sharp and frontal enough to analyse: a "
            "camera that sees people's faces from the front, near head height, would give them."}  # fmt: skip
