"""Reading the text lines of one frame with RapidOCR (PP-OCRv4 ONNX models shipped in its wheel).

Detection runs on the frame at its own size (at most `DETECT_MAX_SIDE`), recognition on each
line's crop enlarged with bicubic interpolation to the recognizer's input height. Why: handed a
small line, the recognizer enlarges it linearly itself and then drops the spaces between words
("Takesplaceinchloroplasts" from 20-px text); the bicubic enlargement keeps them, and costs only
the crops, not a whole enlarged frame. The direction classifier is off: slides are upright.

RapidOCR's detector, cropper and recognizer are called one by one (its `text_det`,
`get_crop_img_list` and `text_rec`, stable through 1.4.x, which the pyproject pins) because its
one-call API detects and recognizes on the same image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from halo_core import ComponentUnavailable, ModelCache, ModelRef

INSTALL = "pip install 'rapidocr-onnxruntime>=1.4.4,<1.5'"
DETECT_MAX_SIDE = 1280  # px: larger frames are shrunk for detection (text stays detectable)
REC_HEIGHT = 48  # px: the recognizer's input height

_engines: ModelCache[int, Any] = ModelCache()


@dataclass(frozen=True)
class RawLine:
    """One text line as read: `box` is (x0, y0, x1, y1) in pixels of the frame read."""

    text: str
    box: tuple[float, float, float, float]
    confidence: float

    @property
    def size(self) -> float:
        """The line's type size, as its width per character. (A detected box's height says less:
        it varies with descenders and with how much the detector pads the line.)"""
        return (self.box[2] - self.box[0]) / max(1, len(self.text))


def engine(threads: int) -> Any:
    """The RapidOCR engine with `threads` ONNX Runtime threads, built once per process."""
    return engine_ref(threads).load()


def engine_ref(threads: int) -> ModelRef[int, Any]:
    """The RapidOCR engine with `threads` ONNX Runtime threads, as a `ModelRef`."""

    def load() -> Any:
        try:
            from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ComponentUnavailable(
                f"rapidocr-onnxruntime is not importable ({exc})",
                where="extractor slides",
                fix=INSTALL,
            ) from None
        return RapidOCR(
            use_cls=False,
            # "min" with a small limit: detect at the size handed in, never enlarged
            det_limit_type="min",
            det_limit_side_len=32,
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
        )

    return ModelRef(_engines, threads, load)


def read_lines(image: np.ndarray, threads: int) -> list[RawLine]:
    """The text lines of a BGR image, top to bottom (then left to right)."""
    import cv2

    ocr = engine(threads)
    height, width = image.shape[:2]
    shrink = min(1.0, DETECT_MAX_SIDE / max(height, width))
    detect_on = (
        image
        if shrink == 1.0
        else cv2.resize(
            image, (round(width * shrink), round(height * shrink)), interpolation=cv2.INTER_AREA
        )
    )
    boxes, _ = ocr.text_det(detect_on)
    if boxes is None or len(boxes) == 0:
        return []
    boxes = [np.asarray(box, dtype=np.float32) / shrink for box in ocr.sorted_boxes(boxes)]
    crops = [_enlarged(crop) for crop in ocr.get_crop_img_list(image, boxes)]
    recognized, _ = ocr.text_rec(crops)
    lines = []
    for box, (text, confidence) in zip(boxes, recognized):
        text = " ".join(str(text).split())
        if text:
            lines.append(
                RawLine(
                    text=text,
                    box=(
                        float(box[:, 0].min()),
                        float(box[:, 1].min()),
                        float(box[:, 0].max()),
                        float(box[:, 1].max()),
                    ),
                    confidence=float(confidence),
                )
            )
    return lines


def _enlarged(crop: np.ndarray) -> np.ndarray:
    import cv2

    height = crop.shape[0]
    if height == 0 or height >= REC_HEIGHT:
        return crop
    scale = REC_HEIGHT / height
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
