"""Stage 2: the thin SVD of each input channel and its rank-k truncations
(the ``prepare`` rule's second half)."""
