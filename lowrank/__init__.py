"""lowrank: truncated SVD versus a linear Keras bottleneck network.

Importing the package is cheap: only the trainers (:mod:`lowrank.training`,
:mod:`lowrank.network`, :mod:`lowrank.backend`, :mod:`lowrank.paper_training`,
:mod:`lowrank.exact_training`) import Keras (and so TensorFlow);
:mod:`lowrank.training_service` imports them only in its server process or
when training in-process.
"""

__version__ = "0.1.0"
