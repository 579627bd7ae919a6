"""lowrank: truncated SVD versus a linear Keras bottleneck network.

Importing the package is cheap: only the trainers (:mod:`lowrank.training`,
:mod:`lowrank.network`, :mod:`lowrank.backend`, :mod:`lowrank.paper_training`,
:mod:`lowrank.exact_training`) import Keras (and so TensorFlow);
:mod:`lowrank.training_server` imports them once per server process, and
:mod:`lowrank.training_service` only
when training in-process.
"""

__version__ = "0.1.0"
