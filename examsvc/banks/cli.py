"""``examsvc banks …``: import, publish, retire, export, compare and template bank files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import examsvc.models  # noqa: F401  # every table a bank row names (user_account) must be mapped to flush
from examsvc.audit.actors import Actor
from examsvc.banks import files, service
from examsvc.banks.document import Part
from examsvc.banks.problems import BankImportRejected, report_rejected
from examsvc.banks.synthetic import synthetic_bank
from examsvc.banks.xlsx_format import template_document, write_xlsx
from examsvc.banks.yaml_format import write_yaml
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.db import engine_from_settings
from examsvc.private_files import write_private
from examsvc.text import shown


def register(commands: Any) -> None:
    banks = commands.add_parser("banks", help="question banks (题库)")
    sub = banks.add_subparsers(dest="banks_command", required=True, metavar="ACTION")

    imp = sub.add_parser("import", help="import bank files or folders (YAML, xlsx) as drafts; all or nothing")
    imp.add_argument("paths", nargs="+", type=Path)
    imp.add_argument("--publish", action="store_true", help="publish the imported drafts at once")
    imp.set_defaults(handler=run_import)

    sub.add_parser("list", help="banks and versions").set_defaults(handler=run_list)

    for name, handler, text in (("publish", run_publish, "publish a draft (it can never change afterwards)"),
                                ("retire", run_retire, "retire a published version"),
                                ("counts", run_counts, "counts per knowledge point x type x level x difficulty")):
        p = sub.add_parser(name, help=text)
        p.add_argument("code")
        p.add_argument("version", help="LABEL, or PART/LABEL when both parts have it")
        p.set_defaults(handler=handler)

    export = sub.add_parser("export", help="export a version to FILE (.xlsx or .yaml)")
    export.add_argument("code")
    export.add_argument("version")
    export.add_argument("file", type=Path)
    export.set_defaults(handler=run_export)

    diff = sub.add_parser("diff", help="questions added, changed and retired from V1 to V2")
    diff.add_argument("code")
    diff.add_argument("v1")
    diff.add_argument("v2")
    diff.set_defaults(handler=run_diff)

    template = sub.add_parser("template", help="write an empty xlsx with one filled example row")
    template.add_argument("file", type=Path)
    template.set_defaults(handler=run_template)

    synth = sub.add_parser("synth", help="write a large SYNTHETIC bank (for benchmarks only)")
    synth.add_argument("file", type=Path)
    synth.add_argument("--questions", type=int, default=20_000)
    synth.add_argument("--seed", type=int, default=1)
    synth.add_argument("--part", choices=[p.value for p in Part], default="national")
    synth.set_defaults(handler=run_synth)


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    settings.ensure_data_dir()
    # Read and validate every file before the database is opened: a refusal holds no lock.
    collected = files.collect(args.paths, kind=files.Kind.THEORY)
    for skipped in collected.skipped:
        print(f"examsvc: {skipped}", file=sys.stderr)
    try:
        documents = files.parse(collected)
        with transaction(engine_from_settings(settings)) as db_session:
            results = files.import_collected(db_session=db_session, documents=documents, actor=Actor.cli(),
                                             publish=args.publish)
            for r in results:
                v = r.version
                state = "imported" if r.created else "unchanged (same content already stored)"
                print(f"{v.bank_code} {v.part}/{v.version_label}: {state}, {v.question_count} questions, "
                      f"{v.status}, id {v.id}, sha256 {v.content_digest}")
                for warning in r.warnings:
                    print(f"  {shown(warning)}")
    except BankImportRejected as rejected:
        return report_rejected(rejected)
    return 0


def run_list(_: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        for v in service.list_versions(db_session=db_session):
            print(f"{v.id}\t{v.bank_code}\t{v.part}/{v.version_label}\t{v.status}\t{v.question_count}\t{shown(v.title)}")
    return 0


def _version_id(db_session: Any, code: str, spec: str) -> int:
    return service.resolve_version(db_session=db_session, bank_code=code, spec=spec).id


def _advance(args: argparse.Namespace, settings: Settings, step: Any) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        v = step(db_session=db_session, version_id=_version_id(db_session, args.code, args.version), actor=Actor.cli())
        print(f"{v.bank_code} {v.part}/{v.version_label}: {v.status}")
    return 0


def run_publish(args: argparse.Namespace, settings: Settings) -> int:
    return _advance(args, settings, service.publish)


def run_retire(args: argparse.Namespace, settings: Settings) -> int:
    return _advance(args, settings, service.retire)


def run_counts(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        rows = service.counts(db_session=db_session, version_id=_version_id(db_session, args.code, args.version))
        print("knowledge_point\ttype\tlevel\tdifficulty\tcount")
        for r in rows:
            print(f"{r.knowledge_point}\t{r.type}\t{r.level}\t{r.difficulty}\t{r.count}")
    return 0


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    suffix = args.file.suffix.lower()
    if suffix not in files.BANK_SUFFIXES:
        print("examsvc: the export file must end in .xlsx, .yaml or .yml", file=sys.stderr)
        return 2
    with transaction(engine_from_settings(settings)) as db_session:
        document = service.document_of(db_session=db_session,
                                       version_id=_version_id(db_session, args.code, args.version))
    # The export carries every answer key: readable by its owner only.
    write_private(args.file, write_xlsx(document) if suffix == ".xlsx" else write_yaml(document))
    print(f"wrote {args.file} ({len(document.questions)} questions, sha256 {document.digest()})")
    return 0


def run_diff(args: argparse.Namespace, settings: Settings) -> int:
    from examsvc.analytics import item_service  # numpy: only for this command (examsvc/cli.py on startup)

    with transaction(engine_from_settings(settings)) as db_session:
        older = _version_id(db_session, args.code, args.v1)
        result = service.diff(db_session=db_session, from_version_id=older,
                              to_version_id=_version_id(db_session, args.code, args.v2))
        review = item_service.revision_review(db_session, service.get_version(db_session=db_session,
                                                                              version_id=older),
                                              {c.key for c in result.changed + result.retired})
    for title, changes in (("added", result.added), ("changed", result.changed), ("retired", result.retired)):
        print(f"{title}: {len(changes)}")
        for c in changes:
            revisions = f"{c.old_revision or '-'} -> {c.new_revision or '-'}"
            flags = review.flags.get(c.key)
            print(f"  {c.key}\t{c.type}\t{c.knowledge_point}\trevision {revisions}"
                  + (f"\tflagged in {args.v1}: {', '.join(flags)}" if flags else ""))
    print(f"flagged in {args.v1}, not revised: {len(review.unrevised)}")
    for key in review.unrevised:
        print(f"  {key}\t{', '.join(review.flags[key])}")
    return 0


def run_template(args: argparse.Namespace, _: Settings) -> int:
    args.file.write_bytes(write_xlsx(template_document()))
    print(f"wrote {args.file}: sheets 试题, 题库信息, 知识点 with one example row")
    return 0


def run_synth(args: argparse.Namespace, _: Settings) -> int:
    document = synthetic_bank(args.questions, seed=args.seed, part=Part(args.part))
    data = write_xlsx(document) if args.file.suffix.lower() == ".xlsx" else write_yaml(document)
    args.file.write_bytes(data)
    print(f"wrote SYNTHETIC bank {args.file}: {args.questions} questions, sha256 {document.digest()}")
    return 0
