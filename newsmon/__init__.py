"""newsmon: news monitoring for Iraq and Syria after ISIS.

discover → fetch → extract → classify → store → notify.
"""

__version__ = "0.1.0"
