"""Imports every domain's models so that ``Base.metadata`` describes the whole schema.

Used by Alembic's ``env.py`` (for autogenerate) and by the test that the models match the migrations.
"""

from examsvc.analytics import models as analytics_models  # noqa: F401
from examsvc.analytics import signal_models as analytics_signal_models  # noqa: F401
from examsvc.attempts import models as attempts_models  # noqa: F401
from examsvc.audit import models as audit_models  # noqa: F401
from examsvc.banks import models as banks_models  # noqa: F401
from examsvc.blueprints import models as blueprints_models  # noqa: F401
from examsvc.candidates import models as candidates_models  # noqa: F401
from examsvc.certificates import models as certificates_models  # noqa: F401
from examsvc.db import Base  # noqa: F401
from examsvc.examiners import models as examiners_models  # noqa: F401
from examsvc.identity import models as identity_models  # noqa: F401
from examsvc.papers import models as papers_models  # noqa: F401
from examsvc.practical import models as practical_models  # noqa: F401
from examsvc.results import models as results_models  # noqa: F401
from examsvc.sites import models as sites_models  # noqa: F401
from examsvc.sittings import models as sittings_models  # noqa: F401
from examsvc.spot import models as spot_models  # noqa: F401
