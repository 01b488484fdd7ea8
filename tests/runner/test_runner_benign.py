"""Benign snippets give exactly the answer a plain `python -c` would."""

from __future__ import annotations

import base64

from tests.runner.jailcheck import Runner

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_health_names_the_preloaded_libraries(runner: Runner) -> None:
    health = runner.health()
    assert health["status"] == "ok"
    assert health["slots"] == 2
    assert {"numpy", "pandas", "sklearn", "matplotlib"} <= set(health["preloaded"])


def test_numpy(runner: Runner) -> None:
    answer = runner.run("import numpy as np\nprint(np.arange(10).reshape(2, 5).sum(axis=1))")
    assert answer["status"] == "ok"
    assert answer["exit_code"] == 0
    assert answer["stdout"] == "[10 35]\n"
    assert answer["stderr"] == ""
    assert answer["truncated"] is False
    assert answer["files"] == []


def test_pandas_groupby(runner: Runner) -> None:
    code = (
        "import pandas as pd\n"
        "df = pd.DataFrame({'team': ['a', 'b', 'a', 'b'], 'score': [1, 2, 3, 5]})\n"
        "print(df.groupby('team')['score'].sum().to_dict())\n"
    )
    answer = runner.run(code)
    assert (answer["status"], answer["stdout"]) == ("ok", "{'a': 4, 'b': 7}\n")


def test_sklearn_fit(runner: Runner) -> None:
    code = (
        "from sklearn.linear_model import LinearRegression\n"
        "import numpy as np\n"
        "x = np.arange(6.0).reshape(-1, 1)\n"
        "model = LinearRegression().fit(x, 3 * x.ravel() + 2)\n"
        "print(round(model.coef_[0], 6), round(model.intercept_, 6))\n"
    )
    answer = runner.run(code)
    assert (answer["status"], answer["stdout"]) == ("ok", "3.0 2.0\n")


def test_an_open_figure_comes_back_as_png(runner: Runner) -> None:
    code = "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.title('squares')\n"
    answer = runner.run(code)
    assert answer["status"] == "ok", answer
    (image,) = answer["files"]
    content = base64.b64decode(image["content_b64"])
    assert image["mime"] == "image/png"
    assert image["name"].endswith(".png")
    assert content.startswith(PNG_MAGIC)
    assert image["size"] == len(content)
    assert 1000 < len(content) <= 2 * 1024 * 1024


def test_plt_show_returns_each_shown_figure_and_at_most_four(runner: Runner) -> None:
    code = (
        "import matplotlib.pyplot as plt\n"
        "for n in range(6):\n"
        "    plt.figure(); plt.plot([0, n])\n"
        "    plt.show()\n"
    )
    answer = runner.run(code)
    assert answer["status"] == "ok", answer
    assert len(answer["files"]) == 4
    assert all(base64.b64decode(f["content_b64"]).startswith(PNG_MAGIC) for f in answer["files"])
    assert "at most 4 images" in answer["stderr"]


def test_exception_gives_traceback_and_error(runner: Runner) -> None:
    answer = runner.run("def f():\n    return 1 / 0\nf()\n")
    assert answer["status"] == "error"
    assert answer["exit_code"] == 1
    assert answer["stderr"].startswith("Traceback (most recent call last):\n")
    assert 'File "<snippet>", line 3, in <module>' in answer["stderr"]
    assert answer["stderr"].endswith("ZeroDivisionError: division by zero\n")
    assert "bot/runner" not in answer["stderr"]  # the snippet's frames only


def test_syntax_error(runner: Runner) -> None:
    answer = runner.run("print(")
    assert (answer["status"], answer["exit_code"]) == ("error", 1)
    assert "SyntaxError" in answer["stderr"]


def test_sys_exit_code(runner: Runner) -> None:
    answer = runner.run("import sys\nprint('bye')\nsys.exit(3)")
    assert (answer["status"], answer["exit_code"], answer["stdout"]) == ("error", 3, "bye\n")


def test_stdin_is_echoed(runner: Runner) -> None:
    answer = runner.run(
        "import sys\nprint(sys.stdin.read().upper(), end='')", stdin="héllo\nworld\n"
    )
    assert (answer["status"], answer["stdout"]) == ("ok", "HÉLLO\nWORLD\n")


def test_input_reads_stdin(runner: Runner) -> None:
    answer = runner.run("a = int(input()); b = int(input()); print(a + b)", stdin="2\n40\n")
    assert answer["stdout"] == "42\n"


def test_non_utf8_bytes_become_replacement_characters(runner: Runner) -> None:
    code = "import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe end\\n')\nprint('\\udcff')"
    answer = runner.run(code)
    assert answer["status"] == "ok", answer
    assert answer["stdout"].startswith("ok \ufffd\ufffd end\n")


def test_random_generators_are_reseeded_in_every_child(runner: Runner) -> None:
    code = "import random, numpy as np\nprint(random.random(), np.random.rand())"
    outputs = {runner.run(code)["stdout"] for _ in range(4)}
    assert len(outputs) == 4


def test_name_is_main_and_classes_pickle(runner: Runner) -> None:
    code = (
        "import pickle\n"
        "class Point:\n    pass\n"
        "print(__name__, type(pickle.loads(pickle.dumps(Point()))).__name__)"
    )
    assert runner.run(code)["stdout"] == "__main__ Point\n"


def test_threads_are_joined_before_the_answer(runner: Runner) -> None:
    code = (
        "import threading, time\n"
        "def late():\n    time.sleep(0.2); print('late')\n"
        "threading.Thread(target=late).start()\nprint('early')"
    )
    answer = runner.run(code)
    assert answer["stdout"] == "early\nlate\n"
