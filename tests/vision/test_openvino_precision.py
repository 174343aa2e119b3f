import numpy as np
import openvino as ov
import openvino.opset13 as ops

from vision.weights import openvino_full_precision


def _tiny_model() -> ov.Model:
    x = ops.parameter([1, 4], np.float32, name="x")
    return ov.Model([ops.matmul(x, ops.constant(np.eye(4, dtype=np.float32)), False, False)], [x])


def test_models_compiled_for_the_cpu_compute_in_32_bit_floats_whatever_the_cpu():
    """On AMX CPUs OpenVINO's own default is bfloat16, which changed the detections (and the counts)."""
    openvino_full_precision()
    compiled = ov.Core().compile_model(_tiny_model(), "CPU", {"PERFORMANCE_HINT": "LATENCY"})  # as Ultralytics does
    assert compiled.get_property("INFERENCE_PRECISION_HINT") == ov.Type.f32
    asked = ov.Core().compile_model(_tiny_model(), "CPU", {"INFERENCE_PRECISION_HINT": "f16"})
    assert asked.get_property("INFERENCE_PRECISION_HINT") != ov.Type.f32  # a caller's own choice is kept
