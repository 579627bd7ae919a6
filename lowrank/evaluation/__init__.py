"""Stage 4: every approximation scored against its input and the SVD, the
codec comparison with its BD-rates, and the study's summary table."""
