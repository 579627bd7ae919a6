"""Stage 5: figures (Pillow pictures, SVG charts, one matplotlib figure) and
the HTML report page."""
