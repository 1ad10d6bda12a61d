"""The example tables shipped with featkit (CSV files in the package data)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from ..exceptions import UnknownNameError, suggest_names

__all__ = ["ExampleInfo", "EXAMPLES", "MIXED_PARAMS", "example_path", "load_example"]


@dataclass(frozen=True)
class ExampleInfo:
    """One bundled example table.

    Attributes
    ----------
    file : str
        File name inside the package data (``featkit.datasets.data``).
    target : str
        Name of the target column.
    task : str
        "classification" or "regression".
    description : str
        One line on what the table is and where it comes from.
    """

    file: str
    target: str
    task: str
    description: str


# The committed datasets/mixed.csv is make_benchmark(**MIXED_PARAMS).frame.
MIXED_PARAMS = dict(n_samples=1000, missing_frac=0.02, task="classification", random_state=0)

EXAMPLES: dict[str, ExampleInfo] = {
    "breast_cancer": ExampleInfo(
        file="breast_cancer.csv",
        target="diagnosis",
        task="classification",
        description="Breast Cancer Wisconsin (Diagnostic), UCI: 569 tumours x 30 nucleus measurements; "
        "diagnosis malignant / benign.",
    ),
    "wine": ExampleInfo(
        file="wine.csv",
        target="cultivar",
        task="classification",
        description="Wine, UCI: 178 wines x 13 chemical measurements; cultivar 1, 2 or 3.",
    ),
    "diabetes": ExampleInfo(
        file="diabetes.csv",
        target="progression",
        task="regression",
        description="Diabetes (Efron et al. 2004): 442 patients x 10 baseline variables; "
        "disease progression one year later.",
    ),
    "mixed": ExampleInfo(
        file="mixed.csv",
        target="y",
        task="classification",
        description="Synthetic mixed-type table with known truth: make_benchmark(n_samples=1000, "
        "missing_frac=0.02, random_state=0); column names say each column's role.",
    ),
}


def _check_name(name: str) -> ExampleInfo:
    if name not in EXAMPLES:
        raise UnknownNameError(
            f"No example named {name!r}; the examples are {', '.join(EXAMPLES)}.{suggest_names(name, EXAMPLES)}"
        )
    return EXAMPLES[name]


def example_path(name: str) -> Path:
    """Path of a bundled example CSV file.

    Parameters
    ----------
    name : str
        One of ``EXAMPLES``: "breast_cancer", "wine", "diabetes", "mixed".

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> from featkit.datasets import example_path
    >>> example_path("wine").name
    'wine.csv'
    """
    info = _check_name(name)
    resource = resources.files("featkit.datasets.data").joinpath(info.file)
    path = Path(str(resource))
    if not path.is_file():
        raise FileNotFoundError(f"The example file {info.file!r} is missing from the featkit installation.")
    return path


def load_example(name: str) -> pd.DataFrame:
    """Load a bundled example table (target column included).

    Parameters
    ----------
    name : str
        "breast_cancer" (target "diagnosis"), "wine" ("cultivar"),
        "diabetes" ("progression", regression) or "mixed" ("y", synthetic,
        see :func:`make_benchmark`). ``EXAMPLES[name]`` has the details.

    Returns
    -------
    frame : pandas.DataFrame

    Examples
    --------
    >>> from featkit.datasets import load_example, EXAMPLES
    >>> frame = load_example("breast_cancer")
    >>> frame.shape
    (569, 31)
    >>> frame[EXAMPLES["breast_cancer"].target].value_counts().to_dict()
    {'benign': 357, 'malignant': 212}
    """
    from ..io import read_table

    return read_table(example_path(name))
