"""The same pipeline configuration under datatrove's Ray executor, on a real local Ray cluster of two
worker nodes, gives the same rows as under its local executor."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("datatrove", reason="the data pipeline needs the data extra: pip install 'semcoder[data]'")
ray = pytest.importorskip("ray", reason="the scale test needs ray: pip install ray")

from semcoder_training.pipeline import PipelineConfig, RayConfig, run  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_cluster():
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})  # the head schedules, two workers run
    for _ in range(2):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def test_ray_executor_gives_the_rows_of_the_local_one(ray_cluster, tmp_path: Path):
    nodes = [n for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU")]
    assert len(nodes) == 2
    common = {"limit": 20, "shards": 4, "workers": 2}
    local = PipelineConfig(out=tmp_path / "local", **common)
    on_ray = PipelineConfig(out=tmp_path / "ray", executor="ray", ray=RayConfig(address=ray_cluster.address), **common)
    run(local, log=lambda _: None)
    seconds = run(on_ray, log=lambda _: None)
    assert list(seconds) == [
        "seeds",
        "synthesize",
        "filter",
        "inputs",
        "trace",
        "monologue",
        "pyx-r",
        "decontaminate",
        "export",
    ]
    for stage in ("filter", "monologue"):  # every task of the stage ran, and datatrove recorded it
        assert len(list((tmp_path / "ray" / "logs" / stage / "completions").iterdir())) == 4
    for name in ("pyx.jsonl", "pyx_r.jsonl"):
        ray_rows = (tmp_path / "ray" / "export" / name).read_bytes()
        assert ray_rows == (tmp_path / "local" / "export" / name).read_bytes(), name
    assert (tmp_path / "ray" / "export" / "pyx.jsonl").read_text().count("\n") >= 10
