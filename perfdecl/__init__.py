"""perfdecl: budget performance declaration forms (绩效目标申报表) from PDF to typed records.

    import perfdecl
    doc = perfdecl.convert("2024-协作办.pdf")      # the contract Document (pydantic)
    perfdecl.parse_target("≥1.4万人")              # a Target
    perfdecl.to_frames(doc)["indicators"]         # the flat tables as pandas DataFrames
"""

__version__ = "0.1.0"

from .errors import PerfdeclError  # noqa: E402
from .frames import to_frames  # noqa: E402
from .models import Document, Target  # noqa: E402
from .normalize.targets import parse_target  # noqa: E402
from .pipeline import convert  # noqa: E402

__all__ = ["convert", "parse_target", "to_frames", "Document", "Target", "PerfdeclError",
           "__version__"]
