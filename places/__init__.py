"""Places: the Iraqi and Syrian governorates (ISO 3166-2) an article is substantially about.

Pure: no I/O after `load_gazetteer`, no clock. Town names come from GeoNames (CC BY 4.0, www.geonames.org).
"""

from places.article import article_places
from places.finder import Mention, PlaceFinding, find_mentions, find_places
from places.gazetteer import Entry, Gazetteer, governorate_names, load_gazetteer

__all__ = [
    "Entry",
    "Gazetteer",
    "Mention",
    "PlaceFinding",
    "article_places",
    "find_mentions",
    "find_places",
    "governorate_names",
    "load_gazetteer",
]
