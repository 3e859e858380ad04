"""Stride's build pipeline: discover -> frontmatter -> markdown -> site -> templates -> writer.

The base modules `errors`, `context` and `cache` are the only ones plugins may import; everything
else here is downstream of the plugins and may import them, never the other way round.
"""
