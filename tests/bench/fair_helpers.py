"""What the fair comparison's tests share: a stand-in worker that answers from a script of times."""


class FakeWorker:
    """Answers time(calls) from a script of per-round times and logs who was asked when."""

    def __init__(self, name, rounds, log):
        self.name, self.rounds, self.log, self.builds = name, list(rounds), log, []

    def time(self, calls):
        self.log.append((self.name, calls))
        return self.rounds.pop(0)

    def request(self, cmd, **msg):
        self.log.append((self.name, cmd))
        if cmd == "build":
            self.builds.append(msg)
        return {"version": self.name} if cmd == "info" else {}
