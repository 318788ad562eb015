#!/usr/bin/env python3
"""Packaging: the provider binary as Terraform installs it. Used by `make install`,
`make release` and `make mirror`; needs nothing but python3 (and gpg to sign).

  dist.py version | platform [TRIPLE]
  dist.py install --binary BIN --plugin-dir DIR            (implied local mirror, unpacked)
  dist.py release --binary BIN[=OS_ARCH]... --dist DIR [--gpg-key ID]
  dist.py mirror  --binary BIN[=OS_ARCH]... --out DIR       (packed + network mirror files)

Every name carries the version of Cargo.toml, which is also what `terraform-provider-ecs
--version` prints; a binary that says otherwise (a stale build) is refused.

Layouts (TYPE is "ecs", SOURCE is HOST/NAMESPACE/TYPE, default DEFAULT_SOURCE below):

  release  terraform-provider-ecs_VERSION_OS_ARCH.zip   holding terraform-provider-ecs_vVERSION
           terraform-provider-ecs_VERSION_SHA256SUMS     sha256 of every zip and the manifest
           terraform-provider-ecs_VERSION_SHA256SUMS.sig detached GPG signature (with --gpg-key)
           terraform-provider-ecs_VERSION_manifest.json  {"version":1,"metadata":{"protocol_versions":["5.0"]}}
  install  DIR/HOST/NAMESPACE/ecs/VERSION/OS_ARCH/terraform-provider-ecs_vVERSION
  mirror   DIR/HOST/NAMESPACE/ecs/terraform-provider-ecs_VERSION_OS_ARCH.zip  (filesystem mirror,
           packed layout) plus index.json and VERSION.json beside them: the static files of the
           Provider Network Mirror Protocol, with archive URLs relative to VERSION.json and the
           hashes Terraform checks, "h1:" (Go's dirhash Hash1 over the zip's files, what
           Terraform writes to .terraform.lock.hcl) and "zh:" (sha256 of the zip file itself).

Zips are reproducible: fixed timestamps and modes, so the same binary always gives the same
bytes, and the release's SHA256SUMS, the mirror's zh: hashes and every lock file agree.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile

NAME = "terraform-provider-ecs"
TYPE = "ecs"
# The address every example, the README and the demo use. Terraform expands a source written
# NAMESPACE/ecs to registry.terraform.io/NAMESPACE/ecs, OpenTofu to registry.opentofu.org/...;
# writing the host out makes both tools resolve the same address.
DEFAULT_SOURCE = "registry.terraform.io/ecs-tools/ecs"
PROTOCOL_VERSIONS = ["5.0"]
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Rust target triples (cargo build --target) and the OS_ARCH Terraform names them by.
TRIPLE_OS = {"linux": "linux", "darwin": "darwin", "windows": "windows", "freebsd": "freebsd"}
ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
        "i686": "386", "i386": "386", "armv7": "arm", "arm": "arm"}


def die(message):
    print(f"dist.py: error: {message}", file=sys.stderr)
    sys.exit(1)


def cargo_version():
    """The `version` of Cargo.toml's [package] table."""
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as f:
        text = f.read()
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = package and re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    if not found:
        die("no version in Cargo.toml's [package] table")
    return found.group(1)


def host_os_arch():
    system = platform.system().lower()
    machine = platform.machine().lower()
    if system not in TRIPLE_OS or machine not in ARCH:
        die(f"unknown platform {system}/{machine}: pass BIN=OS_ARCH explicitly")
    return f"{TRIPLE_OS[system]}_{ARCH[machine]}"


def triple_os_arch(triple):
    """OS_ARCH of a Rust target triple such as aarch64-apple-darwin."""
    arch = ARCH.get(triple.split("-")[0])
    os_name = next((v for k, v in TRIPLE_OS.items() if k in triple.split("-")), None)
    if not arch or not os_name:
        die(f"cannot name the platform of target {triple!r}")
    return f"{os_name}_{arch}"


def parse_binary(spec):
    """BIN or BIN=OS_ARCH -> (path, os_arch)."""
    path, _, os_arch = spec.partition("=")
    if not os.path.isfile(path):
        die(f"no provider binary at {path} (build it first: `cargo build --release`)")
    if not os_arch:
        os_arch = host_os_arch()
    if not re.fullmatch(r"[a-z0-9]+_[a-z0-9]+", os_arch):
        die(f"{os_arch!r} is not an OS_ARCH such as linux_amd64")
    return path, os_arch


def check_binary_version(path, os_arch, version):
    """Refuses a binary whose --version disagrees with Cargo.toml (when it can run here)."""
    if os_arch != host_os_arch():
        return
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except OSError as err:
        die(f"cannot run {path} --version: {err}")
    if out.stdout.strip() != f"{NAME} {version}":
        die(f"{path} --version says {out.stdout.strip()!r}, but Cargo.toml says {version}: "
            "rebuild it")


def member_name(version, os_arch):
    """The executable's name inside a package; Windows needs the .exe suffix."""
    return f"{NAME}_v{version}" + (".exe" if os_arch.startswith("windows_") else "")


def zip_name(version, os_arch):
    return f"{NAME}_{version}_{os_arch}.zip"


def package_zip(binary, version, os_arch):
    """The zip's bytes: one executable, reproducible."""
    with open(binary, "rb") as f:
        data = f.read()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo(member_name(version, os_arch), date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # unix, so that the mode below is honoured on extraction
        info.external_attr = (0o100755 & 0xFFFF) << 16
        z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()


def hash1(files):
    """Go's dirhash.Hash1: sha256 over "HEX  NAME\\n" lines, names sorted; "h1:" + base64."""
    lines = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                    for name, data in sorted(files.items()))
    return "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


def zip_hashes(zip_bytes):
    """["h1:…", "zh:…"] of a provider package zip, as Terraform computes them."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        files = {i.filename: z.read(i) for i in z.infolist()}
    return [hash1(files), "zh:" + hashlib.sha256(zip_bytes).hexdigest()]


def split_source(source):
    parts = source.split("/")
    if len(parts) != 3 or not all(parts):
        die(f"source {source!r} must be HOST/NAMESPACE/TYPE")
    if parts[2] != TYPE:
        die(f"source {source!r} must end in /{TYPE}: Terraform derives the binary's name from it")
    return parts


def write_bytes(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_json(path, value):
    write_bytes(path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode())


def cmd_version(_args):
    print(cargo_version())


def cmd_platform(args):
    print(triple_os_arch(args.triple) if args.triple else host_os_arch())


def cmd_install(args):
    version = cargo_version()
    path, os_arch = parse_binary(args.binary)
    check_binary_version(path, os_arch, version)
    host, namespace, type_ = split_source(args.source)
    target_dir = os.path.join(args.plugin_dir, host, namespace, type_, version, os_arch)
    # Only the binary: Terraform hashes the whole directory for the lock file.
    if os.path.isdir(target_dir):
        shutil.rmtree(target_dir)
    with open(path, "rb") as f:
        write_bytes(os.path.join(target_dir, member_name(version, os_arch)), f.read(), 0o755)
    print(f"installed {args.source} {version} ({os_arch}) into {target_dir}")


def cmd_release(args):
    version = cargo_version()
    os.makedirs(args.dist, exist_ok=True)
    prefix = f"{NAME}_{version}"
    for old in os.listdir(args.dist):
        if old.startswith(prefix + "_"):
            os.remove(os.path.join(args.dist, old))
    sums = {}
    for spec in args.binary:
        path, os_arch = parse_binary(spec)
        check_binary_version(path, os_arch, version)
        data = package_zip(path, version, os_arch)
        name = zip_name(version, os_arch)
        write_bytes(os.path.join(args.dist, name), data)
        sums[name] = hashlib.sha256(data).hexdigest()
    manifest = f"{prefix}_manifest.json"
    manifest_bytes = (json.dumps({"version": 1, "metadata": {
        "protocol_versions": PROTOCOL_VERSIONS}}, indent=2) + "\n").encode()
    write_bytes(os.path.join(args.dist, manifest), manifest_bytes)
    sums[manifest] = hashlib.sha256(manifest_bytes).hexdigest()
    sums_path = os.path.join(args.dist, f"{prefix}_SHA256SUMS")
    write_bytes(sums_path, "".join(f"{h}  {n}\n" for n, h in sorted(sums.items())).encode())
    if args.gpg_key:
        gpg = shutil.which(args.gpg) or die(
            f"{args.gpg} not found: run `bash scripts/install-tools.sh gpg`")
        run = subprocess.run([gpg, "--batch", "--yes", "--local-user", args.gpg_key,
                              "--output", sums_path + ".sig", "--detach-sign", sums_path],
                             capture_output=True, text=True)
        if run.returncode != 0:
            die(f"gpg could not sign with key {args.gpg_key}:\n{run.stderr}")
    for name in sorted(os.listdir(args.dist)):
        if name.startswith(prefix + "_"):
            print(os.path.join(args.dist, name))


def cmd_mirror(args):
    version = cargo_version()
    host, namespace, type_ = split_source(args.source)
    pkg_dir = os.path.join(args.out, host, namespace, type_)
    for spec in args.binary:
        path, os_arch = parse_binary(spec)
        check_binary_version(path, os_arch, version)
        write_bytes(os.path.join(pkg_dir, zip_name(version, os_arch)),
                    package_zip(path, version, os_arch))
    # Every version and platform in the directory, so that mirrors accumulate releases.
    pattern = re.compile(rf"^{re.escape(NAME)}_(.+)_([a-z0-9]+_[a-z0-9]+)\.zip$")
    versions = {}
    for name in sorted(os.listdir(pkg_dir)):
        found = pattern.match(name)
        if found:
            versions.setdefault(found.group(1), {})[found.group(2)] = name
    for v, archives in versions.items():
        entries = {}
        for os_arch, name in archives.items():
            with open(os.path.join(pkg_dir, name), "rb") as f:
                entries[os_arch] = {"url": name, "hashes": zip_hashes(f.read())}
        write_json(os.path.join(pkg_dir, f"{v}.json"), {"archives": entries})
    write_json(os.path.join(pkg_dir, "index.json"), {"versions": {v: {} for v in versions}})
    print(f"mirror of {args.source} ({', '.join(sorted(versions))}) in {args.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="print the version of Cargo.toml").set_defaults(fn=cmd_version)
    p = sub.add_parser("platform", help="OS_ARCH of this machine, or of a Rust target triple")
    p.add_argument("triple", nargs="?")
    p.set_defaults(fn=cmd_platform)

    p = sub.add_parser("install", help="unpacked, into a plugin directory")
    p.add_argument("--binary", required=True, help="the provider binary")
    p.add_argument("--plugin-dir", required=True, help="e.g. ~/.terraform.d/plugins")
    p.add_argument("--source", default=DEFAULT_SOURCE, help="HOST/NAMESPACE/ecs")
    p.set_defaults(fn=cmd_install)

    p = sub.add_parser("release", help="registry release artifacts")
    p.add_argument("--binary", action="append", required=True,
                   help="BIN or BIN=OS_ARCH (default OS_ARCH: this machine's); repeatable")
    p.add_argument("--dist", required=True)
    p.add_argument("--gpg-key", default="", help="key id: also write SHA256SUMS.sig")
    p.add_argument("--gpg", default="gpg")
    p.set_defaults(fn=cmd_release)

    p = sub.add_parser("mirror", help="filesystem mirror and network mirror files")
    p.add_argument("--binary", action="append", required=True, help="BIN or BIN=OS_ARCH")
    p.add_argument("--out", required=True)
    p.add_argument("--source", default=DEFAULT_SOURCE, help="HOST/NAMESPACE/ecs")
    p.set_defaults(fn=cmd_mirror)

    args = parser.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
