#!/usr/bin/env python3
"""Regenerates the example files of formats/ (ferry-bundle, oci-layout, docker-archive).

Not an example itself and not part of ferry: it writes a tiny, real ferry bundle v1 by
the rules of formats/ferry-bundle/SPEC.md so the examples stay byte-consistent
(digests, sizes, tar offsets). Run it from anywhere:

    python3 formats/ferry-bundle/make-example.py

Output depends on the local zlib only through the gzip'd layers; rerunning on another
machine may change layer digests (and everything that pins them). Commit the result.
"""
import gzip
import hashlib
import io
import json
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
FORMATS = os.path.dirname(HERE)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
FERRY_INDEX = "application/vnd.ferry.bundle.index.v1+json"


def cjson(obj):
    """ferry's JSON serialisation: compact, keys sorted, '/' unescaped, no newline."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer(files):
    """A tiny real layer: ustar tar (mtime 0, uid 0) gzip'd with mtime 0."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, text in files:
            data = text.encode()
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode, ti.uid, ti.gid = len(data), 0, 0o644, 0, 0
            ti.uname = ti.gname = ""
            t.addfile(ti, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    gz = gzip.compress(tar_bytes, compresslevel=9, mtime=0)
    return gz, sha256(tar_bytes)


def config(arch, variant, diff_ids, cmd):
    c = {"architecture": arch, "os": "linux",
         "config": {"Cmd": cmd, "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
         "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    if variant:
        c["variant"] = variant
    return cjson(c)


def desc(media, blob, **extra):
    d = {"mediaType": media, "digest": sha256(blob), "size": len(blob)}
    d.update(extra)
    return d


def manifest(cfg, layers):
    return cjson({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                  "config": desc(OCI_CONFIG, cfg),
                  "layers": [desc(OCI_LAYER_GZ, l) for l in layers]})


def plat(arch, variant=None):
    p = {"architecture": arch, "os": "linux"}
    if variant:
        p["variant"] = variant
    return p


# ---- content -------------------------------------------------------------------------
base_amd64, base_amd64_diff = layer([("etc/os-release", "ID=example\nVERSION_ID=1\nARCH=amd64\n")])
base_arm64, base_arm64_diff = layer([("etc/os-release", "ID=example\nVERSION_ID=1\nARCH=arm64\n")])
base_arm, base_arm_diff = layer([("etc/os-release", "ID=example\nVERSION_ID=1\nARCH=arm\n")])
web_amd64, web_amd64_diff = layer([("usr/share/web/index.html", "<p>hello from amd64</p>\n")])
web_arm64, web_arm64_diff = layer([("usr/share/web/index.html", "<p>hello from arm64</p>\n")])
web_arm, web_arm_diff = layer([("usr/share/web/index.html", "<p>hello from arm</p>\n")])
tool_l, tool_diff = layer([("usr/bin/tool", "#!/bin/sh\necho tool 2.1\n")])
app_l, app_diff = layer([("app/README", "example app\n")])

cfg_web_amd64 = config("amd64", None, [base_amd64_diff, web_amd64_diff], ["web"])
cfg_web_arm64 = config("arm64", "v8", [base_arm64_diff, web_arm64_diff], ["web"])
cfg_web_arm = config("arm", "v7", [base_arm_diff, web_arm_diff], ["web"])
cfg_tool = config("amd64", None, [base_amd64_diff, tool_diff], ["tool"])
cfg_app = config("amd64", None, [app_diff], ["/app/run"])

m_web_amd64 = manifest(cfg_web_amd64, [base_amd64, web_amd64])
m_web_arm64 = manifest(cfg_web_arm64, [base_arm64, web_arm64])
m_web_arm = manifest(cfg_web_arm, [base_arm, web_arm])
m_tool = manifest(cfg_tool, [base_amd64, tool_l])
m_app = manifest(cfg_app, [app_l])

children = [desc(OCI_MANIFEST, m_web_amd64, platform=plat("amd64")),
            desc(OCI_MANIFEST, m_web_arm64, platform=plat("arm64", "v8")),
            desc(OCI_MANIFEST, m_web_arm, platform=plat("arm", "v7"))]
# The registry's index (3 platforms). It is NOT in the bundle: only its digest is recorded.
source_index = cjson({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children})
# ferry export --platform linux/amd64 --platform linux/arm64/v8: a new index, 2 children.
new_index = cjson({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children[:2]})

app_digest = sha256(m_app)
images = [
    # (source, name, top blob, media type, platforms, sourceDigest, familiar RepoTags)
    ("docker.io/library/nginx:1.27", "docker.io/library/nginx:1.27", new_index, OCI_INDEX,
     ["linux/amd64", "linux/arm64/v8"], sha256(source_index), None),
    ("quay.io/example/tool:2.1", "quay.io/example/tool:2.1", m_tool, OCI_MANIFEST,
     ["linux/amd64"], None, ["quay.io/example/tool:2.1"]),
    ("docker.io/example/app@" + app_digest, "docker.io/example/app@" + app_digest, m_app,
     OCI_MANIFEST, ["linux/amd64"], None, []),
]

# Blob pool in bundle order: indexes+manifests, configs, layers; first-seen within a group.
groups = {"m": [], "c": [], "l": []}
seen = set()


def add(group, media, blob):
    d = sha256(blob)
    if d in seen:
        return
    seen.add(d)
    groups[group].append((d, media, blob))


blob_of = {}
for b in [new_index, m_web_amd64, m_web_arm64, m_tool, m_app, cfg_web_amd64, cfg_web_arm64,
          cfg_tool, cfg_app, base_amd64, web_amd64, base_arm64, web_arm64, tool_l, app_l]:
    blob_of[sha256(b)] = b


def walk(media, blob):
    doc = json.loads(blob)
    if media == OCI_INDEX:
        add("m", media, blob)
        for c in doc["manifests"]:
            walk(c["mediaType"], blob_of[c["digest"]])
    else:
        add("m", media, blob)
        add("c", doc["config"]["mediaType"], blob_of[doc["config"]["digest"]])
        for l in doc["layers"]:
            add("l", l["mediaType"], blob_of[l["digest"]])


for _, _, top, media, _, _, _ in images:
    walk(media, top)
pool = groups["m"] + groups["c"] + groups["l"]

# ---- metadata files ------------------------------------------------------------------
oci_layout = cjson({"imageLayoutVersion": "1.0.0"})

entries = []
for source, name, top, media, platforms, src_digest, _ in images:
    ann = {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name}
    extra = {"annotations": ann}
    if src_digest:
        ann["dev.ferry.source-index-digest"] = src_digest
    if media == OCI_MANIFEST:
        cfg = json.loads(blob_of[json.loads(top)["config"]["digest"]])
        extra["platform"] = plat(cfg["architecture"], cfg.get("variant"))
    entries.append(desc(media, top, **extra))
index_json = cjson({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})

# One element per distinct image manifest; references to the same manifest merge RepoTags.
docker_manifest = []
element_of = {}
repositories = {}
for source, name, top, media, platforms, src_digest, tags in images:
    if media != OCI_MANIFEST:
        continue
    doc = json.loads(top)
    if sha256(top) in element_of:
        element = element_of[sha256(top)]
        element["RepoTags"] += [t for t in tags if t not in element["RepoTags"]]
    else:
        layers = ["blobs/sha256/" + l["digest"][7:] for l in doc["layers"]]
        element_of[sha256(top)] = {"Config": "blobs/sha256/" + doc["config"]["digest"][7:],
                                   "Layers": layers, "RepoTags": list(tags)}
        docker_manifest.append(element_of[sha256(top)])
    for t in tags:
        repo, tag = t.rsplit(":", 1)
        repositories.setdefault(repo, {})[tag] = doc["config"]["digest"][7:]  # the image ID
manifest_json = cjson(docker_manifest)
repositories_json = cjson(repositories)


# ---- tar -----------------------------------------------------------------------------
def octal(n, width):
    return ("%0*o" % (width - 1, n)).encode() + b"\0"


def header(name, size, typeflag, mode):
    h = bytearray(512)
    nb = name.encode()
    assert len(nb) <= 100
    h[0:len(nb)] = nb
    h[100:108] = octal(mode, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12)
    h[136:148] = octal(0, 12)
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[329:337] = octal(0, 8)
    h[337:345] = octal(0, 8)
    h[148:156] = ("%06o" % sum(h)).encode() + b"\0 "
    return bytes(h)


def pad(n):
    return (512 - n % 512) % 512


def plan(ferry_index_len):
    """Returns [(name, typeflag, size, data_offset)] for the fixed member order."""
    members = [("oci-layout", len(oci_layout)), ("index.json", len(index_json)),
               ("manifest.json", len(manifest_json)), ("repositories", len(repositories_json)),
               ("ferry-index.json", ferry_index_len)]
    out, off = [], 0
    for name, size in members:
        out.append((name, b"0", size, off + 512))
        off += 512 + size + pad(size)
    for d in ("blobs/", "blobs/sha256/"):
        out.append((d, b"5", 0, off + 512))
        off += 512
    for dg, media, blob in pool:
        out.append(("blobs/sha256/" + dg[7:], b"0", len(blob), off + 512))
        off += 512 + len(blob) + pad(len(blob))
    return out, off + 1024


def ferry_index_bytes(layout):
    offsets = {name: o for name, _, _, o in layout}
    imgs = []
    for source, name, top, media, platforms, src_digest, _ in images:
        e = {"source": source, "name": name, "digest": sha256(top), "mediaType": media,
             "size": len(top), "platforms": platforms}
        if src_digest:
            e["sourceDigest"] = src_digest
        imgs.append(e)
    blobs = [{"digest": dg, "size": len(b), "mediaType": media,
              "offset": offsets["blobs/sha256/" + dg[7:]]} for dg, media, b in pool]
    return cjson({"schemaVersion": 1, "mediaType": FERRY_INDEX,
                  "tool": {"name": "ferry", "version": "0.1.0"},
                  "created": "2026-11-24T10:00:00Z", "images": imgs, "blobs": blobs})


# Fixed point: offsets depend on the size of ferry-index.json, which contains them.
guess = 0
while True:
    layout, total = plan(guess)
    fi = ferry_index_bytes(layout)
    if len(fi) == guess:
        break
    guess = len(fi)

content = {"oci-layout": oci_layout, "index.json": index_json, "manifest.json": manifest_json,
           "repositories": repositories_json, "ferry-index.json": fi}
for dg, _, b in pool:
    content["blobs/sha256/" + dg[7:]] = b
tar = bytearray()
for name, tf, size, off in layout:
    assert len(tar) + 512 == off
    tar += header(name, size, tf, 0o755 if tf == b"5" else 0o644)
    if tf == b"0":
        tar += content[name] + b"\0" * pad(size)
tar += b"\0" * 1024
assert len(tar) == total


def write(rel, data):
    p = os.path.join(FORMATS, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)


write("ferry-bundle/examples/bundle.tar", bytes(tar))
write("ferry-bundle/examples/ferry-index.json", fi)
write("ferry-bundle/examples/index.json", index_json)
write("ferry-bundle/examples/manifest.json", manifest_json)
write("ferry-bundle/examples/repositories", repositories_json)
write("ferry-bundle/examples/members.txt", (
    "# header-offset\tdata-offset\tsize\tname  (every member of bundle.tar, in order)\n" +
    "".join("%d\t%d\t%d\t%s\n" % (off - 512, off, size, name) for name, _, size, off in layout)).encode())

# oci-layout examples: two index.json entries (one image manifest, one index) + the blobs.
write("oci-layout/examples/oci-layout", oci_layout)
write("oci-layout/examples/image-manifest.json", m_tool)
write("oci-layout/examples/image-index.json", new_index)
layout_index = cjson({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
    desc(OCI_MANIFEST, m_tool, platform=plat("amd64"), annotations={
        "io.containerd.image.name": "quay.io/example/tool:2.1",
        "org.opencontainers.image.ref.name": "quay.io/example/tool:2.1"}),
    desc(OCI_INDEX, new_index, annotations={
        "io.containerd.image.name": "docker.io/library/nginx:1.27",
        "org.opencontainers.image.ref.name": "docker.io/library/nginx:1.27"})]})
write("oci-layout/examples/index.json", layout_index)

# oci-archive example: member names, in the order ferry writes the layout above as a tar.
names = ["oci-layout", "index.json", "blobs/", "blobs/sha256/"]
groups = {"m": [], "c": [], "l": []}
seen = set()
walk(OCI_MANIFEST, m_tool)
walk(OCI_INDEX, new_index)
names += ["blobs/sha256/" + dg[7:] for dg, _, _ in groups["m"] + groups["c"] + groups["l"]]
write("oci-archive/examples/example-members.txt", "".join(n + "\n" for n in names).encode())

# docker-archive examples: Docker 25 shape (one element, two tags) and its index.json.
dm = json.loads(m_web_amd64)
write("docker-archive/examples/manifest.json", cjson([{
    "Config": "blobs/sha256/" + dm["config"]["digest"][7:],
    "RepoTags": ["nginx:1.27", "nginx:latest"],
    "Layers": ["blobs/sha256/" + l["digest"][7:] for l in dm["layers"]]}]))
write("docker-archive/examples/repositories", cjson(
    {"nginx": {"1.27": dm["config"]["digest"][7:], "latest": dm["config"]["digest"][7:]}}))
write("docker-archive/examples/index.json", cjson({
    "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        desc(OCI_MANIFEST, m_web_amd64, platform=plat("amd64"), annotations={
            "io.containerd.image.name": "docker.io/library/nginx:" + t,
            "org.opencontainers.image.ref.name": t}) for t in ("1.27", "latest")]}))
print("bundle.tar: %d bytes, ferry-index.json sha256 %s" % (len(tar), hashlib.sha256(fi).hexdigest()))
