"""lowrank: truncated SVD versus a linear Keras bottleneck network.

Importing the package is cheap: only :mod:`lowrank.network` and
:mod:`lowrank.training` import Keras (and so TensorFlow).
"""

__version__ = "0.1.0"
