"""Stage 1, the study's inputs: image files and declared matrix sets to
float matrices (the ``prepare`` rule's first half)."""
