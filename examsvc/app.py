"""The FastAPI application: ``create_app(settings)`` wires routers, errors, logging and the database."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from examsvc import __version__
from examsvc.admission import AdmissionMiddleware
from examsvc.analytics.endpoints import router as analytics_router
from examsvc.analytics.item_endpoints import router as item_analysis_router
from examsvc.analytics.signal_endpoints import router as signals_router
from examsvc.attempts.autosave import LoopConnections
from examsvc.attempts.background import credit_outage_once, sweep_loop
from examsvc.attempts.endpoints import candidate_router as attempt_router
from examsvc.attempts.endpoints import proctor_router
from examsvc.attempts.room_endpoints import inspection_router, room_router
from examsvc.audit.background import checkpoint_loop
from examsvc.audit.endpoints import router as audit_router
from examsvc.audit.keys import load_signer
from examsvc.banks.endpoints import router as banks_router
from examsvc.blueprints.endpoints import router as blueprints_router
from examsvc.certificates.endpoints import router as certificates_router
from examsvc.certificates.keys import load_keyring
from examsvc.certificates.ratelimit import RateLimiter
from examsvc.config import Settings
from examsvc.db import engine_from_settings, make_session_factory, pool_capacity
from examsvc.errors import install_error_handlers
from examsvc.examiners.endpoints import router as examiners_router
from examsvc.health import router as health_router
from examsvc.identity.access import assert_every_route_declares_access
from examsvc.identity.endpoints import auth_router, users_router
from examsvc.openapi import install_openapi
from examsvc.papers.endpoints import router as papers_router
from examsvc.papers.endpoints import sitting_papers_router
from examsvc.papers.keys import paper_key_provider
from examsvc.practical.endpoints import router as practical_router
from examsvc.practical.exam_endpoints import qualification_router
from examsvc.practical.exam_endpoints import router as practical_exam_router
from examsvc.practical.rule_endpoints import router as practical_rules_router
from examsvc.requestlog import RequestContextMiddleware
from examsvc.results.endpoints import retraining_router
from examsvc.results.endpoints import router as results_router
from examsvc.security_headers import SecurityHeadersMiddleware
from examsvc.sites.endpoints import sites_router, workstations_router
from examsvc.sittings.access import assert_sitting_routes_scoped
from examsvc.sittings.endpoints import candidates_router
from examsvc.sittings.endpoints import router as sittings_router
from examsvc.spot.archive_endpoints import router as spot_archive_router
from examsvc.spot.endpoints import router as spot_router
from examsvc.web.admin import router as admin_pages_router
from examsvc.web.auditor import router as auditor_router
from examsvc.web.certificates import router as certificate_pages_router
from examsvc.web.chief import router as chief_router
from examsvc.web.item_analysis import router as item_analysis_pages_router
from examsvc.web.pages import router as pages_router
from examsvc.web.proctor import router as proctor_pages_router
from examsvc.web.signals import router as signal_pages_router
from examsvc.web.spot import router as spot_pages_router
from examsvc.web.spot_archive import router as spot_archive_pages_router
from examsvc.web.spot_exam import router as spot_exam_page_router
from examsvc.web.staff import router as staff_router
from examsvc.web.staff_access import install_page_refusals
from examsvc.web.static import router as static_router
from examsvc.web.statistics import router as statistics_pages_router
from examsvc.web.verify import router as verify_pages_router

OPENAPI_TAGS = [
    {"name": "health", "description": "Liveness and readiness probes (public)."},
    {"name": "auth", "description": "Login, logout and the current user (登录)."},
    {"name": "users", "description": "Staff accounts, roles and affiliations (人员与角色). System admin only."},
    {"name": "sites", "description": "Exam sites (考点)."},
    {"name": "workstations", "description": "Exam-site computers (考试机): enrolment, approval, revocation."},
    {"name": "audit", "description": "The tamper-evident log (考试过程留痕): RFC 6962 Merkle tree, C2SP signed "
                                     "checkpoints, proofs. Checkpoint and key are public; the rest is for auditors."},
    {"name": "examiners", "description": "Chief examiners' own signing keys (主考官签名密钥)."},
    {"name": "blueprints", "description": "Composition rules (组卷规则): draft, submit, feasibility, signed approval."},
    {"name": "papers", "description": "Per-candidate papers (试卷): made, sealed, signed manifests, opening."},
    {"name": "sittings", "description": "Exam sittings (考试场次): schedule, rooms, staff with conflict checks."},
    {"name": "answering", "description": "The candidate's paper, autosave and submission (作答); proctor actions "
                                         "(pause, extra time, warning, removal, move, reopen)."},
    {"name": "results", "description": "Scores (成绩): signed results manifests, review (复核), re-training records."},
    {"name": "practical", "description": "Practical exam banks (实操题库): items per subject K1–K4 with scoring "
                                         "criteria and veto items; import, publish, retire, export."},
    {"name": "banks", "description": "Versioned question banks (题库): import, publish, retire, export, diff. "
                                     "Question content is visible to bank administrators only."},
]


def freeze_loaded_objects() -> None:
    """For a serving process, once its app is built: what is loaded by now (modules, metadata, about
    200,000 objects) lives as long as the process, so it is kept out of the garbage collector's full
    passes, which otherwise stop the worker for ~100 ms every so often. Not for tests, which build many
    apps in one process: frozen objects are never collected."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    engine = engine or engine_from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = []
        if settings.checkpoint_interval_seconds > 0:
            tasks.append(asyncio.create_task(checkpoint_loop(app, settings.checkpoint_interval_seconds)))
        if settings.sweep_interval_seconds > 0:
            # Before the first request: a restart after a crash credits the downtime to running attempts.
            # A database still down is no reason not to serve: the sweep credits the gap once it is back.
            try:
                await run_in_threadpool(credit_outage_once, app)
            except SQLAlchemyError as exc:
                logging.getLogger("examsvc.attempts").warning(
                    "outage check at start-up failed", extra={"exception_type": type(exc).__name__})
            tasks.append(asyncio.create_task(sweep_loop(app, settings.sweep_interval_seconds)))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if app.state.loop_connections is not None:
            await app.state.loop_connections.close()
        engine.dispose()

    app = FastAPI(
        title="examsvc",
        version=__version__,
        description="Proctored computer-based exam engine for safety-qualification exams (三项岗位人员).",
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        # Production leaves the documentation off unless EXAMSVC_API_DOCS turns it on.
        docs_url="/docs" if settings.api_docs_enabled else None,
        redoc_url="/redoc" if settings.api_docs_enabled else None,
        openapi_url="/openapi.json" if settings.api_docs_enabled else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.log_signer = load_signer(settings)
    app.state.paper_keys = paper_key_provider(settings)
    app.state.certificate_keys = load_keyring(settings)
    app.state.verify_limiter = RateLimiter(settings.verify_rate_per_minute)
    app.state.loop_connections = (LoopConnections(engine.url.render_as_string(hide_password=False))
                                  if engine.dialect.name == "postgresql" else None)
    install_error_handlers(app)
    install_page_refusals(app)
    install_openapi(app)
    app.add_middleware(AdmissionMiddleware, settings=settings, pool_capacity=pool_capacity(engine))
    app.add_middleware(RequestContextMiddleware)
    # Outermost: the gate's own refusals (503, 413) carry the headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    # Routes are matched in order, one by one: the exam day's hottest (the candidate's saves) come first, then
    # the public certificate check (anyone, at any rate the limiter allows), then the rest.
    for router in (health_router, attempt_router, certificates_router, verify_pages_router, auth_router, users_router,
                   sites_router, workstations_router, banks_router, audit_router, examiners_router, blueprints_router,
                   papers_router, sittings_router, candidates_router, sitting_papers_router, proctor_router,
                   room_router, inspection_router, results_router, retraining_router, practical_router,
                   practical_rules_router, practical_exam_router, qualification_router, pages_router, staff_router,
                   proctor_pages_router, admin_pages_router, chief_router, auditor_router, certificate_pages_router,
                   static_router, analytics_router, statistics_pages_router, item_analysis_router,
                   item_analysis_pages_router, signals_router, signal_pages_router, spot_router,
                   # /staff/spot/archive and /staff/spot/exam before /staff/spot/{inspection_id}
                   spot_archive_router, spot_archive_pages_router, spot_exam_page_router, spot_pages_router):
        app.include_router(router)
    assert_every_route_declares_access(app)
    assert_sitting_routes_scoped(app)
    return app
