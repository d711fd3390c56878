from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def test_halo_plugins_lists_the_extractors_with_their_distribution() -> None:
    halo = shutil.which("halo", path=str(Path(sys.executable).parent))
    output = subprocess.run([halo, "plugins"], capture_output=True, text=True, check=True).stdout
    block = output[output.index("halo-whisper 0.1.0") :]
    assert "extractor: faster-whisper, openai-whisper, pyannote, voice-clusters" in block
