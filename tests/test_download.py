"""The download path, against HTTP servers on 127.0.0.1 only."""
import dataclasses
import functools
import gzip
import http.server
import io
import shutil
import threading

import pytest

from conftest import MNIST_DIR
from ganclf.data import DATASETS, DataError, load_dataset
from ganclf.data.download import _copy_capped
from test_archives import accept_local, cifar_members, write_tar


@pytest.fixture
def serve(tmp_path):
    """serve(dir) -> base URL of a loopback HTTP server for that directory."""
    servers = []

    def start(directory):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()


def test_download_falls_back_to_a_good_mirror(tmp_path, serve, monkeypatch):
    monkeypatch.delenv("GANCLF_DATA")
    empty = tmp_path / "empty"
    empty.mkdir()
    corrupt = tmp_path / "corrupt"
    shutil.copytree(MNIST_DIR, corrupt)
    bad = corrupt / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(bad.read_bytes()))
    content[100] ^= 1
    bad.write_bytes(gzip.compress(bytes(content)))
    mirrors = (serve(empty), serve(corrupt), serve(MNIST_DIR))  # 404s, wrong content, then the real files

    target = tmp_path / "data"
    data = load_dataset("mnist", target, mirrors=mirrors)

    assert data.train_images.shape == (60000, 1, 28, 28)
    assert sorted(p.name for p in (target / "mnist").iterdir()) == sorted(p.name for p in MNIST_DIR.glob("*.gz"))


def test_download_fails_clearly_when_no_mirror_has_good_data(tmp_path, serve, monkeypatch):
    monkeypatch.delenv("GANCLF_DATA")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="could not download train-images"):
        load_dataset("mnist", tmp_path / "data", mirrors=(serve(empty),))
    assert not any((tmp_path / "data" / "mnist").iterdir())  # nothing half-written left behind


def test_not_found_without_download(tmp_path, monkeypatch):
    monkeypatch.delenv("GANCLF_DATA")
    with pytest.raises(DataError, match="not found"):
        load_dataset("mnist", tmp_path, download_missing=False)


def test_a_response_over_twice_the_published_size_is_refused(tmp_path, serve, monkeypatch):
    monkeypatch.delenv("GANCLF_DATA")
    info = DATASETS["mnist"]
    monkeypatch.setitem(DATASETS, "mnist", dataclasses.replace(info, sizes={f: 1000 for f in info.files}))
    with pytest.raises(DataError, match="over twice the published size"):
        load_dataset("mnist", tmp_path / "data", mirrors=(serve(MNIST_DIR),))
    assert not any((tmp_path / "data" / "mnist").iterdir())


class Response:
    """A response without Content-Length, as a chunked or lying server sends it."""
    def __init__(self, payload: bytes):
        self.headers, self.body = {}, io.BytesIO(payload)

    def read(self, n):
        return self.body.read(n)


def test_the_size_cap_holds_without_a_declared_length(tmp_path):
    with open(tmp_path / "out", "wb") as out:
        _copy_capped(Response(b"x" * 3000), out, 3000, "u")
    with open(tmp_path / "out", "wb") as out, pytest.raises(DataError, match="more than 2999 bytes"):
        _copy_capped(Response(b"x" * 3000), out, 2999, "u")


def test_cifar10_downloads_and_verifies_like_mnist(tmp_path, serve, monkeypatch):
    monkeypatch.delenv("GANCLF_DATA")
    published = tmp_path / "published"
    published.mkdir()
    write_tar(published / "cifar-10-binary.tar.gz", cifar_members()[0])
    accept_local(monkeypatch, "cifar10", published)
    empty = tmp_path / "empty"
    empty.mkdir()

    data = load_dataset("cifar10", tmp_path / "data", mirrors=(serve(empty), serve(published)))

    assert data.train_images.shape == (15, 3, 32, 32)
    assert (tmp_path / "data" / "cifar10" / "cifar-10-binary.tar.gz").read_bytes() == \
        (published / "cifar-10-binary.tar.gz").read_bytes()
