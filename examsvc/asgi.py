"""Import target for multi-worker uvicorn (``examsvc serve --workers N``): each worker builds its app."""

from examsvc.app import create_app, freeze_loaded_objects
from examsvc.config import Settings
from examsvc.requestlog import configure_logging

_settings = Settings()
configure_logging(_settings.log_level)
app = create_app(_settings)
freeze_loaded_objects()
