"""Imports every domain's models so that ``Base.metadata`` describes the whole schema.

Used by Alembic's ``env.py`` (for autogenerate) and by the test that the models match the migrations.
"""

from examsvc.audit import models as audit_models
from examsvc.banks import models as banks_models
from examsvc.db import Base
from examsvc.identity import models as identity_models
from examsvc.sites import models as sites_models

__all__ = ["Base", "audit_models", "banks_models", "identity_models", "sites_models"]
