"""A tiny stand-in for the Hugging Face Hub: serves model repos over HTTP on 127.0.0.1.

It speaks the parts of the Hub's protocol that shapesim uses: downloads
(``HEAD`` and ``GET`` on ``/{repo_id}/resolve/{revision}/{filename}``, with the
``X-Repo-Commit``, ``ETag`` and ``X-Error-Code`` headers, as ``hf_hub_download``
reads them) and uploads (``/api/repos/create``, then ``preupload`` and
``commit`` with the files inline, as ``HfApi.upload_folder`` sends them). ``mode`` makes it
misbehave: ``"500"`` (every request fails), ``"hang"`` (never answers in
time), ``"drop"`` (cuts ``model.safetensors`` off half way).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


class HubStub:
    def __init__(self, port: int, repos: dict[str, dict[str, bytes]], mode: str = "ok") -> None:
        self.port, self.repos, self.mode = port, repos, mode
        self.requests: list[str] = []
        self.commit = hashlib.sha1(repr(sorted(repos)).encode()).hexdigest()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                self.answer(body=False)

            def do_GET(self):
                self.answer(body=True)

            def do_POST(self):
                stub.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = unquote(self.path.split("?")[0])
                if path == "/api/repos/create":
                    info = json.loads(body or b"{}")
                    repo = f"{info.get('organization') or 'tester'}/{info['name']}"
                    stub.repos.setdefault(repo, {})
                    return self.json({"url": f"http://127.0.0.1:{stub.port}/{repo}"})
                if path == "/api/validate-yaml":  # the model card's front matter
                    content = json.loads(body)["content"]
                    ok = content.startswith("---\n") and "\n---\n" in content[4:]
                    return self.json({"warnings": [], "errors": [] if ok else [{"message": "no front matter"}]})
                parts = path.strip("/").split("/")  # api/models/{org}/{name}/{preupload|commit}/{rev}
                if len(parts) == 6 and parts[:2] == ["api", "models"] and parts[4] == "preupload":
                    files = json.loads(body)["files"]
                    return self.json(
                        {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]}
                    )
                if len(parts) == 6 and parts[:2] == ["api", "models"] and parts[4] == "commit":
                    repo = "/".join(parts[2:4])
                    for line in body.decode().splitlines():
                        item = json.loads(line)
                        if item.get("key") == "file":
                            value = item["value"]
                            stub.repos.setdefault(repo, {})[value["path"]] = base64.b64decode(value["content"])
                    stub.commit = hashlib.sha1(repr(sorted(stub.repos[repo])).encode()).hexdigest()
                    return self.json(
                        {
                            "commitUrl": f"http://127.0.0.1:{stub.port}/{repo}/commit/{stub.commit}",
                            "commitOid": stub.commit,
                            "success": True,
                        }
                    )
                return self.error(404, "RepoNotFound")

            def json(self, data: dict) -> None:
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
