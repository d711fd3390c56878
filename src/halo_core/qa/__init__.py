"""Questions about a run, answered from the smallest context that holds the answer.

One job per module: `answering` (retrieval, context, the answer with citations: `QA`),
`passages` (the transcript's sentences, what is retrieved), `index_store` (vector indexes kept in
the run folder), `sessions` (conversations), `open` (a finished run's pipeline rebuilt in a new
process). A run's results themselves are `halo_core.run_data.RunData`.
"""

from .answering import DEFAULT_BUDGET, QA, ask_in_session
from .open import open_cache, open_pipeline, open_qa
from .sessions import Session, Turn, clean_question, load_session, save_session, session_path

__all__ = [
    "DEFAULT_BUDGET",
    "QA",
    "Session",
    "Turn",
    "ask_in_session",
    "clean_question",
    "load_session",
    "open_cache",
    "open_pipeline",
    "open_qa",
    "save_session",
    "session_path",
]
