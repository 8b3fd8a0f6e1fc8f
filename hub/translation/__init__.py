"""Pure translation of OCPI objects between editions (issue 15): 2.2.1 is the pivot.

    v211.to_v221(kind, obj) / v211.from_v221(kind, obj)      2.1.1 <-> 2.2.1
    v230.to_v221(kind, obj) / v230.from_v221(kind, obj)      2.3.0 <-> 2.2.1

`kind` names the object (`ObjectKind`); objects are plain JSON dicts as they travel. No I/O, no
clock, no routing: what a 2.1.1 sender cannot say (owner, routing headers) is derived by the
pipeline, not here; the functions take it as keyword arguments where the object needs it.
A field the target edition has no place for and that changes the meaning raises
`Untranslatable` naming the field (an OCPI 2001); what can be dropped safely is dropped by a rule
written in the module's docstring.
"""

from hub.translation.errors import Untranslatable
from hub.translation.kinds import ObjectKind

__all__ = ["ObjectKind", "Untranslatable"]
