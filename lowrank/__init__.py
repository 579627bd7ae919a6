"""lowrank: truncated SVD versus a linear Keras bottleneck network.

The subpackages follow the workflow's stages: :mod:`lowrank.inputs` (image
files and study matrices to matrices), :mod:`lowrank.decomposition` (the SVD
and its truncations), :mod:`lowrank.training` (the networks, their regimes and
the warm training service), :mod:`lowrank.evaluation` (metrics, codecs,
BD-rates, the summary table) and :mod:`lowrank.report` (figures and the HTML
page). The modules beside them are shared by every stage: the plan
(:mod:`lowrank.study`), the HDF5 records, the methods, settings, errors,
provenance digests and the private runtime folder.

Importing the package is cheap: only the trainers in :mod:`lowrank.training`
(``train``, ``network``, ``backend``, ``paper_training``, ``exact_training``)
import Keras (and so TensorFlow); :mod:`lowrank.training.service.server`
imports them once per server process, and :mod:`lowrank.training.service.client`
only when training in-process.
"""

__version__ = "0.1.2"
