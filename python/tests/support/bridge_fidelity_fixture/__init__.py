"""A package that reproduces what generated SDKs of real libraries got wrong.

Public classes are defined in a private module and re-labelled (httpx does this), a
function is typed only by its ``.pyi`` overloads (more-itertools), an instance is
callable (numpy's ufuncs), a class declares a method it does not have at run time
(scikit-learn's ``set_*_request``), and classes have dunders and a private base.
"""

from bridge_fidelity_fixture._impl import Meter, Shape, Square, double, scale, windowed

__all__ = ["Meter", "Shape", "Square", "double", "scale", "windowed"]

for _name in __all__:
    if hasattr(globals()[_name], "__module__"):
        globals()[_name].__module__ = "bridge_fidelity_fixture"
