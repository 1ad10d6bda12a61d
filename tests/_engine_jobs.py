"""Test helper shared by the engine tests: make chosen methods fit on a seeded row sample."""

from featkit import _fitting


def sampling_jobs(sizes):
    """``_fitting._jobs`` with each method named in ``sizes`` fitted on that many seeded rows.

    Patch it in with ``monkeypatch.setattr(_fitting, "_jobs", sampling_jobs(sizes))``.
    """
    make_jobs = _fitting._jobs

    def jobs(plan, specs, encodings, random_state, params):
        out = make_jobs(plan, specs, encodings, random_state, params)
        for job in out:
            if job["spec"].name in sizes:
                job["rows"] = _fitting.sample_rows(plan.n_rows, sizes[job["spec"].name], random_state)
        return out
    return jobs
