"""halo-whisper: speech transcription (`faster-whisper`, `openai-whisper`) and diarization
(`voice-clusters`, `pyannote`) extractors for HALO."""
