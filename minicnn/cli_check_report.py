"""What ``python -m minicnn check`` says of each exercise it grades, and its exit status.

Text: the student's output set apart under "output of FILE:", then the grader's verdict; with
``check all``, a summary line. With --json: one JSON object a line per exercise (and, with
``check all``, one per exercise skipped), and nothing else on stdout.
"""

import json

from .cli_common import printable

PASSED, FAILED, COULD_NOT_RUN = 0, 1, 3  # and 2, a UsageError, from __main__


class Report:
    """Each exercise's result as it is decided: text (the student's output set apart, then the
    verdict) or, with --json, one JSON object a line; and the exit status of them all."""

    def __init__(self, args):
        self.args, self.statuses, self.skipped, self.others = args, [], [], 0
        self.graded = []  # (name, passed in full) of each exercise graded

    def passed(self, name, cases, slow, output, note=""):
        from .exercises import grading

        ex = self._ex(name)
        if self.args.quick and ex.slow is not None:  # the cases passed, the training was not run
            message = grading.quick_words(name, cases, self.args.seed)
            step, full = "training", False
        else:
            message = f"{name}: passed ({grading.passed_words(cases, slow, self.args.seed)})"
            step, full = None, True
        message += f"\n  note: {note}" if note else ""
        self._result(name, PASSED, message, step, cases, output, passed=full)

    def failed(self, name, err, output, note=""):
        from .exercises import CouldNotRun

        status = COULD_NOT_RUN if isinstance(err, CouldNotRun) else FAILED
        step = err.step if err.step is not None else ("load" if isinstance(err, CouldNotRun) else None)
        message = str(err) + (f"\n  note: {note}" if note else "")
        self._result(name, status, message, step, err.passed, output, traceback=err.traceback)
        return status

    def _ex(self, name):
        from .exercises import info

        return info(name)

    def _record(self, name, status, message, step, cases_passed, output, passed):
        ex = self._ex(name) if name is not None else None
        result = {
            "exercise": name,
            "file": self.args.file,
            "seed": self.args.seed,
            "passed": passed,
            "status": status,
            "cases_passed": cases_passed,
            "cases_total": len(ex.cases) if ex is not None else 0,
            "message": message,
            "step": step,
            "output": output,
            "hints": self.args.hints,
        }
        if ex is not None and ex.slow is not None:
            result["training"] = _training(status, step, self.args.quick)
        return result

    def _result(self, name, status, message, step, cases_passed, output, traceback="", passed=None):
        result = self._record(name, status, message, step, cases_passed, output, status == PASSED)
        result["passed"] = result["passed"] if passed is None else passed
        if self.args.debug and traceback:
            result["traceback"] = traceback
        self.statuses.append(status)
        if name is not None:
            self.graded.append((name, result["passed"]))
        self._show(result)
        return result

    def _show(self, result):
        if self.args.json:
            print(json.dumps(result), flush=True)
            return
        if result["output"]:
            print(f"output of {self.args.file}:")
            for line in result["output"].splitlines():
                print(f"    {printable(line)}")
        for line in result["message"].splitlines():  # the grader's words, with some of the answer's
            print(printable(line))
        if result.get("traceback"):
            print(f"traceback of the error in {self.args.file} (--debug):")
            for line in result["traceback"].splitlines():
                print(f"    {printable(line)}")

    def finish(self):
        if self.args.name == "all" and self.graded and self.args.json:
            for name, why in self.skipped:  # one object each, as for the exercises graded
                message = f"{name}: skipped, as {self.args.file} does not define it" + (
                    f" (it comes {why})" if why else ""
                )
                record = self._record(name, None, message, "skipped", 0, "", False)
                print(json.dumps({**record, "skipped": f"imported {why}" if why else "not defined"}))
        elif self.args.name == "all" and self.graded:
            passed = sum(full for name, full in self.graded)
            summary = f"{self.args.file}: {passed} of {len(self.graded)} exercises passed"
            quick = [
                name for name, full in self.graded if self.args.quick and self._ex(name).slow is not None
            ]
            if quick:
                summary += f" ({', '.join(quick)}: training skipped by --quick, so not in full)"
            words = _skipped_words(self.skipped)
            if self.others:  # a course's students need not hear of every exercise of minicnn's own
                words.append(f"minicnn's own {self.others} exercise{'s' if self.others != 1 else ''}")
            skipped = f"skipped, as {self.args.file} does not define them: {', '.join(words)}"
            print(summary + (f"; {skipped}" if words else ""))
        if not self.statuses:
            return FAILED
        return PASSED if set(self.statuses) == {PASSED} else max(self.statuses)


def _skipped_words(skipped, most=3):
    """The skipped exercises as the summary line names them: by name where few, else counted,
    those the file imports still named (--json names each)."""
    plain = [name for name, why in skipped if not why]
    if len(plain) <= most:
        return [name + (f" ({why})" if why else "") for name, why in skipped]
    return [f"{len(plain)} exercises (check --list lists them)"] + [
        f"{n} ({why})" for n, why in skipped if why
    ]


def _training(status, step, quick):
    """What became of an exercise's slow part (LeNet-5's training)."""
    if quick:
        return "skipped"
    if status == PASSED:
        return "passed"
    return "failed" if step == "training" else "not reached"
