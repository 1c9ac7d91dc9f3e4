"""The notice's one cut-off year: when the municipal title system (职称系统) began.

Titles obtained from this year on are numbered by the system (no paper number; notice Q4),
and the title system's own results exist only from it; titles obtained before it are
registered from their paper certificates (证书编号 0113…). Every rule and use case that
splits on the year reads this constant.
"""

from __future__ import annotations

__all__ = ["TITLE_SYSTEM_FROM_YEAR"]

TITLE_SYSTEM_FROM_YEAR = 2021
