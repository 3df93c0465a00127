"""A tiny stand-in for the Hugging Face Hub: serves model repos over HTTP on 127.0.0.1.

It speaks the parts of the Hub's protocol that shapesim uses: downloads as
``snapshot_download`` makes them (the repo's info and file tree, ``/api/models/{repo_id}/revision/{rev}``
and ``/api/models/{repo_id}/tree/{rev}``, then ``HEAD`` and ``GET`` on
``/{repo_id}/resolve/{revision}/{filename}``, with the ``X-Repo-Commit``, ``ETag`` and
``X-Error-Code`` headers, as ``hf_hub_download`` reads them) and uploads of model and Space repos
(``/api/repos/create``, then ``preupload``, which like the Hub sends binary files to large-file
storage (the LFS batch API and a PUT of their bytes) and text inline, and ``commit``, as
``HfApi.upload_folder`` sends them; the client's Xet protocol is not spoken, so tests set
``HF_HUB_DISABLE_XET``). ``mode`` makes it misbehave: ``"500"`` (every request fails), ``"hang"``
(never answers in time), ``"drop"`` (cuts ``model.safetensors`` off half way).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


def _mode(f: dict) -> str:
    """The Hub's rule: a binary file (or a large one) goes to large-file storage, text inline."""
    sample = base64.b64decode(f.get("sample", ""))
    try:
        sample.decode("utf-8")
        text = b"\0" not in sample
    except UnicodeDecodeError:
        text = False
    return "regular" if text and f.get("size", 0) < 10_000_000 else "lfs"


class HubStub:
    def __init__(self, port: int, repos: dict[str, dict[str, bytes]], mode: str = "ok") -> None:
        self.port, self.repos, self.mode = port, repos, mode
        self.requests: list[str] = []
        self.created: dict[str, dict] = {}  # repo id -> what create_repo asked for (type, sdk, private)
        self.lfs: dict[str, bytes] = {}  # large files by sha256, as uploaded
        self.stored_as: dict[str, dict[str, str]] = {}  # repo id -> path -> "lfs" or "regular"
        self.commit = hashlib.sha1(repr(sorted(repos)).encode()).hexdigest()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                self.answer(body=False)

            def do_GET(self):
                self.answer(body=True)

            def do_PUT(self):  # the bytes of a large file, to the address the LFS batch answer gave
                stub.requests.append(f"PUT {self.path}")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                oid = self.path.rsplit("/", 1)[-1]
                if hashlib.sha256(body).hexdigest() != oid:
                    return self.error(400, "BadRequest")
                stub.lfs[oid] = body
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                stub.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = unquote(self.path.split("?")[0])
                if path == "/api/repos/create":
                    info = json.loads(body or b"{}")
                    repo = f"{info.get('organization') or 'tester'}/{info['name']}"
                    stub.repos.setdefault(repo, {})
                    stub.created[repo] = info
                    return self.json({"url": f"http://127.0.0.1:{stub.port}/{repo}"})
                if path.endswith(".git/info/lfs/objects/batch"):  # where to PUT each large file
                    objects = json.loads(body)["objects"]
                    actions = [
                        {**o, "authenticated": True,
                         "actions": {"upload": {"href": f"http://127.0.0.1:{stub.port}/lfs-upload/{o['oid']}"}}}
                        for o in objects
                    ]  # fmt: skip
                    return self.json({"transfer": "basic", "objects": actions})
                if path == "/api/validate-yaml":  # the model card's front matter
                    content = json.loads(body)["content"]
                    ok = content.startswith("---\n") and "\n---\n" in content[4:]
                    return self.json({"warnings": [], "errors": [] if ok else [{"message": "no front matter"}]})
                parts = path.strip("/").split("/")  # api/{models|spaces}/{org}/{name}/{preupload|commit}/{rev}
                kinds = ("models", "spaces")
                if len(parts) == 6 and parts[0] == "api" and parts[1] in kinds and parts[4] == "preupload":
                    files = json.loads(body)["files"]
                    modes = [{"path": f["path"], "uploadMode": _mode(f), "shouldIgnore": False} for f in files]
                    return self.json({"files": modes})
                if len(parts) == 6 and parts[0] == "api" and parts[1] in kinds and parts[4] == "commit":
                    repo = "/".join(parts[2:4])
                    files, how = stub.repos.setdefault(repo, {}), stub.stored_as.setdefault(repo, {})
                    for line in body.decode().splitlines():
                        item = json.loads(line)
                        if item.get("key") == "file":
                            value = item["value"]
                            files[value["path"]], how[value["path"]] = base64.b64decode(value["content"]), "regular"
                        if item.get("key") == "lfsFile":
                            value = item["value"]
                            files[value["path"]], how[value["path"]] = stub.lfs[value["oid"]], "lfs"
                    stub.commit = hashlib.sha1(repr(sorted(stub.repos[repo])).encode()).hexdigest()
                    return self.json(
                        {
                            "commitUrl": f"http://127.0.0.1:{stub.port}/{repo}/commit/{stub.commit}",
                            "commitOid": stub.commit,
                            "success": True,
                        }
                    )
                return self.error(404, "RepoNotFound")

            def json(self, data: dict | list) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def answer(self, body: bool) -> None:
                stub.requests.append(f"{self.command} {self.path}")
                if stub.mode == "hang":
                    time.sleep(8)  # longer than the client's timeout; bounded so the test ends
                    return
                if stub.mode == "500":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                parts = unquote(self.path.split("?")[0]).strip("/").split("/")
                if len(parts) >= 6 and parts[:2] == ["api", "models"] and parts[4] in ("revision", "tree"):
                    return self.listing("/".join(parts[2:4]), parts[4], parts[5])
                if len(parts) < 5 or parts[2] != "resolve":
                    return self.error(404, "RepoNotFound")
                repo, revision, filename = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
                files = stub.repos.get(repo)
                if files is None:
                    return self.error(404, "RepoNotFound")
                if revision not in ("main", stub.commit):
                    return self.error(404, "RevisionNotFound")
                if filename not in files:
                    return self.error(404, "EntryNotFound")
                data = files[filename]
                self.send_response(200)
                self.send_header("X-Repo-Commit", stub.commit)
                self.send_header("ETag", '"' + hashlib.sha256(data).hexdigest() + '"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    if stub.mode == "drop" and filename == "model.safetensors":
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        self.connection.close()
                        return
                    self.wfile.write(data)

            def listing(self, repo: str, what: str, revision: str) -> None:
                """The repo's info (its commit and files) or its file tree, as the Hub's API gives them."""
                files = stub.repos.get(repo)
                if files is None:
                    return self.error(404, "RepoNotFound")
                if revision not in ("main", stub.commit):
                    return self.error(404, "RevisionNotFound")
                if what == "revision":
                    siblings = [{"rfilename": name} for name in sorted(files)]
                    return self.json({"id": repo, "sha": stub.commit, "private": False, "siblings": siblings})
                tree = [
                    {"type": "file", "path": name, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
                    for name, data in sorted(files.items())
                ]
                return self.json(tree)

            def error(self, code: int, kind: str) -> None:
                self.send_response(code)
                self.send_header("X-Error-Code", kind)
                self.send_header("X-Repo-Commit", stub.commit) if kind == "EntryNotFound" else None
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HubStub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
