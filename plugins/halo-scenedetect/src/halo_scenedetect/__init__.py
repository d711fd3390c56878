"""HALO extractors `scenedetect` (PySceneDetect) and `transnetv2` (TransNetV2): scene cuts."""

from .scenedetect_extractor import SceneDetect, SceneDetectConfig
from .transnet_extractor import TransNetV2Config, TransNetV2Extractor

__all__ = ["SceneDetect", "SceneDetectConfig", "TransNetV2Config", "TransNetV2Extractor"]
