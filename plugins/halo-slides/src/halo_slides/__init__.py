"""HALO extractor `slides`: slide text read with an offline OCR engine (RapidOCR)."""

from .extractor import SlidesConfig, SlidesExtractor

__all__ = ["SlidesConfig", "SlidesExtractor"]
