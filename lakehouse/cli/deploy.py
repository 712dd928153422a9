"""The cluster commands of the ``lakehouse`` CLI: ``submit`` and ``deploy``.

``lakehouse submit`` is what ``spark-submit.sh`` runs: build (or reuse) the
artifacts, then run ``spark-submit`` (or print it with ``--dry-run``); unless ``--debug``
or a ``provided`` profile, the JVM it starts here (the driver in client mode) logs through
lakehouse's quiet log4j configuration (``SPARK_SUBMIT_OPTS``), without Spark's INFO lines.
``lakehouse deploy emr-step|databricks-job`` prints a scheduled-run definition as
JSON (an EMR step in the ``aws emr add-steps`` shape or, with ``--shape api``, the
AddJobFlowSteps API's).  None of them starts Spark in this process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import sys
from pathlib import Path

from lakehouse.deploy.jobs import (EMR_ACTIONS_ON_FAILURE, EMR_DATE_PLACEHOLDER, EMR_DEFAULT_ACTION_ON_FAILURE,
                              EMR_DEFAULT_SHAPE, EMR_SHAPES, databricks_job, emr_step)
from lakehouse.runtime import quiet_java_options
from lakehouse.spec.load import load_profile, load_project

SPARK_SUBMIT_ENV = "SPARK_SUBMIT"
"""Environment variable naming the spark-submit to run (default: the one next to this Python)."""


def add_deploy_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``submit`` and ``deploy`` on the ``lakehouse`` parser's subcommands."""
    p = sub.add_parser("submit", help="run a job through spark-submit (what ./spark-submit.sh runs)")
    p.add_argument("job", metavar="JOB.yaml")
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the run date")
    p.add_argument("--profile", help="profile name in the project's conf/ (default: $LAKEHOUSE_PROFILE, else the "
                                          "project's defaults.profile)")
    p.add_argument("--master", help="Spark master (default: the profile's spark.master)")
    p.add_argument("--deploy-mode", choices=("client", "cluster"), default="client",
                   help="where the driver runs (cluster: on a YARN node; not for local or standalone masters)")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark conf (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print the spark-submit command; run nothing")
    p.add_argument("--force", action="store_true", help="passed to `lakehouse run`: load the date again")
    p.set_defaults(handler=_submit)

    deploy = sub.add_parser("deploy", help="print a scheduled-run definition (EMR step, Databricks job) as JSON")
    kinds = deploy.add_subparsers(dest="kind", required=True, metavar="KIND")
    p = kinds.add_parser("emr-step", help="steps JSON for `aws emr add-steps` (or, --shape api, for boto3/Airflow)")
    _deploy_options(p, default_profile="emr")
    p.add_argument("--date", default=EMR_DATE_PLACEHOLDER, metavar="DATE",
                   help="run date passed to the job (default: %(default)s, filled in by the scheduler)")
    p.add_argument("--action-on-failure", default=EMR_DEFAULT_ACTION_ON_FAILURE, choices=EMR_ACTIONS_ON_FAILURE,
                   help="what the cluster does when the step fails (default: %(default)s)")
    p.add_argument("--shape", default=EMR_DEFAULT_SHAPE, choices=tuple(EMR_SHAPES),
                   help="cli: `aws emr add-steps --steps file://FILE`; api: the Steps of AddJobFlowSteps "
                        "(boto3 add_job_flow_steps, Airflow EmrAddStepsOperator) (default: %(default)s)")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark conf (repeatable)")
    p.set_defaults(handler=_emr_step)
    p = kinds.add_parser("databricks-job", help="Jobs API 2.1 JSON for `databricks jobs create --json @FILE`")
    _deploy_options(p, default_profile="databricks")
    p.add_argument("--cluster-id", help="run on this existing cluster instead of the profile's deploy.cluster")
    p.set_defaults(handler=_databricks_job)


def _deploy_options(p: argparse.ArgumentParser, *, default_profile: str) -> None:
    p.add_argument("job", metavar="JOB.yaml")
    p.add_argument("--profile", default=default_profile, help=f"profile name (default: {default_profile})")
    p.add_argument("--artifacts", help="where the build/ files are uploaded (default: the profile's deploy.artifacts)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the JSON here instead of stdout")


def _submit(args: argparse.Namespace) -> int:
    from lakehouse.deploy.package import build, submit_command

    project = load_project(args.job)
    profile = load_profile(args.profile, project=project)
    master = args.master or profile.spark.master or ""
    argv = submit_command(args.job, profile, build(project.root), run_date=args.date, project_dir=project.root,
                          master=args.master, deploy_mode=args.deploy_mode, confs=args.conf,
                          run_args=["--force"] if args.force else [], spark_submit=_spark_submit())
    if args.debug:  # a global option of the driver's `lakehouse` command
        argv.insert(argv.index("run"), "--debug")
    if args.dry_run:
        print(shlex.join(argv))
        return 0
    env = dict(os.environ)
    if argv[0] == str(Path(sys.executable).parent / "spark-submit"):  # pyspark's: Spark home is the package
        env.setdefault("SPARK_HOME", importlib.util.find_spec("pyspark").submodule_search_locations[0])
    if master.startswith(("local", "spark://")):  # the driver and executors run on this machine's Python
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master.startswith("local"):
        env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if not args.debug and profile.delta.jars != "provided":  # this machine's JVM logs warnings only
        env["SPARK_SUBMIT_OPTS"] = quiet_java_options(env.get("SPARK_SUBMIT_OPTS", ""))
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)
    return 1  # not reached


def _emr_step(args: argparse.Namespace) -> int:
    project, profile, built, location = _deploy_inputs(args)
    steps = emr_step(args.job, profile, built.at(location), project_dir=project, run_date=args.date,
                     action_on_failure=args.action_on_failure, confs=args.conf, shape=args.shape)
    _emit(steps, args.output)
    print(f"upload {built.py_files}, {built.driver} and {built.bundle} to {location}/", file=sys.stderr)
    return 0


def _databricks_job(args: argparse.Namespace) -> int:
    project, profile, built, location = _deploy_inputs(args)
    job = databricks_job(args.job, profile, built.at(location), project_dir=project,
                         existing_cluster_id=args.cluster_id)
    _emit(job, args.output)
    print(f"upload {built.wheel} to {location}/ and unpack {built.bundle} into "
          f"{built.at(location).bundle_folder}/", file=sys.stderr)
    return 0


def _deploy_inputs(args: argparse.Namespace):
    """The project, the profile, the local artifacts (built or reused) and where they are uploaded."""
    from lakehouse.deploy.package import PackageError, build

    project = load_project(args.job)
    profile = load_profile(args.profile, project=project)
    location = (args.artifacts or profile.deploy.artifacts or "").rstrip("/")
    if not location:
        raise PackageError(f"profile {profile.name!r} sets no deploy.artifacts; pass --artifacts URI")
    return project.root, profile, build(project.root), location


def _emit(definition: object, output: str | None) -> None:
    text = json.dumps(definition, indent=2) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _spark_submit() -> str:
    """``$SPARK_SUBMIT``, else the spark-submit installed next to this Python (pyspark's), else the PATH's."""
    if os.environ.get(SPARK_SUBMIT_ENV):
        return os.environ[SPARK_SUBMIT_ENV]
    beside = Path(sys.executable).parent / "spark-submit"
    return str(beside) if beside.is_file() else "spark-submit"
