"""Stage 3: linear bottleneck networks, the regimes that train them, and the
GPU and process plumbing of a training job. Only this package imports Keras."""
