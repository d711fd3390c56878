"""halo-whisper: speech transcription (`faster-whisper`, `openai-whisper`) and diarization
(`voice-clusters`, `pyannote`) extractors for HALO."""

from .labels import label_transcript, speaker_at

__all__ = ["label_transcript", "speaker_at"]
