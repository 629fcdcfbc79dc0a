"""ML-INFN end to end: the catalogue's ``ml-infn`` on the real Docker engine through
a real server; the owner's notebook trains small models with scikit-learn and
TensorFlow (CPU) over the kernels API, and with PyTorch (Debian's CPU build) in the
image's second kernel, "PyTorch (Debian 12)". GPUs asked where no site has any are a 400
at POST; GPU notebooks on a node without GPUs fail the create, saying why."""

from __future__ import annotations

import itertools
import json
import secrets

import httpx
import pytest
from e2e_helpers import (
    auth,
    build_optional_image,
    catalogue_template,
    cell_result,
    containers_of,
    create_deployment,
    delete_and_wait_gone,
    volumes_of,
    wait_final,
)
from hub_session import HubSession

from cumulo.drivers.docker_images import VM_JUPYTER_ML_12

pytestmark = [pytest.mark.e2e, pytest.mark.service]

SKLEARN_CELL = """
import numpy as np
from sklearn.linear_model import LogisticRegression
clf = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
print("RESULT", clf.predict([[0.2], [2.8]]).tolist())
"""
# A one-weight model learns y = 2x + 1 on the CPU.
TENSORFLOW_CELL = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
import tensorflow as tf
x = np.linspace(-1, 1, 64, dtype="float32").reshape(-1, 1)
model = tf.keras.Sequential([tf.keras.Input((1,)), tf.keras.layers.Dense(1)])
model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
model.fit(x, 2 * x + 1, epochs=100, batch_size=64, verbose=0)
w, b = model.layers[0].get_weights()
gpus = tf.config.list_physical_devices("GPU")
print("RESULT", round(float(w[0][0]), 1), round(float(b[0]), 1), gpus)
"""
# Linear regression by gradient descent in the "pytorch" kernel, which runs Debian's
# python3: torch and numpy are Debian's, not the venv's (numpy 2 there).
PYTORCH_CELL = """
import json
import numpy
import torch
torch.manual_seed(0)
x = torch.linspace(-1, 1, 64).unsqueeze(1)
model = torch.nn.Linear(1, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
losses = []
for _ in range(100):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), 2 * x + 1)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print("RESULT", json.dumps({"losses": losses, "w": model.weight.item(), "b": model.bias.item(),
    "torch": torch.__version__, "torch_file": torch.__file__, "numpy": numpy.__version__,
    "cuda": torch.cuda.is_available()}))
"""


@pytest.fixture(scope="session")
def ml_image() -> None:
    """The ML image, built once per run (idempotent: a no-op when up to date)."""
    build_optional_image("ml", VM_JUPYTER_ML_12)


def test_the_owner_trains_models_with_scikit_learn_tensorflow_and_pytorch(
    server: str, ml_image: None
) -> None:
    password = secrets.token_urlsafe(12)
    params = {"jupyter_password": password, "storage_size": "1 GB", "mem_size": "2 GB"}
    dep_id = create_deployment(server, "ml-infn", params)
    try:
        dep = wait_final(server, dep_id, timeout=300)
        assert dep["status"] == "CREATE_COMPLETE", dep.get("statusReason")
        out = dep["outputs"]
        owner = HubSession(out["jupyter_endpoint"], out["jupyter_user"])
        assert owner.login(password)
        owner.start_server(timeout=180)
        assert cell_result(owner.run_cell(SKLEARN_CELL)) == "[0, 1]"
        assert cell_result(owner.run_cell(TENSORFLOW_CELL, timeout=180)) == "2.0 1.0 []"
        kernels = owner.api("GET", "/kernelspecs").json()["kernelspecs"]
        assert kernels["pytorch"]["spec"]["display_name"] == "PyTorch (Debian 12)"
        assert_pytorch_learned(owner.run_cell(PYTORCH_CELL, timeout=120, kernel_name="pytorch"))
        owner.close()
    finally:
        delete_and_wait_gone(server, dep_id, timeout=120)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []


def assert_pytorch_learned(output: str) -> None:
    """Debian's torch on the CPU fitted y = 2x + 1: the loss fell, step after step."""
    run = json.loads(cell_result(output))
    losses = run["losses"]
    assert losses[-1] < losses[0] / 1000, losses
    assert all(later <= earlier for earlier, later in itertools.pairwise(losses)), losses
    assert (round(run["w"], 2), round(run["b"], 2)) == (2.0, 1.0), run
    assert run["torch"].startswith("1.13.") and not run["cuda"], run
    assert run["torch_file"].startswith("/usr/lib/python3/dist-packages/torch/"), run
    assert run["numpy"].startswith("1."), run  # Debian's numpy, not the venv's 2.x


def test_gpus_where_no_site_has_any_are_refused_at_post(server: str, ml_image: None) -> None:
    params = {"jupyter_password": secrets.token_urlsafe(12), "num_gpus": 1}
    body = {"template": catalogue_template("ml-infn"), "parameters": params}
    r = httpx.post(f"{server}/deployments", headers=auth(server), json=body, timeout=30)
    assert r.status_code == 400, r.text
    message = r.json()["message"]
    assert "no site offers GPUs" in message and "'server' asks for 1 GPU(s)" in message


def test_gpu_notebooks_on_a_node_without_gpus_fail_saying_why(server: str, ml_image: None) -> None:
    params = {"jupyter_password": secrets.token_urlsafe(12), "jupyter_use_gpu": True,
              "storage_size": "1 GB", "mem_size": "2 GB"}  # fmt: skip
    dep_id = create_deployment(server, "ml-infn", params)
    try:
        dep = wait_final(server, dep_id, timeout=300)
        assert dep["status"] == "CREATE_FAILED"
        assert "jupyter_use_gpu is true but the node has no GPU" in dep["statusReason"]
    finally:
        delete_and_wait_gone(server, dep_id, timeout=120)
    assert containers_of(dep_id) == [] and volumes_of(dep_id) == []
