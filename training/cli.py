"""``radimpress-train``: the training module's one entry point, one subcommand per step.

Each subcommand is the ``main`` of its module (imported only when that subcommand runs, so ``prepare``
never loads torch and ``compare`` never loads boto3); ``radimpress-train SUBCOMMAND --help`` prints its own
options.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "main"]

#: subcommand → (module, function, one-line summary), in the order a study runs them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "prepare": ("training.prepare", "main", "build the JumpStart train/validation channels from reports"),
    "upload": ("training.upload", "main", "upload the prepared channels to S3"),
    "finetune": ("training.launch", "main", "start the SageMaker fine-tuning job (SDK or boto3; --dry-run)"),
    "status": ("training.jobs", "main", "a training job's state and its tracked metrics, with progress"),
    "deploy": (
        "training.endpoints",
        "deploy_main",
        "the pre-trained and fine-tuned models as async endpoints",
    ),
    "teardown": ("training.endpoints", "teardown_main", "remove exactly what deploy created"),
    "compare": ("training.compare", "main", "the study's table for two engines, Markdown/JSON, box plots"),
    "finetune-local": ("training.local_finetune", "main", "fine-tune a local checkpoint with Seq2SeqTrainer"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: radimpress-train SUBCOMMAND [options]   (SUBCOMMAND --help for its options)", ""]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, _, summary) in COMMANDS.items()]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        sys.stdout.write(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"radimpress-train: unknown subcommand {name!r}\n\n{usage()}")
        return 2
    module_name, function, _ = COMMANDS[name]
    command = getattr(importlib.import_module(module_name), function)
    return int(command(rest, prog=f"radimpress-train {name}"))


if __name__ == "__main__":
    raise SystemExit(main())
